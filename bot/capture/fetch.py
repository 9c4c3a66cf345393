"""SSRF-safe GET for user-supplied URLs: every outbound request to a URL someone posted goes through here.

A URL from Slack is attacker-controlled input. Without care, "summarise this link" becomes "read the cloud
metadata service" or "probe the intranet". So, for the first URL and every redirect hop:

1. only ``http``/``https``, no ``user:password@``, ports 80/443 only;
2. the host name is resolved once, and *every* address is vetted by ``check_address`` (private, loopback,
   link-local, CGNAT, multicast, reserved... and IPv6 forms that embed an IPv4 address, which is checked
   too). Encoded hosts such as ``2130706433`` or ``0x7f.1`` need no special parsing: the resolver turns
   them into ``127.0.0.1`` and that is what gets checked;
3. the TCP connection goes to the vetted address itself, never a second lookup, so DNS rebinding between
   check and connect is impossible; TLS still verifies the certificate against the original host name.

Resources are bounded too: connect timeout, one deadline for the whole fetch (enforced on every socket
read, so a server dripping a byte at a time cannot hold us), a cap on raw bytes, a cap on decompressed
bytes (decoded in bounded steps, so a gzip bomb costs no memory), and a content-type allowlist checked
from the headers before any body is read.

Decisions where the brief was silent:

- ``allow=None`` means *no* exceptions; the caller builds ``Allowlist.from_env(settings.fetch_allow)``.
- An allowlisted host *name* trusts whatever it resolves to; an allowlisted address or network trusts
  those addresses, and a non-standard port is accepted when every resolved address is allowlisted.
- Names that can only be internal are refused before any DNS lookup: ``localhost``,
  ``metadata.google.internal`` and friends, and ``*.localhost``, ``*.internal``, ``*.local``,
  ``*.home.arpa``.
- IPv4-mapped and NAT64 (``64:ff9b::/96``) addresses stand for their embedded IPv4 address and are judged
  by it; 6to4 and Teredo are refused when the embedded address is not public (Teredo is never global).
  IPv4-compatible (``::a.b.c.d``, deprecated) and local-use NAT64 (``64:ff9b:1::/48``) are always refused.
- Only ``gzip`` and ``deflate`` are requested and decoded (``br`` needs a package that is not a
  dependency); any other ``Content-Encoding`` is refused. A gzip stream that simply ends early is accepted
  (browsers do the same); a body shorter than its ``Content-Length`` is a transient ``ConnectionFailed``.
- ``max_decoded_bytes`` (default: ``max_bytes``) caps the body handed back, compressed on the wire or not.
- A response without ``Content-Type`` is refused like any other non-article type.
- Redirects: 301/302/303/307/308 with a ``Location``, always followed with GET; a hop back to a URL already
  requested is refused at once as a loop (no cookies are kept, so a revisit cannot end differently).
- ``Fetched.headers`` has lower-case names; repeated headers are joined with ``", "``.
- ``ssl_context`` is an extra keyword for private CAs (and tests); the default verifies system roots.
- 408, 425, 429, 5xx, timeouts, connection and DNS-temporary errors are transient; everything else
  (refusals, other 4xx, too large, wrong type, unknown host, bad certificate) is permanent — including
  host names DNS cannot carry (a label over 63 characters), impossible statuses (600–999) and answers
  http.client refuses as malformed (over 100 headers, a header line over 64 KB, a non-HTTP status line).
- DNS resolution itself is not interruptible, so the deadline is checked around it, not during it.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from bot import __version__
from bot.capture.deadline import STANDARD_PORTS, DeadlineSocket, SocketConnection
from bot.kb.links import idna_host

__all__ = [
    "ARTICLE_TYPES",
    "DEFAULT_USER_AGENT",
    "MAX_REDIRECTS",
    "Allowlist",
    "ConnectionFailed",
    "FetchError",
    "FetchTimeout",
    "Fetched",
    "HTTPStatusError",
    "Refused",
    "TooLarge",
    "TooManyRedirects",
    "WrongContentType",
    "check_address",
    "check_host",
    "fetch",
]

DEFAULT_USER_AGENT = f"deskbot/{__version__} (link capture for a research Slack)"
ARTICLE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "application/pdf",
        "text/plain",
        "text/markdown",
        "text/x-markdown",
    }
)
MAX_REDIRECTS = 5
_ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,text/markdown;q=0.8,text/plain;q=0.7"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
# http.client's complaints about an answer's form are permanent (the server will send the same again),
# except a connection dropped before or during the answer, and a client-side state error.
_MALFORMED = http.client.HTTPException
_DROPPED = (http.client.RemoteDisconnected, http.client.IncompleteRead, http.client.ImproperConnectionState)
_CHUNK = 64 * 1024
_HOSTNAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"

_BLOCKED_NAMES = frozenset(
    {"localhost", "metadata", "metadata.google.internal", "metadata.goog", "instance-data"}
)
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., Iterable[tuple[Any, ...]]]


def _v4(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr)


def _v6(cidr: str) -> ipaddress.IPv6Network:
    return ipaddress.IPv6Network(cidr)


# Order matters: the first match names the reason. Anything not matched must still be ``is_global``.
_V4_RULES: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_v4("0.0.0.0/32"), "an unspecified address"),
    (_v4("0.0.0.0/8"), "a 'this network' address"),
    (_v4("127.0.0.0/8"), "a loopback address"),
    (_v4("169.254.0.0/16"), "a link-local address"),
    (_v4("10.0.0.0/8"), "a private address"),
    (_v4("172.16.0.0/12"), "a private address"),
    (_v4("192.168.0.0/16"), "a private address"),
    (_v4("100.64.0.0/10"), "a carrier-grade NAT address"),
    (_v4("224.0.0.0/4"), "a multicast address"),
    (_v4("255.255.255.255/32"), "a broadcast address"),
    (_v4("240.0.0.0/4"), "a reserved address"),
    (_v4("192.0.0.0/24"), "an IETF protocol assignment address"),
    (_v4("192.0.2.0/24"), "a documentation address"),
    (_v4("198.51.100.0/24"), "a documentation address"),
    (_v4("203.0.113.0/24"), "a documentation address"),
    (_v4("198.18.0.0/15"), "a benchmarking address"),
    (_v4("192.88.99.0/24"), "a deprecated 6to4 relay address"),
)
_V6_RULES: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_v6("::/128"), "an unspecified address"),
    (_v6("::1/128"), "a loopback address"),
    (_v6("::/96"), "a deprecated IPv4-compatible address"),
    (_v6("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (_v6("2001::/32"), "a Teredo address"),
    (_v6("fe80::/10"), "a link-local address"),
    (_v6("fec0::/10"), "a site-local address"),
    (_v6("fc00::/7"), "a unique local address"),
    (_v6("ff00::/8"), "a multicast address"),
    (_v6("2001:db8::/32"), "a documentation address"),
    (_v6("100::/64"), "a discard-only address"),
)
_NAT64 = _v6("64:ff9b::/96")
_IPV4_COMPATIBLE = _v6("::/96")


class FetchError(Exception):
    """Base of every fetch failure: ``str(err)`` is fit to show a user; ``permanent`` tells a queue whether
    retrying could ever help."""

    permanent: bool = True

    def __init__(self, message: str, *, permanent: bool | None = None) -> None:
        super().__init__(message)
        if permanent is not None:
            self.permanent = permanent


class Refused(FetchError):
    """The URL or an address it resolves to is not one we may contact."""


class TooManyRedirects(FetchError):
    """More than ``MAX_REDIRECTS`` hops, or a hop back to a URL already visited."""


class HTTPStatusError(FetchError):
    """The server answered with an error status; 408/425/429/5xx are worth retrying, the rest are not."""

    def __init__(self, status: int, reason: str = "", *, retry_after: str | None = None) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = reason.strip()
        super().__init__(
            f"HTTP {status} {phrase}".strip(),
            permanent=not (500 <= status <= 599 or status in _TRANSIENT_STATUSES),  # 999: no retry fixes it
        )
        self.status = status
        self.retry_after = retry_after


class TooLarge(FetchError):
    """The body (raw or decompressed) exceeds its cap."""


class WrongContentType(FetchError):
    """Not something we can read as an article (image, video, unknown encoding...)."""


class FetchTimeout(FetchError):
    """The connect timeout or the whole-fetch deadline passed."""

    permanent = False


class ConnectionFailed(FetchError):
    """DNS, TCP, TLS or HTTP protocol failure; transient unless the cause cannot go away by itself."""

    permanent = False


@dataclass(frozen=True)
class Allowlist:
    """Hosts and networks exempt from the address and port checks: for tests and intranets only."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_env(cls, value: str | None) -> Allowlist:
        """Parse ``DESKBOT_FETCH_ALLOW``: comma-separated host names (``*.corp.example`` for subdomains),
        addresses and CIDRs. A malformed entry raises ``ValueError`` rather than being silently dropped."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (value or "").split(","):
            entry = entry.strip().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            wildcard = entry.startswith("*.")
            try:
                name = idna_host(entry[2:] if wildcard else entry)
            except ValueError:
                name = ""
            if not _HOSTNAME.fullmatch(name):
                raise ValueError(f"DESKBOT_FETCH_ALLOW: not a host, address or network: {entry!r}")
            hosts.add(f"*.{name}" if wildcard else name)
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        """True when the host name (or IP literal) itself is allowlisted."""
        name = host.strip("[]").rstrip(".").lower()
        address = _parse_ip(name)
        if address is not None:
            return self.allows_address(address)
        if name in self.hosts:
            return True
        return any(name.endswith(pattern[1:]) for pattern in self.hosts if pattern.startswith("*."))

    def allows_address(self, address: IPAddress | str) -> bool:
        """True when the address (or the IPv4 address it maps) is in an allowlisted network."""
        if isinstance(address, str):
            parsed = _parse_ip(address)
            if parsed is None:
                return False
            address = parsed
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(a.version == net.version and a in net for a in candidates for net in self.networks)


@dataclass(frozen=True)
class Fetched:
    """A successful fetch; ``url`` is the final URL after redirects, ``body`` is decoded (no gzip)."""

    url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


ALLOW_HINT = " (an intranet host can be allowed with DESKBOT_FETCH_ALLOW)"


def check_host(host: str, allow: Allowlist | None = None) -> None:
    """Refuse host names that can only be internal, before any DNS lookup is made for them."""
    name = host.rstrip(".").lower()
    if allow is not None and allow.allows_host(name):
        return
    if name in _BLOCKED_NAMES or name.endswith(_BLOCKED_SUFFIXES):
        raise Refused(f"refused: {name} is an internal host name{ALLOW_HINT}")


def check_address(ip: str, allow: Allowlist | None = None) -> None:
    """Raise ``Refused`` unless ``ip`` is a publicly routable unicast address (or allowlisted).

    Pure: no sockets, no DNS. ``is_global`` alone is not enough (it differs between Python releases and
    says nothing about an IPv4 address embedded in an IPv6 one), hence the explicit rules first.
    """
    address = _parse_ip(ip)
    if address is None:
        raise Refused(f"refused: {ip!r} is not an IP address")
    if allow is not None and allow.allows_address(address):
        return
    problem = _v4_problem(address) if isinstance(address, ipaddress.IPv4Address) else _v6_problem(address)
    if problem:
        raise Refused(f"refused: {ip} is {problem}{ALLOW_HINT}")


def fetch(
    url: str,
    *,
    allow: Allowlist | None = None,
    max_bytes: int = 10_000_000,
    max_decoded_bytes: int | None = None,
    connect_timeout: float = 5.0,
    deadline: float = 20.0,
    resolver: Resolver = socket.getaddrinfo,
    user_agent: str = DEFAULT_USER_AGENT,
    ssl_context: ssl.SSLContext | None = None,
    accept: str = _ACCEPT,
    types: frozenset[str] = ARTICLE_TYPES,
) -> Fetched:
    """GET ``url`` following up to ``MAX_REDIRECTS`` redirects, every hop vetted; raises a ``FetchError``.

    ``resolver`` is called like ``socket.getaddrinfo(host, port, type=SOCK_STREAM)`` (tests map fake names
    to loopback with it). ``ssl_context`` is for private CAs; the default verifies against system roots.
    ``accept``/``types`` widen what is asked for and accepted (the scholarly APIs answer JSON and XML).
    """
    allow = allow or Allowlist()
    decoded_cap = max_bytes if max_decoded_bytes is None else max_decoded_bytes
    limit = time.monotonic() + deadline
    current = url.strip()
    visited: set[str] = set()
    for hop in range(MAX_REDIRECTS + 1):
        if time.monotonic() >= limit:
            raise FetchTimeout(f"timed out: no answer within {deadline:g} s for {url}")
        visited.add(_hop_key(current))
        target = _vet(current, allow, resolver)
        outcome = _attempt(
            target,
            user_agent=user_agent,
            connect_timeout=connect_timeout,
            limit=limit,
            deadline=deadline,
            ssl_context=ssl_context,
            max_bytes=max_bytes,
            decoded_cap=decoded_cap,
            accept=accept,
            types=types,
        )
        if isinstance(outcome, Fetched):
            return outcome
        following = urljoin(current, outcome)
        if _hop_key(following) in visited:
            raise TooManyRedirects(f"too many redirects: a redirect loop back to {following}")
        if hop == MAX_REDIRECTS:
            break
        current = following
    raise TooManyRedirects(f"too many redirects: more than {MAX_REDIRECTS} from {url}")


# --- address rules -------------------------------------------------------------------------------------


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _v4_problem(address: ipaddress.IPv4Address) -> str | None:
    for network, label in _V4_RULES:
        if address in network:
            return label
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a globally routable address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address stands for, with the name of the form, for reasons."""
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if address.ipv4_mapped is not None:
        found.append(("an IPv4-mapped address", address.ipv4_mapped))
    elif address in _NAT64 or address in _IPV4_COMPATIBLE:
        kind = "a NAT64 address" if address in _NAT64 else "an IPv4-compatible address"
        found.append((kind, ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    if address.sixtofour is not None:
        found.append(("a 6to4 address", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        found += [("a Teredo address", server), ("a Teredo address", client)]
    return found


def _v6_problem(address: ipaddress.IPv6Address) -> str | None:
    for network, label in _V6_RULES[:2]:  # :: and ::1 before they are read as IPv4-compatible forms
        if address in network:
            return label
    for kind, inner in _embedded_ipv4(address):
        problem = _v4_problem(inner)
        if problem:
            return f"{kind} for {inner}, which is {problem}"
    if address.ipv4_mapped is not None or address in _NAT64:
        return None  # judged entirely by the IPv4 address it reaches, which passed
    for network, label in _V6_RULES:
        if address in network:
            return label
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_site_local:
        return "a site-local address"
    if not address.is_global:
        return "not a globally routable address"
    return None


# --- one hop -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    request_target: str
    addresses: tuple[tuple[int, tuple[Any, ...]], ...]


def _hop_key(url: str) -> str:
    """What makes two hops the same request, for loop detection (the fragment never reaches the server)."""
    return url.strip().split("#", 1)[0]


def _vet(url: str, allow: Allowlist, resolver: Resolver) -> _Target:
    """Everything that must hold before a packet is sent: scheme, credentials, host, addresses, port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"refused: not a valid URL: {url}") from exc
    scheme = parts.scheme.lower()
    if scheme not in STANDARD_PORTS:
        raise Refused(f"refused: only http and https URLs are fetched, not {scheme or 'scheme-less'} ones")
    if "@" in parts.netloc:
        raise Refused("refused: URLs with a user name or password are not fetched")
    if not parts.hostname:
        raise Refused(f"refused: no host in {url}")
    try:
        host = idna_host(parts.hostname)
    except ValueError as exc:
        raise Refused(f"refused: invalid host name {parts.hostname!r}") from exc
    port = port if port is not None else STANDARD_PORTS[scheme]
    literal = _parse_ip(host)
    if literal is None:
        if not _HOSTNAME.fullmatch(host):
            raise Refused(f"refused: invalid host name {host!r}")
        if len(host) > 253 or any(len(label) > 63 for label in host.split(".")):
            raise Refused(f"refused: invalid host name {host[:80]!r}… (DNS allows 63 characters a label, 253 in all)")
        check_host(host, allow)
        addresses = _resolve(host, port, resolver)
    elif isinstance(literal, ipaddress.IPv4Address):
        addresses = ((socket.AF_INET, (str(literal), port)),)
    else:
        addresses = ((socket.AF_INET6, (str(literal), port, 0, 0)),)
    host_allowed = allow.allows_host(host)
    if not host_allowed:
        for _, sockaddr in addresses:
            check_address(sockaddr[0], allow)
    if port not in STANDARD_PORTS.values() and not (
        host_allowed or all(allow.allows_address(sockaddr[0]) for _, sockaddr in addresses)
    ):
        raise Refused(f"refused: port {port} is not allowed, only 80 and 443")
    request_target = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        request_target += "?" + quote(parts.query, safe=_PATH_SAFE + "?")
    return _Target(url, scheme, host, port, request_target, addresses)


def _resolve(host: str, port: int, resolver: Resolver) -> tuple[tuple[int, tuple[Any, ...]], ...]:
    try:
        infos = list(resolver(host, port, type=socket.SOCK_STREAM))
    except socket.gaierror as exc:
        gone = exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME))
        raise ConnectionFailed(f"cannot resolve {host}: {exc.strerror}", permanent=gone) from exc
    except UnicodeError as exc:  # the name cannot be encoded for DNS: no retry can fix that
        raise ConnectionFailed(f"cannot resolve {host[:80]}: {exc}", permanent=True) from exc
    except OSError as exc:
        raise ConnectionFailed(f"cannot resolve {host}: {exc}") from exc
    seen: dict[tuple[Any, ...], int] = {}
    for family, _type, _proto, _canon, sockaddr in infos:
        if family == socket.AF_INET:
            seen.setdefault((sockaddr[0], port), family)
        elif family == socket.AF_INET6:
            flow, scope = (sockaddr[2], sockaddr[3]) if len(sockaddr) >= 4 else (0, 0)
            seen.setdefault((sockaddr[0], port, flow, scope), family)
    if not seen:
        raise ConnectionFailed(f"cannot resolve {host}: no IPv4 or IPv6 address", permanent=True)
    return tuple((family, sockaddr) for sockaddr, family in seen.items())


def _attempt(
    target: _Target,
    *,
    user_agent: str,
    connect_timeout: float,
    limit: float,
    deadline: float,
    ssl_context: ssl.SSLContext | None,
    max_bytes: int,
    decoded_cap: int,
    accept: str = _ACCEPT,
    types: frozenset[str] = ARTICLE_TYPES,
) -> Fetched | str:
    """One request to a vetted target: the result, or the Location to follow. Low-level errors mapped."""
    sock: socket.socket | None = None
    response: http.client.HTTPResponse | None = None
    try:
        sock = _connect(target, connect_timeout, limit, ssl_context)
        connection = SocketConnection(target.host, target.port, DeadlineSocket(sock, limit), target.scheme)
        connection.request(
            "GET",
            target.request_target,
            headers={
                "User-Agent": user_agent,
                "Accept": accept,
                "Accept-Encoding": "gzip, deflate",
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        return _handle(target, response, max_bytes, decoded_cap, types)
    except TimeoutError as exc:
        if time.monotonic() >= limit:
            raise FetchTimeout(f"timed out: {target.url} took longer than {deadline:g} s") from exc
        raise FetchTimeout(f"timed out connecting to {target.host}") from exc
    except ssl.SSLCertVerificationError as exc:
        message = f"TLS certificate of {target.host} rejected: {exc.verify_message or exc.reason}"
        raise ConnectionFailed(message, permanent=True) from exc
    except _MALFORMED as exc:  # over 100 headers, a header line over 64 KB, a status line that is not HTTP
        if isinstance(exc, _DROPPED):
            raise ConnectionFailed(f"connection to {target.host} failed: {exc or type(exc).__name__}") from exc
        detail = str(exc)[:120] or type(exc).__name__
        raise ConnectionFailed(f"malformed answer from {target.host}: {detail}", permanent=True) from exc
    except OSError as exc:
        raise ConnectionFailed(f"connection to {target.host} failed: {exc or type(exc).__name__}") from exc
    finally:
        if response is not None:
            response.close()
        if sock is not None:
            sock.close()


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _connect(
    target: _Target, connect_timeout: float, limit: float, ssl_context: ssl.SSLContext | None
) -> socket.socket:
    """TCP (and TLS) to the vetted addresses in order; the host name is used only for SNI and the cert."""
    error: OSError = ConnectionError(f"no address for {target.host}")
    for family, sockaddr in target.addresses:
        remaining = limit - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(min(connect_timeout, remaining))
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        if target.scheme == "http":
            return sock
        context = ssl_context or _default_ssl_context()
        try:
            sock.settimeout(min(connect_timeout, max(limit - time.monotonic(), 0.001)))
            return context.wrap_socket(sock, server_hostname=target.host)
        except BaseException:
            sock.close()
            raise
    raise error


# --- the response --------------------------------------------------------------------------------------


def _handle(
    target: _Target, response: http.client.HTTPResponse, max_bytes: int, decoded_cap: int,
    types: frozenset[str] = ARTICLE_TYPES,
) -> Fetched | str:
    """Status, then type, then size, all from headers; only then the body."""
    headers: dict[str, str] = {}
    for name, value in response.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    status = response.status
    location = headers.get("location", "").strip()
    if status in _REDIRECTS and location:
        return location
    if not 200 <= status < 300:
        raise HTTPStatusError(status, response.reason, retry_after=headers.get("retry-after"))
    content_type, charset = _parse_content_type(headers.get("content-type", ""))
    if content_type not in types:
        raise WrongContentType(f"not an article: {content_type or 'no Content-Type'}")
    inflater = _Inflater.for_encoding(headers.get("content-encoding", ""), decoded_cap)
    declared = headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"too large: {int(declared):,} bytes, the limit is {max_bytes:,}")
    body = _read_body(response, inflater, max_bytes, decoded_cap)
    return Fetched(target.url, status, content_type, charset, body, headers)


def _parse_content_type(value: str) -> tuple[str, str | None]:
    media_type, *params = value.split(";")
    charset = None
    for param in params:
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").lower() or None
    return media_type.strip().lower(), charset


def _read_body(
    response: http.client.HTTPResponse, inflater: _Inflater | None, max_bytes: int, decoded_cap: int
) -> bytes:
    """Read in chunks, counting raw bytes as they arrive so a lying or absent Content-Length cannot help."""
    raw = 0
    out = bytearray()
    while chunk := response.read1(_CHUNK):
        raw += len(chunk)
        if raw > max_bytes:
            raise TooLarge(f"too large: more than {max_bytes:,} bytes")
        if inflater is None:
            out += chunk
            if len(out) > decoded_cap:
                raise TooLarge(f"too large: more than {decoded_cap:,} bytes")
        else:
            inflater.feed(chunk, out)
    if response.length:  # Content-Length promised more than the connection delivered
        raise ConnectionFailed(f"connection closed with {response.length:,} bytes of the body missing")
    if inflater is not None:
        inflater.feed(b"", out)
    return bytes(out)


class _Inflater:
    """gzip/deflate decoding in bounded steps: at most ``_CHUNK`` bytes of output per zlib call, and stop
    as soon as the cap is passed, so a 1 GB bomb costs ``cap`` bytes of memory, not 1 GB."""

    def __init__(self, encoding: str, cap: int) -> None:
        self._encoding = encoding
        self._cap = cap
        self._gzip = encoding == "gzip"
        self._raw_deflate = False
        self._produced_any = False
        self._done = False
        self._members = 0
        self._obj = self._new()

    @classmethod
    def for_encoding(cls, header: str, cap: int) -> _Inflater | None:
        codings = [c.strip().lower() for c in header.split(",") if c.strip().lower() not in ("", "identity")]
        if not codings:
            return None
        if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
            return cls("gzip" if codings[0] == "x-gzip" else codings[0], cap)
        raise WrongContentType(f"not an article: unsupported Content-Encoding {header.strip()}")

    def _new(self) -> Any:
        self._members += 1
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)

    def feed(self, data: bytes, out: bytearray) -> None:
        """Decode ``data`` into ``out``; ``b""`` drains what zlib still holds at the end of the body."""
        pending = data
        while not self._done:
            if self._obj.eof:
                if not self._gzip:
                    self._done = True  # whatever follows a deflate stream is ignored
                    return
                if not pending:
                    return
                self._obj = self._new()  # another gzip member follows (RFC 1952 2.2)
            step = min(_CHUNK, self._cap - len(out) + 1)
            try:
                chunk = self._obj.decompress(pending, step)
            except zlib.error as exc:
                if not self._gzip and not self._raw_deflate and not self._produced_any:
                    self._raw_deflate = True  # "deflate" is often sent without its zlib wrapper
                    self._members = 0
                    self._obj = self._new()
                    continue
                if self._members > 1:  # junk after a complete gzip member: keep what we have
                    self._done = True
                    return
                raise FetchError(f"corrupt {self._encoding} body: {exc}") from exc
            self._produced_any = self._produced_any or bool(chunk)
            out += chunk
            if len(out) > self._cap:
                raise TooLarge(f"too large: more than {self._cap:,} bytes after decompression")
            if self._obj.eof:
                pending = self._obj.unused_data
                continue
            pending = self._obj.unconsumed_tail
            if not pending and len(chunk) < step:
                return
