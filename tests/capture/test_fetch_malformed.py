"""Answers and names no retry can fix are permanent failures (issue 13, row 12): a host label over 63
characters, more than 100 response headers, an impossible status like 999. A dropped connection stays
transient. The answers come from a raw socket server on 127.0.0.1 that writes exactly the bytes given."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.capture.fetch import Allowlist, ConnectionFailed, FetchError, HTTPStatusError, Refused, fetch

LOCAL = Allowlist.from_env("127.0.0.1")
PAGE = b"<html><body><p>Hello.</p></body></html>"


@contextmanager
def raw_answer(answer: bytes) -> Iterator[str]:
    """A server that accepts one connection, reads the request, writes ``answer`` as it is and closes."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:  # closed without a connection: the test needed none
            return
        with conn:
            conn.recv(65536)
            conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/page"
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes a pending accept()
        server.close()
        thread.join(5)


def _ok_head(extra: bytes = b"") -> bytes:
    return (b"Content-Type: text/html\r\nContent-Length: %d\r\n" % len(PAGE)) + extra + b"\r\n" + PAGE


def test_status_999_is_permanent():
    with raw_answer(b"HTTP/1.1 999 Whatever\r\n" + _ok_head()) as url, pytest.raises(HTTPStatusError) as caught:
        fetch(url, allow=LOCAL)
    assert caught.value.status == 999 and caught.value.permanent


@pytest.mark.parametrize("status", [500, 503, 599, 429])
def test_real_server_errors_stay_transient(status):
    with raw_answer(b"HTTP/1.1 %d Oops\r\n" % status + _ok_head()) as url, pytest.raises(HTTPStatusError) as caught:
        fetch(url, allow=LOCAL)
    assert not caught.value.permanent


def test_more_than_100_headers_is_permanent():
    headers = b"".join(b"X-Filler-%d: x\r\n" % n for n in range(150))
    with raw_answer(b"HTTP/1.1 200 OK\r\n" + _ok_head(headers)) as url, pytest.raises(ConnectionFailed) as caught:
        fetch(url, allow=LOCAL)
    assert caught.value.permanent and "malformed" in str(caught.value)


def test_a_header_line_over_64_kb_is_permanent():
    with raw_answer(b"HTTP/1.1 200 OK\r\nX-Long: " + b"x" * 70_000 + b"\r\n" + _ok_head()) as url, \
            pytest.raises(ConnectionFailed) as caught:
        fetch(url, allow=LOCAL)
    assert caught.value.permanent


def test_a_connection_closed_before_the_answer_stays_transient():
    with raw_answer(b"") as url, pytest.raises(ConnectionFailed) as caught:
        fetch(url, allow=LOCAL)
    assert not caught.value.permanent


@pytest.mark.parametrize("host", ["a" * 64 + ".example.org", "x." + "b" * 200 + ".example.org",
                                  ".".join(["abcdefgh"] * 40) + ".org"])
def test_host_names_dns_cannot_carry_are_refused_permanently_without_a_lookup(host):
    def resolver(*args, **kwargs):
        raise AssertionError("no lookup for a name DNS cannot carry")

    with pytest.raises(FetchError) as caught:
        fetch(f"https://{host}/x", resolver=resolver)
    assert isinstance(caught.value, Refused) and caught.value.permanent
