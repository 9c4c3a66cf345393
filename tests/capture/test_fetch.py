"""SSRF-safe fetching against real local servers on loopback only (127.0.0.1, 127.0.0.2, ::1).

Refusals of non-loopback addresses are tested on ``check_address`` (pure) or on the URL vetting step,
never by letting ``fetch`` near such an address. "Zero connections" is proven with a raw listening socket
whose accept queue is drained after the fetch: a TCP handshake completes in the kernel before the client's
connect() returns, so any connection attempt would be sitting in that queue, no thread timing involved.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from bot.capture import fetch as fetch_module
from bot.capture.fetch import (
    Allowlist,
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    Refused,
    TooLarge,
    TooManyRedirects,
    WrongContentType,
    check_address,
    check_host,
    fetch,
)

pytestmark = pytest.mark.timeout(30)  # a regression that hangs should fail fast, not at the global 120 s

LOCAL = Allowlist.from_env("127.0.0.1")
HTML = b"<html><head><title>Hello</title></head><body><p>An article.</p></body></html>"
MB = 1024 * 1024

Route = Callable[["Handler", str], None]


# --- servers -------------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Site

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path, _, query = self.path.partition("?")
        self.server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(path)
        try:
            if route is None:
                send(self, 404, b"no such page")
            else:
                route(self, unquote(query))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, which is what several tests want

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from the base class
        pass


class Site(ThreadingHTTPServer):
    """An HTTP server on an OS-chosen port of a loopback address, serving a route table."""

    daemon_threads = True

    def __init__(self, host: str, routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()
        self.port: int = self.server_address[1]
        self.host = host

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's reverse DNS lookup (getfqdn)
        self.server_name, self.server_port = "localhost", self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass

    def url(self, path: str, host: str | None = None) -> str:
        shown = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{shown}:{self.port}{path}"


@pytest.fixture
def serve() -> Iterator[Callable[..., Site]]:
    started: list[tuple[Site, threading.Thread]] = []

    def start(host: str = "127.0.0.1", routes: dict[str, Route] | None = None, tls: Any = None) -> Site:
        site = Site(host, routes or ROUTES, tls)
        thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((site, thread))
        return site

    yield start
    for site, thread in started:
        site.stop.set()
        site.shutdown()
        site.server_close()
        thread.join(timeout=5)


@pytest.fixture
def site(serve: Callable[..., Site]) -> Site:
    return serve()


class Listener:
    """A listening socket nobody serves: counts connection attempts without any thread."""

    def __init__(self, host: str) -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]
        self.count = 0

    def accepted(self) -> int:
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return self.count
            conn.close()
            self.count += 1


@pytest.fixture
def listener2() -> Iterator[Listener]:
    listener = Listener("127.0.0.2")
    yield listener
    listener.sock.close()


@pytest.fixture
def listener1() -> Iterator[Listener]:
    listener = Listener("127.0.0.1")
    yield listener
    listener.sock.close()


def resolver_to(address: str, calls: list[str] | None = None) -> Callable[..., list[tuple[Any, ...]]]:
    """A getaddrinfo stand-in mapping every name to one loopback address, recording what was asked."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if calls is not None:
            calls.append(host)
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    return resolve


# --- routes --------------------------------------------------------------------------------------------


def send(
    h: Handler,
    status: int,
    body: bytes = b"",
    ctype: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    h.send_response(status)
    if ctype:
        h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(body)


def headers_only(h: Handler, status: int, headers: dict[str, str]) -> None:
    h.send_response(status)
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()


def article(h: Handler, query: str) -> None:
    send(h, 200, HTML, headers={"X-Custom": "yes", "Set-Cookie": "a=1"})


def redirect(h: Handler, query: str) -> None:
    hops = int(h.path.rsplit("/", 1)[-1].split("?")[0])
    send(h, 302, b"", headers={"Location": "/article" if hops <= 1 else f"/redirect/{hops - 1}"})


def to(h: Handler, query: str) -> None:
    send(h, 302, b"moved", headers={"Location": query})


def slow_body(h: Handler, query: str) -> None:
    headers_only(h, 200, {"Content-Type": "text/html", "Content-Length": "100"})
    for _ in range(100):
        h.wfile.write(b"x")
        if h.server.stop.wait(0.5):
            return


def slow_headers(h: Handler, query: str) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"y" * 100:
        h.wfile.write(bytes([byte]))
        if h.server.stop.wait(0.5):
            return


def declared_huge(h: Handler, query: str) -> None:
    headers_only(h, 200, {"Content-Type": "text/html", "Content-Length": str(50 * MB)})
    h.server.stop.wait()  # never sends the body: only the headers can have stopped the client


def png(h: Handler, query: str) -> None:
    headers_only(h, 200, {"Content-Type": "image/png", "Content-Length": "1000"})
    h.server.stop.wait()


def stream_50mb(h: Handler, query: str) -> None:
    chunked = query == "chunked"
    headers = {"Content-Type": "text/plain"}
    headers["Transfer-Encoding" if chunked else "Connection"] = "chunked" if chunked else "close"
    headers_only(h, 200, headers)
    block = b"a" * MB
    for _ in range(50):
        if h.server.stop.is_set():
            return
        h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
    if chunked:
        h.wfile.write(b"0\r\n\r\n")
    h.close_connection = True


def truncated(h: Handler, query: str) -> None:
    headers_only(h, 200, {"Content-Type": "text/html", "Content-Length": "1000"})
    h.wfile.write(b"<html>only this")
    h.close_connection = True


def encoded(h: Handler, query: str) -> None:
    encodings: dict[str, tuple[str, bytes]] = {
        "gzip": ("gzip", gzip.compress(HTML)),
        "x-gzip": ("x-gzip", gzip.compress(HTML)),
        "two-members": ("gzip", gzip.compress(HTML[:20]) + gzip.compress(HTML[20:])),
        "zlib": ("deflate", zlib.compress(HTML)),
        "raw-deflate": ("deflate", zlib.compress(HTML, wbits=-15)),
        "identity": ("identity", HTML),
        "br": ("br", b"\x0b\x02\x80hello\x03"),
        "corrupt": ("gzip", b"\x1f\x8bnot really gzip at all"),
    }
    name, body = encodings[query]
    send(h, 200, body, headers={"Content-Encoding": name})


def status(code: int, **headers: str) -> Route:
    return lambda h, query: send(h, code, b"error page", headers=headers)


ROUTES: dict[str, Route] = {
    "/article": article,
    "/pdf": lambda h, q: send(h, 200, b"%PDF-1.4\n", ctype="application/pdf"),
    "/markdown": lambda h, q: send(h, 200, b"# Title\n", ctype="text/x-markdown; charset=UTF-8"),
    "/no-type": lambda h, q: send(h, 200, HTML, ctype=None),
    "/sized": lambda h, q: send(h, 200, b"z" * int(q), ctype="text/plain"),
    **{f"/redirect/{n}": redirect for n in range(1, 8)},
    "/to": to,
    "/loop-a": lambda h, q: send(h, 301, headers={"Location": "/loop-b"}),
    "/loop-b": lambda h, q: send(h, 308, headers={"Location": "/loop-a#again"}),
    "/slow-body": slow_body,
    "/slow-headers": slow_headers,
    "/declared-huge": declared_huge,
    "/stream-50mb": stream_50mb,
    "/png": png,
    "/truncated": truncated,
    "/encoded": encoded,
    "/bomb": lambda h, q: send(h, 200, gzip_bomb(), headers={"Content-Encoding": "gzip"}),
    "/404": status(404),
    "/410": status(410),
    "/503": status(503),
    "/429": status(429, **{"Retry-After": "7"}),
    "/300": status(300),
}


_BOMB: list[bytes] = []


def gzip_bomb() -> bytes:
    """~1 MB of gzip inflating to 1 GiB of zeros, built in a fraction of a second.

    deflate tops out near 1032:1, so 1 GiB cannot come from 10 kB in one gzip layer. Compressing 1 GiB
    takes seconds, but a full flush resets the compressor, so every 1 MiB of zeros compresses to the same
    bytes: compress one block (streaming, raw deflate) and repeat it, then add gzip's header and trailer.
    """
    if not _BOMB:
        zeros = bytes(MB)
        deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
        crc = 0
        for _ in range(1024):
            crc = zlib.crc32(zeros, crc)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        trailer = struct.pack("<II", crc, (1 << 30) & 0xFFFFFFFF)
        _BOMB.append(header + block * 1024 + deflate.flush() + trailer)
    return _BOMB[0]


# --- the pure checks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("169.254.169.254", "refused: 169.254.169.254 is a link-local address"),
        ("10.0.0.1", "refused: 10.0.0.1 is a private address"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("127.0.0.1", "refused: 127.0.0.1 is a loopback address"),
        ("127.255.0.9", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "'this network'"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("192.0.0.8", "IETF protocol assignment"),
        ("192.0.2.1", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::1", "refused: ::1 is a loopback address"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fe80::1%lo", "link-local"),
        ("fec0::1", "site-local"),
        ("fc00::1", "unique local"),
        ("fd12:3456::1", "unique local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("100::1", "discard-only"),
        (
            "::ffff:127.0.0.1",
            "refused: ::ffff:127.0.0.1 is an IPv4-mapped address for 127.0.0.1, which is a loopback",
        ),
        ("::ffff:10.0.0.1", "IPv4-mapped address for 10.0.0.1, which is a private address"),
        ("::ffff:169.254.169.254", "IPv4-mapped address for 169.254.169.254, which is a link-local"),
        ("::127.0.0.1", "IPv4-compatible address for 127.0.0.1, which is a loopback"),
        ("::8.8.8.8", "deprecated IPv4-compatible"),
        ("64:ff9b::a9fe:a9fe", "NAT64 address for 169.254.169.254, which is a link-local"),
        ("64:ff9b::7f00:1", "NAT64 address for 127.0.0.1"),
        ("64:ff9b:1::808:808", "local-use NAT64"),
        ("2002:7f00:1::1", "6to4 address for 127.0.0.1, which is a loopback"),
        ("2002:a9fe:a9fe::", "6to4 address for 169.254.169.254"),
        ("2002:0a00:0001::1", "6to4 address for 10.0.0.1, which is a private"),
        # Teredo: server 65.54.227.120, client 192.0.2.45 stored inverted (3fff:fdd2).
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo address for 192.0.2.45"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo address for 127.0.0.1"),
        ("2001:0:808:808:0:0:f7f7:f7f7", "Teredo address"),  # both embedded addresses public: still refused
    ],
)
def test_check_address_refuses_every_non_public_form(ip: str, reason: str) -> None:
    with pytest.raises(Refused) as caught:
        check_address(ip, Allowlist())
    assert reason in str(caught.value)
    assert str(caught.value).startswith(f"refused: {ip} is ")
    assert caught.value.permanent


@pytest.mark.parametrize(
    "ip",
    [
        "8.8.8.8",
        "93.184.216.34",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_check_address_accepts_public_addresses(ip: str) -> None:
    check_address(ip, Allowlist())
    check_address(ip)


def test_check_address_rejects_non_addresses() -> None:
    with pytest.raises(Refused, match="not an IP address"):
        check_address("localhost", Allowlist())


def test_allowlist_exempts_addresses_and_networks() -> None:
    allow = Allowlist.from_env("127.0.0.1,localhost,10.0.0.0/8,::1,[fd00::1]")
    for ip in ("127.0.0.1", "::ffff:127.0.0.1", "10.1.2.3", "::1", "fd00::1"):
        check_address(ip, allow)
    for ip in ("127.0.0.2", "169.254.169.254", "fd00::2"):
        with pytest.raises(Refused):
            check_address(ip, allow)


def test_allowlist_from_env() -> None:
    allow = Allowlist.from_env(" 127.0.0.1, LOCALHOST. ,127.0.0.0/8,::1,*.corp.example,,")
    assert allow.hosts == frozenset({"localhost", "*.corp.example"})
    assert [str(n) for n in allow.networks] == ["127.0.0.1/32", "127.0.0.0/8", "::1/128"]
    assert allow.allows_host("localhost") and allow.allows_host("Wiki.Corp.Example.")
    assert not allow.allows_host("corp.example") and not allow.allows_host("evilcorp.example")
    assert allow.allows_host("127.9.9.9") and allow.allows_address("::1")
    assert Allowlist.from_env(None) == Allowlist() == Allowlist.from_env("")
    with pytest.raises(ValueError, match="not a host"):
        Allowlist.from_env("good.example,bad host!")


@pytest.mark.parametrize(
    "host",
    [
        "metadata.google.internal",
        "METADATA.google.internal.",
        "metadata",
        "localhost",
        "a.localhost",
        "db.internal",
    ],
)
def test_internal_names_are_refused_by_name(host: str) -> None:
    with pytest.raises(Refused, match="internal host name"):
        check_host(host, Allowlist())
    check_host(host, Allowlist.from_env(host.rstrip(".")))  # an allowlisted name passes
    check_host("example.com")


def test_non_standard_port_is_refused_for_public_hosts_without_connecting() -> None:
    # Vetting only: _vet never opens a socket, so a public address is safe to use here.
    vet = fetch_module._vet
    with pytest.raises(Refused, match="port 8080 is not allowed"):
        vet("http://example.com:8080/", Allowlist(), resolver_to("93.184.216.34"))
    target = vet("https://example.com/a b/ü?q=1 2", Allowlist(), resolver_to("93.184.216.34"))
    assert target.addresses == ((socket.AF_INET, ("93.184.216.34", 443)),)
    assert target.request_target == "/a%20b/%C3%BC?q=1%202"


def test_any_bad_address_among_several_refuses() -> None:
    def mixed(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fd00::1", port, 0, 0)),
        ]

    with pytest.raises(Refused, match="fd00::1 is a unique local address"):
        fetch_module._vet("https://rebind.example/", Allowlist(), mixed)


# --- fetching ------------------------------------------------------------------------------------------


def test_fetches_html_with_allowlist(site: Site) -> None:
    got = fetch(site.url("/article"), allow=LOCAL)
    assert got.url == site.url("/article")
    assert (got.status, got.content_type, got.charset, got.body) == (200, "text/html", "utf-8", HTML)
    assert got.headers["x-custom"] == "yes" and got.headers["content-type"] == "text/html; charset=utf-8"
    _, sent = site.requests[-1]
    assert sent["host"] == f"127.0.0.1:{site.port}"
    assert sent["accept-encoding"] == "gzip, deflate"
    assert sent["user-agent"].startswith("deskbot/")


def test_the_same_fetch_without_allowlist_is_refused(site: Site) -> None:
    with pytest.raises(Refused, match="127.0.0.1 is a loopback address"):
        fetch(site.url("/article"))
    assert site.requests == []


@pytest.mark.parametrize(("path", "ctype"), [("/pdf", "application/pdf"), ("/markdown", "text/x-markdown")])
def test_other_article_types(site: Site, path: str, ctype: str) -> None:
    assert fetch(site.url(path), allow=LOCAL).content_type == ctype


def test_connects_to_the_vetted_address_and_resolves_once(site: Site) -> None:
    calls: list[str] = []
    got = fetch(site.url("/article", "Article.Test"), allow=LOCAL, resolver=resolver_to("127.0.0.1", calls))
    assert got.body == HTML
    assert calls == ["article.test"]  # one lookup, so nothing can rebind between check and connect
    assert site.requests[-1][1]["host"] == f"article.test:{site.port}"


def test_every_redirect_hop_is_resolved_and_checked_again(site: Site) -> None:
    calls: list[str] = []
    got = fetch(site.url("/redirect/3", "hop.test"), allow=LOCAL, resolver=resolver_to("127.0.0.1", calls))
    assert got.url == site.url("/article", "hop.test")
    assert calls == ["hop.test"] * 4


def test_localhost_when_allowlisted_by_name(site: Site) -> None:
    got = fetch(site.url("/article", "localhost"), allow=Allowlist.from_env("localhost"))
    assert got.body == HTML


@pytest.mark.parametrize("form", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "127.0.0.1."])
def test_encoded_loopback_forms_are_refused_after_real_resolution(form: str, listener1: Listener) -> None:
    for url in (f"http://{form}:{listener1.port}/", f"http://{form}/"):
        with pytest.raises(Refused, match="127.0.0.1 is a loopback address"):
            fetch(url, deadline=2)
    assert listener1.accepted() == 0


def test_hostname_resolving_to_loopback_is_refused_with_zero_connections(listener2: Listener) -> None:
    with pytest.raises(Refused, match="refused: 127.0.0.2 is a loopback address"):
        fetch(f"http://sneaky.test:{listener2.port}/", resolver=resolver_to("127.0.0.2"), deadline=2)
    assert listener2.accepted() == 0


def test_the_listener_does_count_connections(listener2: Listener) -> None:
    # Without this, "count stays 0" would prove nothing: allowlisted, the fetch connects and then times out.
    with pytest.raises(FetchTimeout):
        fetch(f"http://127.0.0.2:{listener2.port}/", allow=Allowlist.from_env("127.0.0.2"), deadline=0.3)
    assert listener2.accepted() == 1


def test_metadata_host_is_refused_before_any_lookup() -> None:
    calls: list[str] = []
    with pytest.raises(Refused, match="metadata.google.internal is an internal host name"):
        fetch("http://metadata.google.internal/computeMetadata/v1/", resolver=resolver_to("127.0.0.2", calls))
    assert calls == []


def test_redirect_to_a_disallowed_address_is_refused(site: Site, listener2: Listener) -> None:
    target = f"http://127.0.0.2:{listener2.port}/secret"
    with pytest.raises(Refused, match="127.0.0.2 is a loopback address"):
        fetch(site.url("/to?" + quote(target, safe="")), allow=LOCAL, deadline=2)
    assert listener2.accepted() == 0
    assert [path for path, _ in site.requests] == ["/to?" + quote(target, safe="")]


def test_redirect_to_a_name_that_resolves_to_a_disallowed_address(site: Site, listener2: Listener) -> None:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return resolver_to("127.0.0.1" if host == "start.test" else "127.0.0.2")(host, port)

    target = f"http://inside.test:{listener2.port}/"
    with pytest.raises(Refused, match="127.0.0.2"):
        fetch(site.url("/to?" + quote(target), "start.test"), allow=LOCAL, resolver=resolve, deadline=2)
    assert listener2.accepted() == 0


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("gopher://127.0.0.1:70/", "only http and https"),
        ("http://user:pw@127.0.0.1/", "user name or password"),
        ("http://metadata.google.internal/", "internal host name"),
        ("http://[::1]:1/", "::1 is a loopback address"),
    ],
)
def test_redirects_to_forbidden_urls(site: Site, location: str, message: str) -> None:
    with pytest.raises(Refused, match=message):
        fetch(site.url("/to?" + quote(location, safe="")), allow=LOCAL, deadline=2)


def test_userinfo_and_schemes_are_refused_up_front(listener1: Listener) -> None:
    for url in (
        f"http://user:pw@127.0.0.1:{listener1.port}/",
        f"http://user@127.0.0.1:{listener1.port}/",
        f"ftp://127.0.0.1:{listener1.port}/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "//127.0.0.1/",
    ):
        with pytest.raises(Refused):
            fetch(url, allow=LOCAL, deadline=2)
    assert listener1.accepted() == 0


def test_five_redirects_are_followed_six_are_too_many(site: Site) -> None:
    assert fetch(site.url("/redirect/5"), allow=LOCAL).url == site.url("/article")
    with pytest.raises(TooManyRedirects, match="too many redirects") as caught:
        fetch(site.url("/redirect/6"), allow=LOCAL)
    assert caught.value.permanent
    assert len(site.requests) == 6 + 6  # the refused chain stopped at the sixth response


def test_redirect_loop(site: Site) -> None:
    with pytest.raises(TooManyRedirects, match="too many redirects.*loop"):
        fetch(site.url("/loop-a"), allow=LOCAL)
    assert len(site.requests) == 2


def test_slow_drip_body_hits_the_deadline(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as caught:
        fetch(site.url("/slow-body"), allow=LOCAL, deadline=1.5)
    assert 1.4 <= time.monotonic() - started < 3
    assert not caught.value.permanent
    assert "1.5 s" in str(caught.value)


def test_slow_drip_headers_hit_the_deadline(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(site.url("/slow-headers"), allow=LOCAL, deadline=1.0)
    assert time.monotonic() - started < 2.5


def test_gzip_bomb_is_stopped_with_bounded_memory(site: Site) -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 1.1 * MB
    assert struct.unpack("<I", bomb[-4:])[0] == 1 << 30  # gzip's ISIZE: 1 GiB uncompressed
    assert zlib.decompressobj(31).decompress(bomb[:30_000], 20 * MB) == bytes(20 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge, match="after decompression"):
            fetch(site.url("/bomb"), allow=LOCAL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * MB


def test_small_decompression_cap(site: Site) -> None:
    with pytest.raises(TooLarge, match="more than 1,000 bytes after decompression"):
        fetch(site.url("/bomb"), allow=LOCAL, max_decoded_bytes=1000)


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "two-members", "zlib", "raw-deflate", "identity"])
def test_supported_encodings_are_decoded(site: Site, encoding: str) -> None:
    assert fetch(site.url(f"/encoded?{encoding}"), allow=LOCAL).body == HTML


@pytest.mark.parametrize(
    ("encoding", "error", "message"),
    [("br", WrongContentType, "unsupported Content-Encoding br"), ("corrupt", FetchError, "corrupt gzip")],
)
def test_unsupported_or_corrupt_encodings(site: Site, encoding: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as caught:
        fetch(site.url(f"/encoded?{encoding}"), allow=LOCAL)
    assert caught.value.permanent


def test_declared_50mb_is_refused_from_the_headers(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(TooLarge, match="52,428,800 bytes, the limit is 10,000,000"):
        fetch(site.url("/declared-huge"), allow=LOCAL, deadline=5)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_undeclared_50mb_is_cut_off_at_the_cap(site: Site, framing: str) -> None:
    started = time.monotonic()
    with pytest.raises(TooLarge, match="more than 10,000,000 bytes"):
        fetch(site.url(f"/stream-50mb?{framing}"), allow=LOCAL, deadline=10)
    assert time.monotonic() - started < 5


def test_body_cap_boundary(site: Site) -> None:
    assert len(fetch(site.url("/sized?1000"), allow=LOCAL, max_bytes=1000).body) == 1000
    with pytest.raises(TooLarge):
        fetch(site.url("/sized?1001"), allow=LOCAL, max_bytes=1000)


def test_image_is_refused_without_reading_the_body(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(WrongContentType, match="^not an article: image/png$") as caught:
        fetch(site.url("/png"), allow=LOCAL, deadline=5)
    assert time.monotonic() - started < 1  # the server never sends the body, so reading it would hang
    assert caught.value.permanent


def test_missing_content_type_is_refused(site: Site) -> None:
    with pytest.raises(WrongContentType, match="no Content-Type"):
        fetch(site.url("/no-type"), allow=LOCAL)


@pytest.mark.parametrize(
    ("path", "message", "permanent"),
    [
        ("/404", "HTTP 404 Not Found", True),
        ("/410", "HTTP 410 Gone", True),
        ("/300", "HTTP 300 Multiple Choices", True),
        ("/503", "HTTP 503 Service Unavailable", False),
        ("/429", "HTTP 429 Too Many Requests", False),
    ],
)
def test_http_errors_are_readable(site: Site, path: str, message: str, permanent: bool) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetch(site.url(path), allow=LOCAL)
    assert str(caught.value) == message
    assert caught.value.permanent is permanent
    assert caught.value.status == int(path[1:])


def test_retry_after_is_kept(site: Site) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetch(site.url("/429"), allow=LOCAL)
    assert caught.value.retry_after == "7"


def test_truncated_body_is_a_transient_connection_error(site: Site) -> None:
    with pytest.raises(ConnectionFailed, match="missing") as caught:
        fetch(site.url("/truncated"), allow=LOCAL)
    assert not caught.value.permanent


def test_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionFailed) as caught:
        fetch(f"http://127.0.0.1:{port}/", allow=LOCAL)
    assert not caught.value.permanent


def test_connect_timeout() -> None:
    # A listener with a full accept queue drops SYNs (Linux), so connect() hangs: a loopback black hole.
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        with socket.create_connection(full.getsockname(), timeout=1):
            started = time.monotonic()
            with pytest.raises(FetchTimeout, match="timed out connecting to 127.0.0.1") as caught:
                fetch(f"http://127.0.0.1:{full.getsockname()[1]}/", allow=LOCAL, connect_timeout=0.3)
            assert time.monotonic() - started < 1.5
            assert not caught.value.permanent


def test_unknown_host_is_a_permanent_connection_error() -> None:
    def nxdomain(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ConnectionFailed, match="cannot resolve nowhere.test") as caught:
        fetch("https://nowhere.test/", resolver=nxdomain)
    assert caught.value.permanent


def test_ipv6_loopback_server(serve: Callable[..., Site]) -> None:
    site6 = serve("::1")  # the machines this runs on have IPv6 loopback; a failure here says they lost it
    assert fetch(site6.url("/article"), allow=Allowlist.from_env("::1")).body == HTML
    with pytest.raises(Refused, match="::1 is a loopback address"):
        fetch(site6.url("/article"))
    assert len(site6.requests) == 1


# --- TLS -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    assert shutil.which("openssl"), "the TLS tests need the openssl command (Debian package openssl)"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=deskbot.test",
         "-addext", "subjectAltName=DNS:deskbot.test"],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def test_https_uses_sni_and_verifies_the_original_host_name(
    serve: Callable[..., Site], certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    names: list[str | None] = []

    def record_sni(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        names.append(name)

    server_tls.sni_callback = record_sni
    site = serve(tls=server_tls)
    trusted = ssl.create_default_context(cafile=str(cert))
    to_loopback = resolver_to("127.0.0.1")
    url = f"https://deskbot.test:{site.port}/article"

    got = fetch(url, allow=LOCAL, resolver=to_loopback, ssl_context=trusted, deadline=5)
    assert got.body == HTML
    assert names == ["deskbot.test"]
    assert site.requests[-1][1]["host"] == f"deskbot.test:{site.port}"

    with pytest.raises(ConnectionFailed, match="certificate") as caught:  # not in the system trust store
        fetch(url, allow=LOCAL, resolver=to_loopback, deadline=5)
    assert caught.value.permanent
    with pytest.raises(ConnectionFailed, match="certificate"):  # trusted cert, but for another name
        fetch(
            url.replace("deskbot.test", "other.test"), allow=LOCAL, resolver=to_loopback, ssl_context=trusted
        )
