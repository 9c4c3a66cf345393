"""Run the bot: HTTP (``deskbot serve``, waitress) or Socket Mode (``deskbot run``), plus the worker
threads and, unless disabled, the clock — all in one process, the one that owns the SQLite file.

Why waitress: a pure-Python production WSGI server (Bolt's ``app.start()`` is a development server).
Bolt's WSGI adapter verifies every request's signature before any listener runs.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from bot.slack.app import DeskbotApp

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted (Slack's payloads are well under 1 MB). waitress refuses a larger
``Content-Length`` (or chunked body) with 413 before reading it, and :func:`wsgi_app` checks again."""
SIGNATURE_MAX_AGE_SECONDS = 300  # Slack's own rule for replayed requests


def wsgi_app(app: DeskbotApp, path: str = EVENTS_PATH, *,
             now: Callable[[], float] | None = None) -> WSGIApplication:
    """Bolt's WSGI handler at ``path`` (events, slash commands and interactivity) plus ``/healthz``,
    behind :func:`refuse_early`: nothing unsigned, oversized or unparseable reaches Bolt."""
    import time

    from slack_bolt.adapter.wsgi import SlackRequestHandler

    bolt = SlackRequestHandler(app, path=path)
    secret = app.deps.settings.signing_secret or ""
    clock = now or time.time

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            return _plain(start_response, 200, "ok")
        if environ.get("PATH_INFO") == path and environ.get("REQUEST_METHOD") == "POST" and secret:
            refusal = refuse_early(environ, secret, clock())
            if refusal is not None:
                status, why = refusal
                log.info("refused a request to %s: %d %s", path, status, why)
                return _plain(start_response, status, why)
        return bolt(environ, start_response)

    return application


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}


def _plain(start_response: StartResponse, status: int, text: str) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(f"{status} {_REASONS[status]}", [("Content-Type", "text/plain; charset=utf-8"),
                                                    ("Content-Length", str(len(body)))])
    return [body]


def refuse_early(environ: WSGIEnvironment, secret: str, now: float) -> tuple[int, str] | None:
    """Why a POST must not reach Bolt — ``(status, reason)`` — or None (then ``wsgi.input`` holds the
    body again, already read and checked). Order matters: size and headers are checked before one byte
    of the body is read; the body is parsed only once its signature is right. Bolt builds its request
    (decoding and parsing the body) *before* verifying the signature, so without this an unsigned
    200 MB POST was read in full and parsed, and a malformed one answered 500 with a traceback."""
    import hashlib
    import hmac
    import io

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 400, "bad Content-Length"
    if length > MAX_BODY_BYTES:
        return 413, f"body over {MAX_BODY_BYTES} bytes"
    stamp, signature = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("HTTP_X_SLACK_SIGNATURE")
    if not stamp or not signature:
        return 401, "unsigned request"
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return 400, "malformed X-Slack-Request-Timestamp"
    if abs(now - int(stamp)) > SIGNATURE_MAX_AGE_SECONDS:
        return 401, "stale or future X-Slack-Request-Timestamp"
    body = environ["wsgi.input"].read(length) if length else b""
    expected = "v0=" + hmac.new(secret.encode("utf-8"), b"v0:" + stamp.encode() + b":" + body,
                                hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return 401, "bad signature"
    if not _parses(body, str(environ.get("CONTENT_TYPE") or "")):
        return 400, "unparseable body"
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return None


def _parses(body: bytes, content_type: str) -> bool:
    """Whether Bolt can build a request from ``body``: UTF-8, and — the way Bolt reads it — a JSON object
    or a form (whose ``payload`` field, if any, is a JSON object)."""
    import json
    from urllib.parse import parse_qsl

    try:
        text = body.decode("utf-8")
        if not text:
            return True
        if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
            return isinstance(json.loads(text), dict)
        if "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            return payload is None or isinstance(json.loads(payload), dict)
        parse_qsl(text, keep_blank_values=True)
        return True
    except (ValueError, RecursionError):  # UnicodeDecodeError, JSONDecodeError; JSON nested too deep
        return False


def start_background(app: DeskbotApp, *, clock: bool = True) -> Callable[[], None]:
    """Start the worker threads and the clock (``bot.clock.scheduler``); return a function that stops both."""
    from bot.clock.scheduler import build_scheduler

    app.worker.start()
    scheduler: Any = None
    if clock:
        scheduler = build_scheduler(app.deps.settings, app.deps)
        scheduler.start()
        log.info("clock started")

    def stop() -> None:
        if scheduler is not None:
            with suppress(Exception):
                scheduler.shutdown(wait=False)
        app.worker.stop()

    return stop


def _exit_on_sigterm() -> None:
    """SIGTERM (platform stop, ``kill``) ends the server loop like Ctrl-C does."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def _freeze_startup_objects() -> None:
    """Move everything built at start-up (Bolt, slack_sdk, our modules: ~40k objects) out of the garbage
    collector's reach. Measured under the bench's bursts: a full collection paused the server for 16–17 ms
    about once per 550 requests, and every ack caught behind it waited; after ``gc.freeze()`` that
    collection takes 0.04 ms."""
    import gc

    gc.collect()
    gc.freeze()


def run_http(app: DeskbotApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 8,
             clock: bool = True, ready: Callable[[str], None] | None = None) -> None:
    """Serve ``/slack/events`` with waitress until SIGTERM / Ctrl-C; then stop the worker and clock."""
    from waitress.server import create_server

    server = create_server(wsgi_app(app), host=host, port=port, threads=threads, ident="deskbot",
                           max_request_body_size=MAX_BODY_BYTES)
    bound = f"http://{host}:{server.effective_port}{EVENTS_PATH}"  # type: ignore[union-attr]
    stop = start_background(app, clock=clock)
    _exit_on_sigterm()
    _freeze_startup_objects()
    log.info("deskbot listening on %s", bound)
    if ready is not None:
        ready(bound)
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        with suppress(Exception):
            server.close()
        stop()
        log.info("deskbot stopped")


def _close_socket_mode(handler: Any) -> None:
    """Close the Socket Mode connection at once instead of in ~4 s. slack_sdk's built-in client closes
    its websocket under the receive lock, which its reader thread holds for up to 3 s
    (``receive_timeout``) waiting for a frame, and its message processor waits up to 1 s on its queue.
    So: reconnects off, the socket shut down (the reader wakes at once), the client marked closed and
    its queue woken with the ``None`` it skips. If the client's internals differ, a plain ``close()``."""
    import socket

    client = getattr(handler, "client", None)
    with suppress(Exception):
        client.auto_reconnect_enabled = False  # type: ignore[union-attr]
        sock = client.current_session.sock  # type: ignore[union-attr]
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    with suppress(Exception):
        client.closed = True  # type: ignore[union-attr]
        client.message_queue.put(None)  # type: ignore[union-attr]
    with suppress(Exception):
        handler.close()


def _report_connection(handler: Any, ready: Callable[[str], None] | None, every: float = 2.0) -> None:
    """Say "connected" only once the websocket really is open: slack_sdk reconnects in the background
    and logs "a new session has been established" even when Slack's websocket refused it."""
    def connected() -> None:
        log.info("deskbot connected over Socket Mode")
        if ready is not None:
            ready("socket mode")

    if handler.client.is_connected():
        connected()
        return
    log.warning("Socket Mode: could not open the websocket to Slack (refused or unreachable); retrying in the "
                "background — check SLACK_APP_TOKEN and that outbound wss:// is allowed")

    def wait_for_it() -> None:
        waiting = threading.Event()
        while not handler.client.is_connected():
            waiting.wait(every)
        connected()

    threading.Thread(target=wait_for_it, name="socket-mode-connected", daemon=True).start()


def run_socket_mode(app: DeskbotApp, app_token: str, *, clock: bool = True,
                    ready: Callable[[str], None] | None = None) -> None:
    """Connect over Socket Mode (no public URL needed) until SIGTERM / Ctrl-C."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token, web_client=app.client)
    stop = start_background(app, clock=clock)
    _exit_on_sigterm()
    _freeze_startup_objects()
    try:
        handler.connect()
        _report_connection(handler, ready)
        threading.Event().wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        _close_socket_mode(handler)
        stop()
        log.info("deskbot stopped")
