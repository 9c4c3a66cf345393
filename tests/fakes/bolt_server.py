"""Serve a real Bolt app over real HTTP on 127.0.0.1, in a background thread.

Why waitress: it is the production WSGI server (a project dependency), so tests exercise the same
request path Slack's requests take in production, and it can be stopped cleanly from the test thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

EVENTS_PATH = "/slack/events"


@contextmanager
def serve_wsgi(app: WSGIApplication, *, threads: int = 4, **adjustments: Any) -> Iterator[str]:
    """Serve any WSGI ``app`` with waitress on an OS-chosen loopback port; yield ``http://127.0.0.1:PORT``.
    ``adjustments`` are waitress settings (``max_request_body_size``…)."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, ident="deskbot-test", **adjustments)
    port = server.effective_port  # type: ignore[union-attr]
    # `lock` orders "stop + wake the loop" before "close the sockets", so the wake-up never writes to a
    # closed trigger pipe (closing from a trigger thunk instead races with waitress' own pulls).
    lock = threading.Lock()
    stopping = False

    def run() -> None:
        while True:
            with lock:
                if stopping:
                    wasyncore.close_all(server._map)  # type: ignore[union-attr]
                    return
            wasyncore.loop(
                timeout=server.adj.asyncore_loop_timeout,
                map=server._map,  # type: ignore[union-attr]
                use_poll=server.adj.asyncore_use_poll,
                count=1,
            )

    thread = threading.Thread(target=run, name=f"waitress-{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Let in-flight requests finish (their worker threads pull the trigger too), then stop the loop.
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        with lock:
            stopping = True
            server.pull_trigger()  # type: ignore[union-attr]
        thread.join(timeout=5)
        if thread.is_alive():
            raise RuntimeError("waitress server thread did not stop")


@contextmanager
def serve_bolt(app: App, *, path: str = EVENTS_PATH) -> Iterator[str]:
    """Serve Bolt ``app`` via its WSGI adapter; yield the base URL (requests go to ``base + path``)."""
    with serve_wsgi(SlackRequestHandler(app, path=path)) as base_url:
        yield base_url
