"""Local stand-ins for Crossref, NCBI E-utilities, arXiv, bioRxiv/medRxiv and Unpaywall on 127.0.0.1.

They answer with the captured responses in ``tests/fixtures/scholarly`` (see its README for each one's source):
a work asked for by id is served from its saved answer, a batch is the saved answers of the ids asked for in
the API's own list envelope. ``as_of`` answers as Crossref would have on that date (notices dated later are
not yet there), so a test can clip a work and have it retracted later without inventing a response.
``arxiv_latest`` answers as arXiv did before a paper's later versions were posted (``{"2204.08348": 2}``: the
saved v3 entry with its id and links naming v2), so a test can clip v2 and have the re-check find v3.
``fail`` forces statuses per API (``[429, 200]``: one rate-limit answer, then normal), with ``Retry-After``.
"""

from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.web import QuietHandler, loopback_server, respond

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scholarly"
PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "sparse-retrieval.pdf"
SAMPLE_DOI = "10.5555/12345678"  # Crossref's own test work


def _arxiv_entries() -> dict[str, str]:
    """Every entry of the saved arXiv feeds, as text, by id without version."""
    found: dict[str, str] = {}
    for path in (FIXTURES / "arxiv").glob("*.atom.xml"):
        text = path.read_text(encoding="utf-8")
        for entry in re.findall(r"<entry>.*?</entry>", text, re.S):
            match = re.search(r"<id>https?://arxiv\.org/abs/(.+?)(?:v\d+)?</id>", entry)
            if match:
                found[match.group(1)] = entry
    return found


@dataclass
class Scholarly:
    """The stand-ins' state: what each serves, what was asked, forced failures."""

    base: str = ""
    crossref: dict[str, dict[str, Any]] = field(default_factory=dict)  # doi (lower) -> /works answer
    pubmed: dict[str, bytes] = field(default_factory=dict)  # pmid -> efetch answer
    pmc: dict[str, bytes] = field(default_factory=dict)  # number -> efetch db=pmc answer
    arxiv: dict[str, str] = field(default_factory=_arxiv_entries)
    biorxiv: dict[str, dict[str, Any]] = field(default_factory=dict)  # "server/doi" -> details answer
    unpaywall: dict[str, dict[str, Any]] = field(default_factory=dict)  # doi (lower) -> answer
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (body, type)
    fail: dict[str, list[int]] = field(default_factory=dict)  # api -> statuses to answer first
    retry_after: str = "1"
    as_of: date | None = None
    arxiv_latest: dict[str, int] = field(default_factory=dict)  # arXiv id -> the version it answers as latest
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def url(self, api: str) -> str:
        return f"{self.base}/{api}/"

    def asked(self, api: str) -> list[dict[str, list[str]]]:
        with self.cond:
            return [q for a, _, q, _ in self.requests if a == api]

    def headers_of(self, api: str) -> list[dict[str, str]]:
        with self.cond:
            return [h for a, _, _, h in self.requests if a == api]

    def settings(self) -> dict[str, str]:
        """Settings overrides pointing every scholarly API at these stand-ins."""
        return {f"{api}_url": self.url(api) for api in ("crossref", "ncbi", "arxiv", "biorxiv", "unpaywall")}

    # ----------------------------------------------------------------- answers

    def _work(self, doi: str) -> dict[str, Any] | None:
        saved = self.crossref.get(doi.lower())
        if saved is None:
            return None
        message = json.loads(json.dumps(saved["message"]))
        if self.as_of is not None:
            def known(entry: dict[str, Any]) -> bool:
                parts = (entry.get("updated") or {}).get("date-parts", [[1]])[0]
                return date(*(list(parts) + [1, 1])[:3]) <= self.as_of  # type: ignore[operator]
            message["updated-by"] = [u for u in message.get("updated-by") or [] if known(u)]
        return message

    def _arxiv_entry(self, arxiv_id: str) -> str:
        entry = self.arxiv[arxiv_id]
        if arxiv_id in self.arxiv_latest:  # the entry's id and abs/pdf links as they read at that version
            entry = re.sub(rf"({re.escape(arxiv_id)})v\d+\b", rf"\g<1>v{self.arxiv_latest[arxiv_id]}", entry)
        return entry

    def answer(self, api: str, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        if api == "crossref":
            if path.startswith("works/"):
                work = self._work(unquote(path[len("works/"):]))
                if work is None:
                    return 404, "text/plain", b"Resource not found."
                return 200, "application/json", json.dumps({"status": "ok", "message-type": "work",
                                                            "message-version": "1.0.0", "message": work}).encode()
            dois = [f[4:] for f in (query.get("filter") or [""])[0].split(",") if f.startswith("doi:")]
            select = set((query.get("select") or [""])[0].split(",")) - {""}
            items = []
            for doi in dois:
                work = self._work(doi)
                if work is not None:
                    items.append({k: v for k, v in work.items() if not select or k in select})
            return 200, "application/json", json.dumps({"status": "ok", "message-type": "work-list",
                                                        "message": {"total-results": len(items),
                                                                    "items": items}}).encode()
        if api == "ncbi":
            ids = (query.get("id") or [""])[0].split(",")
            db = (query.get("db") or [""])[0]
            if db == "pmc":
                body = self.pmc.get(ids[0])
                if body is None:
                    return 200, "text/xml", b'<?xml version="1.0" ?><pmc-articleset></pmc-articleset>'
                return 200, "text/xml", body
            articles = []
            for pmid in ids:
                if pmid in self.pubmed:
                    root = ET.fromstring(self.pubmed[pmid])
                    articles += [ET.tostring(a, encoding="unicode") for a in root.iter("PubmedArticle")]
            body = '<?xml version="1.0" ?>\n<PubmedArticleSet>' + "".join(articles) + "</PubmedArticleSet>"
            return 200, "text/xml", body.encode()
        if api == "arxiv":
            if path.startswith("pdf/"):
                return 200, "application/pdf", PDF.read_bytes()
            ids = [i for i in (query.get("id_list") or [""])[0].split(",") if i]
            if any(not re.fullmatch(r"\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7}", i) for i in ids):
                return 400, "application/atom+xml", (FIXTURES / "arxiv" / "malformed-id-400.atom.xml").read_bytes()
            entries = "".join(self._arxiv_entry(i) for i in ids if i in self.arxiv)
            feed = ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
                    ' xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">'
                    f"<title>arXiv Query</title>{entries}</feed>")
            return 200, "application/atom+xml", feed.encode()
        if api == "biorxiv":
            match = re.match(r"details/(\w+)/(10\.1101/[\d.]+)/na/json", path)
            saved = self.biorxiv.get(f"{match.group(1)}/{match.group(2)}") if match else None
            return 200, "application/json", json.dumps(saved or {"messages": [{"status": "no posts found"}],
                                                                  "collection": []}).encode()
        if api == "unpaywall":
            saved = self.unpaywall.get(unquote(path.removeprefix("v2/")).lower())
            if saved is None:
                return 404, "application/json", b'{"HTTP_status_code": 404, "error": true}'
            return 200, "application/json", json.dumps(saved).encode()
        if api == "files" and path in self.files:
            body, kind = self.files[path]
            return 200, kind, body
        return 404, "text/plain", b"not found"


@contextmanager
def serve_scholarly() -> Iterator[Scholarly]:
    state = Scholarly()

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            parts = urlsplit(self.path)
            api, _, rest = parts.path.lstrip("/").partition("/")
            query = parse_qs(parts.query)
            with state.cond:
                state.requests.append((api, rest, query, {k.lower(): v for k, v in self.headers.items()}))
                forced = state.fail.get(api)
                status = forced.pop(0) if forced else 200
                state.cond.notify_all()
            if status != 200:
                retry = {"Retry-After": state.retry_after} if status in (429, 503) else None
                respond(self, status, "application/json", b'{"status": "error", "message": "forced"}', retry)
            else:
                respond(self, *state.answer(api, rest, query))

    with loopback_server(Handler) as base:
        state.base = base
        yield state


def load_all(state: Scholarly) -> Scholarly:
    """Serve every saved answer under the id it answers for."""
    for path in (FIXTURES / "crossref").glob("10.*.json"):
        work = json.loads(path.read_text(encoding="utf-8"))
        state.crossref[work["message"]["DOI"].lower()] = work
    for path in (FIXTURES / "pubmed").glob("*.xml"):
        state.pubmed[path.stem] = path.read_bytes()
    for path in (FIXTURES / "pmc").glob("*.xml"):
        state.pmc[path.stem] = path.read_bytes()
    for path in (FIXTURES / "biorxiv").glob("*.json"):
        payload = json.loads(path.read_text(encoding="utf-8"))
        latest = payload["collection"][-1]
        state.biorxiv[f"{latest['server'].lower()}/{latest['doi']}"] = payload
    for path in (FIXTURES / "unpaywall").glob("*.json"):
        payload = json.loads(served_here(state, path.read_text(encoding="utf-8")))
        state.unpaywall[payload["doi"].lower()] = payload
        best = payload.get("best_oa_location") or {}
        if best.get("url_for_pdf"):  # the open copy's bytes are the repository's own test PDF
            state.files[best["url_for_pdf"].removeprefix(state.url("files"))] = (PDF.read_bytes(), "application/pdf")
    # No Unpaywall answer was captured for Crossref's test DOI: the captured one of 10.1038/nature12373 answers
    # for it too, so the sample work (the only Crossref capture with an abstract) can be read from an open PDF.
    state.unpaywall[SAMPLE_DOI] = state.unpaywall["10.1038/nature12373"]
    return state


def served_here(state: Scholarly, text: str) -> str:
    """A captured answer with its web addresses moved onto the stand-in (``/files/<host>/<path>``)."""
    return re.sub(r"https?://", state.url("files"), text)
