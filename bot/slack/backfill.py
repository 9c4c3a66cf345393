"""A channel's past becomes notes: messages read from Slack's history or from an export turn into the
same capture jobs live posts make, clipped quietly by a pool of threads in this process.

The same rules as live capture, by construction: each old message goes through the live path's
``is_clippable`` and ``job_specs`` (ignore rules, link finding, canonical URLs, the job key), and its
jobs land in the same ``jobs`` table — so a link posted live and found again here is the same job or,
posted in another message, one note with one more mention. Jobs carry their run (``batch``): the
``Runner`` then skips the 👀 and the thread reply and clips with the message's own time (owner = the
poster, ``clipped`` = when posted).

Resumable and exact: a page read and its jobs are one transaction (``bot.slack.backfills``); a job's
state is the queue's. A killed run's claimed jobs are handed back at the next start; clipping again a
link whose note was stored just before the kill only adds the (idempotent) mention.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.kb.now import naive_utc_now
from bot.slack import backfills, queue
from bot.slack.backfills import Counts, Run
from bot.slack.history import Channel, History, threads_in
from bot.slack.message_jobs import is_clippable, job_specs
from bot.slack.queue import JobSpec

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.kb.store import Store
    from bot.slack.export import ExportChannel, SlackExport
    from bot.slack.runner import Runner

log = logging.getLogger(__name__)

ANNOUNCE_EVENT = "deskbot_backfill"  # metadata on the summary post: found again after a crash, not posted twice


@dataclass
class Found:
    """What reading found (also the whole answer of a ``--dry-run``)."""

    messages: int = 0
    links: int = 0
    files: int = 0
    files_skipped: int = 0  # file shares in an export: their content is not in the ZIP
    days: int = 0

    def add(self, messages: int, specs: list[JobSpec], skipped: int = 0) -> None:
        self.messages += messages
        self.links += sum(1 for s in specs if s.kind == "url")
        self.files += sum(1 for s in specs if s.kind == "file")
        self.files_skipped += skipped


def message_jobs(message: dict[str, Any], channel_id: str, *, bot_user_id: str | None,
                 files: bool = True) -> tuple[list[JobSpec], int]:
    """An old message's jobs, by the live rules; ``files=False`` drops file jobs (returns how many)."""
    event = dict(message)
    event.setdefault("type", "message")
    event["channel"] = channel_id
    if not is_clippable(event, bot_user_id=bot_user_id):
        return [], 0
    specs = job_specs(event)
    if files:
        return specs, 0
    links = [s for s in specs if s.kind == "url"]
    return links, len(specs) - len(links)


def history_run_id(channel_id: str, oldest: str | None, latest: str | None) -> str:
    return f"history:{channel_id}:{oldest or ''}:{latest or ''}"


def export_run_id(digest: str, channel_id: str) -> str:
    return f"export:{digest[:16]}:{channel_id}"


def epoch(moment: datetime) -> str:
    """A Slack ts for a (naive = UTC) time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.timestamp():.6f}"


# --------------------------------------------------------------------------- reading


def read_history(store: Store | None, history: History, run: Run | None, channel: Channel, *,
                 oldest: str | None, latest: str | None, bot_user_id: str | None,
                 stop: threading.Event, on_page: Callable[[], None] = lambda: None) -> Found:
    """Page through the channel (newest first), then through each thread found; each page recorded with
    the run's position. With ``store=None`` (``--dry-run``) nothing is written, only counted."""
    found = Found()
    cursor = run.cursor if run else None
    threads: list[tuple[str, str | None]] = []
    if run is None or not run.read_done:
        while not stop.is_set():
            page = history.page(channel, cursor=cursor, oldest=oldest, latest=latest)
            specs = _jobs_of(page.messages, channel.id, bot_user_id, found)
            parents = threads_in(page.messages)
            if store is not None and run is not None:
                backfills.record(store, run.id, specs, messages=len(page.messages), cursor=page.next_cursor,
                                 read_done=page.next_cursor is None, threads=parents)
            else:
                threads += [(ts, None) for ts in parents]
            on_page()
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    if store is not None and run is not None:
        threads = backfills.threads_to_read(store, run.id)
    for thread_ts, thread_cursor in threads:
        while not stop.is_set():
            page = history.replies(channel, thread_ts, cursor=thread_cursor)
            replies = [m for m in page.messages if str(m.get("ts")) != thread_ts]  # the parent was read already
            specs = _jobs_of(replies, channel.id, bot_user_id, found)
            if store is not None and run is not None:
                backfills.record(store, run.id, specs, messages=len(replies),
                                 thread=(thread_ts, page.next_cursor, page.next_cursor is None))
            on_page()
            if not page.next_cursor:
                break
            thread_cursor = page.next_cursor
    return found


def _jobs_of(messages: list[dict[str, Any]], channel_id: str, bot_user_id: str | None, found: Found) -> list[JobSpec]:
    specs: list[JobSpec] = []
    for message in messages:
        specs += message_jobs(message, channel_id, bot_user_id=bot_user_id)[0]
    found.add(len(messages), specs)
    return specs


def scan_export(export: SlackExport, channel: ExportChannel, *, after: str | None = None
                ) -> tuple[list[tuple[str, list[JobSpec], int]], Found]:
    """Every day file of the channel (after ``after``) parsed into jobs *before* anything is written, so a
    damaged member refuses the import with nothing half-written. Returns ([(day, jobs, messages)], found)."""
    found = Found()
    days = []
    for day in channel.days:
        if after is not None and day <= after:
            continue
        messages = export.messages(day)
        specs: list[JobSpec] = []
        skipped = 0
        for message in messages:
            jobs, dropped = message_jobs(message, channel.id, bot_user_id=None, files=False)
            specs += jobs
            skipped += dropped
        found.add(len(messages), specs, skipped)
        found.days += 1
        days.append((day, specs, len(messages)))
    return days, found


def record_export(store: Store, run: Run, days: list[tuple[str, list[JobSpec], int]],
                  stop: threading.Event, on_page: Callable[[], None] = lambda: None) -> None:
    """Each day's jobs with the run's position, one transaction per day file."""
    for n, (day, specs, messages) in enumerate(days):
        if stop.is_set():
            return
        backfills.record(store, run.id, specs, messages=messages, position=day, read_done=n == len(days) - 1)
        on_page()
    if not days:
        backfills.record(store, run.id, [], messages=0, read_done=True)


# --------------------------------------------------------------------------- clipping


class ClipPool:
    """Threads that claim the run's jobs and run each with the shared :class:`~bot.slack.runner.Runner` (no
    process per link), while ``reader`` (in its own thread) records the pages it reads. ``report`` is
    called every ``every`` seconds and at the end with the run's counts."""

    def __init__(self, store: Store, runner: Runner, run_id: str, *, workers: int = 4,
                 clock: Callable[[], datetime] = lambda: naive_utc_now().replace(microsecond=0)) -> None:
        self.store = store
        self.runner = runner
        self.run_id = run_id
        self.workers = max(1, workers)
        self.clock = clock
        self.stop = threading.Event()
        self._reading = threading.Event()
        self._cond = threading.Condition()
        self._error: BaseException | None = None

    def poke(self) -> None:
        """New jobs were recorded, or one finished: idle workers look again."""
        with self._cond:
            self._cond.notify_all()

    def run(self, reader: Callable[[], Any], report: Callable[[Counts], None], every: float = 2.0) -> Counts:
        released = backfills.release_dead_claims(self.store, self.run_id)
        if released:
            log.info("resuming %d job(s) a stopped backfill was clipping", released)
        threads = [threading.Thread(target=self._read, args=(reader,), name="deskbot-backfill-reader", daemon=True)]
        threads += [threading.Thread(target=self._clip, name=f"deskbot-backfill-{n}", daemon=True)
                    for n in range(self.workers)]
        for thread in threads:
            thread.start()
        try:
            while alive := [t for t in threads if t.is_alive()]:
                alive[0].join(every)  # the main thread only waits and reports
                report(backfills.counts(self.store, self.run_id))
        except BaseException:
            self.stop.set()  # Ctrl-C: workers finish the link in hand; the rest stays pending for the next run
            self.poke()
            for thread in threads:
                thread.join(30)
            raise
        for thread in threads:
            thread.join()
        counts = backfills.counts(self.store, self.run_id)
        report(counts)
        if self._error is not None:
            raise self._error
        return counts

    def _read(self, reader: Callable[[], Any]) -> None:
        try:
            reader()
        except BaseException as exc:  # noqa: BLE001 - handed to run(), which raises it after the workers stop
            self._error = exc
            self.stop.set()
        finally:
            self._reading.set()
            self.poke()

    def _clip(self) -> None:
        pid = os.getpid()
        while not self.stop.is_set():
            try:
                job = queue.claim_next(self.store, claimer=pid, batch=self.run_id)
            except sqlite3.OperationalError as exc:  # locked past the busy timeout: try again, do not die
                log.warning("could not claim a backfill job (%s); trying again", exc)
                self.stop.wait(1.0)
                continue
            if job is not None:
                self.runner.run(job, self.clock())
                self.poke()
                continue
            with self._cond:
                if self._reading.is_set() and backfills.counts(self.store, self.run_id).open == 0:
                    self.poke()
                    return
                due, now = backfills.next_due(self.store, self.run_id), naive_utc_now()
                # nothing pending yet, or blocked behind the same URL clipping: a page or a finish pokes us
                wait = 0.5 if due is None or due <= now else min(5.0, (due - now).total_seconds())
                self._cond.wait(wait)


# --------------------------------------------------------------------------- the summary post


def summary_text(store: Store, run: Run, label: str) -> str:
    counts = backfills.counts(store, run.id)
    tags = backfills.top_tags(store, run.id)
    text = (f"Backfill of {label} done: {run.links} link{'s' if run.links != 1 else ''} in {run.messages} "
            f"messages → {counts.notes} note{'s' if counts.notes != 1 else ''}, {counts.failed} could not be "
            "clipped (`deskbot retry` lists them).")
    if tags:
        text += " Top tags: " + " ".join(f"#{t}" for t in tags) + "."
    return text


def announce(store: Store, client: WebClient, history: History, run: Run, channel: Channel) -> str:
    """Post the run's one summary message in the channel (once: an earlier post, recorded or found by its
    metadata after a crash, is not repeated). Returns its ts."""
    if run.announced_ts:
        return run.announced_ts
    for message in history.recent(channel):
        meta = message.get("metadata") or {}
        if meta.get("event_type") == ANNOUNCE_EVENT and (meta.get("event_payload") or {}).get("run") == run.id:
            backfills.set_announced(store, run.id, str(message["ts"]))
            return str(message["ts"])
    fresh = backfills.get(store, run.id) or run
    answer = client.chat_postMessage(channel=channel.id, text=summary_text(store, fresh, channel.label),
                                     unfurl_links=False, unfurl_media=False,
                                     metadata={"event_type": ANNOUNCE_EVENT, "event_payload": {"run": run.id}})
    ts = str(answer.get("ts"))
    backfills.set_announced(store, run.id, ts)
    return ts
