"""Workers: take capture jobs from the durable queue, clip, and reply in the thread.

Job consumers (:func:`consume`) move the inbox journal into the ``jobs`` table, claim due jobs
(``bot.queue``) and run each one with a :class:`Runner` — in production each consumer is a
:class:`CaptureProcesses` process, so finding links, clipping and building replies never hold the
interpreter the acks need; in tests (injected capture options) consumers are threads of the bot. No
broker: SQLite is the queue, and a recorded job survives any crash.

A job's life: claimed (``running``, attempts + 1) → 👀 on the message (first attempt) → ``capture_url``
or, for an uploaded file, ``files.info`` + an authenticated download + ``capture_upload`` → one thread
reply → ``done``. Transient failures (``CaptureResult.permanent == False``, Slack hiccups) go back to
``pending`` with exponential backoff; permanent ones, or the last attempt, get a reply that says what
happened and stay ``failed`` with ``last_error`` for ``deskbot retry``. A job interrupted by a crash
(``running`` at start) is resumed; its capture may already be stored, and then the pipeline's
"duplicate" answer names this very message as the first mention, so the full reply is posted.

Every thread reply carries the job's key as Slack message metadata (``deskbot_job``). A retried job
first looks for such a reply in its thread, so a crash *between* ``chat.postMessage`` returning and
the commit that records it does not reply twice (best effort: if the thread cannot be read, it
replies). Nothing else can double a note or a reply.
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
from concurrent.futures import Future
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
IDLE_POLL_SECONDS = 30.0  # also picks up jobs re-queued by another process (`deskbot retry`)
REPLY_EVENT = "deskbot_job"  # the metadata event type on every thread reply; its payload names the job
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


def _newer(message: dict[str, Any], than_ts: str | None) -> bool:
    try:
        return than_ts is None or float(message.get("ts") or 0) > float(than_ts)
    except ValueError:
        return True


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
            return self._fail(job, result.error, permanent=result.permanent)
        try:
            reply_ts = self._reply(job, lambda: self._reply_for(job, result))
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
        queue.mark_done(self.store, job.id, note_id=note_id, reply_ts=reply_ts)
        return result.status

    def _reply(self, job: Job, payload: Callable[[], dict[str, Any]]) -> str | None:
        """Post the job's one thread reply, tagged with the job's key (Slack message metadata) — unless
        an earlier attempt already posted it and crashed before recording that; returns its ts."""
        if job.attempts > 1 and (earlier := self._earlier_reply(job)) is not None:
            log.info("job %s was answered by an earlier attempt (reply %s); not answering twice", job.id, earlier)
            return earlier
        reply = self.client.chat_postMessage(
            channel=job.channel, thread_ts=job.thread_ts, unfurl_links=False, unfurl_media=False,
            metadata={"event_type": REPLY_EVENT, "event_payload": {"job": job.key}}, **payload(),
        )
        return reply.get("ts")

    def _earlier_reply(self, job: Job) -> str | None:
        """The ts of a reply in the job's thread tagged with its key and newer than the reply recorded for
        an earlier round (a failure reply before ``deskbot retry``); None if none or unreadable."""
        cursor = None
        try:
            for _page in range(5):
                page = self.client.conversations_replies(channel=job.channel, ts=job.thread_ts, limit=200,
                                                         include_all_metadata=True, cursor=cursor)
                for message in page.get("messages") or []:
                    meta = message.get("metadata") or {}
                    tagged = (meta.get("event_payload") or {}).get("job")
                    if meta.get("event_type") == REPLY_EVENT and tagged == job.key and _newer(message, job.reply_ts):
                        return str(message.get("ts"))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except (SlackApiError, OSError) as exc:
            log.info("could not read the thread of job %s (%s); replying", job.id, type(exc).__name__)
        return None

    def transient(self, job: Job, error: str) -> str:
        due = queue.retry_later(self.store, job.id, delay=self.backoff.delay(job.attempts), error=error)
        log.info("job %s failed transiently (%s); retry at %s", job.id, error, due.isoformat(timespec="seconds"))
        return "retry"

    def lost(self, job: Job, why: str) -> None:
        """A job whose capture process died. The first time it is retried at once (the OOM killer or an
        operator, most likely); again, with backoff (the link itself may crash the clipper); after the
        last attempt it is answered in the thread as failed."""
        if job.attempts >= self.backoff.attempts:
            self._fail(job, why, permanent=False)
            return
        delay = timedelta(0) if job.attempts <= 1 else self.backoff.delay(job.attempts - 1)
        queue.retry_later(self.store, job.id, delay=delay, error=why)
        log.info("job %s lost its capture process (%s); retrying", job.id, why)

    def _fail(self, job: Job, error: str | None, *, permanent: bool) -> str:
        reply_ts = None
        try:
            reply_ts = self._reply(job, lambda: blocks.failure_reply(job.url, error))
        except (SlackApiError, OSError) as exc:
            log.warning("could not post the failure reply for job %s (%s)", job.id, type(exc).__name__)
        queue.mark_failed(self.store, job.id, error=error or "failed", permanent=permanent, reply_ts=reply_ts)
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
            from bot.kb.echoes import note_echoes

            return blocks.capture_reply(note, fresh, place_url=place_url, notices=result.notices,
                                        echoes=note_echoes(self.store.conn, note.id))
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


# --------------------------------------------------------------------------- the doorbell


class Bell:
    """Wakes idle job consumers, across processes: a non-blocking pipe.

    ``ring`` writes one byte and never blocks (a full pipe already means "ring"), so the ack path can
    ring for every message. A ``multiprocessing`` Event or Condition would not do: their ``set`` /
    ``notify`` wait until each sleeper has woken — on a busy machine, the ack would wait for a niced
    capture process to be scheduled. ``wait`` returns once a ring is pending and swallows all pending
    rings; consumers ring again whenever they claim a job, so a ring swallowed by one consumer still
    wakes the next while there is work. Picklable: a spawned process gets the same pipe.
    """

    def __init__(self) -> None:
        import multiprocessing

        self._read, self._write = multiprocessing.Pipe(duplex=False)  # Connections: passed to spawned children
        os.set_blocking(self._write.fileno(), False)
        os.set_blocking(self._read.fileno(), False)

    def ring(self) -> None:
        with suppress(BlockingIOError, BrokenPipeError):
            os.write(self._write.fileno(), b"\x01")

    def wait(self, timeout: float, stop: Stop | None = None) -> bool:
        """Wait up to ``timeout`` seconds for a ring (or for ``stop``); False when the time ran out."""
        import select

        poller = select.poll()
        poller.register(self._read.fileno(), select.POLLIN)
        if stop is not None:
            poller.register(stop.fileno(), select.POLLIN)
        if not poller.poll(max(0, int(timeout * 1000))):
            return False
        with suppress(BlockingIOError):
            os.read(self._read.fileno(), 65536)
        return True

    def close(self) -> None:
        self._read.close()
        self._write.close()


class Stop:
    """A stop flag that also wakes every waiting consumer at once: a pipe that stays readable once set
    (safe to set from a signal handler)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._set = False

    def set(self) -> None:
        if not self._set:
            self._set = True
            with suppress(OSError):
                os.write(self._write, b"\x01")

    def is_set(self) -> bool:
        return self._set

    def fileno(self) -> int:
        return self._read

    def close(self) -> None:
        fds, self._read, self._write = (self._read, self._write), -1, -1
        for fd in fds:
            if fd >= 0:
                with suppress(OSError):
                    os.close(fd)


# --------------------------------------------------------------------------- a job consumer


def consume(store: Store, runner: Runner, inbox: queue.Inbox, bell: Bell, clock: Callable[[], datetime], *,
            stop: Stop, claimer: int | None = None, progress: Callable[[], None] = lambda: None) -> None:
    """One job consumer (a worker thread, or a capture process's main loop) until ``stop`` is set:
    move the inbox journal into ``jobs``, claim the next due job, run it; when there is none, sleep
    until the bell rings or the next retry is due."""
    while not stop.is_set():
        try:
            inbox.move()
            job = queue.claim_next(store, claimer=claimer)
        except Exception:  # noqa: BLE001 - a locked/broken database must not end the consumer
            log.exception("could not read the job queue")
            bell.wait(1.0, stop)
            continue
        progress()
        if job is None:
            bell.wait(_idle_timeout(store), stop)
            continue
        bell.ring()  # there may be more: wake another consumer
        try:
            runner.run(job, clock())
        finally:
            bell.ring()  # a job for the same URL may be claimable now
            progress()


def _idle_timeout(store: Store) -> float:
    try:
        due = queue.next_due(store)
    except Exception:  # noqa: BLE001
        due = None
    if due is None:
        return IDLE_POLL_SECONDS
    return max(0.0, min(IDLE_POLL_SECONDS, (due - queue.utcnow()).total_seconds()))


# --------------------------------------------------------------------------- capture processes

JOB_TIMEOUT_SECONDS = 900.0  # the fetcher has its own deadlines; this only catches a wedged process
SUPERVISE_SECONDS = 30.0  # how often the supervisor looks for a wedged job
RESPAWN_PAUSE_SECONDS = 2.0  # a process that dies right after starting is not restarted in a tight loop


@dataclass(frozen=True)
class ProcessArgs:
    """What a capture process needs to build its own store, Web API client and capture options."""

    db_path: str
    decay_table: dict[str, int]
    settings: Settings
    backoff: Backoff
    react: bool
    nice: int
    log_level: int


def _capture_process(args: ProcessArgs, bell: Bell, ready: Any) -> None:
    """A capture process's main: die with the bot, yield the CPU to it, consume jobs until SIGTERM."""
    with suppress(Exception):  # Linux: SIGKILL this process when the bot process dies (kill -9 included)
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    with suppress(OSError):
        os.nice(args.nice)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s")
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    stop = Stop()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the bot stops us itself
    from bot.app import build_client, trusted_file_host, wall_clock
    from bot.capture.pipeline import options_from_settings
    from bot.kb import aliases, echoes  # noqa: F401 - every store links echoes: load them before a job's clock runs
    from bot.store import Store

    store = Store.open(args.db_path, args.decay_table)
    runner = Runner(store, build_client(args.settings), capture_options=options_from_settings(args.settings),
                    backoff=args.backoff, trusted_file_host=trusted_file_host(args.settings), react=args.react)
    ready.release()
    consume(store, runner, queue.Inbox(store, ring=bell.ring), bell, wall_clock, stop=stop, claimer=os.getpid())
    store.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Spawner:
    """The one thread that starts every capture process. ``PR_SET_PDEATHSIG`` fires when the *thread*
    that forked a child ends, not the process; so no child may be started by a thread that can end
    before the children are gone (the supervisor returns at stop) — this one is closed last."""

    def __init__(self) -> None:
        import queue as threads_queue

        self._requests: threads_queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = threads_queue.Queue()
        self._thread = threading.Thread(target=self._run, name="deskbot-spawner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (request := self._requests.get()) is not None:
            start, done = request
            try:
                done.set_result(start())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done.set_exception(exc)

    def call(self, start: Callable[[], Any]) -> Any:
        done: Future[Any] = Future()
        self._requests.put((start, done))
        return done.result()

    def close(self) -> None:
        self._requests.put(None)
        self._thread.join(10)


class CaptureProcesses:
    """Capture processes: each consumes jobs itself (:func:`consume`: moves the inbox journal, claims,
    clips, replies), with its own store connection and Web API client; spawned, niced, dying with the bot.

    Why: finding links, extracting, summarising and building replies are CPU-bound Python. In the bot's
    process they would hold the interpreter the acks need; here the bot's process only verifies, appends
    to the journal, rings the bell and acks (``bench/slack.py``). A supervisor thread in the bot replaces
    a process that dies — its claimed job is retried (or, after the last attempt, answered as failed) —
    and kills one whose job has run longer than ``job_timeout``.
    """

    def __init__(self, db_path: str, decay_table: dict[str, int], settings: Settings, count: int, *,
                 backoff: Backoff, react: bool = True, nice: int = 10, job_timeout: float = JOB_TIMEOUT_SECONDS,
                 check_every: float = SUPERVISE_SECONDS) -> None:
        import multiprocessing

        self.args = ProcessArgs(db_path, dict(decay_table), dataclasses.replace(settings, signing_secret=None,
                                app_token=None), backoff, react, nice, logging.getLogger().getEffectiveLevel())
        self.count = max(1, count)
        self.job_timeout = job_timeout
        self.check_every = check_every
        self.bell = Bell()
        self._context = multiprocessing.get_context("spawn")
        self._ready = self._context.Semaphore(0)
        self._procs: dict[int, Any] = {}  # pid -> multiprocessing Process (changed by the supervisor)
        self._procs_lock = threading.Lock()
        self._started: dict[int, float] = {}
        self._quick_deaths = 0  # processes in a row that died right after starting
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._spawner: _Spawner | None = None
        self._wakeup, self._wake = multiprocessing.Pipe(duplex=False)  # stop() wakes the supervisor
        self._lost: Callable[[Job, str], None] = lambda job, why: None
        self._store: Store | None = None

    def start(self, store: Store, lost: Callable[[Job, str], None]) -> None:
        """Spawn the processes and the supervisor; ``lost(job, why)`` handles a dead process's job."""
        self._store = store
        self._lost = lost
        self._stopping.clear()
        while self._wakeup.poll():  # a previous stop()'s wake-up
            self._wakeup.recv_bytes()
        self._spawner = _Spawner()
        for _ in range(self.count):
            self._spawn()
        threading.Thread(target=self._announce_ready, name="deskbot-capture-ready", daemon=True).start()
        self._supervisor = threading.Thread(target=self._supervise, name="deskbot-supervisor", daemon=True)
        self._supervisor.start()

    def _spawn(self) -> None:
        assert self._spawner is not None

        def start() -> Any:
            proc = self._context.Process(target=_capture_process, args=(self.args, self.bell, self._ready),
                                         name="deskbot-capture", daemon=True)
            proc.start()
            return proc

        proc = self._spawner.call(start)
        with self._procs_lock:
            self._procs[proc.pid] = proc
            self._started[proc.pid] = time.monotonic()
            late = self._stopping.is_set()
        if late:  # stop() began meanwhile: it may have missed this one
            proc.terminate()

    def _announce_ready(self) -> None:
        for _ in range(self.count):
            if not self._ready.acquire(timeout=120):
                log.warning("capture processes are slow to start")
                return
        log.info("%d job processes ready", self.count)

    def pids(self) -> list[int]:
        with self._procs_lock:
            return list(self._procs)

    def _supervise(self) -> None:
        from multiprocessing.connection import wait

        while not self._stopping.is_set():
            with self._procs_lock:
                by_sentinel = {proc.sentinel: proc for proc in self._procs.values()}
            for sentinel in wait([*by_sentinel, self._wakeup], timeout=self.check_every):
                if self._stopping.is_set() or sentinel is self._wakeup:
                    return
                try:
                    self._replace(by_sentinel[sentinel])  # type: ignore[index]
                except Exception:  # noqa: BLE001 - e.g. no process could be started: try again next round
                    log.exception("could not replace a capture process")
            try:
                self._check()
            except Exception:  # noqa: BLE001 - a locked database…: look again next round
                log.exception("could not check the capture processes")

    def _check(self) -> None:
        """Start missing processes; kill wedged ones; give back jobs held by a pid that is not ours."""
        assert self._store is not None
        while len(self.pids()) < self.count and not self._stopping.is_set():
            self._spawn()
        for pid in queue.overdue_claimers(self._store, timedelta(seconds=self.job_timeout)):
            with self._procs_lock:
                wedged = self._procs.get(pid)
            if wedged is not None:
                log.warning("capture process %d has run one job for over %.0f s; replacing it", pid, self.job_timeout)
                wedged.kill()
        for pid in queue.claimers(self._store):
            if pid not in self.pids() and not _alive(pid):  # died, and handing its jobs back failed then
                self._release(pid, "the capture process stopped")

    def _release(self, pid: int, why: str) -> None:
        assert self._store is not None
        for job in queue.claimed(self._store, pid):
            self._lost(job, why)

    def _replace(self, proc: Any) -> None:
        proc.join(1)
        pid = proc.pid
        with self._procs_lock:
            self._procs.pop(pid, None)
            lived = time.monotonic() - self._started.pop(pid, time.monotonic())
        log.warning("capture process %d stopped (exit code %s); starting another", pid, proc.exitcode)
        self._release(pid, f"the capture process stopped (exit code {proc.exitcode})")
        # One that dies right after starting (a broken database file…) is restarted after a pause that
        # doubles each time, up to a minute, rather than in a tight loop.
        self._quick_deaths = self._quick_deaths + 1 if lived < RESPAWN_PAUSE_SECONDS else 0
        pause = min(60.0, RESPAWN_PAUSE_SECONDS * 2 ** (self._quick_deaths - 1)) if self._quick_deaths else 0.0
        if self._stopping.wait(pause):
            return
        self._spawn()
        self.bell.ring()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: each process finishes its job (up to ``timeout``), then is killed; pending jobs stay."""
        self._stopping.set()
        with suppress(OSError):
            self._wake.send_bytes(b"stop")
        deadline = time.monotonic() + timeout
        if self._supervisor is not None:  # first, so that it starts no process after the snapshot below
            self._supervisor.join(max(0.0, deadline - time.monotonic()))
            self._supervisor = None
        with self._procs_lock:
            procs = list(self._procs.values())
        for proc in procs:
            with suppress(Exception):
                proc.terminate()
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(1)
        with self._procs_lock:
            self._procs.clear()
            self._started.clear()
        if self._spawner is not None:  # last: the children die with the thread that started them
            self._spawner.close()
            self._spawner = None


# --------------------------------------------------------------------------- the worker


class Worker:
    """Consumes capture jobs: in :class:`CaptureProcesses` (production) or in threads of this process
    (tests inject capture options and a clock). ``inbox`` is the journal listeners write to; tests
    await ``wait_idle()``.
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
        processes: CaptureProcesses | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.threads = max(1, threads)
        self.backoff = backoff or Backoff()
        self.processes = processes
        self.runner = Runner(store, client, capture_options=capture_options, backoff=self.backoff,
                             trusted_file_host=trusted_file_host or (lambda netloc: False), react=react)
        self.bell = processes.bell if processes is not None else Bell()
        self.inbox = queue.Inbox(store, ring=self.bell.ring)
        self._progress = threading.Condition()
        self._stop: Stop | None = None  # made by start(), closed by stop()
        self._threads: list[threading.Thread] = []
        self._started = False

    def start(self) -> None:
        """Resume jobs a dead process left running, then start the consumers. Idempotent."""
        if self._started:
            return
        self._started = True
        resumed = queue.resume(self.store)
        queue.prune_seen(self.store)
        if resumed:
            log.info("resuming %d interrupted capture job(s)", resumed)
        self._stop = Stop()
        if self.processes is not None:
            self.processes.start(self.store, self.runner.lost)
            return
        for n in range(self.threads):
            thread = threading.Thread(target=self._consume, args=(self._stop,), name=f"deskbot-worker-{n}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def _consume(self, stop: Stop) -> None:
        consume(self.store, self.runner, queue.Inbox(self.store, ring=self.bell.ring), self.bell, self.clock,
                stop=stop, progress=self._notify)

    def _notify(self) -> None:
        with self._progress:
            self._progress.notify_all()

    def stop(self, timeout: float = 10.0) -> None:
        """Let running jobs finish (up to ``timeout``); pending jobs and journal lines stay for the next start."""
        if self._stop is not None:
            self._stop.set()
        if self.processes is not None and self._started:
            self.processes.stop(timeout)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        lingering = any(t.is_alive() for t in self._threads)
        self._threads = []
        if self._stop is not None and not lingering:  # a thread still in a job keeps polling its pipe
            self._stop.close()
        self._stop = None
        self.inbox.close()
        self._started = False

    def wake(self) -> None:
        """Something was enqueued or re-queued: wake a consumer."""
        self.bell.ring()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is journaled, pending or running (retries included). For tests and shutdowns."""
        deadline = time.monotonic() + timeout
        with self._progress:
            while True:
                if not self.inbox.pending() and queue.open_count(self.store) == 0:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                # consumer threads notify after each step; processes cannot, so re-check often
                self._progress.wait(min(left, 0.5 if self.processes is None else 0.05))
