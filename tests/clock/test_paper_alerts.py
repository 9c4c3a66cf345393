"""A clipped paper is later retracted: the thread, the owner's DM and the digest all say so, exactly once.

Slack level: the real Bolt app over signed HTTP, the Slack Web API stand-in, the scholarly stand-ins answering
with captured responses (Crossref's sample work 10.5555/12345678, retracted 2009-09-14), a real SQLite file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.capture.fetch import Allowlist
from bot.capture.papers.apis import PaperAPIs, Throttle
from bot.clock.runs import ClockDeps, check_papers, run_digest
from bot.kb.store import Store
from tests.fakes.scholarly import load_all, serve_scholarly
from tests.fakes.signing import DEFAULT_CHANNEL_ID, DEFAULT_USER_ID
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import NOW, envelope, link_event, no_sleep, paper_bot, wait_idle

MONDAY_0900 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a week after the clip: the weekly sweep includes it


def test_a_clipped_paper_later_retracted_is_announced_in_thread_dm_and_digest_once(tmp_path):
    with FakeSlackAPI() as fake, serve_scholarly() as scholarly:
        load_all(scholarly)
        scholarly.as_of = date(2009, 1, 1)  # when it was clipped, Crossref knew no notice yet
        with paper_bot(fake, scholarly, tmp_path, digest_channel="C0DIGEST") as running:
            event = link_event("https://doi.org/10.5555/12345678")
            assert running.bot.event(envelope(event)).status == 200
            [reply] = fake.wait_for("chat.postMessage", 1, ok_only=True, timeout=20)
            assert wait_idle(running.bot.app, 10)
        store, settings, papers = running.store, running.settings, running.papers
        assert reply.decoded["thread_ts"] == event["ts"]
        assert "Silly String Theory" in reply.decoded["text"] and "RETRACTED" not in str(reply.decoded["blocks"])

        scholarly.as_of = None  # Crossref now lists the retraction (and a corrigendum)
        deps = ClockDeps(store=store, client=fake.client(), now=lambda: MONDAY_0900, papers=papers)
        outcome = run_digest(deps, settings, MONDAY_0900)
        assert outcome.status == "posted"
        posts = [c.decoded for c in fake.calls("chat.postMessage") if c.ok][1:]
        thread = [p for p in posts if p.get("thread_ts") == event["ts"]]
        dms = [p for p in posts if p["channel"] == DEFAULT_USER_ID]
        digests = [p for p in posts if p["channel"] == "C0DIGEST"]
        assert len(thread) == 1 and "RETRACTED (2009-09-14, notice 10.5555/24242424x)" in thread[0]["text"]
        assert thread[0]["channel"] == DEFAULT_CHANNEL_ID
        assert len(dms) == 1 and "RETRACTED" in dms[0]["text"]
        assert len(digests) == 1
        top = digests[0]["blocks"][:2]
        assert top[0]["text"]["text"] == "Papers retracted or under concern"
        assert "Silly String Theory" in top[1]["text"]["text"]
        note_id = store.conn.execute("SELECT id FROM notes WHERE kind = 'paper'").fetchone()[0]
        assert "retracted" in store.get_note(note_id).flags
        assert {r[0] for r in store.conn.execute("SELECT flag FROM claims WHERE note_id = ?", (note_id,))} == \
            {"retracted"}

        # the next sweep and the next week's digest: nothing is said twice
        check_papers(deps, settings, MONDAY_0900 + timedelta(days=1), [note_id])
        run_digest(deps, settings, MONDAY_0900 + timedelta(days=7))
        later = [c.decoded for c in fake.calls("chat.postMessage") if c.ok][1 + len(posts):]
        assert [p["channel"] for p in later] == ["C0DIGEST"]
        assert "Papers retracted" not in str(later[0]["blocks"])
        store.close()


def test_a_failed_thread_reply_is_retried_by_the_next_run_and_posted_once(store, tmp_path):
    from bot.capture.papers.records import Update
    from bot.capture.papers.status import record
    from bot.clock.paper_alerts import announce
    from bot.kb.notes import Note

    store.upsert_note(Note(id="p1", title="A paper", kind="paper", url="https://doi.org/10.1/x", owner="U0OWNER"))
    store.add_mention("p1", url="https://doi.org/10.1/x", channel="C1", ts="5.5", user="U0OWNER", at=NOW)
    record(store, "p1", [Update("expression_of_concern", "10.1/eoc", "2026-01-02", "publisher")], NOW)
    with FakeSlackAPI() as fake:
        fake.fail("chat.postMessage", "channel_not_found")
        first = announce(store, fake.client(), NOW)
        assert (first.failed, first.threads, first.dms) == (1, 0, 1)
        second = announce(store, fake.client(), NOW)
        third = announce(store, fake.client(), NOW)
        assert (second.threads, second.dms) == (1, 0) and (third.threads, third.dms) == (0, 0)
        ok = [c.decoded for c in fake.calls("chat.postMessage") if c.ok]
        assert sorted(p["channel"] for p in ok) == ["C1", "U0OWNER"]
        assert all("Expression of concern (2026-01-02, notice 10.1/eoc)" in p["text"] for p in ok)


def test_the_sweep_offers_a_newer_arxiv_version_and_a_journal_version_in_the_thread_and_dm_with_buttons(store):
    from bot.capture.papers.status import check
    from bot.clock.paper_alerts import announce
    from bot.kb.notes import Note

    note = Note(id="arx", title="Automated Test Generation for REST APIs", kind="paper",
                url="https://arxiv.org/abs/2204.08348v2", owner="U0OWNER",
                extra={"archiveID": "arXiv:2204.08348", "version": 2, "item_type": "preprint"})
    store.upsert_note(note)
    store.add_mention("arx", url=note.url, channel="C1", ts="7.7", user="U0OWNER", at=NOW)
    with serve_scholarly() as scholarly, FakeSlackAPI() as fake:
        papers = PaperAPIs(arxiv_url=scholarly.url("arxiv"), allow=Allowlist.from_env("127.0.0.1"),
                           throttle=Throttle(sleep=no_sleep))
        found = check(store, None, papers, NOW)
        assert {(f.update.kind, f.update.ref) for f in found.found} == {
            ("new_version", "2204.08348v3"), ("published_version", "10.1145/3533767.3534401")}
        done = announce(store, fake.client(), NOW)
        assert (done.threads, done.dms) == (2, 2)  # offered in the thread and to the owner
        posts = [c.decoded for c in fake.calls("chat.postMessage") if c.ok]
        texts = " | ".join(p["text"] for p in posts)
        assert sorted(p.get("thread_ts") or p["channel"] for p in posts) == ["7.7", "7.7", "U0OWNER", "U0OWNER"]
        buttons = [e for p in posts for b in p["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert sorted(b["text"]["text"] for b in buttons) == ["Re-clip the published version"] * 2 + ["Re-clip v3"] * 2
        assert {b["action_id"] for b in buttons} == {"paper_reclip"}
        assert "2204.08348v3 exists — re-clip it" in texts
        assert "was published: <https://doi.org/10.1145/3533767.3534401|10.1145/3533767.3534401>" in texts
        assert check(store, None, papers, NOW, skip_recent=False).found == []
        assert announce(store, fake.client(), NOW).threads == 0
    assert store.get_note("arx").flags == []


def test_a_digest_that_fails_to_post_leaves_its_paper_alerts_for_the_next_one(store):
    import pytest
    from slack_sdk.errors import SlackApiError

    from bot.capture.papers.records import Update
    from bot.capture.papers.status import record
    from bot.config import Settings
    from bot.kb.notes import Note

    store.upsert_note(Note(id="p1", title="A retracted trial", kind="paper", url="https://doi.org/10.1/x"))
    record(store, "p1", [Update("retraction", "10.1/notice", "2026-11-01", "retraction-watch")], NOW)
    settings = Settings.from_env({"DESKBOT_DIGEST_CHANNEL": "C0DIGEST"}, dotenv=False)
    with FakeSlackAPI() as fake:
        deps = ClockDeps(store=store, client=fake.client(), now=lambda: MONDAY_0900, recheck=False)
        fake.fail("chat.postMessage", "channel_not_found")
        with pytest.raises(SlackApiError):
            run_digest(deps, settings, MONDAY_0900)
        assert run_digest(deps, settings, MONDAY_0900).status == "posted"  # the catch-up retries the period
        run_digest(deps, settings, MONDAY_0900 + timedelta(days=7))
        posted = [c.decoded for c in fake.calls("chat.postMessage") if c.ok]
    assert "A retracted trial" in str(posted[0]["blocks"][:2])
    assert "Papers retracted" not in str(posted[1]["blocks"])


def test_a_retraction_told_at_capture_by_pubmed_is_not_announced_again_when_crossref_reports_it(store):
    from bot.capture.papers.records import Update
    from bot.capture.papers.status import AT_CAPTURE, record
    from bot.clock.paper_alerts import announce, digest_alerts
    from bot.kb.notes import Note

    store.upsert_note(Note(id="w", title="Wakefield 1998", kind="paper", url="https://doi.org/10.1016/x",
                           owner="U0OWNER"))
    store.add_mention("w", url="https://doi.org/10.1016/x", channel="C1", ts="3.3", user="U0OWNER", at=NOW)
    record(store, "w", [Update("retraction", "20137807", None, "pubmed")], NOW, state=AT_CAPTURE)
    later = record(store, "w", [Update("retraction", "10.1016/s0140-6736(10)60175-4", "2010-02-06",
                                       "retraction-watch")], NOW)
    assert later == []  # the same event from another source: no news
    with FakeSlackAPI() as fake:
        assert announce(store, fake.client(), NOW).threads == 0
    assert digest_alerts(store) == []


def test_alerts_claimed_by_a_digest_whose_post_was_lost_are_shown_by_its_retry(tmp_path):
    """Marked for a period before posting; if that post never happened (a reset connection, a crash), the
    retried digest of the same period shows them again instead of losing them."""
    from datetime import datetime

    from bot.capture.papers import records as rec
    from bot.capture.papers.status import record
    from bot.clock.paper_alerts import digest_alerts, mark_in_digest
    from bot.kb.notes import Claim, Note

    store = Store.open(str(tmp_path / "kb.db"))
    store.upsert_note(Note(id="p1", title="A paper", kind="paper", claims=[Claim("A finding about tides.")]))
    record(store, "p1", [rec.Update(rec.RETRACTION, "10.5555/notice")], datetime(2026, 12, 1, 9, 0))
    [alert] = digest_alerts(store)
    mark_in_digest(store, [alert], "2026-W49")
    assert digest_alerts(store) == []  # another period's digest does not show it twice…
    assert [a.id for a in digest_alerts(store, "2026-W49")] == [alert.id]  # …the same period's retry does
    store.close()


def test_a_retracted_paper_says_so_wherever_the_note_is_listed(tmp_path):
    """Not only in /claim answers: the digest (blocks and text), /stale and reminders show the note's flag."""
    from datetime import date, datetime

    from bot.capture.papers import records as rec
    from bot.capture.papers.status import record
    from bot.clock import digest as dg
    from bot.kb import decay
    from bot.kb.notes import Claim, Note
    from bot.slack import blocks

    store = Store.open(str(tmp_path / "kb.db"))
    store.upsert_note(Note(id="p1", title="A paper", kind="paper", clipped=datetime(2026, 1, 5), decay_rate="fast",
                           claims=[Claim("A finding about tides.")]))
    record(store, "p1", [rec.Update(rec.RETRACTION, "10.5555/notice")], datetime(2026, 12, 1, 9, 0))
    today = date(2026, 12, 1)
    [row] = store.stale_notes(today)
    assert "retracted" in row.flags
    section = blocks.note_section(row, decay.freshness(row.due, today))
    assert "paper retracted" in section["text"]["text"]
    digest = dg.collect_digest(store, today)
    assert "paper retracted" in dg.render_digest_text(digest)
    assert "paper retracted" in str(dg.digest_message(digest)["blocks"])
    store.close()
