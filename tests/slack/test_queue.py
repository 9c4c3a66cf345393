"""The durable ingest queue on a real SQLite file: idempotent enqueue, atomic claims, retries, resume."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.kb.store import Store
from bot.slack import queue
from bot.slack.inbox import Inbox
from bot.slack.queue import JobSpec

T0 = datetime(2026, 11, 30, 10, 0)


def spec(n: int, *, url: str | None = None, channel: str = "C1") -> JobSpec:
    link = url or f"https://e.example/{n}"
    return JobSpec(kind="url", channel=channel, ts=f"1790000000.{n:06d}", thread_ts=f"1790000000.{n:06d}",
                   user="U1", url=link, canonical_url=link)


def test_enqueue_is_idempotent_by_event_and_by_key(store):
    first = queue.enqueue(store, [spec(1), spec(2)], event_id="Ev1", now=T0)
    assert not first.redelivery and len(first.new) == 2
    again = queue.enqueue(store, [spec(1), spec(2)], event_id="Ev1", now=T0)
    assert again.redelivery and again.new == []
    other_event_same_message = queue.enqueue(store, [spec(1)], event_id="Ev2", now=T0)
    assert not other_event_same_message.redelivery and other_event_same_message.new == []
    assert queue.counts(store)["pending"] == 2


def test_failed_enqueue_records_nothing_so_the_retry_is_processed(store):
    bad = JobSpec(kind="url", channel="C1", ts="2", thread_ts="2", user=["U1"])  # type: ignore[arg-type]
    with pytest.raises(sqlite3.ProgrammingError):  # cannot bind a list: the whole delivery fails mid-way
        queue.enqueue(store, [spec(1), bad], event_id="Ev9", now=T0)
    assert queue.counts(store)["pending"] == 0
    retry = queue.enqueue(store, [spec(1)], event_id="Ev9", now=T0)  # Slack's retry of the same event
    assert not retry.redelivery and len(retry.new) == 1


def test_claim_is_oldest_due_first_and_respects_next_at(store):
    queue.enqueue(store, [spec(1)], now=T0)
    queue.enqueue(store, [spec(2)], now=T0 + timedelta(seconds=1))
    job = queue.claim_next(store, now=T0 + timedelta(seconds=5))
    assert job.url.endswith("/1") and job.status == "running" and job.attempts == 1
    due = queue.retry_later(store, job.id, delay=timedelta(seconds=60), error="503", now=T0 + timedelta(seconds=5))
    assert queue.next_due(store) == T0 + timedelta(seconds=1)
    second = queue.claim_next(store, now=T0 + timedelta(seconds=6))
    assert second.url.endswith("/2")
    assert queue.claim_next(store, now=T0 + timedelta(seconds=7)) is None  # job 1 waits for its backoff
    again = queue.claim_next(store, now=due)
    assert again.id == job.id and again.attempts == 2 and again.last_error == "503"


def test_one_url_is_never_clipped_by_two_workers_at_once(store):
    url = "https://e.example/same"
    queue.enqueue(store, [spec(1, url=url), spec(2, url=url), spec(3)], now=T0)
    a = queue.claim_next(store, now=T0)
    b = queue.claim_next(store, now=T0)
    assert a.url == url and b.url.endswith("/3")
    assert queue.claim_next(store, now=T0) is None
    queue.mark_done(store, a.id, note_id="n1", reply_ts="9.9", now=T0)
    c = queue.claim_next(store, now=T0)
    assert c.url == url and c.id != a.id


def test_concurrent_claims_hand_out_each_job_once(tmp_path):
    store = Store.open(str(tmp_path / "q.db"))
    queue.enqueue(store, [spec(n) for n in range(200)], now=T0)
    taken: list[int] = []
    lock = threading.Lock()

    def drain() -> None:
        while (job := queue.claim_next(store, now=T0)) is not None:
            with lock:
                taken.append(job.id)

    threads = [threading.Thread(target=drain) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(set(taken)) and len(taken) == 200
    store.close()


def test_resume_after_a_crash_and_requeue_failed(store):
    queue.enqueue(store, [spec(1), spec(2), spec(3)], now=T0)
    running = queue.claim_next(store, now=T0)
    failed = queue.claim_next(store, now=T0)
    queue.mark_failed(store, failed.id, error="HTTP 404", permanent=True, now=T0)
    assert queue.resume(store) == 1  # the process died with job 1 running
    assert queue.get(store, running.id).status == "pending"
    assert queue.counts(store) == {"pending": 2, "running": 0, "done": 0, "failed": 1}
    assert queue.get(store, failed.id).last_error == "HTTP 404"
    assert queue.requeue_failed(store) == 1
    back = queue.get(store, failed.id)
    assert back.status == "pending" and back.attempts == 0
    assert queue.requeue_failed(store, [12345]) == 0


def test_seen_events_and_click_keys_are_pruned(store):
    assert queue.first_time(store, "act:valid:n1:U1:2026-11-30", now=T0)
    assert not queue.first_time(store, "act:valid:n1:U1:2026-11-30", now=T0)
    queue.enqueue(store, [], event_id="Ev1", now=T0)
    assert queue.prune_seen(store, now=T0 + timedelta(days=3)) == 2
    assert queue.first_time(store, "act:valid:n1:U1:2026-11-30", now=T0)


def message(n: int, *urls: str, channel: str = "C1") -> dict:
    """A person's message event as Slack sends it (the fields the inbox journal keeps and reads)."""
    links = urls or (f"https://e.example/{n}",)
    return {"type": "message", "user": "U1", "channel": channel, "ts": f"1790000000.{n:06d}",
            "text": " ".join(f"<{u}>" for u in links), "channel_type": "channel"}


def test_inbox_lines_left_by_a_crash_are_moved_on_the_next_start(tmp_path):
    store = Store.open(str(tmp_path / "q.db"))
    crashed = Inbox(store)  # nothing moved: as if the process died right after the acks
    crashed.put(message(1, "https://e.example/1", "https://e.example/2"), "Ev1")
    crashed.put(message(1, "https://e.example/1", "https://e.example/2"), "Ev1")  # Slack's retry, also journaled
    crashed.close()
    assert queue.counts(store)["pending"] == 0 and crashed.pending()
    rung: list[int] = []
    restarted = Inbox(store, ring=lambda: rung.append(1))
    assert restarted.move() == 2
    assert rung == [1] and queue.counts(store)["pending"] == 2 and not restarted.pending()
    assert not (tmp_path / "q.db.inbox").exists() and not (tmp_path / "q.db.inbox-moving").exists()
    store.close()


def test_links_are_found_when_the_journal_is_moved(tmp_path):
    store = Store.open(str(tmp_path / "q.db"))
    inbox = Inbox(store)
    inbox.put(message(1, "https://e.example/a?utm_source=x", "https://E.example/a"), "Ev1")  # one canonical URL
    inbox.put({**message(2), "text": "no link here"}, "Ev2")
    inbox.put({**message(3), "subtype": "message_changed"}, "Ev3")  # not clipped, even if journaled
    assert inbox.move() == 1
    [job] = queue.jobs(store)
    assert job.url == "https://e.example/a?utm_source=x" and job.canonical_url == "https://e.example/a"
    assert queue.enqueue(store, [], event_id="Ev2").redelivery  # each delivery is recorded, even without a link
    store.close()


def test_a_half_moved_inbox_is_finished_without_doubling(tmp_path):
    store = Store.open(str(tmp_path / "q.db"))
    inbox = Inbox(store)
    inbox.put(message(1), "Ev1")
    (tmp_path / "q.db.inbox").rename(tmp_path / "q.db.inbox-moving")  # a mover crashed after the rotation…
    queue.enqueue(store, [spec(1)], event_id="Ev1")  # …and after the commit, before the unlink
    inbox.put(message(2), "Ev2")  # the writer notices the rename and starts a new journal
    assert Inbox(store).move() == 1
    assert queue.counts(store)["pending"] == 2
    store.close()


def test_a_torn_last_journal_line_is_skipped(tmp_path):
    import json

    store = Store.open(str(tmp_path / "q.db"))
    line = json.dumps({"e": "Ev1", "m": message(1, "https://e.example/1", "https://e.example/2")})
    (tmp_path / "q.db.inbox").write_text(line + "\n{torn", encoding="utf-8")  # power lost mid-write
    assert Inbox(store).move() == 2
    store.close()


WRITER = """
import sys
from bot.slack import queue
from bot.slack.inbox import Inbox
from bot.kb.store import Store
store = Store.open(sys.argv[1])
inbox = Inbox(store)
for n in range(int(sys.argv[2])):
    inbox.put({"type": "message", "user": "U1", "channel": "C1", "ts": f"1.{n:06d}", "text": f"<https://e.example/{n}>"},
              f"Ev{n}")
"""


def test_a_writer_process_and_moving_threads_lose_and_double_nothing(tmp_path):
    """The journal hand-over across processes: appends from another process while two threads keep
    rotating and moving the journal; every event becomes exactly one job."""
    import subprocess
    import sys

    db = tmp_path / "q.db"
    store = Store.open(str(db))
    count = 1500
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(count)])
    moved: list[int] = []
    handovers: list[int] = []

    class CountingInbox(Inbox):
        """Counts the renamed journals this mover read: one per hand-over."""

        def _read_moving(self) -> str:
            handovers.append(1)
            return super()._read_moving()

    def mover() -> None:
        inbox = CountingInbox(store)
        while writer.poll() is None:
            moved.append(inbox.move())
        moved.append(inbox.move())

    threads = [threading.Thread(target=mover) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert writer.returncode == 0
    assert sum(moved) == count and queue.counts(store)["pending"] == count
    assert len(handovers) > 1  # the journal really was handed over mid-stream, again and again
    store.close()


def test_the_journal_lives_beside_the_database_file_until_a_consumer_moves_it(tmp_path):
    store = Store.open(str(tmp_path / "q.db"))
    rung: list[int] = []
    inbox = Inbox(store, ring=lambda: rung.append(1))
    inbox.put(message(1), "Ev1")
    assert inbox.path == tmp_path / "q.db.inbox" and inbox.pending() and rung == [1]
    assert queue.counts(store)["pending"] == 0  # the ack path wrote no row
    assert inbox.move() == 1 and not inbox.pending() and queue.counts(store)["pending"] == 1
    inbox.close()
    store.close()


def test_pending_sees_lines_a_mover_renames_between_its_two_looks(tmp_path, monkeypatch):
    """The cause of an intermittent CI failure: a test's wait found nothing pending and no job because
    the mover renamed the journal between pending()'s look at one file and its look at the other."""
    store = Store.open(str(tmp_path / "q.db"))
    inbox = Inbox(store)
    inbox.put(message(1), "Ev1")
    real_stat, renamed = os.stat, []

    def stat_then_a_mover_renames(path, *args, **kwargs):
        try:
            return real_stat(path, *args, **kwargs)  # the look happens (or finds nothing)…
        finally:  # …then the mover runs before the next look
            if not renamed and Path(path) in (inbox.path, inbox._moving):
                renamed.append(os.replace(inbox.path, inbox._moving))

    monkeypatch.setattr(os, "stat", stat_then_a_mover_renames)
    assert inbox.pending() and renamed
    monkeypatch.undo()
    assert inbox.move() == 1 and not inbox.pending()
    store.close()


def test_a_job_waiting_for_a_clip_of_the_same_url_is_not_due(store):
    """Otherwise idle consumers would spin on claims; the consumer finishing the clip rings the bell."""
    url = "https://e.example/same"
    queue.enqueue(store, [spec(1, url=url), spec(2, url=url)], now=T0)
    running = queue.claim_next(store, now=T0)
    assert queue.next_due(store) is None and queue.claim_next(store, now=T0) is None
    queue.mark_done(store, running.id, note_id="n1", reply_ts="1.1", now=T0)
    assert queue.next_due(store) == T0


def test_an_event_that_cannot_be_recorded_is_set_aside_and_the_rest_moves(tmp_path):
    import json

    store = Store.open(str(tmp_path / "q.db"))
    inbox = Inbox(store)
    inbox.put(message(1), "Ev1")
    bad = {**message(2), "files": [{"id": "F2", "name": "a.pdf", "permalink": ["x"]}]}  # cannot be bound
    with open(tmp_path / "q.db.inbox", "a", encoding="utf-8") as journal:
        journal.write(json.dumps({"e": "Ev2", "m": bad}) + "\n")
    inbox.put(message(3), "Ev3")
    assert inbox.move() == 2
    rejected = (tmp_path / "q.db.inbox-rejected").read_text(encoding="utf-8")
    assert '"Ev2"' in rejected and "Ev1" not in rejected
    assert not inbox.pending()
    inbox.put(message(4), "Ev4")  # and the journal keeps flowing
    assert inbox.move() == 1
    store.close()


def test_a_writer_never_waits_for_a_mover_reading_the_renamed_journal(tmp_path):
    import fcntl

    store = Store.open(str(tmp_path / "q.db"))
    inbox = Inbox(store)
    inbox.put(message(1), "Ev1")
    (tmp_path / "q.db.inbox").rename(tmp_path / "q.db.inbox-moving")  # a mover renamed it…
    held = os.open(tmp_path / "q.db.inbox-moving", os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # …and holds its lock (a niced process, descheduled)
    writer = threading.Thread(target=inbox.put, args=(message(2), "Ev2"))
    writer.start()
    writer.join(5)
    assert not writer.is_alive()  # the ack did not queue behind the mover
    assert "Ev2" in (tmp_path / "q.db.inbox").read_text() and "Ev2" not in (tmp_path / "q.db.inbox-moving").read_text()
    os.close(held)
    assert inbox.move() == 2
    store.close()


def test_a_mover_waits_for_a_write_in_flight_and_skips_when_another_moves(tmp_path):
    import fcntl

    store = Store.open(str(tmp_path / "q.db"))
    inbox = Inbox(store)
    writer = os.open(tmp_path / "q.db.inbox", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    fcntl.flock(writer, fcntl.LOCK_EX)  # a writer mid-line
    line = (__import__("json").dumps({"e": "Ev1", "m": message(1)}) + "\n").encode()
    os.write(writer, line[:20])
    moved: list[int] = []
    mover = threading.Thread(target=lambda: moved.append(inbox.move()))
    mover.start()
    deadline = time.monotonic() + 10
    while not (tmp_path / "q.db.inbox-moving").exists() and time.monotonic() < deadline:
        time.sleep(0.001)  # until the mover has renamed the journal (it then waits for our lock)
    os.write(writer, line[20:])
    fcntl.flock(writer, fcntl.LOCK_UN)
    os.close(writer)
    mover.join(10)
    assert moved == [1]  # the whole line, not a torn one
    inbox.put(message(2), "Ev2")
    lock = os.open(tmp_path / "q.db.inbox.lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)  # another consumer is moving: return at once, leave it the lines
    assert inbox.move() == 0 and inbox.pending()
    os.close(lock)
    assert inbox.move() == 1
    store.close()
