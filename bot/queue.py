"""The durable ingest queue: every SQL statement on the ``jobs`` and ``seen_events`` tables, and the
inbox journal in front of them.

Why SQLite and not an in-memory queue: a link is acknowledged to Slack only once it is recorded, so
a crash, a deploy or ``kill -9`` never loses one; the worker resumes what was pending or running on
the next start.

Why an inbox in front: the ack path must not wait for SQLite's single write lock, which a capture
(storing a note with its full-text index) can hold for milliseconds, nor spend its time finding
links. So a listener appends the message event as one JSON line to ``<database>.inbox`` (an
``O_APPEND`` write of a few µs; in the OS page cache, so it survives a process crash like a WAL commit
with ``synchronous=NORMAL``) and acks; a job consumer moves the lines into ``jobs`` — finding each
message's links then — in one transaction moments later. Lines left by a crash are moved on the
next start.

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

import fcntl
import json
import logging
import os
import sqlite3
import threading
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


log = logging.getLogger(__name__)


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
    with store.write() as conn:
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
    """Record an idempotency ``key`` in ``seen_events``; True only the first time (button clicks…).
    On the ack path of a click, so it takes the write lock promptly (see ``Store.write``)."""
    with store.write(prompt=True) as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO seen_events(event_id, at) VALUES (?, ?)", (key, stamp(now or utcnow()))
        )
        return cur.rowcount == 1


def claim_next(store: Store, *, now: datetime | None = None, claimer: int | None = None) -> Job | None:
    """Atomically take the next due pending job (oldest first), skipping URLs another worker is clipping.
    ``claimer`` (a capture process's pid) is recorded, so a process that dies mid-job can be cleaned up."""
    at = stamp(now or utcnow())
    with store.write() as conn:
        row = conn.execute(
            f"UPDATE jobs SET status = '{RUNNING}', attempts = attempts + 1, updated_at = ?1, claimed_by = ?2"
            " WHERE id = ("
            f" SELECT j.id FROM jobs j WHERE j.status = '{PENDING}' AND j.next_at <= ?1 AND {_NOT_BLOCKED}"
            f" ORDER BY j.next_at, j.id LIMIT 1) RETURNING {_COLUMNS}",
            (at, claimer),
        ).fetchone()
    return _job(row) if row else None


_NOT_BLOCKED = (
    f"(j.canonical_url IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = '{RUNNING}'"
    " AND r.canonical_url = j.canonical_url))"
)


def next_due(store: Store) -> datetime | None:
    """When the earliest claimable pending job becomes due (None: nothing pending, or only jobs waiting
    for a clip of the same URL to finish — whoever finishes that one rings the consumers' bell)."""
    row = store.conn.execute(
        f"SELECT min(j.next_at) FROM jobs j WHERE j.status = '{PENDING}' AND {_NOT_BLOCKED}"
    ).fetchone()
    return _parse(row[0]) if row else None


def mark_done(store: Store, job_id: int, *, note_id: str | None, reply_ts: str | None,
              now: datetime | None = None) -> None:
    with store.write() as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{DONE}', note_id = ?, reply_ts = coalesce(?, reply_ts), last_error = NULL,"
            " updated_at = ? WHERE id = ?",
            (note_id, reply_ts, stamp(now or utcnow()), job_id),
        )


def mark_failed(store: Store, job_id: int, *, error: str, permanent: bool, reply_ts: str | None = None,
                now: datetime | None = None) -> None:
    """Give up on a job (it stays recorded with ``last_error``; ``deskbot retry`` re-queues it)."""
    with store.write() as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{FAILED}', last_error = ?, permanent = ?, reply_ts = coalesce(?, reply_ts),"
            " updated_at = ? WHERE id = ?",
            (error, int(permanent), reply_ts, stamp(now or utcnow()), job_id),
        )


def retry_later(store: Store, job_id: int, *, delay: timedelta, error: str, now: datetime | None = None) -> datetime:
    """Put a job back as pending after a transient failure; returns when it is due."""
    moment = now or utcnow()
    due = moment + delay
    with store.write() as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{PENDING}', next_at = ?, last_error = ?, permanent = 0, updated_at = ?"
            " WHERE id = ?",
            (stamp(due), error, stamp(moment), job_id),
        )
    return due


def resume(store: Store, *, now: datetime | None = None) -> int:
    """After a restart: jobs left ``running`` by a dead process become pending again. Returns how many."""
    with store.write() as conn:
        cur = conn.execute(
            f"UPDATE jobs SET status = '{PENDING}', updated_at = ? WHERE status = '{RUNNING}'",
            (stamp(now or utcnow()),),
        )
        return cur.rowcount


def claimed(store: Store, claimer: int) -> list[Job]:
    """Jobs a process claimed and has not finished (after it died: what to retry)."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE status = '{RUNNING}' AND claimed_by = ?", (claimer,)
    ).fetchall()
    return [_job(r) for r in rows]


def claimers(store: Store) -> list[int]:
    """The processes holding running jobs."""
    rows = store.conn.execute(
        f"SELECT DISTINCT claimed_by FROM jobs WHERE status = '{RUNNING}' AND claimed_by IS NOT NULL"
    ).fetchall()
    return [int(r[0]) for r in rows]


def overdue_claimers(store: Store, older_than: timedelta, *, now: datetime | None = None) -> list[int]:
    """Processes holding a job claimed longer than ``older_than`` ago (wedged: to be replaced)."""
    cutoff = stamp((now or utcnow()) - older_than)
    rows = store.conn.execute(
        f"SELECT DISTINCT claimed_by FROM jobs WHERE status = '{RUNNING}' AND updated_at < ?"
        " AND claimed_by IS NOT NULL",
        (cutoff,),
    ).fetchall()
    return [int(r[0]) for r in rows]


def requeue_failed(store: Store, ids: Sequence[int] = (), *, now: datetime | None = None) -> int:
    """Make failed jobs (all, or those ``ids``) pending again with a fresh attempt budget."""
    at = stamp(now or utcnow())
    sql = (f"UPDATE jobs SET status = '{PENDING}', attempts = 0, next_at = ?, permanent = 0, updated_at = ?"
           f" WHERE status = '{FAILED}'")
    params: list[Any] = [at, at]
    if ids:
        sql += f" AND id IN ({','.join('?' * len(ids))})"
        params += list(ids)
    with store.write() as conn:
        return conn.execute(sql, params).rowcount


def requeue_missing_transcripts(store: Store, ids: Sequence[int] = (), *, now: datetime | None = None) -> int:
    """Make done link jobs whose video note has no transcript pending again, so the transcript is tried anew
    (YouTube often blocks a server for a while; ``deskbot retry`` asks again later)."""
    at = stamp(now or utcnow())
    sql = (f"UPDATE jobs SET status = '{PENDING}', attempts = 0, next_at = ?, updated_at = ?"
           f" WHERE status = '{DONE}' AND kind = 'url' AND note_id IN (SELECT id FROM notes"
           " WHERE kind = 'video' AND flags LIKE '%\"no-transcript\"%')")
    params: list[Any] = [at, at]
    if ids:
        sql += f" AND id IN ({','.join('?' * len(ids))})"
        params += list(ids)
    with store.write() as conn:
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
    with store.write() as conn:
        return conn.execute("DELETE FROM seen_events WHERE at < ?", (cutoff,)).rowcount


# --------------------------------------------------------------------------- the inbox journal


def _read_lines(text: str) -> list[tuple[list[JobSpec], str | None, str]]:
    """Journal lines → (jobs, event id, the line). A line holds a message event (``m``) whose jobs are
    found now, or — written by versions before 0.2 — the jobs themselves (``j``)."""
    from bot.message_jobs import job_specs

    entries = []
    for line in text.splitlines():
        try:  # a torn last line (power loss mid-write) is skipped; Slack retries that event
            data = json.loads(line)
            specs = job_specs(data["m"]) if "m" in data else [JobSpec(**j) for j in data["j"]]
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("skipped an unreadable inbox journal line (%d bytes)", len(line))
            continue
        entries.append((specs, data.get("e"), line))
    return entries


class Inbox:
    """The ack path's only write: message events appended to ``<database>.inbox``, moved into ``jobs``
    by whoever consumes jobs (capture processes in production, worker threads in tests).

    Writer and movers may be different processes, so the journal is handed over with file locks:

    * ``put`` checks that the path still names the file it has open (a mover may have renamed it;
      then it opens the new one), locks it (``flock``), checks again, appends one line and unlocks —
      a few system calls, no SQLite, no link parsing, never a wait for a mover;
    * ``move`` takes ``<database>.inbox.lock`` without waiting (another consumer moving keeps the
      lines), renames the journal to ``-moving``, locks and unlocks that file once so a write in
      flight completes first, turns its lines into jobs in one transaction and deletes it, until the
      journal is empty. A ``-moving`` file found first is one a crashed mover left; it is moved again,
      harmlessly (job keys and event ids are unique).

    ``ring`` is called after each ``put``, and after a move that added jobs or left lines that came
    meanwhile (it wakes the consumers). With an in-memory database there is no file: ``put`` enqueues
    directly.
    """

    def __init__(self, store: Store, ring: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.ring = ring
        in_memory = store.path == ":memory:" or store.path.startswith("file:")
        self.path = None if in_memory else Path(store.path).expanduser().with_name(Path(store.path).name + ".inbox")
        self._lock = threading.Lock()  # this process's appends share one open file
        self._fd: int | None = None
        self.rotations = 0  # journals this object renamed and moved (a count for tests and logs)

    @property
    def _moving(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + "-moving")

    def put(self, event: dict[str, Any], event_id: str | None) -> None:
        """Record a message event before the ack. Raises on a full disk (Bolt answers 500, Slack retries)."""
        if self.path is None:
            from bot.message_jobs import job_specs

            if enqueue(self.store, job_specs(event), event_id=event_id).new:
                self.ring()
            return
        line = (json.dumps({"e": event_id, "m": event}, separators=(",", ":")) + "\n").encode("ascii")
        with self._lock:
            fd, size = self._open_locked()
            try:
                written = os.write(fd, line)
                if written != len(line):  # e.g. the file size limit: leave no torn line for the next one
                    raise OSError(f"inbox journal: wrote {written} of {len(line)} bytes")
            except OSError:
                with suppress(OSError):
                    os.ftruncate(fd, size)
                raise
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        self.ring()

    def _open_locked(self) -> tuple[int, int]:
        """The journal's descriptor, locked, and its size; reopened when a mover renamed the file.

        The path is compared with the open file *before* locking too, so a writer never queues behind
        a mover that holds the renamed file's lock (a niced process the ack would wait for)."""
        assert self.path is not None
        while True:
            if self._fd is not None and self._names_open_file():
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                try:
                    if self._names_open_file():  # still: a rename between the check and the lock?
                        return self._fd, os.fstat(self._fd).st_size
                except BaseException:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    raise
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            if self._fd is not None:
                os.close(self._fd)
            self._fd = None
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def _names_open_file(self) -> bool:
        assert self.path is not None and self._fd is not None
        mine = os.fstat(self._fd)
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (named.st_ino, named.st_dev) == (mine.st_ino, mine.st_dev)

    def move(self) -> int:
        """Move every journaled event into ``jobs``; returns the new jobs' count. If another consumer is
        moving, returns 0 at once (it rings again if lines arrived after its last look)."""
        if self.path is None:
            return 0
        new = 0
        lock_fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0
            while True:
                if not self._moving.exists():  # else: a crashed mover's file, first
                    try:
                        if self.path.stat().st_size == 0:
                            break
                    except FileNotFoundError:
                        break
                    os.replace(self.path, self._moving)  # new appends start a fresh file
                    self.rotations += 1
                new += self._enqueue(_read_lines(self._read_moving()))
                self._moving.unlink(missing_ok=True)
        finally:
            os.close(lock_fd)  # releases the flock
        if new or self.pending():  # lines that came while this consumer held the lock: someone move them
            self.ring()
        return new

    def _enqueue(self, entries: list[tuple[list[JobSpec], str | None, str]]) -> int:
        """One transaction; an event that cannot be recorded (a malformed payload…) is set aside in
        ``<database>.inbox-rejected`` with a log line instead of blocking every event after it."""
        new = 0
        rejected: list[str] = []
        with self.store.write() as conn:
            for specs, event_id, line in entries:
                conn.execute("SAVEPOINT inbox_entry")
                try:
                    new += len(enqueue(self.store, specs, event_id=event_id).new)
                except sqlite3.Error as exc:
                    conn.execute("ROLLBACK TO inbox_entry")
                    log.error("inbox event %s could not be recorded (%s); kept in %s", event_id, exc,
                              self._rejected.name)
                    rejected.append(line)
                conn.execute("RELEASE inbox_entry")
        if rejected:
            with open(self._rejected, "a", encoding="utf-8") as file:
                file.write("\n".join(rejected) + "\n")
        return new

    @property
    def _rejected(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + "-rejected")

    def _read_moving(self) -> str:
        fd = os.open(self._moving, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # a writer that locked the file before the rename finishes first…
            fcntl.flock(fd, fcntl.LOCK_UN)  # …and none can start: they check the name first (_open_locked)
            with os.fdopen(os.dup(fd), "rb") as file:
                return file.read().decode("utf-8", "replace")
        finally:
            os.close(fd)

    def pending(self) -> bool:
        """Are there journaled events not moved yet?"""
        if self.path is None:
            return False
        try:
            return self._moving.exists() or self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
