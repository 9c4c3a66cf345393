"""The durable ingest queue: every SQL statement on the ``jobs`` and ``seen_events`` tables, and the
inbox journal in front of them.

Why SQLite and not an in-memory queue: a link is acknowledged to Slack only once it is recorded, so
a crash, a deploy or ``kill -9`` never loses one; the worker resumes what was pending or running on
the next start.

Why an inbox in front: the ack path must not wait for SQLite's single write lock, which a capture
(storing a note with its full-text index) can hold for milliseconds. So a listener appends one JSON
line to ``<database>.inbox`` (an ``O_APPEND`` write, ~20 µs; in the OS page cache, so it survives a
process crash like a WAL commit with ``synchronous=NORMAL``) and acks; the inbox thread moves lines
into ``jobs`` in one transaction moments later. Lines left by a crash are moved on the next start.

Exactly-once rules:

* one job per (channel, message ts, canonical URL or file id): the unique ``key``;
* a Slack redelivery (HTTP ``X-Slack-Retry-Num`` or Socket Mode ``retry_attempt``) carries the same
  ``event_id``; it is recorded in the *same* transaction as the jobs, so a retry is dropped only
  when its first delivery was durably recorded — a retry whose first delivery never arrived (or
  failed before being recorded) is processed like a first delivery. Moving the same inbox line twice
  (a crash mid-move) is harmless for the same reason;
* a job is claimed atomically (``pending`` → ``running``) and never while another job for the same
  canonical URL runs, so two posts of one link cannot both clip it.

Times are UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` strings, so SQL compares them as text.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store import Store

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"

_COLUMNS = (
    "id, key, kind, url, canonical_url, file_id, channel, ts, thread_ts, user, status, attempts, next_at,"
    " last_error, permanent, note_id, reply_ts, created_at, updated_at"
)


BATCH_QUIET_SECONDS = 0.002  # the inbox moves once no new delivery came for this long…
BATCH_WINDOW_SECONDS = 0.02  # …or this long after the first one


def _write(store: Store) -> Any:
    """The queue's short writes are on the ack path: take the write lock promptly (see Store.write)."""
    return store.write(prompt=True)


def utcnow() -> datetime:
    """Naive UTC now: the queue's clock (wall time, not the app's injected clock)."""
    return datetime.now(UTC).replace(tzinfo=None)


def stamp(moment: datetime) -> str:
    """The queue's text form of a time (sortable)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="microseconds")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class JobSpec:
    """A job to enqueue (what the listener knows at ack time)."""

    kind: str  # url | file
    channel: str
    ts: str
    thread_ts: str
    user: str | None
    url: str | None = None
    canonical_url: str | None = None
    file_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}|{self.ts}|{self.canonical_url if self.kind == 'url' else 'file:' + str(self.file_id)}"


@dataclass(frozen=True)
class Job:
    """A stored job."""

    id: int
    key: str
    kind: str
    url: str | None
    canonical_url: str | None
    file_id: str | None
    channel: str
    ts: str
    thread_ts: str
    user: str | None
    status: str
    attempts: int
    next_at: datetime | None
    last_error: str | None
    permanent: bool
    note_id: str | None
    reply_ts: str | None
    created_at: datetime | None
    updated_at: datetime | None


def _job(row: Sequence[Any]) -> Job:
    return Job(
        id=row[0], key=row[1], kind=row[2], url=row[3], canonical_url=row[4], file_id=row[5], channel=row[6],
        ts=row[7], thread_ts=row[8], user=row[9], status=row[10], attempts=row[11] or 0, next_at=_parse(row[12]),
        last_error=row[13], permanent=bool(row[14]), note_id=row[15], reply_ts=row[16],
        created_at=_parse(row[17]), updated_at=_parse(row[18]),
    )


@dataclass(frozen=True)
class Enqueued:
    """What :func:`enqueue` did: ``redelivery`` = the event was already recorded; ``new`` = job ids added."""

    redelivery: bool
    new: list[int]


def enqueue(store: Store, specs: Iterable[JobSpec], *, event_id: str | None = None,
            now: datetime | None = None) -> Enqueued:
    """Record ``event_id`` and add the jobs, in one transaction (see the module's exactly-once rules)."""
    at = stamp(now or utcnow())
    new: list[int] = []
    with _write(store) as conn:
        if event_id:
            cur = conn.execute("INSERT OR IGNORE INTO seen_events(event_id, at) VALUES (?, ?)", (event_id, at))
            if cur.rowcount == 0:
                return Enqueued(True, [])
        for spec in specs:
            cur = conn.execute(
                "INSERT OR IGNORE INTO jobs(key, kind, url, canonical_url, file_id, channel, ts, thread_ts, user,"
                " status, attempts, next_at, permanent, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,0,?,0,?,?)",
                (spec.key, spec.kind, spec.url, spec.canonical_url, spec.file_id, spec.channel, spec.ts,
                 spec.thread_ts, spec.user, PENDING, at, at, at),
            )
            if cur.rowcount:
                new.append(int(cur.lastrowid or 0))
    return Enqueued(False, new)


def first_time(store: Store, key: str, *, now: datetime | None = None) -> bool:
    """Record an idempotency ``key`` in ``seen_events``; True only the first time (button clicks…)."""
    with _write(store) as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO seen_events(event_id, at) VALUES (?, ?)", (key, stamp(now or utcnow()))
        )
        return cur.rowcount == 1


def claim_next(store: Store, *, now: datetime | None = None) -> Job | None:
    """Atomically take the next due pending job (oldest first), skipping URLs another worker is clipping."""
    at = stamp(now or utcnow())
    with _write(store) as conn:
        row = conn.execute(
            f"UPDATE jobs SET status = '{RUNNING}', attempts = attempts + 1, updated_at = ?1 WHERE id = ("
            f" SELECT j.id FROM jobs j WHERE j.status = '{PENDING}' AND j.next_at <= ?1"
            f" AND (j.canonical_url IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = '{RUNNING}'"
            "   AND r.canonical_url = j.canonical_url))"
            f" ORDER BY j.next_at, j.id LIMIT 1) RETURNING {_COLUMNS}",
            (at,),
        ).fetchone()
    return _job(row) if row else None


def next_due(store: Store) -> datetime | None:
    """When the earliest pending job becomes due (None: nothing pending)."""
    row = store.conn.execute(f"SELECT min(next_at) FROM jobs WHERE status = '{PENDING}'").fetchone()
    return _parse(row[0]) if row else None


def mark_done(store: Store, job_id: int, *, note_id: str | None, reply_ts: str | None,
              now: datetime | None = None) -> None:
    with _write(store) as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{DONE}', note_id = ?, reply_ts = coalesce(?, reply_ts), last_error = NULL,"
            " updated_at = ? WHERE id = ?",
            (note_id, reply_ts, stamp(now or utcnow()), job_id),
        )


def mark_failed(store: Store, job_id: int, *, error: str, permanent: bool, reply_ts: str | None = None,
                now: datetime | None = None) -> None:
    """Give up on a job (it stays recorded with ``last_error``; ``deskbot retry`` re-queues it)."""
    with _write(store) as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{FAILED}', last_error = ?, permanent = ?, reply_ts = coalesce(?, reply_ts),"
            " updated_at = ? WHERE id = ?",
            (error, int(permanent), reply_ts, stamp(now or utcnow()), job_id),
        )


def retry_later(store: Store, job_id: int, *, delay: timedelta, error: str, now: datetime | None = None) -> datetime:
    """Put a job back as pending after a transient failure; returns when it is due."""
    moment = now or utcnow()
    due = moment + delay
    with _write(store) as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{PENDING}', next_at = ?, last_error = ?, permanent = 0, updated_at = ?"
            " WHERE id = ?",
            (stamp(due), error, stamp(moment), job_id),
        )
    return due


def resume(store: Store, *, now: datetime | None = None) -> int:
    """After a restart: jobs left ``running`` by a dead process become pending again. Returns how many."""
    with _write(store) as conn:
        cur = conn.execute(
            f"UPDATE jobs SET status = '{PENDING}', updated_at = ? WHERE status = '{RUNNING}'",
            (stamp(now or utcnow()),),
        )
        return cur.rowcount


def requeue_failed(store: Store, ids: Sequence[int] = (), *, now: datetime | None = None) -> int:
    """Make failed jobs (all, or those ``ids``) pending again with a fresh attempt budget."""
    at = stamp(now or utcnow())
    sql = (f"UPDATE jobs SET status = '{PENDING}', attempts = 0, next_at = ?, permanent = 0, updated_at = ?"
           f" WHERE status = '{FAILED}'")
    params: list[Any] = [at, at]
    if ids:
        sql += f" AND id IN ({','.join('?' * len(ids))})"
        params += list(ids)
    with _write(store) as conn:
        return conn.execute(sql, params).rowcount


def get(store: Store, job_id: int) -> Job | None:
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return _job(row) if row else None


def jobs(store: Store, status: str | None = None, limit: int = 1000) -> list[Job]:
    """Jobs (optionally of one status), oldest first."""
    where = "WHERE status = ?" if status else ""
    params: tuple[Any, ...] = (status, limit) if status else (limit,)
    rows = store.conn.execute(f"SELECT {_COLUMNS} FROM jobs {where} ORDER BY id LIMIT ?", params).fetchall()
    return [_job(r) for r in rows]


def counts(store: Store) -> dict[str, int]:
    """Jobs per status (every status present, zero when none)."""
    found = dict(store.conn.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())
    return {s: int(found.get(s, 0)) for s in (PENDING, RUNNING, DONE, FAILED)}


def open_count(store: Store) -> int:
    """Jobs not finished yet (pending, including those waiting for a retry, or running)."""
    return store.conn.execute(
        f"SELECT count(*) FROM jobs WHERE status IN ('{PENDING}', '{RUNNING}')"
    ).fetchone()[0]


def prune_seen(store: Store, *, older_than: timedelta = timedelta(days=2), now: datetime | None = None) -> int:
    """Forget event ids older than Slack's retry window (hours), so the table stays small."""
    cutoff = stamp((now or utcnow()) - older_than)
    with _write(store) as conn:
        return conn.execute("DELETE FROM seen_events WHERE at < ?", (cutoff,)).rowcount


# --------------------------------------------------------------------------- the inbox journal


def _spec_line(specs: Sequence[JobSpec], event_id: str | None) -> str:
    return json.dumps({"e": event_id, "j": [dataclasses.asdict(s) for s in specs]}, separators=(",", ":")) + "\n"


def _read_lines(path: Path) -> list[tuple[list[JobSpec], str | None]]:
    entries = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    for line in text.splitlines():
        try:  # a torn last line (power loss mid-write) is skipped; Slack retries that event
            data = json.loads(line)
            entries.append(([JobSpec(**j) for j in data["j"]], data.get("e")))
        except (ValueError, TypeError, KeyError):
            continue
    return entries


class Inbox:
    """The ack path's only write: an append-only journal moved into ``jobs`` by one thread.

    ``put`` appends and returns; ``on_moved`` (the worker's wake-up) runs after each move that added
    jobs. With an in-memory database there is no file and ``put`` writes to SQLite directly.
    """

    def __init__(self, store: Store, on_moved: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.on_moved = on_moved
        in_memory = store.path == ":memory:" or store.path.startswith("file:")
        self.path = None if in_memory else Path(store.path).expanduser().with_name(Path(store.path).name + ".inbox")
        self._lock = threading.Lock()  # appends vs. rotation
        self._cond = threading.Condition()
        self._queued = 0  # lines appended and not yet moved
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def _moving(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + "-moving")

    def put(self, specs: Sequence[JobSpec], event_id: str | None) -> None:
        """Record a delivery before the ack. Raises on a full disk (then Bolt answers 500, Slack retries)."""
        if self.path is None:
            if enqueue(self.store, specs, event_id=event_id).new:
                self.on_moved()
            return
        line = _spec_line(specs, event_id).encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
            with self._cond:
                self._queued += 1
                self._cond.notify_all()

    def move(self) -> int:
        """Move every journaled delivery into ``jobs`` (one transaction); returns the new jobs' count."""
        if self.path is None:
            return 0
        new = 0
        while True:
            with self._lock, self._cond:
                leftover = self._moving.exists()  # a move that failed or a crash: finish that one first
                if not leftover and self.path.exists():
                    os.replace(self.path, self._moving)  # new appends start a fresh file
                taken = 0 if leftover else self._queued
            entries = _read_lines(self._moving)
            if entries:
                with _write(self.store):
                    for specs, event_id in entries:
                        new += len(enqueue(self.store, specs, event_id=event_id).new)
            with suppress(FileNotFoundError):
                self._moving.unlink()
            with self._cond:
                self._queued -= taken
                self._cond.notify_all()
            if not leftover:
                break
        if new:
            self.on_moved()
        return new

    def start(self) -> int:
        """Move what a previous process left, then keep moving in a thread. Returns jobs recovered."""
        recovered = self.move()  # what a crashed process left (a "-moving" file, then the journal)
        if self.path is not None and self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="deskbot-inbox", daemon=True)
            self._thread.start()
        return recovered

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.move()

    def pending(self) -> int:
        with self._cond:
            return self._queued

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queued > 0 or self._stopping)
                if self._stopping:
                    return
                # During a burst, gather what arrives within a few ms into one transaction: fewer
                # moves competing with the acks for the interpreter (at most BATCH_WINDOW of delay).
                deadline = time.monotonic() + BATCH_WINDOW_SECONDS
                seen = -1
                while self._queued != seen and time.monotonic() < deadline and not self._stopping:
                    seen = self._queued
                    self._cond.wait(BATCH_QUIET_SECONDS)
            try:
                self.move()
            except Exception:  # noqa: BLE001 - keep the journal; the next move retries it
                logging.getLogger(__name__).exception("moving the inbox into the job queue failed")
                with self._cond:
                    self._cond.wait(1.0)
