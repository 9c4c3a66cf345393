"""One bot and one clock per database: an exclusive ``flock`` held for the life of the process.

Why: two ``deskbot serve`` on one file (an overlapping deploy, a forgotten terminal) each resumed the
other's running jobs at start and both consumed the queue, so every link was fetched and answered
twice. SQLite's own locks cannot say "a bot is alive"; a kernel lock can, and the kernel drops it when
the process dies however it dies (``kill -9`` included), so a stale lock never blocks a restart.

Two roles, two files beside the database: ``<db>.lock`` (the job consumers: ``serve``/``run``) and
``<db>.clock.lock`` (reminders and the digest: ``serve``/``run`` without ``--no-clock``, or
``deskbot clock``). So ``serve --no-clock`` + ``deskbot clock`` is allowed, two of either is not.
The file's text names the holder for the refusal message; the lock, not the text, is what counts.
"""

from __future__ import annotations

import fcntl
import os

from bot.kb.now import utc_now

BOT, CLOCK = "bot", "clock"


class AlreadyRunning(Exception):
    """Another live process holds this database's lock for the same role."""


class HeldLock:
    """A held lock; :meth:`release` (or process exit) gives it back."""

    def __init__(self, fd: int, path: str) -> None:
        self.fd: int | None = fd
        self.path = path

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the only descriptor drops the flock
            self.fd = None


def lock_path(db_path: str, role: str) -> str:
    """``<db>.lock`` or ``<db>.clock.lock``, from the database's real path (``./x.db`` and ``/abs/x.db``
    and a symlink to it are one database)."""
    real = os.path.realpath(db_path)
    return f"{real}.lock" if role == BOT else f"{real}.{role}.lock"


def hold(db_path: str, role: str, command: str) -> HeldLock | None:
    """Take the role's lock without waiting, or raise :class:`AlreadyRunning` naming the holder.
    None for an in-memory database (nothing to share)."""
    if db_path == ":memory:":
        return None
    path = lock_path(db_path, role)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or "a process that is starting"
        os.close(fd)
        what = "bot (job queue)" if role == BOT else "clock (reminders and digest)"
        hint = "" if role == BOT else "; run this one with --no-clock, or stop the other clock"
        raise AlreadyRunning(f"another deskbot {what} is already running on {db_path}: {holder}. "
                             f"Stop it first{hint} (lock: {path})") from None
    except BaseException:
        os.close(fd)
        raise
    since = utc_now().isoformat(timespec="seconds")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} (`deskbot {command}`, since {since})\n".encode(), 0)
    return HeldLock(fd, path)





def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user counts): a claimer still at work."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
