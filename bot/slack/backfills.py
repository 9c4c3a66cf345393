"""Every SQL statement on the ``backfills`` and ``backfill_threads`` tables: where a backfill has read to.

Why the position lives next to the jobs: a page of history (or a day file of an export) becomes its
jobs *and* moves the run's position in one transaction, so a ``kill -9`` anywhere leaves either both
or neither — the same command re-reads at most that page, and job keys (``bot.slack.queue``) are unique, so
nothing is doubled or lost.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.kb.dblock import process_alive
from bot.kb.now import naive_utc_now
from bot.slack import queue
from bot.slack.queue import DONE, FAILED, PENDING, RUNNING, JobSpec, stamp

if TYPE_CHECKING:
    from bot.kb.store import Store

_FIELDS = ("id, source, channel, label, latest, cursor, position, read_done, announced_ts, messages, links,"
           " started_at, updated_at, finished_at")


@dataclass(frozen=True)
class Run:
    """One backfill: a channel's history between two times, or one channel of one export file."""

    id: str
    source: str  # history | export
    channel: str
    label: str | None
    latest: str | None  # history: the newest message time read (fixed at the first start)
    cursor: str | None  # history: the next page's cursor
    position: str | None  # export: the last day file recorded
    read_done: bool
    announced_ts: str | None
    messages: int
    links: int  # links found in the messages read, including those already clipped live
    started_at: str
    updated_at: str
    finished_at: str | None


@dataclass(frozen=True)
class Counts:
    """A run's jobs by state, and the notes they made."""

    jobs: int
    done: int
    failed: int
    pending: int
    running: int
    notes: int

    @property
    def open(self) -> int:
        return self.pending + self.running


def _run(row: Sequence[Any]) -> Run:
    return Run(id=row[0], source=row[1], channel=row[2], label=row[3], latest=row[4], cursor=row[5],
               position=row[6], read_done=bool(row[7]), announced_ts=row[8], messages=row[9], links=row[10],
               started_at=row[11], updated_at=row[12], finished_at=row[13])


def get(store: Store, run_id: str) -> Run | None:
    row = store.conn.execute(f"SELECT {_FIELDS} FROM backfills WHERE id = ?", (run_id,)).fetchone()
    return _run(row) if row else None


def resumable(store: Store, run_id: str) -> Run | None:
    """The run the same command continues: one not finished, or a finished one whose failed jobs
    `deskbot retry` re-queued (they are clipped without reading anything again)."""
    run = get(store, run_id)
    if run is None or (run.finished_at is not None and counts(store, run_id).open == 0):
        return None
    return run


def start(store: Store, run_id: str, *, source: str, channel: str, label: str | None, latest: str | None = None,
          now: datetime | None = None) -> tuple[Run, bool]:
    """The run to continue (:func:`resumable`), or a new one; a finished run is started over (a second
    pass: keys dedupe). Returns (run, resumed)."""
    at = stamp(now or naive_utc_now())
    with store.write() as conn:
        if (ongoing := resumable(store, run_id)) is not None:
            conn.execute("UPDATE backfills SET finished_at = NULL WHERE id = ?", (run_id,))
            return dataclasses.replace(ongoing, finished_at=None), True
        row = conn.execute(f"SELECT {_FIELDS} FROM backfills WHERE id = ?", (run_id,)).fetchone()
        if row is not None:
            conn.execute("DELETE FROM backfill_threads WHERE backfill = ?", (run_id,))
            conn.execute("DELETE FROM backfills WHERE id = ?", (run_id,))
        conn.execute(
            "INSERT INTO backfills(id, source, channel, label, latest, started_at, updated_at) VALUES (?,?,?,?,?,?,?)",
            (run_id, source, channel, label, latest, at, at),
        )
    run = get(store, run_id)
    assert run is not None
    return run, False


def record(store: Store, run_id: str, specs: Iterable[JobSpec], *, messages: int, cursor: str | None = None,
           position: str | None = None, read_done: bool = False, threads: Iterable[str] = (),
           thread: tuple[str, str | None, bool] | None = None) -> int:
    """One page read: its jobs (tagged with the run), its threads to read, and the run's new position —
    one transaction. ``thread`` = (thread ts, next cursor, finished) when the page was a thread's.
    Returns how many jobs are new."""
    specs = [dataclasses.replace(spec, batch=run_id) for spec in specs]
    at = stamp(naive_utc_now())
    with store.write() as conn:
        new = len(queue.enqueue(store, specs).new)
        conn.executemany("INSERT OR IGNORE INTO backfill_threads(backfill, thread_ts) VALUES (?, ?)",
                         [(run_id, ts) for ts in threads])
        if thread is not None:
            conn.execute("UPDATE backfill_threads SET cursor = ?, done = ? WHERE backfill = ? AND thread_ts = ?",
                         (thread[1], int(thread[2]), run_id, thread[0]))
        else:
            conn.execute(
                "UPDATE backfills SET cursor = coalesce(?, cursor), position = coalesce(?, position),"
                " read_done = max(read_done, ?) WHERE id = ?",
                (cursor, position, int(read_done), run_id),
            )
        conn.execute("UPDATE backfills SET messages = messages + ?, links = links + ?, updated_at = ? WHERE id = ?",
                     (messages, sum(1 for s in specs if s.kind == "url"), at, run_id))
    return new


def forget_if_empty(store: Store, run_id: str) -> None:
    """Drop a run that read nothing (Slack refused the first page): a refusal leaves no trace."""
    with store.write() as conn:
        conn.execute("DELETE FROM backfills WHERE id = ? AND messages = 0 AND read_done = 0"
                     " AND NOT EXISTS (SELECT 1 FROM backfill_threads WHERE backfill = ?)", (run_id, run_id))


def threads_to_read(store: Store, run_id: str) -> list[tuple[str, str | None]]:
    """Threads found in the history and not fully read yet: (thread ts, cursor), oldest first."""
    rows = store.conn.execute(
        "SELECT thread_ts, cursor FROM backfill_threads WHERE backfill = ? AND done = 0 ORDER BY thread_ts",
        (run_id,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def finish(store: Store, run_id: str, *, now: datetime | None = None) -> None:
    with store.write() as conn:
        conn.execute("UPDATE backfills SET finished_at = ?, updated_at = ? WHERE id = ?",
                     (stamp(now or naive_utc_now()), stamp(now or naive_utc_now()), run_id))


def set_announced(store: Store, run_id: str, ts: str) -> None:
    with store.write() as conn:
        conn.execute("UPDATE backfills SET announced_ts = ? WHERE id = ?", (ts, run_id))


def counts(store: Store, run_id: str) -> Counts:
    found = dict(store.conn.execute(
        "SELECT status, count(*) FROM jobs WHERE batch = ? GROUP BY status", (run_id,)).fetchall())
    notes = store.conn.execute(
        f"SELECT count(DISTINCT note_id) FROM jobs WHERE batch = ? AND status = '{DONE}' AND note_id IS NOT NULL",
        (run_id,),
    ).fetchone()[0]
    return Counts(jobs=sum(found.values()), done=found.get(DONE, 0), failed=found.get(FAILED, 0),
                  pending=found.get(PENDING, 0), running=found.get(RUNNING, 0), notes=int(notes))


def next_due(store: Store, run_id: str) -> datetime | None:
    """When the run's earliest pending job is due (None: nothing pending)."""
    row = store.conn.execute(
        f"SELECT min(next_at) FROM jobs WHERE batch = ? AND status = '{PENDING}'", (run_id,)).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def top_tags(store: Store, run_id: str, limit: int = 5) -> list[str]:
    """The run's notes' most frequent tags."""
    rows = store.conn.execute(
        "SELECT n.tags_text FROM notes n WHERE n.id IN"
        f" (SELECT note_id FROM jobs WHERE batch = ? AND status = '{DONE}' AND note_id IS NOT NULL)",
        (run_id,),
    ).fetchall()
    tally = Counter(tag for (text,) in rows for tag in (text or "").split())
    return [tag for tag, _ in tally.most_common(limit)]


def release_dead_claims(store: Store, run_id: str) -> int:
    """The run's jobs left ``running`` by a process that no longer exists (a killed backfill) become
    pending again; jobs a live process (the bot, another backfill) is clipping are left alone."""
    rows = store.conn.execute(
        f"SELECT DISTINCT claimed_by FROM jobs WHERE batch = ? AND status = '{RUNNING}'", (run_id,)).fetchall()
    dead = [pid for (pid,) in rows if pid is None or not _alive(int(pid))]
    released = 0
    with store.write() as conn:
        for pid in dead:
            released += conn.execute(
                f"UPDATE jobs SET status = '{PENDING}', updated_at = ? WHERE batch = ? AND status = '{RUNNING}'"
                " AND claimed_by IS ?", (stamp(naive_utc_now()), run_id, pid)).rowcount
    return released


def _alive(pid: int) -> bool:
    # our own pid is a reused number: nothing of ours is running yet
    return pid != os.getpid() and process_alive(pid)


def adopt_earlier_posting(store: Store, note_id: str, *, user: str | None, channel: str, ts: str,
                          posted: datetime) -> bool:
    """A backfill found a posting older than the note's: the note's owner becomes that poster and its
    ``clipped`` that time (its decay restarts from there unless validated since). History is read
    newest first, so without this a link's owner would be whoever posted it *last*."""
    note = store.get_note(note_id)
    if note is None or (note.clipped is not None and note.clipped <= posted):
        return False
    note.owner, note.clipped, note.channel = user, posted, channel
    note.extra["slack_ts"] = ts
    store.upsert_note(note)
    return True
