"""A budget for every capture: CPU time and memory the OS enforces, in a child forked for the job.

Why a fork and not a check afterwards: the quadratic or explosive work we worry about runs inside C
(lxml's attribute checks, a regex, zlib, pypdf's content streams), where no Python timer can interrupt
it. The child gets ``RLIMIT_CPU`` (SIGXCPU, then SIGKILL one second later) and ``RLIMIT_AS`` (allocations
fail past the ceiling, a ``MemoryError``), so a hostile page costs at most its own budget and the
process that asked — a capture process, ``deskbot ingest`` — carries on. A fork (not a fresh
interpreter) costs ~1–5 ms and inherits the warm imports and caches, so ordinary pages keep their speed.

The wall-clock limit is only a net for a child that waits on something forever; CPU and memory are
the budget. Work that hits it raises :class:`BudgetExceeded`, whose text ends the sentence
"this page is too large / too complex to clip: …"; a queue must not retry it (it would hit it again).
"""

from __future__ import annotations

import gc
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MB = 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """What one capture may use: CPU seconds, extra memory (address space) and a wall-clock net."""

    cpu_seconds: int = 10
    memory_bytes: int = 512 * MB
    wall_seconds: float = 300.0  # a net only: fetches and LLM calls have their own deadlines


@dataclass(frozen=True)
class Usage:
    """What the child used: CPU seconds (user + system) and its peak resident memory (as the kernel counts it)."""

    cpu_seconds: float
    peak_rss_bytes: int


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T
    usage: Usage


class BudgetExceeded(Exception):
    """The work needed more than its budget; ``str()`` says which limit, for the user."""

    def __init__(self, reason: str, usage: Usage | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage

    def user_text(self) -> str:
        return f"this page is too large / too complex to clip: {self.reason}"


class ChildStuck(Exception):
    """The child waited past the wall-clock net without using its CPU: a hang, not a costly input (transient)."""


class _ChildFailed(Exception):
    """The child raised something that could not be sent back as itself."""


def _vm(field: str) -> int:
    """``VmSize`` (address space) or ``VmData`` (private writable memory) already held: the limits count
    what the process inherited, so the budget comes on top of it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _limit_self(budget: Budget) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    soft = max(1, int(budget.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    # RLIMIT_AS alone is not enough: malloc arenas of threads the parent had reserve 64 MB of address space
    # each and commit it by mprotect, which RLIMIT_AS does not see; RLIMIT_DATA counts the committed part.
    for limit, field in ((resource.RLIMIT_AS, "VmSize"), (resource.RLIMIT_DATA, "VmData")):
        ceiling = _vm(field) + budget.memory_bytes
        resource.setrlimit(limit, (ceiling, ceiling))


def _child(budget: Budget, work: Callable[[], T], write_fd: int) -> None:
    """In the forked child: limit ourselves, run, send ("ok", value) | ("memory",) | ("error", exc)."""
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        gc.freeze()  # the parent's objects: a collection here would touch (and copy) every page of them
        _limit_self(budget)
        try:
            message: tuple = ("ok", work())
        except MemoryError:
            message = ("memory",)
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which re-raises it
            message = ("error", exc)
        try:
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("memory",))
        except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
            data = pickle.dumps(("error", _ChildFailed(f"{type(message[-1]).__name__}: {exc}")))
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view) :]
    except MemoryError:
        code = 3
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 4
    finally:
        os._exit(code)


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe; None when the wall-clock net runs out."""
    chunks: list[bytes] = []
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if not poller.poll(int(left * 1000) + 1):
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_within(budget: Budget, work: Callable[[], T]) -> Outcome[T]:
    """Run ``work()`` in a forked child under ``budget``; its return value (pickled back) and usage.

    An exception ``work`` raises is raised here (the same class when it pickles); running out of CPU or
    memory raises :class:`BudgetExceeded`. ``work`` must not use the parent's open database connections.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_fd)
        _child(budget, work, write_fd)
    os.close(write_fd)
    data: bytes | None = None
    try:
        data = _read_all(read_fd, time.monotonic() + budget.wall_seconds)
    finally:  # whatever happens here (the net ran out, an interrupt), the child is ended and reaped
        os.close(read_fd)
        if data is None:
            os.kill(pid, signal.SIGKILL)
        _, status, rusage = os.wait4(pid, 0)
    usage = Usage(rusage.ru_utime + rusage.ru_stime, int(rusage.ru_maxrss) * 1024)
    if data is None:
        if usage.cpu_seconds < budget.cpu_seconds / 2:  # it waited, it did not work: not the input's fault
            raise ChildStuck(f"the clipper was stuck for {budget.wall_seconds:g} s (retrying)")
        raise BudgetExceeded(f"it was still running after {budget.wall_seconds:g} s", usage)
    signalled = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if signalled == signal.SIGXCPU or (signalled == signal.SIGKILL and usage.cpu_seconds >= budget.cpu_seconds):
        raise BudgetExceeded(f"it needs more than {budget.cpu_seconds} s of CPU time", usage)
    if signalled == signal.SIGKILL:  # the kernel's OOM killer: the machine ran out first
        raise BudgetExceeded("it needs more memory than the machine has free", usage)
    try:
        message = pickle.loads(data) if data else ("crash",)
    except Exception as exc:  # noqa: BLE001 - an exception class that does not unpickle
        message = ("error", _ChildFailed(f"the clipper failed ({type(exc).__name__})"))
    if message[0] == "memory" or (message[0] == "crash" and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3):
        raise BudgetExceeded(f"it needs more than {budget.memory_bytes // MB} MB of memory", usage)
    if message[0] == "error":
        if isinstance(message[1], BudgetExceeded) and message[1].usage is None:  # an input cap, hit in the child
            message[1].usage = usage
        raise message[1]
    if message[0] == "ok":
        return Outcome(message[1], usage)
    how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit code {os.WEXITSTATUS(status)}"
    raise BudgetExceeded(f"the clipper crashed on it ({how})", usage)
