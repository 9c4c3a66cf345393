"""The HTTP edge (issue 13, row 9): oversized, unsigned, stale, malformed or unparseable requests are
refused with 413/401/400 before Bolt sees them — the size before one byte of the body is read — and
never with a 500 or a traceback."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from bot.server import MAX_BODY_BYTES, wsgi_app
from tests.fakes import http
from tests.fakes.bolt_server import serve_wsgi
from tests.fakes.signing import json_body, sign, signed_headers, url_verification
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import SECRET, envelope, link_event, running_bot


@pytest.fixture
def bot(tmp_path):
    with FakeSlackAPI() as fake, running_bot(fake, tmp_path) as running:
        yield running


def _status_line(sock: socket.socket) -> bytes:
    got = b""
    while b"\r\n" not in got:
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got.split(b"\r\n", 1)[0]


def test_a_200_mb_post_is_refused_from_its_headers_without_reading_the_body(bot):
    """Only the headers and 64 KB are sent: the 413 must come without the other 199.9 MB."""
    host, port = bot.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % (200 * 1024 * 1024) + b"{" + b" " * 65535)
        assert _status_line(sock).startswith(b"HTTP/1.1 413")


def test_the_app_itself_refuses_an_oversized_body_whatever_the_server(bot):
    """Behind a server without a body limit, the app checks Content-Length before reading."""
    with serve_wsgi(wsgi_app(bot.app)) as base:
        body = b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}"
        status, _, out = http.post(base + "/slack/events", body, signed_headers(SECRET, body), timeout=20)
    assert status == 413 and b"body over" in out
    assert bot.store.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "-5", "12.5", "", "99999999999999999999"])
def test_malformed_timestamp_is_400_or_401_without_a_traceback(bot, caplog, timestamp):
    body = json_body(url_verification())
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": sign(SECRET, timestamp, body)}
    with caplog.at_level(logging.DEBUG):
        status, _, _ = http.post(bot.url, body, headers)
    assert status == (401 if timestamp == "" else 400)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_stale_and_future_timestamps_are_refused_before_the_body_is_read(bot):
    body = json_body(url_verification())
    for offset in (-301, 301):
        assert bot.post(body, timestamp=int(time.time()) + offset).status == 401
    assert bot.post(body, timestamp=int(time.time()) + 10).status == 200


@pytest.mark.parametrize("body", [
    b"{not json",
    b"\xff\xfe{}",
    b"payload=%7Bbroken",
    b"payload=%5B1%5D",
    b'{"type": "event_callback", "event": ' + b"[" * 5000 + b"]" * 5000 + b"}",
])
def test_a_signed_but_unparseable_body_is_400_without_a_traceback(bot, caplog, body):
    with caplog.at_level(logging.DEBUG):
        reply = bot.post(body)
    assert reply.status == 400, reply.body
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert bot.store.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


def test_unsigned_and_half_signed_requests_are_401(bot):
    body = json_body(envelope(link_event("https://example.org/a")))
    stamp = str(int(time.time()))
    for headers in ({}, {"X-Slack-Request-Timestamp": stamp}, {"X-Slack-Signature": sign(SECRET, stamp, body)}):
        status, _, _ = http.post(bot.url, body, {"Content-Type": "application/json", **headers})
        assert status == 401
    assert bot.post(body).status == 200  # the same body, signed: accepted


def test_health_is_still_answered(bot):
    with serve_wsgi(wsgi_app(bot.app)) as base:
        status, _, out = http.get(base + "/healthz")
    assert (status, out) == (200, b"ok")
