"""Minimal HTTP client for tests that hit the bot (or the fakes) over real HTTP on loopback.

Why not urllib.request: it raises on 4xx/5xx and follows redirects, and tests want the raw status.
It refuses any host but 127.0.0.1/localhost, so a test can never reach the outside world by accident.
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request to a loopback ``url``; return ``(status, headers with lower-cased names, body)``."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"tests may only talk plain HTTP to loopback, not {url!r}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def post(
    url: str, body: bytes, headers: Mapping[str, str] | None = None, timeout: float = 5.0
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to a loopback ``url``; return ``(status, headers, body)``."""
    return request("POST", url, body, headers, timeout)


def get(
    url: str, headers: Mapping[str, str] | None = None, timeout: float = 5.0
) -> tuple[int, dict[str, str], bytes]:
    """GET a loopback ``url``; return ``(status, headers, body)``."""
    return request("GET", url, None, headers, timeout)
