"""A tiny static web server on 127.0.0.1 for capture tests: pages, PDFs, errors, slow answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    gate: threading.Event | None = None  # when set, the answer waits for this event (a "slow" page)
    location: str | None = None  # a Location header (redirects), relative to the site


@dataclass
class Site:
    base: str
    pages: dict[str, Page]
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve_pages(pages: dict[str, Page]) -> Iterator[Site]:
    """Serve ``pages`` (path → Page; a key with its query, ``/watch?v=x``, answers that query alone); unknown
    paths get 404. Counts hits per path."""
    site = Site(base="", pages=pages)
    lock = threading.Lock()

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            with lock:
                site.hits[path] = site.hits.get(path, 0) + 1
            page = site.pages.get(self.path) or site.pages.get(path) or Page(b"not found", "text/plain", 404)
            if page.gate is not None:
                page.gate.wait(30)
            respond(self, page.status, page.content_type, page.body,
                    {"Location": site.url(page.location)} if page.location else None)

    with loopback_server(Handler) as base:
        site.base = base
        try:
            yield site
        finally:
            for page in pages.values():
                if page.gate is not None:
                    page.gate.set()


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean (no access log on stderr)."""

    def log_message(self, *args: object) -> None:
        pass


def respond(handler: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes,
            headers: dict[str, str] | None = None) -> None:
    """One whole answer; a client that went away meanwhile (gave up, or was killed) is not an error."""
    with suppress(OSError):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on an OS-chosen 127.0.0.1 port in a daemon thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
