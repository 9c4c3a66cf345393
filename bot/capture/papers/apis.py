"""The open scholarly APIs, reached politely through the project's SSRF-safe fetcher.

Why the fetcher and not habanero / Biopython's Entrez / the ``arxiv`` package: every request here carries
ids taken from links people posted, base URLs are configurable (a stand-in in tests, a mirror in production),
and the fetcher already gives the deadline, size caps, redirect vetting and readable errors a capture needs.
The clients would add three HTTP stacks (httpx, urllib, requests) each with its own retry/timeouts, and none
of them covers the bioRxiv or Unpaywall APIs. What they parse is small and documented, so we parse it here.

Politeness: one request at a time per API host and a minimum interval per host (NCBI: 3 requests/s without
an API key, 10 with one; Crossref's polite pool: 10/s, public pool 5/s; arXiv asks for one request every
3 s; bioRxiv and Unpaywall: 5/s). ``DESKBOT_CONTACT_EMAIL`` goes in the ``mailto`` (Crossref, in the query and
the User-Agent), ``email`` (Unpaywall, which requires it) and ``email``/``tool`` (NCBI). A 429/503 with a
``Retry-After`` no longer than ``max_wait`` is waited out once; longer or repeated ones become
``ApiUnavailable`` (transient: the capture falls back and the metadata is fetched at the next re-check).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from bot import __version__
from bot.capture.politeness import retry_after_seconds

JSON_TYPES = frozenset({"application/json", "text/json", "application/vnd.api+json"})
XML_TYPES = frozenset({"application/xml", "text/xml", "application/atom+xml"})
DEFAULTS = {
    "crossref": "https://api.crossref.org/",
    "ncbi": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/",
    "arxiv": "https://export.arxiv.org/",
    "biorxiv": "https://api.biorxiv.org/",
    "unpaywall": "https://api.unpaywall.org/",
}
# Minimum seconds between two requests to one API (their published limits; see module doc).
INTERVALS = {"crossref": 0.1, "crossref-public": 0.2, "ncbi": 1 / 3, "ncbi+key": 0.1, "arxiv": 3.0, "biorxiv": 0.2,
             "unpaywall": 0.2}


class ApiError(Exception):
    """A scholarly API could not answer. ``permanent``: asking again cannot help (404, malformed id)."""

    permanent = False

    def __init__(self, message: str, *, status: int | None = None, permanent: bool | None = None) -> None:
        super().__init__(message)
        self.status = status
        if permanent is not None:
            self.permanent = permanent


class NotFound(ApiError):
    """The API knows no such work (a 404, or an empty answer for the id)."""

    permanent = True


class ApiUnavailable(ApiError):
    """Outage, timeout or rate limit: the same request may well work later."""


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@dataclass
class Throttle:
    """Per-API minimum interval between requests.

    In one process the slots are kept in memory; with ``path`` they are kept in a small JSON file under an
    exclusive ``flock``, so the bot's capture processes and its clock together stay within an API's limit
    (three capture processes each pacing NCBI at 3/s would otherwise ask 9 times a second).
    """

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    path: str | None = None
    _next: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, api: str, interval: float) -> float:
        """Wait for this API's next turn; returns when the turn is (``clock`` time, or wall time when shared)."""
        start, now = self._reserve_shared(api, interval) if self.path else self._reserve(api, interval)
        if start > now:
            self.sleep(start - now)
        return start

    def _reserve(self, api: str, interval: float) -> tuple[float, float]:
        with self._lock:
            now = self.clock()
            start = max(now, self._next.get(api, now))
            self._next[api] = start + interval
        return start, now

    def _reserve_shared(self, api: str, interval: float) -> tuple[float, float]:
        import fcntl
        import json

        with self._lock, open(str(self.path), "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            handle.seek(0)
            try:
                slots = json.loads(handle.read() or "{}")
            except ValueError:
                slots = {}
            now = time.time()  # wall time: the one clock every process shares
            start = max(now, float(slots.get(api, now)) if isinstance(slots, dict) else now)
            slots = {**(slots if isinstance(slots, dict) else {}), api: start + interval}
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(slots))
            handle.flush()
        return start, now


@dataclass
class PaperAPIs:
    """Where the APIs are and how to reach them; ``fetch`` is ``bot.capture.fetch.fetch`` unless injected."""

    crossref_url: str = DEFAULTS["crossref"]
    ncbi_url: str = DEFAULTS["ncbi"]
    arxiv_url: str = DEFAULTS["arxiv"]
    biorxiv_url: str = DEFAULTS["biorxiv"]
    unpaywall_url: str = DEFAULTS["unpaywall"]
    contact_email: str | None = None
    ncbi_api_key: str | None = field(default=None, repr=False)
    allow: Any = None  # fetch.Allowlist
    fetch: Callable[..., Any] | None = None
    throttle: Throttle = field(default_factory=Throttle)
    deadline: float = 10.0
    max_wait: float = 5.0  # longest Retry-After waited out inside one call
    intervals: dict[str, float] = field(default_factory=lambda: dict(INTERVALS))

    @classmethod
    def from_settings(cls, settings: Any, allow: Any = None) -> PaperAPIs:
        """Production APIs; with a database file, pacing is shared through ``<DESKBOT_DB>.pace`` by every
        process of the bot (see ``Throttle``)."""
        shared = None if settings.db_path in ("", ":memory:") else f"{settings.db_path}.pace"
        return cls(
            crossref_url=_base(settings.crossref_url), ncbi_url=_base(settings.ncbi_url),
            arxiv_url=_base(settings.arxiv_url), biorxiv_url=_base(settings.biorxiv_url),
            unpaywall_url=_base(settings.unpaywall_url), contact_email=settings.contact_email,
            ncbi_api_key=settings.ncbi_api_key, allow=allow, throttle=Throttle(path=shared),
        )

    @property
    def user_agent(self) -> str:
        mail = f"; mailto:{self.contact_email}" if self.contact_email else ""
        return f"deskbot/{__version__} (research Slack bot{mail})"

    # ------------------------------------------------------------------ the one request path

    def get(self, api: str, url: str, *, json: bool = True) -> Any:
        """GET one API URL politely; the ``Fetched`` result, or ``ApiError``."""
        from bot.capture.fetch import FetchError, HTTPStatusError, fetch

        fetcher = self.fetch or fetch
        types = JSON_TYPES if json else XML_TYPES
        accept = "application/json" if json else "application/atom+xml, application/xml;q=0.9, text/xml;q=0.8"
        interval = self.intervals.get(self._pool(api), 0.2)
        for attempt in (1, 2):
            self.throttle.wait(api, interval)
            try:
                return fetcher(url, allow=self.allow, deadline=self.deadline, user_agent=self.user_agent,
                               accept=accept, types=types, max_bytes=20_000_000)
            except HTTPStatusError as exc:
                if exc.status in (404, 410):
                    raise NotFound(f"{api}: no such record (HTTP {exc.status})", status=exc.status) from exc
                if exc.status in (429, 503) and attempt == 1:
                    wait = retry_after_seconds(exc.retry_after)
                    if wait is not None and wait <= self.max_wait:
                        self.throttle.sleep(wait)
                        continue
                if exc.permanent:
                    raise ApiError(f"{api} refused the request ({exc})", status=exc.status, permanent=True) from exc
                raise ApiUnavailable(f"{api} is not answering ({exc})", status=exc.status) from exc
            except FetchError as exc:
                raise ApiUnavailable(f"{api} is not answering ({exc})", permanent=exc.permanent) from exc
        raise ApiUnavailable(f"{api} asked us to slow down (HTTP 429) twice")

    def _pool(self, api: str) -> str:
        """Which published limit applies: NCBI with or without a key, Crossref's polite or public pool."""
        if api == "ncbi" and self.ncbi_api_key:
            return "ncbi+key"
        if api == "crossref" and not self.contact_email:
            return "crossref-public"
        return api

    def get_json(self, api: str, url: str) -> Any:
        import json as jsonlib

        fetched = self.get(api, url, json=True)
        try:
            return jsonlib.loads(fetched.body.decode(fetched.charset or "utf-8", errors="replace"))
        except ValueError as exc:
            raise ApiUnavailable(f"{api} answered something that is not JSON") from exc

    def get_xml(self, api: str, url: str) -> bytes:
        return bytes(self.get(api, url, json=False).body)

    # ------------------------------------------------------------------ URLs

    def _mailto(self) -> dict[str, str]:
        return {"mailto": self.contact_email} if self.contact_email else {}

    def crossref_work_url(self, doi: str) -> str:
        query = urlencode(self._mailto())
        return f"{self.crossref_url}works/{quote(doi, safe='')}" + (f"?{query}" if query else "")

    def crossref_batch_url(self, dois: list[str], select: str) -> str:
        params = {"filter": ",".join(f"doi:{d}" for d in dois), "rows": str(len(dois))}
        if select:
            params["select"] = select
        return f"{self.crossref_url}works?{urlencode({**params, **self._mailto()})}"

    def ncbi_url_for(self, tool: str, **params: str) -> str:
        extra = {"tool": "deskbot"}
        if self.contact_email:
            extra["email"] = self.contact_email
        if self.ncbi_api_key:
            extra["api_key"] = self.ncbi_api_key
        return f"{self.ncbi_url}{tool}.fcgi?{urlencode({**params, **extra})}"

    def arxiv_query_url(self, ids: list[str]) -> str:
        return f"{self.arxiv_url}api/query?{urlencode({'id_list': ','.join(ids), 'max_results': str(len(ids))})}"

    def arxiv_pdf_url(self, arxiv_id: str) -> str:
        return f"{self.arxiv_url}pdf/{arxiv_id}"

    def biorxiv_details_url(self, server: str, doi: str) -> str:
        return f"{self.biorxiv_url}details/{server}/{doi}/na/json"

    def unpaywall_url_for(self, doi: str) -> str | None:
        if not self.contact_email:
            return None  # Unpaywall requires an email on every request
        return f"{self.unpaywall_url}v2/{quote(doi, safe='/')}?{urlencode({'email': self.contact_email})}"

    def host_of(self, api: str) -> str:
        return urlsplit(getattr(self, f"{api}_url")).netloc


