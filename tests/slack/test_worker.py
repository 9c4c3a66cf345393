"""Job consumers: the doorbell between processes, and the capture processes' supervisor (real spawned
processes, a real SQLite file, the local Slack stand-in and a local article site)."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from datetime import timedelta

from bot.config import Settings
from bot.kb.dblock import process_alive as _alive
from bot.kb.now import naive_utc_now
from bot.kb.store import Store
from bot.slack import queue
from bot.slack.inbox import Inbox
from bot.slack.processes import CaptureProcesses
from bot.slack.runner import Backoff, Runner
from bot.slack.runtime import build_client
from bot.slack.worker import Bell, Stop, Worker
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import LOCAL, link_event, serve_articles


def test_ringing_never_blocks_even_when_nobody_listens():
    bell = Bell()
    started = time.monotonic()
    for _ in range(200_000):  # far more than a pipe holds (64 KiB): a full pipe already means "rung"
        bell.ring()
    assert time.monotonic() - started < 5
    assert bell.wait(0)  # rung…
    assert not bell.wait(0)  # …and every pending ring was swallowed at once
    bell.close()


def test_a_ring_wakes_a_waiter_and_stop_wakes_them_all():
    bell, stop = Bell(), Stop()
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(bell.wait(30)))
    waiter.start()
    bell.ring()
    waiter.join(5)
    assert woke == [True]
    waiters = [threading.Thread(target=lambda: woke.append(bell.wait(30, stop))) for _ in range(3)]
    for thread in waiters:
        thread.start()
    stop.set()  # stays set: every waiter returns, now and later
    for thread in waiters:
        thread.join(5)
    assert not any(t.is_alive() for t in waiters) and stop.is_set()
    assert bell.wait(30, stop)
    bell.close()
    stop.close()


def test_a_wedged_capture_process_is_replaced_and_its_job_retried_at_once(tmp_path):
    db = str(tmp_path / "deskbot.db")
    with FakeSlackAPI() as fake, serve_articles() as site:
        settings = Settings(db_path=db, bot_token="xoxb-test", slack_api_url=fake.base_url, fetch_allow="127.0.0.1",
                            summarizer="extractive")
        store = Store.open(db)
        processes = CaptureProcesses(db, store.decay_table, settings, 1, backoff=Backoff(), job_timeout=1.5,
                                     check_every=0.2)
        worker = Worker(store, build_client(settings), clock=lambda: naive_utc_now(), processes=processes)
        event = link_event(site.url(1, slow=True))
        worker.inbox.put(event, "Ev1")
        worker.start()
        try:
            site.wait_hits(1, timeout=30)  # the only capture process hangs on the page…
            [first] = processes.pids()
            site.wait_hits(2, timeout=30)  # …is killed after 1.5 s; its replacement takes the job at once
            assert first not in processes.pids() and len(processes.pids()) == 1
            site.gate.set()
            [post] = fake.wait_for("chat.postMessage", 1, ok_only=True, timeout=30)
            assert post.decoded["thread_ts"] == event["ts"]
            worker.stop(30)  # returns once the capture process has exited: its job is marked by then
        finally:
            worker.stop()
        [job] = queue.jobs(store)
        assert job.status == "done" and job.attempts == 2
        assert len(fake.calls("reactions.add")) == 1  # 👀 once, on the first attempt
        assert len(fake.calls("chat.postMessage")) == 1
        store.close()


def test_a_job_that_keeps_killing_its_process_is_answered_as_failed(tmp_path):
    with FakeSlackAPI() as fake:
        store = Store.open(str(tmp_path / "deskbot.db"))
        settings = Settings(bot_token="xoxb-test", slack_api_url=fake.base_url)
        runner = Runner(store, build_client(settings), capture_options=None, backoff=Backoff(attempts=2),
                        trusted_file_host=lambda netloc: False)
        event = link_event("https://e.example/crashes")
        Inbox(store).put(event, "Ev1")
        assert Inbox(store).move() == 1
        why = "the capture process stopped (exit code -9)"
        runner.lost(queue.claim_next(store, claimer=4242), why)  # first loss: pending again, due at once
        assert queue.next_due(store) <= naive_utc_now()
        again = queue.claim_next(store, claimer=4243)
        assert again is not None and again.attempts == 2 and again.last_error == why
        runner.lost(again, why)  # the last attempt: a reply that says so, and the job stays for `deskbot retry`
        [post] = fake.calls("chat.postMessage")
        assert post.decoded["thread_ts"] == event["ts"] and "capture process stopped" in str(post.decoded)
        [job] = queue.jobs(store)
        assert job.status == "failed" and not job.permanent and job.last_error == why
        store.close()


def test_a_reply_posted_just_before_a_crash_is_not_posted_again(tmp_path):
    """The window between chat.postMessage returning and the commit recording it: the reply carries the
    job's key as message metadata, and the retried job finds it in the thread instead of posting again."""
    with FakeSlackAPI() as fake, serve_articles() as site:
        store = Store.open(str(tmp_path / "deskbot.db"))
        runner = Runner(store, build_client(Settings(bot_token="xoxb-test", slack_api_url=fake.base_url)),
                        capture_options=LOCAL, backoff=Backoff(), trusted_file_host=lambda netloc: False)
        event = link_event(site.url(1))
        Inbox(store).put(event, "Ev1")
        Inbox(store).move()
        for n in range(3):  # people talk in the thread first: the reply will be on the second page
            fake.client().chat_postMessage(channel=event["channel"], thread_ts=event["ts"], text=f"talk {n}")
        job = queue.claim_next(store)
        assert runner.run(job, naive_utc_now()) == "captured"
        post = fake.calls("chat.postMessage")[-1]
        assert post.params["metadata"] == {"event_type": "deskbot_job", "event_payload": {"job": job.key}}
        fake.replies_page_size = 2
        with store.write() as conn:  # the crash: the reply went out, the commit that records it did not
            conn.execute("UPDATE jobs SET status = 'running', reply_ts = NULL WHERE id = ?", (job.id,))
        assert queue.resume(store) == 1
        again = queue.claim_next(store)
        assert again is not None and again.attempts == 2
        runner.run(again, naive_utc_now())
        assert len(fake.calls("chat.postMessage")) == 4  # our reply and the 3 others: nothing new
        first_page, second_page = fake.calls("conversations.replies")
        assert first_page.params["ts"] == event["ts"] and first_page.params["include_all_metadata"] in ("1", "true")
        assert second_page.params["cursor"] == first_page.response["response_metadata"]["next_cursor"]
        done = queue.get(store, job.id)
        assert done.status == "done" and done.reply_ts == post.response["ts"]
        store.close()


def test_a_job_retried_after_a_failure_reply_still_gets_its_answer(tmp_path):
    """`deskbot retry` after a failure reply: the new round's reply is posted (the old one is not it)."""
    with FakeSlackAPI() as fake, serve_articles() as site:
        store = Store.open(str(tmp_path / "deskbot.db"))
        runner = Runner(store, build_client(Settings(bot_token="xoxb-test", slack_api_url=fake.base_url)),
                        capture_options=LOCAL, backoff=Backoff(), trusted_file_host=lambda netloc: False)
        Inbox(store).put(link_event(site.url(7)), "Ev1")
        Inbox(store).move()
        site.status_for["/a/7"] = 403
        assert runner.run(queue.claim_next(store), naive_utc_now()) == "failed"  # replied "could not clip"
        assert queue.requeue_failed(store) == 1
        site.status_for["/a/7"] = 503
        assert runner.run(queue.claim_next(store), naive_utc_now()) == "retry"
        del site.status_for["/a/7"]
        later = naive_utc_now() + timedelta(hours=2)
        again = queue.claim_next(store, now=later)
        assert again is not None and again.attempts == 2
        assert runner.run(again, later) == "captured"
        failure, answer = fake.calls("chat.postMessage")
        assert "HTTP 403" in str(failure.decoded) and "HTTP 403" not in str(answer.decoded)  # ids may hold "403"
        assert queue.get(store, again.id).reply_ts == answer.response["ts"]
        store.close()


def test_a_replacement_process_gets_its_grace_period_at_stop(tmp_path):
    """Processes started by the supervisor must not die with its thread (PR_SET_PDEATHSIG is per thread):
    at stop they get SIGTERM and finish the job they hold."""
    db = str(tmp_path / "deskbot.db")
    with FakeSlackAPI() as fake, serve_articles() as site:
        settings = Settings(db_path=db, bot_token="xoxb-test", slack_api_url=fake.base_url, fetch_allow="127.0.0.1",
                            summarizer="extractive")
        store = Store.open(db)
        processes = CaptureProcesses(db, store.decay_table, settings, 1, backoff=Backoff(), check_every=0.2)
        worker = Worker(store, build_client(settings), clock=lambda: naive_utc_now(), processes=processes)
        worker.inbox.put(link_event(site.url(1, slow=True)), "Ev1")
        worker.start()
        site.wait_hits(1, timeout=30)
        [first] = processes.pids()
        os.kill(first, signal.SIGKILL)  # the OOM killer, say
        site.wait_hits(2, timeout=30)  # the replacement, started by the supervisor, holds the job
        [second] = processes.pids()
        supervisor = processes._supervisor
        assert supervisor is not None
        stopping = threading.Thread(target=worker.stop, kwargs={"timeout": 30})
        stopping.start()
        supervisor.join(10)  # stop() ends the supervisor thread first…
        assert not supervisor.is_alive() and _alive(second)  # …and the process it started lives on
        site.gate.set()  # the page arrives during the grace period
        stopping.join(30)
        assert not stopping.is_alive()
        [job] = queue.jobs(store)
        assert job.status == "done" and len(fake.calls("chat.postMessage")) == 1
        store.close()


def test_a_worker_leaks_no_descriptors_and_stops_twice_safely(tmp_path):
    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    with FakeSlackAPI() as fake:
        client = build_client(Settings(bot_token="xoxb-test", slack_api_url=fake.base_url))
        gc.collect()  # what earlier tests left unreachable
        before = open_fds()
        store = Store.open(str(tmp_path / "deskbot.db"))  # each consumer thread opens its own connection
        worker = Worker(store, client, clock=naive_utc_now, capture_options=LOCAL, threads=2)
        worker.inbox.put(link_event("https://e.example/x"), "Ev1")  # the writer's open journal
        worker.start()
        worker.stop()
        worker.stop()
        worker.bell.close()
        store.close()
        gc.collect()  # the finished threads' connections are unreachable now, not yet freed
        assert open_fds() == before
