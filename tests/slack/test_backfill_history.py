"""`deskbot backfill CHANNEL`: Slack's history read over real HTTP from the stand-in — pages and cursors,
threads, 429 with Retry-After, refusals — clipped by the live rules, quietly."""

from __future__ import annotations

import sqlite3

import pytest

from tests.slack.exports import CHO, CLIPPED, EXPORT, NEVER_FETCHED, RESEARCH, channel_messages

FILE_POST = ("1741095400.000400", CHO)  # the file share: clipped from Slack (not from an export)
PDF = EXPORT.parents[1] / "pdf" / "field-report.pdf"


@pytest.fixture
def channel(fake, site):
    fake.add_channel(RESEARCH, "research", is_member=True)
    fake.add_history(RESEARCH, channel_messages(site.base))
    fake.history_page_size = 4  # 13 top-level messages: four pages, three cursors
    fake.add_file("field-notes.pdf", PDF.read_bytes(), "application/pdf", file_id="F07FIELD01")
    return RESEARCH


def _jobs(db) -> list[tuple]:
    return sqlite3.connect(db).execute("SELECT channel, ts, user, status, reply_ts FROM jobs ORDER BY ts, id").fetchall()


def test_history_pages_and_threads_become_notes_quietly(deskbot, fake, site, channel):
    result = deskbot.invoke("backfill", "#research")
    assert result.exit_code == 0, result.output
    assert "16 messages, 9 links → 7 notes; 0 failed" in result.output
    pages = fake.calls("conversations.history")
    assert [c.params.get("cursor") for c in pages] == [None, "bmV4dF90czo4", "bmV4dF90czo8", "bmV4dF90czo12"]
    assert all(c.params["channel"] == RESEARCH and c.params["limit"] == "200" for c in pages)
    replies = fake.calls("conversations.replies")
    assert [c.params["ts"] for c in replies] == ["1741090000.000100"]  # the one thread with replies
    assert fake.calls("chat.postMessage") == [] and fake.calls("reactions.add") == []
    assert sorted((ts, user) for _, ts, user, _, _ in _jobs(deskbot.db)) == sorted(
        [(ts, u) for _, ts, u in CLIPPED] + [FILE_POST])
    assert [c.params["file"] for c in fake.calls("files.info")] == ["F07FIELD01"]
    assert {status for *_, status, _ in _jobs(deskbot.db)} == {"done"}
    assert set(site.hits) == {f"/a/{n}" for n in range(1, 7)} and not set(NEVER_FETCHED) & set(site.hits)
    store = deskbot.store()
    for note_id in store.note_ids():
        first = store.first_mention(note_id)
        note = store.get_note(note_id)
        assert (note.owner, note.clipped) == (first.user, first.at)


def test_a_429_is_waited_out_and_the_same_page_read_again(deskbot, fake, site, channel):
    fake.rate_limit("conversations.history", retry_after=1, times=1)
    result = deskbot.invoke("backfill", RESEARCH)
    assert result.exit_code == 0, result.output
    calls = fake.calls("conversations.history")
    assert [c.status for c in calls] == [429, 200, 200, 200, 200]
    assert calls[0].params.get("cursor") == calls[1].params.get("cursor") is None
    assert calls[1].timestamp - calls[0].timestamp >= 1.0  # Retry-After honoured
    assert len(_jobs(deskbot.db)) == len(CLIPPED) + 1


def test_a_second_run_adds_nothing(deskbot, fake, site, channel):
    assert deskbot.invoke("backfill", RESEARCH).exit_code == 0
    before = _jobs(deskbot.db)
    again = deskbot.invoke("backfill", RESEARCH)
    assert again.exit_code == 0
    assert _jobs(deskbot.db) == before
    store = deskbot.store()
    assert sum(len(store.mentions(n)) for n in store.note_ids()) == len(CLIPPED) + 1
    assert site.total() == 6


@pytest.mark.parametrize(("error", "extra", "said"), [
    ("not_in_channel", {}, "deskbot is not a member of #research: type `/invite @deskbot` in #research"),
    ("missing_scope", {"needed": "groups:history", "provided": "channels:history,chat:write"},
     "the bot token lacks the groups:history scope: add it under oauth_config.scopes.bot in manifest.json"),
    ("channel_not_found", {}, "Slack knows no channel #research for this token"),
])
def test_a_refusal_is_one_line_and_leaves_nothing(deskbot, fake, site, channel, error, extra, said):
    fake.fail("conversations.history", error, **extra)
    result = deskbot.invoke("backfill", "#research")
    assert result.exit_code == 1
    assert result.output.startswith("Error: " + said) and result.output.count("\n") == 1
    conn = sqlite3.connect(deskbot.db)
    assert conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM backfills").fetchone()[0] == 0


def test_an_unknown_channel_name(deskbot, fake, channel):
    result = deskbot.invoke("backfill", "#papers")
    assert result.exit_code == 1
    assert result.output.startswith("Error: no channel named #papers in this workspace")
    assert not deskbot.db.exists()


def test_since_and_until_bound_the_history(deskbot, fake, site, channel):
    result = deskbot.invoke("backfill", RESEARCH, "--since", "2025-03-04", "--until", "2025-03-04")
    assert result.exit_code == 0, result.output
    first = fake.calls("conversations.history")[0].params
    assert (first["oldest"], first["latest"]) == ("1741046400.000000", "1741132800.000000")
    assert {ts[:5] for _, ts, *_ in _jobs(deskbot.db)} == {"17410"}
    assert sorted(ts for _, ts, *_ in _jobs(deskbot.db)) == sorted([ts for _, ts, _ in CLIPPED[2:6]] + [FILE_POST[0]])


def test_dry_run_reads_but_stores_nothing(deskbot, fake, site, channel):
    result = deskbot.invoke("backfill", RESEARCH, "--dry-run")
    assert result.exit_code == 0
    assert "16 messages, 9 links, 1 files would be clipped; nothing was stored" in result.output
    assert not deskbot.db.exists() and site.total() == 0


def test_announce_posts_one_summary_once(deskbot, fake, site, channel):
    result = deskbot.invoke("backfill", RESEARCH, "--announce")
    assert result.exit_code == 0, result.output
    posts = fake.calls("chat.postMessage")
    assert len(posts) == 1 and posts[0].params["channel"] == RESEARCH
    text = posts[0].params["text"]
    assert text.startswith("Backfill of #research done: 9 links in 16 messages → 7 notes, 0 could not be clipped")
    assert "Top tags: #" in text
    again = deskbot.invoke("backfill", RESEARCH, "--announce")  # a second pass finds its earlier post
    assert again.exit_code == 0
    assert len(fake.calls("chat.postMessage")) == 1


def test_without_a_token_or_a_reachable_slack(deskbot, fake, channel):
    deskbot.env["SLACK_BOT_TOKEN"] = ""
    result = deskbot.invoke("backfill", RESEARCH)
    assert result.exit_code == 1 and "SLACK_BOT_TOKEN is not set" in result.output
    assert "deskbot import-slack-export EXPORT.zip" in result.output
    deskbot.env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL="http://127.0.0.1:9/api/")
    result = deskbot.invoke("backfill", RESEARCH)
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach Slack at http://127.0.0.1:9/api/")
    assert "run the same command again" in result.output and result.output.count("\n") == 1
