"""A newer version of a clipped paper is offered with a *Re-clip* button; clicking it clips that version once.

Slack level: the real Bolt app over signed HTTP, the Slack Web API stand-in, the scholarly stand-ins answering
with the captured arXiv feed (2204.08348, whose latest version is v3; served as v2 while the paper is clipped),
a real SQLite file, the capture jobs run by the app's own worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.clock.runs import ClockDeps, check_papers
from bot.kb.store import Store
from bot.slack.app import create_app
from tests.fakes.bolt_server import serve_bolt
from tests.fakes.scholarly import load_all, serve_scholarly
from tests.fakes.signing import DEFAULT_CHANNEL_ID, DEFAULT_USER_ID
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import (
    FAST_BACKOFF,
    NOW,
    HttpBot,
    WatchedBell,
    envelope,
    link_event,
    paper_bot,
    settings_for,
    wait_idle,
)

A_WEEK_LATER = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # past the 6 days a checked paper is left alone
ARXIV = "2204.08348"


def button_of(message: dict[str, Any]) -> dict[str, Any]:
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == "paper_reclip":
                return {**element, "block_id": block["block_id"]}
    raise AssertionError("no Re-clip button in the message")


def test_a_newer_arxiv_version_is_offered_and_a_double_click_reclips_it_once(tmp_path):
    with FakeSlackAPI() as fake, serve_scholarly() as scholarly:
        load_all(scholarly)
        scholarly.arxiv_latest[ARXIV] = 2  # when it was clipped, v2 was arXiv's latest
        with paper_bot(fake, scholarly, tmp_path) as running:
            bot, store, settings, papers = running.bot, running.store, running.settings, running.papers
            event = link_event(f"https://arxiv.org/abs/{ARXIV}")
            assert bot.event(envelope(event)).status == 200
            fake.wait_for("chat.postMessage", 1, ok_only=True, timeout=20)
            assert wait_idle(bot.app, 20)
            [old_id] = [r[0] for r in store.conn.execute("SELECT id FROM notes WHERE kind = 'paper'")]
            assert store.get_note(old_id).extra["version"] == 2

            scholarly.arxiv_latest.clear()  # v3 is out
            deps = ClockDeps(store=store, client=fake.client(), now=lambda: A_WEEK_LATER, papers=papers)
            found = check_papers(deps, settings, A_WEEK_LATER, [old_id])
            assert [(f.update.kind, f.update.ref) for f in found.found] == [("new_version", f"{ARXIV}v3")]
            posted = [c for c in fake.calls("chat.postMessage") if c.ok][1:]
            [thread] = [c for c in posted if c.decoded.get("thread_ts") == event["ts"]]
            [dm] = [c for c in posted if c.decoded["channel"] == DEFAULT_USER_ID]
            assert f"{ARXIV}v3 exists" in thread.decoded["text"] and f"{ARXIV}v3 exists" in dm.decoded["text"]

            message = thread.response["message"]
            button = button_of(message)
            assert button["text"]["text"] == "Re-clip v3"
            clicks = [bot.click([button], message=message, message_ts=message["ts"]) for _ in range(2)]
            dm_message = dm.response["message"]  # the owner clicks in the DM too
            clicks.append(bot.click([button_of(dm_message)], message=dm_message, message_ts=dm_message["ts"],
                                    channel_id=dm.response["channel"]))
            assert all(c.status == 200 and c.seconds < 3 for c in clicks)
            assert wait_idle(bot.app, 30)
            updates = fake.wait_for("chat.update", 3, ok_only=True, timeout=10)

        ids = [r[0] for r in store.conn.execute("SELECT id FROM notes WHERE kind = 'paper' ORDER BY id")]
        assert len(ids) == 2  # three clicks, one new note
        [new_id] = [i for i in ids if i != old_id]
        new, old = store.get_note(new_id), store.get_note(old_id)
        assert new.url == f"https://arxiv.org/abs/{ARXIV}v3"
        assert new.extra["version"] == 3 and new.extra["archiveID"] == f"arXiv:{ARXIV}"
        assert new.title == "Automated Test Generation for REST APIs: No Time to Rest Yet"
        assert new.extra["supersedes"] == old_id and old.extra["superseded_by"] == new_id
        assert "superseded" in old.flags and "superseded" not in new.flags
        assert {r[0] for r in store.conn.execute("SELECT flag FROM claims WHERE note_id = ?", (old_id,))} == \
            {"superseded"}
        assert {r[0] for r in store.conn.execute("SELECT flag FROM claims WHERE note_id = ?", (new_id,))} == {None}
        jobs = store.conn.execute("SELECT kind, status, supersedes FROM jobs WHERE kind = 'reclip'").fetchall()
        assert jobs == [("reclip", "done", old_id)]

        replies = [c.decoded for c in fake.calls("chat.postMessage") if c.ok][1 + len(posted):]
        assert len(replies) == 1  # the new note, answered once in the paper's thread
        assert replies[0]["channel"] == DEFAULT_CHANNEL_ID and replies[0]["thread_ts"] == event["ts"]
        assert "Re-clipped v3" in str(replies[0]["blocks"])
        for update in updates:  # each clicked message lost its button and says what happened
            text = str(update.decoded["blocks"])
            assert "paper_reclip" not in text and "♻️" in text
        store.close()


def test_a_click_on_a_finding_that_is_gone_is_acknowledged_and_says_so(tmp_path):
    with FakeSlackAPI() as fake:
        settings = settings_for(fake, tmp_path / "deskbot.db")
        store = Store.open(str(tmp_path / "deskbot.db"))
        app = create_app(settings, store, None, clock=lambda: NOW, backoff=FAST_BACKOFF, bell=WatchedBell())
        try:
            with serve_bolt(app) as base:
                bot = HttpBot(app, fake, store, base)
                message = {"ts": "1.1", "text": "🆕 v3 exists", "blocks": [
                    {"type": "actions", "block_id": "reclip:99", "elements": [
                        {"type": "button", "action_id": "paper_reclip", "value": '{"n":"nope","c":null,"u":99}',
                         "text": {"type": "plain_text", "text": "Re-clip v3"}}]}]}
                reply = bot.click([{**message["blocks"][0]["elements"][0], "block_id": "reclip:99"}],
                                  message=message, message_ts="1.1")
                assert reply.status == 200 and reply.seconds < 3
                [update] = fake.wait_for("chat.update", 1, ok_only=True)
        finally:
            store.close()
    assert "can no longer be re-clipped" in str(update.decoded["blocks"])
    reopened = Store.open(str(tmp_path / "deskbot.db"))
    assert reopened.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0
    reopened.close()


def test_a_versioned_link_to_an_older_version_is_answered_with_the_reclip_button(tmp_path):
    """Posting arXiv's v2 when v3 exists: the clip's own reply says so and offers it; its click clips v3."""
    with FakeSlackAPI() as fake, serve_scholarly() as scholarly:
        load_all(scholarly)
        with paper_bot(fake, scholarly, tmp_path) as running:
            bot, store = running.bot, running.store
            event = link_event(f"https://arxiv.org/abs/{ARXIV}v2")
            assert bot.event(envelope(event)).status == 200
            [reply] = fake.wait_for("chat.postMessage", 1, ok_only=True, timeout=20)
            assert wait_idle(bot.app, 20)
            message = reply.response["message"]
            assert f"v3 exists ({ARXIV}v3)" in str(message["blocks"])
            labels = [e["text"]["text"] for b in message["blocks"] if str(b.get("block_id")).startswith("reclip:")
                      for e in b["elements"]]
            assert labels == ["Re-clip v3", "Re-clip the published version"]
            click = bot.click([button_of(message)], message=message, message_ts=message["ts"])
            assert click.status == 200 and click.seconds < 3
            assert wait_idle(bot.app, 30)
            [update] = fake.wait_for("chat.update", 1, ok_only=True, timeout=10)
        old = store.get_note(store.conn.execute("SELECT id FROM notes WHERE url = ?",
                                                (f"https://arxiv.org/abs/{ARXIV}v2",)).fetchone()[0])
        new = store.get_note(old.extra["superseded_by"])
        assert new.url == f"https://arxiv.org/abs/{ARXIV}v3" and new.extra["version"] == 3
        [first, second] = [c.decoded for c in fake.calls("chat.postMessage") if c.ok]
        assert second["thread_ts"] == event["ts"] and "Re-clipped v3" in str(second["blocks"])
        assert "Re-clip v3" not in str(update.decoded["blocks"]) and "♻️" in str(update.decoded["blocks"])
        store.close()
