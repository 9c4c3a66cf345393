"""The inbox journal in front of the jobs table: the ack path's only write.

The ack path must not wait for SQLite's single write lock, which a capture
(storing a note with its full-text index) can hold for milliseconds, nor spend its time finding
links. So a listener appends the message event as one JSON line to ``<database>.inbox`` (an
``O_APPEND`` write of a few µs; in the OS page cache, so it survives a process crash like a WAL commit
with ``synchronous=NORMAL``) and acks; a job consumer moves the lines into ``jobs`` — finding each
message's links then — in one transaction moments later. Lines left by a crash are moved on the
next start.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.slack.message_jobs import job_specs
from bot.slack.queue import JobSpec, enqueue

if TYPE_CHECKING:
    from bot.kb.store import Store

log = logging.getLogger(__name__)


def _read_lines(text: str) -> list[tuple[list[JobSpec], str | None, str]]:
    """Journal lines → (jobs, event id, the line). A line holds a message event (``m``) whose jobs are
    found now."""
    entries = []
    for line in text.splitlines():
        try:  # a torn last line (power loss mid-write) is skipped; Slack retries that event
            data = json.loads(line)
            specs = job_specs(data["m"])
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
    meanwhile (it wakes the consumers). The journal lives beside the database file, so the bot needs one
    (``create_app`` refuses an in-memory store).
    """

    def __init__(self, store: Store, ring: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.ring = ring
        self.path = Path(store.path).expanduser().with_name(Path(store.path).name + ".inbox")
        self._lock = threading.Lock()  # this process's appends share one open file
        self._fd: int | None = None

    @property
    def _moving(self) -> Path:
        return self.path.with_name(self.path.name + "-moving")

    def put(self, event: dict[str, Any], event_id: str | None) -> None:
        """Record a message event before the ack. Raises on a full disk (Bolt answers 500, Slack retries)."""
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
        assert self._fd is not None
        mine = os.fstat(self._fd)
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (named.st_ino, named.st_dev) == (mine.st_ino, mine.st_dev)

    def move(self) -> int:
        """Move every journaled event into ``jobs``; returns the new jobs' count. If another consumer is
        moving, returns 0 at once (it rings again if lines arrived after its last look)."""
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
        """Are there journaled events not moved yet?

        The journal is looked at before the ``-moving`` file: a mover renames the one into the other, so
        looking the other way round could miss a rename made between the two looks and answer "nothing
        pending" while the lines are neither in the journal nor in ``jobs`` yet."""
        try:
            if self.path.stat().st_size > 0:
                return True
        except FileNotFoundError:
            pass
        return self._moving.exists()

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
