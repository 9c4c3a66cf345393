"""Thread replies through lost connections (issue 13, row 10): Slack accepts ``chat.postMessage`` and the
connection resets before the answer — one reply, never two; and a reset before Slack acted still ends
in one reply. The client never re-sends a post; reads are still retried."""

from __future__ import annotations

import logging
import signal
import threading

import pytest

from bot.kb.store import Store
from bot.slack import queue
from bot.slack.app import build_client
from bot.slack.runner import REPLY_EVENT
from tests.slack.listeners.harness import envelope, link_event, settings_for, wait_idle


def _replies(fake, event) -> list[dict]:
    return [m for m in fake.messages(event["channel"])
            if m.get("thread_ts") == event["ts"] and (m.get("metadata") or {}).get("event_type") == REPLY_EVENT]


def _done(bot):
    assert wait_idle(bot.app, 15)
    [job] = queue.jobs(bot.store)
    return job


def test_a_reply_accepted_then_disconnected_is_posted_once(bot, site):
    bot.fake.disconnect("chat.postMessage")  # Slack posts it; the answer never arrives
    event = link_event(site.url(1))
    bot.event(envelope(event))
    job = _done(bot)
    [reply] = _replies(bot.fake, event)
    assert (job.status, job.attempts, job.reply_ts) == ("done", 1, reply["ts"])
    assert [c.dropped for c in bot.fake.calls("chat.postMessage")] == ["after"]  # looked, found, not re-sent
    assert len(bot.fake.calls("conversations.replies")) == 1


def test_a_reply_lost_before_slack_acted_is_posted_on_the_spot(bot, site):
    bot.fake.disconnect("chat.postMessage", after=False)
    event = link_event(site.url(2))
    bot.event(envelope(event))
    job = _done(bot)
    [reply] = _replies(bot.fake, event)
    assert (job.status, job.attempts, job.reply_ts) == ("done", 1, reply["ts"])
    assert [c.dropped for c in bot.fake.calls("chat.postMessage")] == ["before", None]


def test_an_unreadable_thread_after_a_lost_reply_waits_for_the_next_attempt_which_looks_again(bot, site):
    bot.fake.disconnect("chat.postMessage")
    bot.fake.fail("conversations.replies", "ratelimited")  # the first look fails: no blind re-post
    event = link_event(site.url(3))
    bot.event(envelope(event))
    job = _done(bot)
    [reply] = _replies(bot.fake, event)
    assert (job.status, job.attempts, job.reply_ts) == ("done", 2, reply["ts"])
    assert len(bot.fake.calls("chat.postMessage")) == 1


def test_reads_are_still_retried_after_a_reset_posts_are_not(fake, tmp_path):
    client = build_client(settings_for(fake, tmp_path / "d.db"))
    fake.disconnect("conversations.info", after=False)
    assert client.conversations_info(channel="C0CHANNEL")["channel"]["id"] == "C0CHANNEL"
    assert [c.dropped for c in fake.calls("conversations.info")] == ["before", None]
    fake.disconnect("chat.postMessage")
    with pytest.raises(OSError):  # a post whose answer was lost fails; it is not re-sent
        client.chat_postMessage(channel="C0CHANNEL", text="hello")
    assert len(fake.calls("chat.postMessage")) == 1 and len(fake.messages("C0CHANNEL")) == 1


def test_kill_9_between_slack_posting_a_reply_and_recording_it_replies_once(tmp_path, site):
    """Real processes: `deskbot serve` is SIGKILLed while Slack has posted the reply and holds back the
    answer; the restarted server resumes the job, finds the reply in the thread and records it."""
    from tests.fakes.slack_api import FakeSlackAPI
    from tests.slack.listeners.harness import HttpBot
    from tests.test_app_serve_process import bot_env, server

    serve = ("serve", "--host", "127.0.0.1", "--port", "0", "--no-clock", "--workers", "2")
    db = tmp_path / "deskbot.db"
    event = link_event(site.url(7))
    with FakeSlackAPI() as fake:
        env = bot_env(fake, db)
        held = threading.Event()
        fake.disconnect("chat.postMessage", hold=held)
        try:
            with server(env, tmp_path, serve) as first:
                bot = HttpBot(app=None, fake=fake, store=None, base=first.wait_ready())  # type: ignore[arg-type]
                assert bot.event(envelope(event)).status == 200
                fake.wait_for("chat.postMessage", timeout=30)  # posted by Slack; the answer is held back
                first.proc.send_signal(signal.SIGKILL)
                assert first.proc.wait(10) == -signal.SIGKILL
        finally:
            held.set()
        with server(env, tmp_path, serve) as second:
            second.wait_ready()
            with second._cond:
                assert second._cond.wait_for(lambda: "answered by an earlier attempt" in "".join(second.lines), 30), \
                    second.log()
            second.proc.send_signal(signal.SIGTERM)
            assert second.proc.wait(15) == 0, second.log()
        [reply] = _replies(fake, event)
        assert len(fake.calls("chat.postMessage")) == 1
    store = Store.open(str(db))
    [job] = queue.jobs(store)
    assert (job.status, job.attempts, job.reply_ts) == ("done", 2, reply["ts"])
    store.close()


def test_share_in_channel_accepted_then_disconnected_is_not_shared_twice(bot):
    """Bolt's `respond` re-sends a response_url POST on a broken connection; the public share does not."""
    import json

    from bot.kb.importer import import_paths
    from tests.fakes.slack_api import RESPONSE_URL
    from tests.slack.listeners.test_actions import SEEDS, element

    class Finished(logging.Handler):  # the lazy listener runs on Bolt's thread: await its last word
        def __init__(self) -> None:
            super().__init__()
            self.done = threading.Event()

        def emit(self, record: logging.LogRecord) -> None:
            if "shared /claim answer" in record.getMessage():
                self.done.set()

    finished = Finished()
    logging.getLogger("bot.slack.listeners.actions").addHandler(finished)
    try:
        import_paths(bot.store, [SEEDS])
        share = element(bot.command("/claim", "rlvr").json, "share_claims")
        bot.fake.disconnect(RESPONSE_URL)
        assert bot.click([share], user_id="U0ANN").status == 200
        assert finished.done.wait(10), "the share did not report the lost connection"
    finally:
        logging.getLogger("bot.slack.listeners.actions").removeHandler(finished)
    [hook] = bot.fake.calls(RESPONSE_URL)
    assert hook.dropped == "after" and json.loads(hook.body)["response_type"] == "in_channel"
