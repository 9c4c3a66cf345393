"""Capture processes and their supervisor: ``deskbot serve``/``run`` run jobs in separate, niced processes,
one spawner thread starts them (``PR_SET_PDEATHSIG`` is per thread), and a supervisor replaces a process
that dies or wedges and retries its job (docs/decisions.md, "The Slack app")."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.kb.dblock import process_alive
from bot.slack import inbox, queue
from bot.slack.queue import Job
from bot.slack.runner import Backoff, Runner
from bot.slack.worker import Bell, Stop, consume

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.kb.store import Store

log = logging.getLogger(__name__)

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
    from bot.capture.echo_judge import echo_judge_from_env
    from bot.capture.pipeline import options_from_settings, warm_up
    from bot.kb import aliases, echoes  # noqa: F401 - every store links echoes: load them before a job's clock runs
    from bot.kb.store import Store
    from bot.slack.runtime import build_client, trusted_file_host, wall_clock

    store = Store.open(args.db_path, args.decay_table, echo_judge=echo_judge_from_env())  # checked at bot start
    runner = Runner(store, build_client(args.settings), capture_options=options_from_settings(args.settings),
                    backoff=args.backoff, trusted_file_host=trusted_file_host(args.settings), react=args.react)
    warm_up()  # the extractors' imports and caches, before a job's clock (and its wedge timeout) runs
    ready.release()
    consume(store, runner, inbox.Inbox(store, ring=bell.ring), bell, wall_clock, stop=stop, claimer=os.getpid())
    store.close()


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
            if pid not in self.pids() and not process_alive(pid):  # died, and handing its jobs back failed then
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
