"""Job consumers: move the inbox journal into the ``jobs`` table, claim due jobs (``bot.slack.queue``) and
run each with a :class:`~bot.slack.runner.Runner`.

In production each consumer is a capture process (``bot.slack.processes``), so finding links, clipping and
building replies never hold the interpreter the acks need; with injected capture options (tests, and the
same factories users call) consumers are threads of the bot. No broker: SQLite is the queue, and a
recorded job survives any crash.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.kb.now import naive_utc_now
from bot.slack import inbox, queue
from bot.slack.runner import Backoff, Runner

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.capture.pipeline import CaptureOptions
    from bot.kb.store import Store

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 30.0  # also picks up jobs re-queued by another process (`deskbot retry`)


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


def consume(store: Store, runner: Runner, inbox: inbox.Inbox, bell: Bell, clock: Callable[[], datetime], *,
            stop: Stop, claimer: int | None = None) -> None:
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
        if job is None:
            bell.wait(_idle_timeout(store), stop)
            continue
        bell.ring()  # there may be more: wake another consumer
        try:
            runner.run(job, clock())
        finally:
            bell.ring()  # a job for the same URL may be claimable now


def _idle_timeout(store: Store) -> float:
    try:
        due = queue.next_due(store)
    except Exception:  # noqa: BLE001
        due = None
    if due is None:
        return IDLE_POLL_SECONDS
    return max(0.0, min(IDLE_POLL_SECONDS, (due - naive_utc_now()).total_seconds()))


# --------------------------------------------------------------------------- capture processes


class ProcessPool(Protocol):
    """What a :class:`Worker` needs of its capture processes (``bot.slack.processes.CaptureProcesses``)."""

    bell: Bell

    def start(self, store: Store, lost: Callable[..., Any]) -> None: ...

    def stop(self, timeout: float) -> None: ...


class Worker:
    """Consumes capture jobs: in capture processes (production) or in threads of this process
    (tests inject capture options and a clock). ``inbox`` is the journal listeners write to; ``bell``
    wakes the consumers (the processes' own, else the one given, else a new one).
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
        processes: ProcessPool | None = None,
        bell: Bell | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.threads = max(1, threads)
        self.backoff = backoff or Backoff()
        self.processes = processes
        self.runner = Runner(store, client, capture_options=capture_options, backoff=self.backoff,
                             trusted_file_host=trusted_file_host or (lambda netloc: False), react=react)
        self.bell = processes.bell if processes is not None else bell or Bell()
        self.inbox = inbox.Inbox(store, ring=self.bell.ring)
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
        consume(self.store, self.runner, inbox.Inbox(self.store, ring=self.bell.ring), self.bell, self.clock,
                stop=stop)

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
