"""The capture budget: a forked child under RLIMIT_CPU / RLIMIT_AS; what it returns, raises, and where it stops."""

from __future__ import annotations

import os
import signal

import pytest

from bot.capture.budget import MB, Budget, BudgetExceeded, run_within
from bot.capture.extract import ExtractionError


def _spin() -> None:
    while True:
        pass


def _hoard() -> None:
    chunks = []
    while True:
        chunks.append(bytearray(8 * MB))


def test_the_value_comes_back_from_the_child_with_its_usage():
    outcome = run_within(Budget(), lambda: {"pid": os.getpid(), "text": "x" * 1000})
    assert outcome.value["pid"] != os.getpid() and outcome.value["text"] == "x" * 1000
    assert outcome.usage.cpu_seconds >= 0 and outcome.usage.peak_rss_bytes > 0


def test_cpu_over_budget_is_stopped_by_the_os():
    with pytest.raises(BudgetExceeded) as caught:
        run_within(Budget(cpu_seconds=1), _spin)
    assert caught.value.reason == "it needs more than 1 s of CPU time"
    assert caught.value.user_text().startswith("this page is too large / too complex to clip: ")
    assert 0.5 <= caught.value.usage.cpu_seconds < 3  # SIGXCPU at 1 s (tick accounting), SIGKILL at 2 s at the latest


def test_memory_over_budget_is_refused_by_the_os():
    with pytest.raises(BudgetExceeded) as caught:
        run_within(Budget(memory_bytes=64 * MB), _hoard)
    assert caught.value.reason == "it needs more than 64 MB of memory"


def test_exceptions_of_the_work_are_raised_as_themselves():
    def broken() -> None:
        raise ExtractionError("could not read PDF: it is password-protected")

    with pytest.raises(ExtractionError, match="password-protected"):
        run_within(Budget(), broken)


def test_the_caller_carries_on_after_a_child_was_stopped():
    with pytest.raises(BudgetExceeded):
        run_within(Budget(cpu_seconds=1), _spin)
    assert run_within(Budget(), lambda: 41 + 1).value == 42


def test_a_child_that_crashes_is_a_permanent_failure_that_says_so():
    def crash() -> None:
        os.kill(os.getpid(), signal.SIGSEGV)

    with pytest.raises(BudgetExceeded) as caught:
        run_within(Budget(), crash)
    assert caught.value.reason == f"the clipper crashed on it (signal {int(signal.SIGSEGV)})"
