"""The clock's jobs against a real SQLite store and the local Slack Web API stand-in (real WebClient, real
HTTP on 127.0.0.1): the seeds' digest, a click's data path, 5,000 stale notes, reminders and snoozes,
exactly-once claims, failures that release their claim."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.clock.periods import DIGEST, REMINDERS
from bot.clock.runs import (
    ClockDeps,
    claim,
    ensure_first_start,
    plan_reminders,
    run_digest,
    run_due,
    run_reminders,
)
from bot.config import Settings
from bot.kb.notes import Claim, Note
from bot.slack import blocks as bk

pytest_plugins = ["tests.fakes.fixtures"]  # fake_slack

MONDAY_0900 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
THOUGHTS = "Thoughts on AI Progress (Dec 2025)"


# --------------------------------------------------------------------------- helpers (also used by test_scheduler)


class FakeClock:
    """The injected ``now``: tests set and advance it; nothing ever sleeps."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def make_settings(**env: str) -> Settings:
    return Settings.from_env({"DESKBOT_DIGEST_CHANNEL": "C0DIGEST", **env}, dotenv=False)


def make_deps(store, fake_slack, clock: Callable[[], datetime], **kwargs: Any) -> ClockDeps:
    kwargs.setdefault("recheck", False)  # source re-checks have their own tests against local servers
    return ClockDeps(store=store, client=fake_slack.client(), now=clock, **kwargs)


def stale_note(store, note_id: str, *, due: str, owner: str | None = None, url: str | None = None,
               title: str | None = None, claims: int = 2) -> None:
    """A note (fast decay: 30 days) whose due date is ``due``."""
    base = date.fromisoformat(due) - timedelta(days=30)
    note = Note(
        id=note_id, title=title or f"Note {note_id}", url=url or f"https://example.org/{note_id}", owner=owner,
        decay_rate="fast", last_validated=base, body="",
        claims=[Claim(text=f"Claim {i} of {note_id}.") for i in range(1, claims + 1)],
    )
    store.upsert_note(note)


def posted_blocks(call) -> list[dict[str, Any]]:
    return call.decoded["blocks"]


def text_of(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --------------------------------------------------------------------------- the digest


def test_seeds_digest_lists_thoughts_stale_since_october(seeded, fake_slack):
    deps = make_deps(seeded, fake_slack, FakeClock(MONDAY_0900))
    outcome = run_digest(deps, make_settings(), MONDAY_0900)
    assert (outcome.status, outcome.period) == ("posted", "2026-W49")
    [call] = fake_slack.calls("chat.postMessage")
    assert call.ok and call.decoded["channel"] == "C0DIGEST"
    blocks = posted_blocks(call)
    thoughts = next(b for b in blocks if b["type"] == "section" and THOUGHTS in b["text"]["text"])
    assert "stale since 2026-10-03" in thoughts["text"]["text"]
    assert "decay slow" in thoughts["text"]["text"] and "58 days overdue" in thoughts["text"]["text"]
    assert "last validated 2026-04-06" in thoughts["text"]["text"]
    note_id = thoughts["block_id"].removeprefix("note:")
    actions = next(b for b in blocks if b.get("block_id") == f"actions:{note_id}")
    assert [e["action_id"] for e in actions["elements"]][:4] == ["note_valid", "note_needs_update", "note_snooze",
                                                                  "note_decay"]
    assert json.loads(actions["elements"][0]["value"]) == {"n": note_id, "c": None}
    # recorded, with the ts a click handler needs to chat.update it in place
    row = seeded.conn.execute("SELECT period, channel, ts, note_ids FROM digest_posts").fetchone()
    assert row[:3] == ("2026-W49", "C0DIGEST", call.response["ts"]) and note_id in json.loads(row[3])


def test_still_valid_takes_a_note_off_the_next_digest(seeded, fake_slack):
    """The click's data path (the handler calls store.validate): validated with the user id, gone next week."""
    deps = make_deps(seeded, fake_slack, FakeClock(MONDAY_0900))
    run_digest(deps, make_settings(), MONDAY_0900)
    first = posted_blocks(fake_slack.calls("chat.postMessage")[0])
    section = next(b for b in first if THOUGHTS in b.get("text", {}).get("text", ""))
    note_id = section["block_id"].removeprefix("note:")
    seeded.validate(note_id, by="U0ALICE", at=MONDAY_0900 + timedelta(minutes=5))
    # the message updates in place: the clicked note's blocks swapped, chat.update accepted by the fake
    updated = bk.mark_note(first, note_id, None, bk.status_line("valid", "U0ALICE", MONDAY_0900.date()))
    call = fake_slack.calls("chat.postMessage")[0]
    fake_slack.client().chat_update(channel=call.response["channel"], ts=call.response["ts"], text="digest",
                                    blocks=updated)
    assert fake_slack.calls("chat.update")[0].ok
    [v] = [v for v in seeded.validations(note_id) if v.verdict == "valid"]
    assert v.by == "U0ALICE"
    next_week = MONDAY_0900 + timedelta(days=7)
    run_digest(deps, make_settings(), next_week)
    second = posted_blocks(fake_slack.calls("chat.postMessage")[1])
    assert THOUGHTS not in text_of(second) and "What are we scaling?" in text_of(second)
    assert all(r.id != note_id for r in seeded.stale_notes(next_week.date()))


def test_five_thousand_stale_notes_fit_slack_limits_with_correct_counts(store, fake_slack):
    today = MONDAY_0900.date()
    with store.write():
        for n in range(5000):
            due = today - timedelta(days=n % 200)  # 0..199 days overdue
            stale_note(store, f"{n:05d}", due=due.isoformat(), title=f"T<{n}> & <!channel>", claims=0)
    outcome = run_digest(make_deps(store, fake_slack, FakeClock(MONDAY_0900)), make_settings(), MONDAY_0900)
    assert outcome.status == "posted"
    [call] = fake_slack.calls("chat.postMessage")
    assert call.ok, call.response
    blocks = posted_blocks(call)
    assert len(blocks) <= 50
    for b in blocks:
        for t in [b.get("text", {}).get("text", "")] + [e.get("text", "") for e in b.get("elements", [])
                                                         if isinstance(e.get("text"), str)]:
            assert len(t) <= 3000
    body = text_of(blocks)
    assert "<!channel>" not in body and "T&lt;" in body
    # 25 notes per overdue day: newly 0..6 → 7 days, under 30: 7..29, 30..90, over 90: 91..199
    summary = next(b for b in blocks if b.get("block_id") == "digest:summary")["text"]["text"]
    assert summary.startswith("5,000 notes need re-validation")
    expected = {"newly stale this week": 7 * 25, "over 90 days overdue": 109 * 25,
                "30–90 days overdue": 61 * 25, "under 30 days overdue": 23 * 25}
    for label, count in expected.items():
        assert f"{count:,} {label}" in summary
    assert sum(expected.values()) == 5000
    assert f"+{5000 - 20:,} more" in body
    newly_first = [b["block_id"] for b in blocks if b.get("block_id", "").startswith("digest:group:")]
    assert newly_first[0] == "digest:group:newly"


def test_empty_digest_posts_all_fresh_or_skips(store, fake_slack):
    deps = make_deps(store, fake_slack, FakeClock(MONDAY_0900))
    assert run_digest(deps, make_settings(), MONDAY_0900).status == "posted"
    [call] = fake_slack.calls("chat.postMessage")
    assert "All fresh" in call.decoded["text"] and len(posted_blocks(call)) == 1
    outcome = run_digest(deps, make_settings(DESKBOT_DIGEST_EMPTY="skip"), MONDAY_0900 + timedelta(days=7))
    assert outcome.status == "empty" and len(fake_slack.calls("chat.postMessage")) == 1
    assert runs(store, DIGEST)[0]["result"].startswith("empty")


def test_a_period_is_claimed_once(store):
    assert claim(store, DIGEST, "2026-W49", now=MONDAY_0900, by="a")
    assert not claim(store, DIGEST, "2026-W49", now=MONDAY_0900, by="b")
    assert claim(store, REMINDERS, "2026-W49", now=MONDAY_0900, by="b")  # other job, other key


def test_a_failed_post_releases_its_claim_and_the_catch_up_retries(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    settings = make_settings()
    deps = make_deps(store, fake_slack, FakeClock(MONDAY_0900))
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    fake_slack.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(Exception, match="channel_not_found"):
        run_digest(deps, settings, MONDAY_0900)
    assert runs(store, DIGEST) == []
    outcomes = run_due(deps, settings, MONDAY_0900 + timedelta(hours=1), None, jobs=(DIGEST,))
    assert [o.status for o in outcomes] == ["posted"]
    assert len([c for c in fake_slack.calls("chat.postMessage") if c.ok]) == 1


def test_no_digest_channel_is_skipped_not_claimed(store, fake_slack):
    settings = Settings.from_env({}, dotenv=False)
    outcome = run_digest(make_deps(store, fake_slack, FakeClock(MONDAY_0900)), settings, MONDAY_0900)
    assert outcome.status == "skipped" and runs(store) == []


def test_forced_digest_posts_again_without_touching_the_claim(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    deps = make_deps(store, fake_slack, FakeClock(MONDAY_0900))
    run_digest(deps, make_settings(), MONDAY_0900)
    assert run_digest(deps, make_settings(), MONDAY_0900).status == "already"
    assert run_digest(deps, make_settings(), MONDAY_0900, force=True).status == "posted"
    periods = [r[0] for r in store.conn.execute("SELECT period FROM digest_posts ORDER BY posted_at")]
    assert periods[0] == "2026-W49" and periods[1].startswith("2026-W49+manual:")


# --------------------------------------------------------------------------- reminders


def _sweep(store, fake_slack, when: datetime, settings: Settings | None = None):
    settings = settings or make_settings()
    deps = make_deps(store, fake_slack, FakeClock(when))
    return run_due(deps, settings, when, None, jobs=(REMINDERS,))


def test_reminder_dm_once_per_due_period_and_snooze_respected(store, fake_slack):
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    stale_note(store, "n1", due="2026-11-29", owner="U0ALICE", title="Tokenizers & <b>you</b>", claims=3)
    stale_note(store, "n2", due="2026-12-05", owner="U0ALICE")
    stale_note(store, "n3", due="2026-10-01", owner="U0ALICE")  # stale before the bot first started: digest only
    day = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    [outcome] = _sweep(store, fake_slack, day)
    assert (outcome.status, outcome.note_ids) == ("posted", ("n1",))
    [dm] = fake_slack.calls("chat.postMessage")
    assert dm.decoded["channel"] == "U0ALICE" and dm.ok
    blocks = posted_blocks(dm)
    section = next(b for b in blocks if b.get("block_id") == "note:n1")["text"]["text"]
    assert "Tokenizers &amp; &lt;b&gt;you&lt;/b&gt;" in section and "1 day overdue" in section
    assert [b["block_id"] for b in blocks if b["block_id"].startswith("claim:")] == ["claim:n1:1", "claim:n1:2",
                                                                                      "claim:n1:3"]
    actions = next(b for b in blocks if b.get("block_id") == "actions:n1")
    assert {"note_valid", "note_needs_update", "note_snooze", "note_decay"} <= {e["action_id"] for e in
                                                                               actions["elements"]}
    # the same day again, and the next days: nothing new for n1
    assert _sweep(store, fake_slack, day)[0].status == "already"
    for offset in range(1, 5):
        _sweep(store, fake_slack, day + timedelta(days=offset))
    assert len(fake_slack.calls("chat.postMessage")) == 1
    # snoozed on 1 Dec for two weeks: silent until 15 Dec, then one reminder
    store.snooze("n1", date(2026, 12, 15), by="U0ALICE", at=day + timedelta(days=1))
    sent: dict[str, list[str]] = {}
    for offset in range(5, 20):
        when = day + timedelta(days=offset)
        for o in _sweep(store, fake_slack, when):
            if o.note_ids:
                sent[when.date().isoformat()] = list(o.note_ids)
    assert sent == {"2026-12-05": ["n2"], "2026-12-15": ["n1"]}
    keys = store.conn.execute("SELECT note_id, due FROM reminders WHERE sent_at IS NOT NULL ORDER BY 2").fetchall()
    assert keys == [("n1", "2026-11-29"), ("n2", "2026-12-05"), ("n1", "2026-12-15")]


def test_notes_without_a_slack_owner_go_to_the_fallback(store, fake_slack):
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    stale_note(store, "n1", due="2026-11-20", owner=None)
    stale_note(store, "n2", due="2026-11-21", owner="Dwarkesh")  # an imported name, not a Slack user
    store.add_mention("n3", url=None, channel="C1", ts="1.2", user="U0BOB", at=datetime(2026, 10, 1))
    stale_note(store, "n3", due="2026-11-22", owner=None)  # owner = whoever posted the link
    _sweep(store, fake_slack, MONDAY_0900, make_settings(DESKBOT_REMINDER_FALLBACK="C0TRIAGE"))
    by_channel = {c.decoded["channel"]: c for c in fake_slack.calls("chat.postMessage")}
    assert set(by_channel) == {"C0TRIAGE", "U0BOB"}
    triage = text_of(posted_blocks(by_channel["C0TRIAGE"]))
    assert "note:n1" in triage and "note:n2" in triage and "without a reachable owner" in triage


def test_reminders_are_batched_per_owner_and_the_rest_wait(store, fake_slack):
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    for n in range(7):
        stale_note(store, f"n{n}", due=f"2026-11-{10 + n}", owner="U0ALICE")
    _sweep(store, fake_slack, MONDAY_0900)
    [dm] = fake_slack.calls("chat.postMessage")
    assert sum(1 for b in posted_blocks(dm) if b.get("block_id", "").startswith("note:")) == 5
    assert "+2 more due" in text_of(posted_blocks(dm))
    _sweep(store, fake_slack, MONDAY_0900 + timedelta(days=1))
    second = fake_slack.calls("chat.postMessage")[1]
    assert [b["block_id"] for b in posted_blocks(second) if b.get("block_id", "").startswith("note:")] == [
        "note:n5", "note:n6"]


def test_a_failed_dm_is_retried_at_the_next_sweep(store, fake_slack):
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    stale_note(store, "n1", due="2026-11-20", owner="U0ALICE")
    fake_slack.fail("chat.postMessage", "user_not_found")
    [outcome] = _sweep(store, fake_slack, MONDAY_0900)
    assert outcome.status == "failed"
    assert store.conn.execute("SELECT count(*) FROM reminders").fetchone()[0] == 0
    [outcome] = _sweep(store, fake_slack, MONDAY_0900 + timedelta(days=1))
    assert outcome.note_ids == ("n1",)


def test_plan_reminders_skips_notes_with_nowhere_to_go(store):
    from bot.clock.digest import items_for

    stale_note(store, "n1", due="2026-11-20", owner="someone")
    items = items_for(store, ["n1"], MONDAY_0900.date())
    assert plan_reminders(items, fallback=None) == []
    assert plan_reminders(items, fallback="C1")[0].recipient == "C1"


def test_run_reminders_claims_its_day(store, fake_slack):
    deps = make_deps(store, fake_slack, FakeClock(MONDAY_0900))
    first = datetime(2026, 11, 1, tzinfo=UTC)
    assert run_reminders(deps, make_settings(), MONDAY_0900, "2026-11-30", first).status == "empty"
    assert run_reminders(deps, make_settings(), MONDAY_0900, "2026-11-30", first).status == "already"


# --------------------------------------------------------------------------- end to end with the real Bolt app


def test_clicking_still_valid_on_the_posted_digest_updates_it_in_place(tmp_path, seeds_dir, fake_slack):
    """Digest posted by the clock → a signed block_actions click on it → the real Bolt app records the
    validation with the user id and chat.update's the same message; next week's digest leaves the note out."""
    from dataclasses import replace

    from bot.kb.importer import import_paths
    from bot.kb.store import Store
    from bot.slack.app import create_app
    from tests.fakes import http
    from tests.fakes.bolt_server import EVENTS_PATH, serve_bolt
    from tests.fakes.signing import block_actions_body, signed_headers

    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    store = Store.open(str(tmp_path / "e2e.db"))
    import_paths(store, [seeds_dir])
    settings = replace(make_settings(), bot_token="xoxb-test", signing_secret=secret,
                       slack_api_url=fake_slack.base_url, db_path=str(tmp_path / "e2e.db"))
    clicked_at = MONDAY_0900 + timedelta(minutes=20)
    app = create_app(settings, store, fake_slack.client(), clock=lambda: clicked_at.replace(tzinfo=None))
    try:
        run_digest(make_deps(store, fake_slack, FakeClock(MONDAY_0900)), settings, MONDAY_0900)
        [post] = fake_slack.calls("chat.postMessage")
        message = {"type": "message", "ts": post.response["ts"], "text": post.decoded["text"],
                   "blocks": posted_blocks(post)}
        section = next(b for b in message["blocks"] if THOUGHTS in b.get("text", {}).get("text", ""))
        note_id = section["block_id"].removeprefix("note:")
        button = next(e for b in message["blocks"] if b.get("block_id") == f"actions:{note_id}"
                      for e in b["elements"] if e["action_id"] == "note_valid")
        body = block_actions_body(
            [{"type": "button", "block_id": f"actions:{note_id}", "action_id": "note_valid",
              "value": button["value"], "text": button["text"]}],
            user_id="U0ALICE", channel_id=post.response["channel"], message_ts=post.response["ts"],
            message=message, response_url=fake_slack.hook_url())
        with serve_bolt(app) as base:
            status, _, _ = http.post(base + EVENTS_PATH, body, signed_headers(secret, body))
            assert status == 200
            [update] = fake_slack.wait_for("chat.update")
        assert update.ok and update.decoded["ts"] == post.response["ts"]
        new_blocks = update.decoded["blocks"]
        assert "validated by <@U0ALICE>" in text_of(new_blocks)
        assert not any(b.get("block_id") == f"actions:{note_id}" and b["type"] == "actions" for b in new_blocks)
        assert any(v.by == "U0ALICE" and v.verdict == "valid" for v in store.validations(note_id))
        run_digest(make_deps(store, fake_slack, FakeClock(MONDAY_0900)), settings, MONDAY_0900 + timedelta(days=7))
        assert THOUGHTS not in text_of(posted_blocks(fake_slack.calls("chat.postMessage")[1]))
    finally:
        store.close()


def test_build_scheduler_accepts_the_slack_apps_deps(tmp_path, seeds_dir, fake_slack):
    """`deskbot serve` hands the app's Deps (naive-UTC clock) to build_scheduler: the catch-up posts with it."""
    from dataclasses import replace

    from apscheduler.events import EVENT_JOB_EXECUTED

    from bot.clock.scheduler import JOB_CATCH_UP, build_scheduler
    from bot.kb.importer import import_paths
    from bot.kb.store import Store
    from bot.slack.app import create_app

    store = Store.open(str(tmp_path / "app.db"))
    import_paths(store, [seeds_dir])
    store.set_meta("clock_first_start", "2026-11-01T00:00:00+00:00")
    settings = replace(make_settings(), bot_token="xoxb-test", signing_secret="8f742231b10e8888abcd99yyyzzz85a5",
                       slack_api_url=fake_slack.base_url)
    app = create_app(settings, store, fake_slack.client(), clock=lambda: datetime(2026, 11, 30, 9, 30))
    scheduler = build_scheduler(settings, app.deps)
    done = threading.Event()
    scheduler.add_listener(lambda e: done.set() if e.job_id == JOB_CATCH_UP else None, EVENT_JOB_EXECUTED)
    scheduler.start()
    try:
        assert done.wait(10)
        [post] = fake_slack.calls("chat.postMessage")
        assert THOUGHTS in text_of(posted_blocks(post))
        assert runs(store, DIGEST)[0]["period"] == "2026-W49"
    finally:
        scheduler.shutdown()
        store.close()


def test_one_jobs_failure_does_not_stop_the_other(store, fake_slack):
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    stale_note(store, "n1", due="2026-11-20", owner="U0ALICE")
    fake_slack.fail("chat.postMessage", "ratelimited", times=2)  # the reminder DM and the digest both fail
    deps = make_deps(store, fake_slack, FakeClock(MONDAY_0900))
    outcomes = run_due(deps, make_settings(), MONDAY_0900, None)
    assert [(o.job, o.status) for o in outcomes] == [(REMINDERS, "failed"), (DIGEST, "failed")]
    assert "ratelimited" in outcomes[1].detail
    assert runs(store, DIGEST) == []  # released: the next catch-up tries again
    again = run_due(deps, make_settings(), MONDAY_0900 + timedelta(hours=1), None)
    assert [(o.job, o.status) for o in again] == [(REMINDERS, "already"), (DIGEST, "posted")]


def test_a_posted_digest_that_cannot_be_recorded_keeps_its_claim(store, fake_slack):
    stale_note(store, "n1", due="2026-11-20")
    store.conn.execute("DROP TABLE digest_posts")
    outcome = run_digest(make_deps(store, fake_slack, FakeClock(MONDAY_0900)), make_settings(), MONDAY_0900)
    assert outcome.status == "posted" and "not recorded" in outcome.detail
    assert runs(store, DIGEST)[0]["finished_at"] is not None  # never posted twice


def runs(store: Any, job: str | None = None) -> list[dict[str, Any]]:
    """The clock's log (clock_runs), newest first."""
    rows = store.conn.execute(
        "SELECT job, period, claimed_at, claimed_by, finished_at, result FROM clock_runs"
        " WHERE ?1 IS NULL OR job = ?1 ORDER BY claimed_at DESC", (job,)
    ).fetchall()
    keys = ("job", "period", "claimed_at", "claimed_by", "finished_at", "result")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def test_a_claim_due_before_its_note_is_reminded_once_under_its_own_date(store, fake_slack):
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    store.upsert_note(Note(
        id="p1", title="Vector DB pricing", url="https://example.org/p1", owner="U0ALICE", decay_rate="slow",
        last_validated=date(2026, 10, 31), body="",
        claims=[Claim(text="Vector search finds neighbours by distance."),
                Claim(text="The managed tier costs $70 per month.")],
    ))  # note due 2027-04-29; the price claim 2026-11-30
    day = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    assert _sweep(store, fake_slack, day)[0].status == "empty"
    [outcome] = _sweep(store, fake_slack, day + timedelta(days=1))
    assert (outcome.status, outcome.note_ids) == ("posted", ("p1",))
    [dm] = fake_slack.calls("chat.postMessage")
    blocks = posted_blocks(dm)
    text = text_of(blocks)
    assert "1 note (1 for a claim due before its note) you shared is due for re-validation" in text
    assert "Claim 2 states a price: due 2026-11-30, before its note (2027-04-29)." in text
    assert "a claim 0 days overdue" in text
    assert "claim:p1:2" in {b.get("block_id") for b in blocks}  # its button restarts the claim's clock
    assert store.conn.execute("SELECT due FROM reminders WHERE note_id = 'p1'").fetchall() == [("2026-11-30",)]
    for offset in range(2, 6):  # once per claim due date
        _sweep(store, fake_slack, day + timedelta(days=offset))
    assert len(fake_slack.calls("chat.postMessage")) == 1
    store.validate("p1", by="U0ALICE", at=day + timedelta(days=6), claim=2)  # new claim due 2027-01-04
    assert _sweep(store, fake_slack, datetime(2027, 1, 3, 8, tzinfo=UTC))[0].status == "empty"
    assert _sweep(store, fake_slack, datetime(2027, 1, 4, 8, tzinfo=UTC))[0].note_ids == ("p1",)
