"""HostGate: at most two requests in flight per host, and a site's 429 Retry-After holds that host —
measured at a real local server."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import pytest

from bot.capture.fetch import Allowlist, HTTPStatusError, fetch
from bot.capture.politeness import HostGate, retry_after_seconds
from tests.fakes.web import QuietHandler, loopback_server

LOCAL = Allowlist.from_env("127.0.0.1")


class Server:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.in_flight = 0
        self.peak = 0
        self.arrived: list[tuple[str, float]] = []
        self.release = threading.Event()
        self.limited: dict[str, str] = {}  # path -> Retry-After to answer once with a 429


@pytest.fixture
def server():
    state = Server()

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            with state.cond:
                state.in_flight += 1
                state.peak = max(state.peak, state.in_flight)
                state.arrived.append((self.path, time.monotonic()))
                state.cond.notify_all()
                retry_after = state.limited.pop(self.path, None)
            if retry_after is None and self.path.startswith("/held/"):
                state.release.wait(20)
            status, body = (429, b"slow down") if retry_after is not None else (200, b"<html><p>ok</p></html>")
            with suppress(OSError):
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.end_headers()
                self.wfile.write(body)
            with state.cond:
                state.in_flight -= 1

    with loopback_server(Handler) as base:
        state.base = base  # type: ignore[attr-defined]
        yield state
        state.release.set()


def test_no_more_than_two_requests_in_flight_per_host(server):
    gate = HostGate(fetch, per_host=2)
    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(gate, f"{server.base}/held/{n}", allow=LOCAL) for n in range(6)]
        with server.cond:  # two arrive and are held; the four others wait in the gate, not at the server
            assert server.cond.wait_for(lambda: server.in_flight == 2, timeout=10)
        assert len(server.arrived) == 2
        server.release.set()
        assert all(f.result(20).status == 200 for f in futures)
    assert server.peak == 2 and gate.peak == {"127.0.0.1": 2}


def test_a_429_with_retry_after_holds_the_host_then_fetches_again(server):
    server.limited["/a"] = "1"
    gate = HostGate(fetch, per_host=2)
    fetched = gate(f"{server.base}/a", allow=LOCAL)
    assert fetched.status == 200
    (first, t0), (again, t1) = server.arrived
    assert first == again == "/a" and t1 - t0 >= 1.0


def test_a_wait_longer_than_allowed_is_the_queues_transient_failure(server):
    server.limited["/a"] = "3600"
    with pytest.raises(HTTPStatusError) as raised:
        HostGate(fetch, max_wait=120)(f"{server.base}/a", allow=LOCAL)
    assert raised.value.status == 429 and not raised.value.permanent
    assert len(server.arrived) == 1


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
