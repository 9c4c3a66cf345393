"""Polite concurrent fetching for bulk clipping (a backfill): at most ``per_host`` requests in flight
per host, and a site that answers 429 (or 503) with ``Retry-After`` gets no request from us until then.

Why a wrapper around the fetcher and not a queue per host: the clip pool's threads each own one link
from claim to store; a thread whose host is busy waits here for a slot (the others keep clipping
other hosts), which keeps a job's whole life in one place (``bot.slack.runner.Runner``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from bot.capture.fetch import HTTPStatusError

RETRY_STATUSES = frozenset({429, 503})


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


class HostGate:
    """Wraps a fetcher (``fetch(url, **kw)``): per-host concurrency cap and ``Retry-After`` holds.

    A 429/503 with ``Retry-After`` up to ``max_wait`` seconds holds the host and the fetch is tried again
    (``retries`` times); a longer wait, or none given, is raised as the transient error it is, so the
    job queue retries the link later with its backoff.
    """

    def __init__(self, fetcher: Callable[..., Any], *, per_host: int = 2, max_wait: float = 120.0,
                 retries: int = 2, clock: Callable[[], float] = time.monotonic) -> None:
        self.fetcher = fetcher
        self.per_host = max(1, per_host)
        self.max_wait = max_wait
        self.retries = retries
        self.clock = clock
        self._cond = threading.Condition()
        self._in_flight: dict[str, int] = {}
        self._held_until: dict[str, float] = {}
        self.peak: dict[str, int] = {}  # most requests seen in flight per host (for the bench and logs)

    def __call__(self, url: str, **kwargs: Any) -> Any:
        host = (urlsplit(url).hostname or "").lower()
        for attempt in range(self.retries + 1):
            with self._slot(host):
                try:
                    return self.fetcher(url, **kwargs)
                except HTTPStatusError as exc:
                    wait = retry_after_seconds(exc.retry_after) if exc.status in RETRY_STATUSES else None
                    if wait is None or wait > self.max_wait or attempt == self.retries:
                        raise
                    self._hold(host, wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _hold(self, host: str, seconds: float) -> None:
        with self._cond:
            until = self.clock() + seconds
            self._held_until[host] = max(until, self._held_until.get(host, 0.0))
            self._cond.notify_all()

    @contextmanager
    def _slot(self, host: str) -> Any:
        with self._cond:
            while True:
                held = self._held_until.get(host, 0.0) - self.clock()
                if held <= 0 and self._in_flight.get(host, 0) < self.per_host:
                    break
                self._cond.wait(held if held > 0 else None)
            self._in_flight[host] = self._in_flight.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self._in_flight[host])
        try:
            yield
        finally:
            with self._cond:
                self._in_flight[host] -= 1
                self._cond.notify_all()
