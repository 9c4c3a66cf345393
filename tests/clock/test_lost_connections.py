"""The digest and reminder DMs through lost connections (issue 13, row 10): Slack accepts the post and
the connection resets before the answer. The claim is kept as "uncertain" instead of released, and the
next run looks for the post by its message metadata before posting — one digest, one DM. A `deskbot
digest` killed with -9 between Slack posting and the record is checked the same way (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock.runs import DIGEST_EVENT, REMINDER_EVENT, ClockDeps, ensure_first_start, run_digest, run_due
from bot.clock.scheduler import DIGEST, REMINDERS
from bot.kb.store import Store
from bot.slack.app import build_client
from tests.clock.test_runs import MONDAY_0900, FakeClock, make_settings, runs, stale_note

pytest_plugins = ["tests.fakes.fixtures"]  # fake_slack


def _settings(fake):
    return replace(make_settings(), bot_token="xoxb-test", slack_api_url=fake.base_url)


def _deps(store, fake, when: datetime) -> ClockDeps:
    """The production client (bot.app.build_client), as `deskbot serve` and `deskbot clock` build it."""
    return ClockDeps(store=store, client=build_client(_settings(fake)), now=FakeClock(when), recheck=False)


def _posted(fake, channel: str, event_type: str) -> list[dict]:
    return [m for m in fake.messages(channel) if (m.get("metadata") or {}).get("event_type") == event_type]


def _digest_post(store) -> tuple[str, str] | None:
    return store.conn.execute("SELECT period, ts FROM digest_posts").fetchone()


def test_a_digest_accepted_then_disconnected_is_found_by_the_catch_up_not_posted_again(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    fake_slack.disconnect("chat.postMessage")
    with pytest.raises(OSError):
        run_digest(_deps(store, fake_slack, MONDAY_0900), _settings(fake_slack), MONDAY_0900)
    [run] = runs(store, DIGEST)
    assert run["finished_at"] is None and run["result"].startswith("uncertain")  # kept, not released
    [digest] = _posted(fake_slack, "C0DIGEST", DIGEST_EVENT)
    later = MONDAY_0900 + timedelta(hours=1)
    [outcome] = run_due(_deps(store, fake_slack, later), _settings(fake_slack), later, None, jobs=(DIGEST,))
    assert outcome.status == "posted" and "not posted again" in outcome.detail
    assert _posted(fake_slack, "C0DIGEST", DIGEST_EVENT) == [digest]
    assert len(fake_slack.calls("chat.postMessage")) == 1
    assert _digest_post(store) == ("2026-W49", digest["ts"])
    assert runs(store, DIGEST)[0]["finished_at"] is not None
    assert run_due(_deps(store, fake_slack, later), _settings(fake_slack), later, None, jobs=(DIGEST,))[0].status \
        == "already"


def test_a_digest_lost_before_slack_acted_is_posted_by_the_catch_up_after_looking(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    fake_slack.disconnect("chat.postMessage", after=False)
    with pytest.raises(OSError):
        run_digest(_deps(store, fake_slack, MONDAY_0900), _settings(fake_slack), MONDAY_0900)
    assert _posted(fake_slack, "C0DIGEST", DIGEST_EVENT) == []
    later = MONDAY_0900 + timedelta(hours=1)
    [outcome] = run_due(_deps(store, fake_slack, later), _settings(fake_slack), later, None, jobs=(DIGEST,))
    assert outcome.status == "posted"
    [digest] = _posted(fake_slack, "C0DIGEST", DIGEST_EVENT)
    assert digest["metadata"]["event_payload"]["period"] == "2026-W49"
    assert [c.method for c in fake_slack.calls() if c.method.startswith("conversations.")] == \
        ["conversations.history"]  # looked before posting


def test_an_unreadable_channel_keeps_the_digest_uncertain_and_posts_nothing_blindly(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    fake_slack.disconnect("chat.postMessage")
    with pytest.raises(OSError):
        run_digest(_deps(store, fake_slack, MONDAY_0900), _settings(fake_slack), MONDAY_0900)
    fake_slack.fail("conversations.history", "missing_scope")
    later = MONDAY_0900 + timedelta(hours=1)
    [outcome] = run_due(_deps(store, fake_slack, later), _settings(fake_slack), later, None, jobs=(DIGEST,))
    assert outcome.status == "failed" and "missing_scope" in outcome.detail
    assert runs(store, DIGEST)[0]["result"].startswith("uncertain")
    again = later + timedelta(hours=1)
    assert run_due(_deps(store, fake_slack, again), _settings(fake_slack), again, None, jobs=(DIGEST,))[0].status \
        == "posted"
    assert len(_posted(fake_slack, "C0DIGEST", DIGEST_EVENT)) == 1 and len(fake_slack.calls("chat.postMessage")) == 1


def test_a_reminder_accepted_then_disconnected_is_recorded_by_the_next_sweep_not_sent_again(store, fake_slack):
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    stale_note(store, "n1", due="2026-11-29", owner="U0ALICE")
    stale_note(store, "n2", due="2026-11-29", owner="U0BOB")
    fake_slack.disconnect("chat.postMessage")  # Alice's DM (sorted first) is posted, its answer lost
    day = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    [outcome] = run_due(_deps(store, fake_slack, day), _settings(fake_slack), day, None, jobs=(REMINDERS,))
    assert "1 DMs" in outcome.detail and "1 failed" in outcome.detail
    [alice] = _posted(fake_slack, "D0ALICE", REMINDER_EVENT)
    assert alice["metadata"]["event_payload"] == {"notes": ["n1@2026-11-29"]}
    row = store.conn.execute("SELECT sent_at, channel FROM reminders WHERE note_id = 'n1'").fetchone()
    assert row == (None, "U0ALICE")  # may have been sent: kept for the next sweep to check
    next_day = day + timedelta(days=1)
    run_due(_deps(store, fake_slack, next_day), _settings(fake_slack), next_day, None, jobs=(REMINDERS,))
    assert _posted(fake_slack, "D0ALICE", REMINDER_EVENT) == [alice]
    assert len(_posted(fake_slack, "D0BOB", REMINDER_EVENT)) == 1
    row = store.conn.execute("SELECT sent_at IS NOT NULL, channel, ts FROM reminders WHERE note_id = 'n1'").fetchone()
    assert row == (1, "D0ALICE", alice["ts"])


def test_a_reminder_lost_before_slack_acted_is_sent_by_the_next_sweep(store, fake_slack):
    ensure_first_start(store, datetime(2026, 11, 1, tzinfo=UTC))
    stale_note(store, "n1", due="2026-11-29", owner="U0ALICE")
    fake_slack.disconnect("chat.postMessage", after=False)
    day = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    run_due(_deps(store, fake_slack, day), _settings(fake_slack), day, None, jobs=(REMINDERS,))
    assert _posted(fake_slack, "D0ALICE", REMINDER_EVENT) == []
    next_day = day + timedelta(days=1)
    [outcome] = run_due(_deps(store, fake_slack, next_day), _settings(fake_slack), next_day, None, jobs=(REMINDERS,))
    assert outcome.status == "posted" and outcome.note_ids == ("n1",)
    assert len(_posted(fake_slack, "D0ALICE", REMINDER_EVENT)) == 1


def test_deskbot_digest_killed_between_slack_posting_and_recording_is_not_posted_twice(tmp_path, fake_slack):
    """Real processes: the first `deskbot digest` is SIGKILLed while Slack has posted and not yet answered;
    the second takes over the dead process's claim, finds the post and records it."""
    db = tmp_path / "deskbot.db"
    store = Store.open(str(db))
    stale_note(store, "n1", due="2026-11-01")
    store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DESKBOT_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.base_url, DESKBOT_DB=str(db),
               DESKBOT_DIGEST_CHANNEL="C0DIGEST")
    command = [sys.executable, "-m", "bot", "digest", "--no-recheck"]
    held = threading.Event()
    fake_slack.disconnect("chat.postMessage", hold=held)
    first = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        fake_slack.wait_for("chat.postMessage", timeout=30)  # posted; the answer is held back
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        held.set()
        if first.poll() is None:
            first.kill()
    second = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert "not posted again" in second.stdout
    [digest] = _posted(fake_slack, "C0DIGEST", DIGEST_EVENT)
    assert len(fake_slack.calls("chat.postMessage")) == 1
    store = Store.open(str(db))
    assert _digest_post(store)[1] == digest["ts"]
    store.close()


def test_an_unfinished_claim_is_taken_over_only_from_a_dead_or_earlier_process(store):
    """`host:pid:token`: a live other process keeps its claim; a dead pid, or this pid with another token
    (a restarted container's pid 1), does not; unknown shapes are never taken."""
    import socket

    from bot.clock.runs import _instance, claim, take_over

    host, me = socket.gethostname(), _instance()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    cases = {
        me: False,
        f"{host}:{os.getppid()}:feedbeef": False,  # alive
        "clock-a": False,  # not ours to judge
        f"elsewhere:{int(dead.stdout)}:feedbeef": False,  # another host: cannot tell
        f"{host}:{int(dead.stdout)}:feedbeef": True,  # dead
        f"{host}:{os.getpid()}:00000000": True,  # our pid, an earlier process
    }
    for n, (claimer, expected) in enumerate(cases.items()):
        period = f"2026-W{n:02d}"
        assert claim(store, DIGEST, period, now=MONDAY_0900, by=claimer)
        assert take_over(store, DIGEST, period, by=me) is expected, claimer
