"""Workers: take capture jobs from the durable queue, clip, and reply in the thread.

Dispatcher threads in the bot's process claim due jobs (``bot.queue``; each thread has its own SQLite
connection from ``Store``) and run each one with a :class:`Runner` — in production inside a
:class:`JobPool` process, so the CPU-bound clipping and reply building never hold the interpreter the
acks need; in tests (injected capture options) in the thread itself. No broker: one process owns the
SQLite file, and a recorded job survives any crash.

A job's life: claimed (``running``, attempts + 1) → 👀 on the message (first attempt) → ``capture_url``
or, for an uploaded file, ``files.info`` + an authenticated download + ``capture_upload`` → one thread
reply → ``done``. Transient failures (``CaptureResult.permanent == False``, Slack hiccups) go back to
``pending`` with exponential backoff; permanent ones, or the last attempt, get a reply that says what
happened and stay ``failed`` with ``last_error`` for ``deskbot retry``. A job interrupted by a crash
(``running`` at start) is resumed; its capture may already be stored, and then the pipeline's
"duplicate" answer names this very message as the first mention, so the full reply is posted.

Known window: a crash *between* ``chat.postMessage`` returning and the next commit (microseconds)
would reply twice after the restart; nothing else can double a note or a reply.
"""

from __future__ import annotations

import dataclasses
import http.client
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from slack_sdk.errors import SlackApiError

from bot import blocks, queue
from bot.queue import Job

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.capture.pipeline import CaptureOptions, CaptureResult
    from bot.config import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 25 * 1024 * 1024
CAPTURABLE_SUFFIXES = (".pdf", ".md", ".markdown", ".txt")
CAPTURABLE_TYPES = ("application/pdf", "application/x-pdf", "text/plain", "text/markdown", "text/x-markdown")
IDLE_POLL_SECONDS = 30.0  # also picks up jobs re-queued by another process (`deskbot retry`)
# Slack errors that no retry can fix: the reply cannot be posted where the link was.
PERMANENT_SLACK_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "invalid_blocks", "no_text",
    "restricted_action", "invalid_auth", "account_inactive", "token_revoked", "missing_scope", "file_not_found",
    "file_deleted", "access_denied",
})


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff for transient failures: ``base * 2**(attempt-1)``, capped; ``attempts`` tries."""

    base: float = 30.0
    cap: float = 3600.0
    attempts: int = 5

    def delay(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.cap, self.base * 2 ** max(0, attempt - 1)))


def is_capturable_file(file: dict[str, Any]) -> bool:
    """PDFs and text/markdown notes; images, videos and external (Drive…) files are not clipped."""
    if not isinstance(file, dict) or file.get("is_external") or file.get("mode") in ("external", "tombstone"):
        return False
    name = str(file.get("name") or "").lower()
    mimetype = str(file.get("mimetype") or "").split(";")[0].strip().lower()
    return name.endswith(CAPTURABLE_SUFFIXES) or mimetype in CAPTURABLE_TYPES


class DownloadError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def download(
    url: str, token: str, *, trusted: Callable[[str], bool], max_bytes: int = MAX_FILE_BYTES, timeout: float = 30.0
) -> tuple[bytes, str]:
    """GET a Slack file with ``Authorization: Bearer`` — sent only to hosts ``trusted`` says are Slack's,
    never to a redirect target elsewhere. Returns ``(bytes, content type)``."""
    for _hop in range(4):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DownloadError("the file link is not an http(s) URL", permanent=True)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        headers = {"User-Agent": "deskbot"}
        if trusted(netloc):
            headers["Authorization"] = f"Bearer {token}"
        conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(parts.hostname, parts.port, timeout=timeout)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", target, headers=headers)
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308) and resp.getheader("Location"):
                url = urljoin(url, resp.getheader("Location") or "")
                continue
            if resp.status != 200:
                transient = resp.status in (408, 429) or resp.status >= 500
                raise DownloadError(f"Slack answered HTTP {resp.status} for the file", permanent=not transient)
            data = resp.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise DownloadError(f"the file is larger than {max_bytes // (1024 * 1024)} MB", permanent=True)
            return data, resp.getheader("Content-Type") or ""
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(f"could not download the file ({type(exc).__name__})", permanent=False) from None
        finally:
            conn.close()
    raise DownloadError("too many redirects for the file", permanent=True)


# --------------------------------------------------------------------------- one job


class Runner:
    """Runs one claimed job to its end: 👀, capture, thread reply, and the job's new state in the queue.

    The same code runs in a worker thread of the bot (tests, ``capture_processes=False``) or inside a
    job process (production), where it has its own store connection and Web API client.
    """

    def __init__(
        self,
        store: Store,
        client: WebClient,
        *,
        capture_options: CaptureOptions | None,
        backoff: Backoff,
        trusted_file_host: Callable[[str], bool],
        react: bool = True,
    ) -> None:
        self.store = store
        self.client = client
        self.capture_options = capture_options
        self.backoff = backoff
        self.trusted_file_host = trusted_file_host
        self.react = react
        self.now = datetime(1970, 1, 1)

    def run(self, job: Job, now: datetime) -> str:
        """Clip one job and reply; returns the outcome (captured, duplicate, failed, retry)."""
        self.now = now
        try:
            return self._run(job)
        except Exception:  # noqa: BLE001 - last resort: keep the job for a retry
            log.exception("capture job %s crashed", job.id)
            return self.transient(job, "internal error while clipping")

    def _run(self, job: Job) -> str:
        if self.react and job.attempts == 1:
            self._react(job)
        result = self._capture_file(job) if job.kind == "file" else self._capture_url(job)
        if result.status == "failed":
            if not result.permanent and job.attempts < self.backoff.attempts:
                return self.transient(job, result.error or "temporary failure")
            return self._fail(job, result)
        try:
            payload = self._reply_for(job, result)
            reply = self.client.chat_postMessage(
                channel=job.channel, thread_ts=job.thread_ts, unfurl_links=False, unfurl_media=False, **payload
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "slack_error")
            if error in PERMANENT_SLACK_ERRORS or job.attempts >= self.backoff.attempts:
                queue.mark_failed(self.store, job.id, error=f"Slack: {error}", permanent=True)
                log.warning("could not reply for job %s: %s", job.id, error)
                return "failed"
            return self.transient(job, f"Slack: {error}")
        except OSError as exc:  # connection trouble the client's retry handler could not fix
            return self.transient(job, f"Slack unreachable ({type(exc).__name__})")
        note_id = result.note.id if result.note else None
        queue.mark_done(self.store, job.id, note_id=note_id, reply_ts=reply.get("ts"))
        return result.status

    def transient(self, job: Job, error: str) -> str:
        due = queue.retry_later(self.store, job.id, delay=self.backoff.delay(job.attempts), error=error)
        log.info("job %s failed transiently (%s); retry at %s", job.id, error, due.isoformat(timespec="seconds"))
        return "retry"

    def _fail(self, job: Job, result: CaptureResult) -> str:
        reply_ts = None
        try:
            reply = self.client.chat_postMessage(
                channel=job.channel, thread_ts=job.thread_ts, unfurl_links=False, unfurl_media=False,
                **blocks.failure_reply(job.url, result.error),
            )
            reply_ts = reply.get("ts")
        except (SlackApiError, OSError) as exc:
            log.warning("could not post the failure reply for job %s (%s)", job.id, type(exc).__name__)
        queue.mark_failed(self.store, job.id, error=result.error or "failed", permanent=result.permanent,
                          reply_ts=reply_ts)
        return "failed"

    def _react(self, job: Job) -> None:
        try:
            self.client.reactions_add(channel=job.channel, timestamp=job.ts, name="eyes")
        except (SlackApiError, OSError) as exc:  # already_reacted, no permission...: cosmetic only
            log.debug("no 👀 for job %s: %s", job.id, exc)

    def _capture_url(self, job: Job) -> CaptureResult:
        from bot.capture.pipeline import capture_url

        return capture_url(self.store, job.url or "", channel=job.channel, user=job.user, ts=job.ts,
                           now=self.now, options=self.capture_options)

    def _capture_file(self, job: Job) -> CaptureResult:
        from bot.capture.pipeline import CaptureResult, capture_upload

        try:
            info = self.client.files_info(file=job.file_id or "")
            file = info["file"]
            data, content_type = download(
                str(file.get("url_private_download") or file.get("url_private") or ""),
                str(self.client.token or ""),
                trusted=self.trusted_file_host,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "slack_error")
            return CaptureResult("failed", error=f"Slack could not give the file ({error})",
                                 permanent=error in PERMANENT_SLACK_ERRORS)
        except DownloadError as exc:
            return CaptureResult("failed", error=str(exc), permanent=exc.permanent)
        except OSError as exc:
            return CaptureResult("failed", error=f"Slack unreachable ({type(exc).__name__})", permanent=False)
        mimetype = str(file.get("mimetype") or content_type or "")
        name = str(file.get("name") or "upload")
        return capture_upload(self.store, data, name, mimetype, channel=job.channel, user=job.user, ts=job.ts,
                              url=file.get("permalink"), now=self.now, options=self.capture_options)

    def _reply_for(self, job: Job, result: CaptureResult) -> dict[str, Any]:
        """The thread reply: the full note, or "already clipped" pointing at the first thread."""
        from bot import decay
        from bot.render import place_url

        note = result.note
        first = result.first
        if first is None and note is not None and result.status == "duplicate":
            first = self.store.first_mention(note.id)  # capture_upload does not say who was first
        ours = first is not None and first.channel == job.channel and first.ts == job.ts
        if result.status == "captured" or (result.status == "duplicate" and ours and note is not None):
            assert note is not None
            row = self.store.note_row(note.id)
            fresh = decay.freshness(row.due if row else None, self.now.date())
            return blocks.capture_reply(note, fresh, place_url=place_url, notices=result.notices)
        permalink = None
        if first is not None and first.channel and first.ts:
            try:
                permalink = self.client.chat_getPermalink(channel=first.channel, message_ts=first.ts).get("permalink")
            except (SlackApiError, OSError) as exc:
                log.info("no permalink for the first mention (%s)", type(exc).__name__)
        return blocks.duplicate_reply(
            note.title if note else (result.url or "this link"),
            note.url if note else result.url,
            first_day=first.at.date() if first and first.at else None,
            first_user=first.user if first else None,
            permalink=permalink,
        )


# --------------------------------------------------------------------------- job processes

_CHILD: dict[str, Runner] = {}
JOB_TIMEOUT_SECONDS = 900.0  # the fetcher has its own deadlines; this only catches a wedged process


def _child_init(db_path: str, decay_table: dict[str, int], settings: Settings, backoff: Backoff, react: bool,
                nice: int) -> None:
    """Start of a job process: die with the bot, yield the CPU to it, build its own store, client, options."""
    with suppress(Exception):  # Linux: SIGKILL this process when the bot process dies (kill -9 included)
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    with suppress(OSError):
        os.nice(nice)
    from bot.app import build_client, trusted_file_host
    from bot.capture.pipeline import options_from_settings
    from bot.store import Store

    _CHILD["runner"] = Runner(
        Store.open(db_path, decay_table), build_client(settings), capture_options=options_from_settings(settings),
        backoff=backoff, trusted_file_host=trusted_file_host(settings), react=react,
    )


def _child_ready() -> int:
    return os.getpid()


def _child_run(job: Job, now: datetime) -> str:
    return _CHILD["runner"].run(job, now)


class JobPool:
    """Runs whole jobs (capture, Slack reply, queue update) in separate processes: spawned, niced, dying
    with the bot, each with its own store connection and Web API client.

    Why: extraction and summarising are CPU-bound Python, and so is building and sending replies; in the
    bot's process they would hold the GIL while Slack waits for acks. In their own processes the OS keeps
    acks in milliseconds during a burst (``bench/slack.py``), and the bot process only acks and dispatches.
    """

    def __init__(self, db_path: str, decay_table: dict[str, int], settings: Settings, processes: int, *,
                 backoff: Backoff, react: bool = True, nice: int = 10) -> None:
        import multiprocessing

        self._args = (db_path, dict(decay_table), dataclasses.replace(settings, signing_secret=None, app_token=None),
                      backoff, react, nice)
        self.processes = processes
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.processes, mp_context=self._context,
                                                 initializer=_child_init, initargs=self._args)
            return self._pool

    def warm_up(self) -> None:
        """Spawn the processes now (their imports take a second), not during the first burst."""
        executor = self._executor()
        started = [executor.submit(_child_ready) for _ in range(self.processes)]
        remaining = [len(started)]
        lock = threading.Lock()

        def one_ready(future: Future[int]) -> None:
            with lock:
                remaining[0] -= 1
                if remaining[0] == 0 and not future.exception():
                    log.info("%d job processes ready", len(started))

        for future in started:
            future.add_done_callback(one_ready)

    def run(self, job: Job, now: datetime) -> str:
        future: Future[str] = self._executor().submit(_child_run, job, now)
        try:
            return future.result(timeout=JOB_TIMEOUT_SECONDS)
        except BrokenProcessPool:
            with self._lock:  # a job process died (OOM on a huge file…): start a fresh pool
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            raise

    def shutdown(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


# --------------------------------------------------------------------------- the dispatcher


class Worker:
    """Threads that claim due jobs and run them (in the thread, or in a :class:`JobPool` process).

    ``start()``/``stop()``; tests await ``wait_idle()``. ``inbox`` is the journal listeners write to.
    """

    def __init__(
        self,
        store: Store,
        client: WebClient,
        *,
        capture_options: CaptureOptions | None = None,
        clock: Callable[[], datetime],
        threads: int = 4,
        backoff: Backoff | None = None,
        trusted_file_host: Callable[[str], bool] | None = None,
        react: bool = True,
        pool: JobPool | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.threads = max(1, threads)
        self.backoff = backoff or Backoff()
        self.pool = pool
        self.runner = Runner(store, client, capture_options=capture_options, backoff=self.backoff,
                             trusted_file_host=trusted_file_host or (lambda netloc: False), react=react)
        self.inbox = queue.Inbox(store, on_moved=self.wake)
        self._cond = threading.Condition()
        self._generation = 0
        self._busy = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self.outcomes: dict[str, int] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Resume jobs a dead process left running, then start the threads. Idempotent."""
        if self._threads:
            return
        resumed = queue.resume(self.store)
        queue.prune_seen(self.store)
        if resumed:
            log.info("resuming %d interrupted capture job(s)", resumed)
        recovered = self.inbox.start()
        if recovered:
            log.info("recovered %d capture job(s) from the inbox journal", recovered)
        self._stopping = False
        if self.pool is not None:
            self.pool.warm_up()
        for n in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"deskbot-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Let running jobs finish (up to ``timeout``), then return; pending jobs stay for the next start."""
        self.inbox.stop()
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []
        if self.pool is not None:
            self.pool.shutdown()

    def wake(self) -> None:
        """A job was enqueued: wake a waiting thread."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no job is pending or running (retries included). For tests and clean shutdowns."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._busy == 0 and self.inbox.pending() == 0 and queue.open_count(self.store) == 0:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))  # re-check: another process may have finished jobs

    # ------------------------------------------------------------------ loop

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                generation = self._generation
            try:
                job = queue.claim_next(self.store)
            except Exception:  # noqa: BLE001 - a locked/broken database must not kill the thread
                log.exception("could not read the job queue")
                job = None
            if job is None:
                self._idle_wait(generation)
                continue
            with self._cond:
                self._busy += 1
            outcome = self.run_job(job)
            with self._cond:
                self._busy -= 1
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
                self._generation += 1
                self._cond.notify_all()

    def _idle_wait(self, generation: int) -> None:
        try:
            due = queue.next_due(self.store)
        except Exception:  # noqa: BLE001
            due = None
        timeout = IDLE_POLL_SECONDS
        if due is not None:
            timeout = max(0.0, min(timeout, (due - queue.utcnow()).total_seconds()))
        with self._cond:
            if self._stopping or self._generation != generation:
                return
            self._cond.wait(timeout)

    def run_job(self, job: Job) -> str:
        """Run one claimed job where this worker runs jobs; returns its outcome."""
        if self.pool is None:
            return self.runner.run(job, self.clock())
        try:
            return self.pool.run(job, self.clock())
        except (BrokenProcessPool, CancelledError, TimeoutError) as exc:
            return self.runner.transient(job, f"clipping interrupted ({type(exc).__name__})")
        except Exception:  # noqa: BLE001 - e.g. an unpicklable result: keep the job, keep the thread
            log.exception("job %s failed in its process", job.id)
            return self.runner.transient(job, "internal error while clipping")
