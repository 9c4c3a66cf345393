"""The durable ingest queue: every SQL statement on the ``jobs`` and ``seen_events`` tables (the inbox
journal in front of them is ``bot.slack.inbox``).

Why SQLite and not an in-memory queue: a link is acknowledged to Slack only once it is recorded, so
a crash, a deploy or ``kill -9`` never loses one; the worker resumes what was pending or running on
the next start.

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

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.kb.now import naive_utc_now

if TYPE_CHECKING:
    from bot.kb.store import Store

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
RECLIP = "reclip"  # a job kind: clip a paper's newer version, linked to the note it supersedes

_COLUMNS = (
    "id, key, kind, url, canonical_url, file_id, channel, ts, thread_ts, user, status, attempts, next_at,"
    " last_error, permanent, note_id, reply_ts, created_at, updated_at, batch, supersedes"
)


log = logging.getLogger(__name__)


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

    kind: str  # url | file | reclip
    channel: str
    ts: str
    thread_ts: str
    user: str | None
    url: str | None = None
    canonical_url: str | None = None
    file_id: str | None = None
    batch: str | None = None  # the backfill it comes from (clipped quietly); None = posted live
    supersedes: str | None = None  # reclip: the note whose newer version this job clips

    @property
    def key(self) -> str:
        if self.kind == RECLIP:  # one re-clip per note and version, whoever asks and wherever
            return f"reclip|{self.supersedes}|{self.canonical_url}"
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
    batch: str | None = None  # the backfill it comes from: no 👀 and no thread reply; None = posted live
    supersedes: str | None = None  # reclip: the note whose newer version this job clips


def _job(row: Sequence[Any]) -> Job:
    return Job(
        id=row[0], key=row[1], kind=row[2], url=row[3], canonical_url=row[4], file_id=row[5], channel=row[6],
        ts=row[7], thread_ts=row[8], user=row[9], status=row[10], attempts=row[11] or 0, next_at=_parse(row[12]),
        last_error=row[13], permanent=bool(row[14]), note_id=row[15], reply_ts=row[16],
        created_at=_parse(row[17]), updated_at=_parse(row[18]), batch=row[19],
        supersedes=row[20],
    )


@dataclass(frozen=True)
class Enqueued:
    """What :func:`enqueue` did: ``redelivery`` = the event was already recorded; ``new`` = job ids added."""

    redelivery: bool
    new: list[int]


def enqueue(store: Store, specs: Iterable[JobSpec], *, event_id: str | None = None,
            now: datetime | None = None) -> Enqueued:
    """Record ``event_id`` and add the jobs, in one transaction (see the module's exactly-once rules)."""
    at = stamp(now or naive_utc_now())
    new: list[int] = []
    with store.write() as conn:
        if event_id:
            cur = conn.execute("INSERT OR IGNORE INTO seen_events(event_id, at) VALUES (?, ?)", (event_id, at))
            if cur.rowcount == 0:
                return Enqueued(True, [])
        for spec in specs:
            cur = conn.execute(
                "INSERT OR IGNORE INTO jobs(key, kind, url, canonical_url, file_id, channel, ts, thread_ts, user,"
                " status, attempts, next_at, permanent, created_at, updated_at, batch, supersedes)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,0,?,0,?,?,?,?)",
                (spec.key, spec.kind, spec.url, spec.canonical_url, spec.file_id, spec.channel, spec.ts,
                 spec.thread_ts, spec.user, PENDING, at, at, at, spec.batch, spec.supersedes),
            )
            if cur.rowcount:
                new.append(int(cur.lastrowid or 0))
    return Enqueued(False, new)


def first_time(store: Store, key: str, *, now: datetime | None = None) -> bool:
    """Record an idempotency ``key`` in ``seen_events``; True only the first time (button clicks…).
    On the ack path of a click, so it takes the write lock promptly (see ``Store.write``)."""
    with store.write(prompt=True) as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO seen_events(event_id, at) VALUES (?, ?)", (key, stamp(now or naive_utc_now()))
        )
        return cur.rowcount == 1


def claim_next(store: Store, *, now: datetime | None = None, claimer: int | None = None,
               batch: str | None = None) -> Job | None:
    """Atomically take the next due pending job (oldest first), skipping URLs another worker is clipping.
    ``claimer`` (a capture process's pid) is recorded, so a process that dies mid-job can be cleaned up.
    Without ``batch``: only links posted live (the bot's consumers: a backfill's slow sites never hold
    them); with ``batch``: only that backfill's jobs (its own polite pool, ``bot.slack.backfill``)."""
    at = stamp(now or naive_utc_now())
    mine = "j.batch = ?3" if batch is not None else "j.batch IS NULL"
    pick = (f"SELECT j.id FROM jobs j WHERE {mine} AND j.status = '{PENDING}' AND j.next_at <= ?1"
            f" AND {_NOT_BLOCKED} ORDER BY j.next_at, j.id LIMIT 1")
    with store.write() as conn:
        row = conn.execute(
            f"UPDATE jobs SET status = '{RUNNING}', attempts = attempts + 1, updated_at = ?1, claimed_by = ?2"
            f" WHERE id = ({pick}) RETURNING {_COLUMNS}",
            (at, claimer, batch) if batch is not None else (at, claimer),
        ).fetchone()
    return _job(row) if row else None


_NOT_BLOCKED = (
    f"(j.canonical_url IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status = '{RUNNING}'"
    " AND r.canonical_url = j.canonical_url))"
)


def next_due(store: Store) -> datetime | None:
    """When the earliest claimable pending live job becomes due (None: nothing pending, or only jobs
    waiting for a clip of the same URL to finish — whoever finishes that one rings the consumers' bell)."""
    row = store.conn.execute(
        f"SELECT min(j.next_at) FROM jobs j WHERE j.batch IS NULL AND j.status = '{PENDING}' AND {_NOT_BLOCKED}"
    ).fetchone()
    return _parse(row[0]) if row else None


def mark_done(store: Store, job_id: int, *, note_id: str | None, reply_ts: str | None,
              now: datetime | None = None) -> None:
    with store.write() as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{DONE}', note_id = ?, reply_ts = coalesce(?, reply_ts), last_error = NULL,"
            " updated_at = ? WHERE id = ?",
            (note_id, reply_ts, stamp(now or naive_utc_now()), job_id),
        )


def mark_failed(store: Store, job_id: int, *, error: str, permanent: bool, reply_ts: str | None = None,
                now: datetime | None = None) -> None:
    """Give up on a job (it stays recorded with ``last_error``; ``deskbot retry`` re-queues it)."""
    with store.write() as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{FAILED}', last_error = ?, permanent = ?, reply_ts = coalesce(?, reply_ts),"
            " updated_at = ? WHERE id = ?",
            (error, int(permanent), reply_ts, stamp(now or naive_utc_now()), job_id),
        )


def retry_later(store: Store, job_id: int, *, delay: timedelta, error: str, now: datetime | None = None) -> datetime:
    """Put a job back as pending after a transient failure; returns when it is due."""
    moment = now or naive_utc_now()
    due = moment + delay
    with store.write() as conn:
        conn.execute(
            f"UPDATE jobs SET status = '{PENDING}', next_at = ?, last_error = ?, permanent = 0, updated_at = ?"
            " WHERE id = ?",
            (stamp(due), error, stamp(moment), job_id),
        )
    return due


def resume(store: Store, *, now: datetime | None = None) -> int:
    """After a restart: live jobs left ``running`` by a dead process become pending again (a backfill
    hands back its own: ``bot.slack.backfills.release_dead_claims``). Returns how many."""
    with store.write() as conn:
        cur = conn.execute(
            f"UPDATE jobs SET status = '{PENDING}', updated_at = ? WHERE status = '{RUNNING}' AND batch IS NULL",
            (stamp(now or naive_utc_now()),),
        )
        return cur.rowcount


def claimed(store: Store, claimer: int) -> list[Job]:
    """Jobs a process claimed and has not finished (after it died: what to retry)."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE status = '{RUNNING}' AND claimed_by = ?", (claimer,)
    ).fetchall()
    return [_job(r) for r in rows]


def claimers(store: Store) -> list[int]:
    """The processes holding running live jobs (a backfill's are its own)."""
    rows = store.conn.execute(
        f"SELECT DISTINCT claimed_by FROM jobs WHERE status = '{RUNNING}' AND claimed_by IS NOT NULL"
        " AND batch IS NULL"
    ).fetchall()
    return [int(r[0]) for r in rows]


def overdue_claimers(store: Store, older_than: timedelta, *, now: datetime | None = None) -> list[int]:
    """Processes holding a job claimed longer than ``older_than`` ago (wedged: to be replaced)."""
    cutoff = stamp((now or naive_utc_now()) - older_than)
    rows = store.conn.execute(
        f"SELECT DISTINCT claimed_by FROM jobs WHERE status = '{RUNNING}' AND updated_at < ?"
        " AND claimed_by IS NOT NULL",
        (cutoff,),
    ).fetchall()
    return [int(r[0]) for r in rows]


def requeue_failed(store: Store, ids: Sequence[int] = (), *, now: datetime | None = None) -> int:
    """Make failed jobs (all, or those ``ids``) pending again with a fresh attempt budget."""
    return _requeue(store, f"status = '{FAILED}'", ids, now, clear_permanent=True)


def requeue_missing_transcripts(store: Store, ids: Sequence[int] = (), *, now: datetime | None = None) -> int:
    """Make done link jobs whose video note has no transcript pending again, so the transcript is tried anew
    (YouTube often blocks a server for a while; ``deskbot retry`` asks again later)."""
    return _requeue(store, f"status = '{DONE}' AND kind = 'url' AND note_id IN (SELECT id FROM notes"
                           " WHERE kind = 'video' AND flags LIKE '%\"no-transcript\"%')", ids, now)


def _requeue(store: Store, where: str, ids: Sequence[int], now: datetime | None, *,
             clear_permanent: bool = False) -> int:
    at = stamp(now or naive_utc_now())
    reset = ", permanent = 0" if clear_permanent else ""
    sql = f"UPDATE jobs SET status = '{PENDING}', attempts = 0, next_at = ?{reset}, updated_at = ? WHERE {where}"
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


def prune_seen(store: Store, *, older_than: timedelta = timedelta(days=2), now: datetime | None = None) -> int:
    """Forget event ids older than Slack's retry window (hours), so the table stays small."""
    cutoff = stamp((now or naive_utc_now()) - older_than)
    with store.write() as conn:
        return conn.execute("DELETE FROM seen_events WHERE at < ?", (cutoff,)).rowcount
