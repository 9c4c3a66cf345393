"""What each scholarly API says about a work, read into one shape (``Paper``), with Zotero's field names.

Parsers are pure (bytes/dicts in, ``Paper`` out) so the re-check and the capture read answers the same way.
Crossref's ``updated-by`` (and, for notices, ``update-to``) carries retractions, corrections and expressions of
concern, Retraction Watch's included since Crossref took it over; PubMed carries them as publication types and
``CommentsCorrections`` (RetractionIn, ErratumIn, ExpressionOfConcernIn); arXiv and bioRxiv/medRxiv carry
versions and the DOI of the published journal version.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.kb.notes import one_line

RETRACTION, CONCERN, CORRECTION = "retraction", "expression_of_concern", "correction"
NEW_VERSION, PUBLISHED = "new_version", "published_version"
SERIOUS = frozenset({RETRACTION, CONCERN})
_CROSSREF_KINDS = {
    "retraction": RETRACTION, "removal": RETRACTION, "withdrawal": RETRACTION, "partial_retraction": RETRACTION,
    "expression_of_concern": CONCERN, "correction": CORRECTION, "corrigendum": CORRECTION,
    "erratum": CORRECTION, "addendum": CORRECTION, "clarification": CORRECTION, "new_version": NEW_VERSION,
}
_PUBMED_REFS = {"RetractionIn": RETRACTION, "ErratumIn": CORRECTION, "ExpressionOfConcernIn": CONCERN,
                "CorrectedandRepublishedIn": CORRECTION}
# Crossref work types → Zotero itemType
ITEM_TYPES = {
    "journal-article": "journalArticle", "posted-content": "preprint", "proceedings-article": "conferencePaper",
    "book-chapter": "bookSection", "book": "book", "monograph": "book", "edited-book": "book",
    "report": "report", "dissertation": "thesis", "dataset": "dataset", "standard": "standard",
    "reference-entry": "encyclopediaArticle", "peer-review": "journalArticle",
}
_TAG = re.compile(r"<[^>]+>")
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"], start=1)}


@dataclass(frozen=True)
class Update:
    """A notice about the work: retraction, expression of concern, correction, new or published version."""

    kind: str
    ref: str = ""  # the notice's DOI or PMID, the new version's id, the journal version's DOI
    on: str | None = None  # ISO date when known
    source: str | None = None  # publisher | retraction-watch | pubmed | arxiv | biorxiv
    label: str | None = None


@dataclass
class Paper:
    """One work as the APIs describe it."""

    title: str = ""
    creators: list[tuple[str, str]] = field(default_factory=list)  # (family, given)
    container: str | None = None  # journal (publicationTitle) or preprint server (repository)
    published: date | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    arxiv_id: str | None = None
    version: int | None = None
    abstract: str = ""
    license: str | None = None
    item_type: str = "journalArticle"
    publication_types: list[str] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    is_notice_of: str | None = None  # this record IS a retraction notice (of that PMID/DOI)
    pdf_url: str | None = None
    source: str = ""  # which API described it

    @property
    def byline(self) -> str | None:
        if not self.creators:
            return None
        family, given = self.creators[0]
        first = f"{given} {family}".strip()
        return first + (" et al." if len(self.creators) > 1 else "")

    def flags(self) -> list[Update]:
        return [u for u in self.updates if u.kind in SERIOUS]

    def zotero(self) -> dict[str, Any]:
        """The note's ``extra``: Zotero field names (itemType → ``item_type``, agreed with the decay rules)."""
        meta: dict[str, Any] = {
            "item_type": self.item_type,
            "publication_types": list(self.publication_types),
            "creators": [{"creatorType": "author", "lastName": f, "firstName": g} for f, g in self.creators],
            "date": self.published.isoformat() if self.published else None,
            "DOI": self.doi,
            "PMID": self.pmid,
            "PMCID": self.pmcid,
            "archiveID": f"arXiv:{self.arxiv_id}" if self.arxiv_id else None,
            "version": self.version,
            "abstractNote": self.abstract or None,
            "rights": self.license,
            "metadata_source": self.source or None,
        }
        meta["repository" if self.item_type == "preprint" else "publicationTitle"] = self.container
        return {k: v for k, v in meta.items() if v not in (None, "", [])}


def _text(node: ET.Element | None) -> str:
    return one_line("".join(node.itertext())) if node is not None else ""


def strip_markup(text: str) -> str:
    """Crossref abstracts are JATS XML fragments; Slack and the summariser want plain text."""
    return one_line(html.unescape(_TAG.sub(" ", text or "")))


def _date_parts(value: Any) -> date | None:
    try:
        parts = (value or {}).get("date-parts", [[]])[0]
        if not parts or parts[0] is None:
            return None
        return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    except (TypeError, ValueError, IndexError, AttributeError):
        return None


def _iso(value: Any) -> str | None:
    found = _date_parts(value)
    return found.isoformat() if found else None


# --------------------------------------------------------------------------- Crossref


def crossref_updates(message: dict[str, Any]) -> list[Update]:
    """``updated-by`` entries (notices about this work), plus ``relation`` hints, de-duplicated by kind+ref."""
    seen: dict[tuple[str, str], Update] = {}
    for entry in message.get("updated-by") or []:
        kind = _CROSSREF_KINDS.get(str(entry.get("type", "")).lower().replace("-", "_"))
        if kind is None:
            continue
        update = Update(kind, str(entry.get("DOI") or ""), _iso(entry.get("updated")), entry.get("source"),
                        entry.get("label"))
        key = (kind, update.ref.lower())
        if key not in seen or (update.on or "") > (seen[key].on or ""):
            seen[key] = update
    relation = message.get("relation") or {}
    for entry in relation.get("is-preprint-of") or []:
        if entry.get("id-type") == "doi" and entry.get("id"):
            seen[(PUBLISHED, entry["id"].lower())] = Update(PUBLISHED, entry["id"], None, "crossref")
    return list(seen.values())


def crossref_work(message: dict[str, Any]) -> Paper:
    """A Crossref ``/works/{doi}`` message."""
    licence = None
    for entry in message.get("license") or []:
        if entry.get("content-version") in ("vor", "unspecified") or licence is None:
            licence = entry.get("URL") or licence
            if entry.get("content-version") in ("vor", "unspecified"):
                break
    kind = str(message.get("type") or "")
    container = (message.get("container-title") or [None])[0]
    if kind == "posted-content":
        container = ((message.get("institution") or [{}])[0].get("name")) or container
    notice_of = None
    for entry in message.get("update-to") or []:
        if _CROSSREF_KINDS.get(str(entry.get("type", "")).lower()) == RETRACTION and entry.get("DOI") != message.get(
                "DOI"):
            notice_of = entry.get("DOI")
    return Paper(
        title=one_line(" ".join(message.get("title") or [])),
        creators=[(a.get("family") or a.get("name") or "", a.get("given") or "") for a in message.get("author") or []],
        container=container,
        published=_date_parts(message.get("issued")) or _date_parts(message.get("published")),
        doi=message.get("DOI"),
        abstract=strip_markup(message.get("abstract") or ""),
        license=licence,
        item_type=ITEM_TYPES.get(kind, "journalArticle" if not kind else "document"),
        updates=crossref_updates(message),
        is_notice_of=notice_of,
        source="crossref",
    )


# --------------------------------------------------------------------------- PubMed / PMC


def _pubmed_date(node: ET.Element | None) -> date | None:
    if node is None:
        return None
    year = _text(node.find("Year"))
    if not year.isdigit():
        medline = _text(node.find("MedlineDate"))
        return date(int(medline[:4]), 1, 1) if medline[:4].isdigit() else None
    month_text = _text(node.find("Month")).lower()[:3]
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text, 1)
    day = _text(node.find("Day"))
    try:
        return date(int(year), month, int(day) if day.isdigit() else 1)
    except ValueError:
        return None


def pubmed_articles(data: bytes) -> dict[str, Paper]:
    """``efetch.fcgi?db=pubmed&retmode=xml``: one ``Paper`` per PMID in the answer."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"PubMed answered XML that cannot be read ({exc})") from exc
    found: dict[str, Paper] = {}
    for article in root.iter("PubmedArticle"):
        citation = article.find("MedlineCitation")
        if citation is None:
            continue
        pmid = _text(citation.find("PMID"))
        art = citation.find("Article")
        types = [_text(t) for t in citation.iter("PublicationType")]
        updates: list[Update] = []
        notice_of = None
        for ref in citation.iter("CommentsCorrections"):
            reftype = ref.get("RefType", "")
            target = _text(ref.find("PMID"))
            if reftype in _PUBMED_REFS:
                updates.append(Update(_PUBMED_REFS[reftype], target, None, "pubmed", _text(ref.find("RefSource"))))
            elif reftype == "RetractionOf":
                notice_of = target
        if "Retracted Publication" in types and not any(u.kind == RETRACTION for u in updates):
            updates.append(Update(RETRACTION, "", None, "pubmed", "Retracted Publication"))
        if "Retraction of Publication" in types and notice_of is None:
            notice_of = "?"
        ids: dict[str | None, str] = {}
        data_node = article.find("PubmedData")
        if data_node is not None:
            id_list = data_node.find("ArticleIdList")
            if id_list is not None:
                ids = {i.get("IdType"): _text(i) for i in id_list.findall("ArticleId")}
        doi = ids.get("doi")
        if not doi and art is not None:
            for loc in art.findall("ELocationID"):
                if loc.get("EIdType") == "doi":
                    doi = _text(loc)
        abstract = " ".join(_labelled(p) for p in art.iter("AbstractText")) if art is not None else ""
        journal = art.find("Journal") if art is not None else None
        published = None
        if art is not None:
            published = _pubmed_date(art.find("Journal/JournalIssue/PubDate")) or _pubmed_date(art.find("ArticleDate"))
        found[pmid] = Paper(
            title=_text(art.find("ArticleTitle")) if art is not None else "",
            creators=[(_text(a.find("LastName")) or _text(a.find("CollectiveName")), _text(a.find("ForeName")))
                      for a in (art.iter("Author") if art is not None else [])],
            container=_text(journal.find("Title")) if journal is not None else None,
            published=published,
            doi=doi or None,
            pmid=pmid,
            pmcid=ids.get("pmc") or None,
            abstract=one_line(abstract),
            item_type="preprint" if "Preprint" in types else "journalArticle",
            publication_types=types,
            updates=updates,
            is_notice_of=notice_of,
            source="pubmed",
        )
    return found


def _labelled(node: ET.Element) -> str:
    label = node.get("Label")
    text = _text(node)
    return f"{label.title()}: {text}" if label else text


def pmc_article(data: bytes) -> tuple[Paper, list[str]]:
    """``efetch.fcgi?db=pmc``: the JATS front matter and the body's paragraphs (the open full text)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"PubMed Central answered XML that cannot be read ({exc})") from exc
    article = root if root.tag == "article" else root.find("article")
    if article is None:
        raise LookupError("PubMed Central has no open-access article for this id")
    meta = article.find("front/article-meta")
    ids = {i.get("pub-id-type"): _text(i) for i in (meta.findall("article-id") if meta is not None else [])}
    title = _text(meta.find("title-group/article-title")) if meta is not None else ""
    creators = []
    for contrib in meta.iter("contrib") if meta is not None else []:
        if contrib.get("contrib-type") == "author":
            creators.append((_text(contrib.find("name/surname")), _text(contrib.find("name/given-names"))))
    paragraphs = []
    body = article.find("body")
    if body is not None:
        for node in body.iter():
            if node.tag == "title" and _text(node):
                paragraphs.append(f"## {_text(node)}")
            elif node.tag == "p" and _text(node):
                paragraphs.append(_text(node))
    abstract = _text(meta.find("abstract")) if meta is not None else ""
    journal = _text(article.find("front/journal-meta/journal-title-group/journal-title"))
    licence = None
    if meta is not None:
        lic = meta.find("permissions/license")
        if lic is not None:
            licence = lic.get("{http://www.w3.org/1999/xlink}href") or _text(lic)[:120] or None
    paper = Paper(title=title, creators=creators, container=journal or None, doi=ids.get("doi"),
                  pmid=ids.get("pmid"), pmcid=f"PMC{ids['pmc']}" if ids.get("pmc") and not ids["pmc"].startswith(
                      "PMC") else ids.get("pmc"), abstract=abstract, license=licence, source="pmc")
    return paper, paragraphs


# --------------------------------------------------------------------------- arXiv

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"


def arxiv_entries(data: bytes) -> dict[str, Paper]:
    """An arXiv API Atom feed: one ``Paper`` per entry, keyed by the id without version."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"arXiv answered XML that cannot be read ({exc})") from exc
    found: dict[str, Paper] = {}
    for entry in root.findall(f"{_ATOM}entry"):
        raw = _text(entry.find(f"{_ATOM}id"))
        match = re.search(r"/abs/(.+?)(?:v(\d+))?$", raw)
        if match is None:
            continue  # the error "entry" of a malformed id
        number, version = match.group(1), int(match.group(2)) if match.group(2) else None
        creators = []
        for author in entry.findall(f"{_ATOM}author"):
            name = _text(author.find(f"{_ATOM}name"))
            given, _, family = name.rpartition(" ")
            creators.append((family or name, given))
        published = _text(entry.find(f"{_ATOM}published"))[:10]
        updates = []
        journal_doi = _text(entry.find(f"{_ARXIV}doi"))
        if journal_doi:
            updates.append(Update(PUBLISHED, journal_doi, None, "arxiv", _text(entry.find(f"{_ARXIV}journal_ref"))
                                  or None))
        pdf = next((link.get("href") for link in entry.findall(f"{_ATOM}link") if link.get("title") == "pdf"), None)
        found[number] = Paper(
            title=_text(entry.find(f"{_ATOM}title")),
            creators=creators,
            container="arXiv",
            published=date.fromisoformat(published) if re.fullmatch(r"\d{4}-\d\d-\d\d", published) else None,
            doi=f"10.48550/arXiv.{number}",
            arxiv_id=number,
            version=version,
            abstract=_text(entry.find(f"{_ATOM}summary")),
            license=None,
            item_type="preprint",
            updates=updates,
            pdf_url=pdf,
            source="arxiv",
        )
    return found


# --------------------------------------------------------------------------- bioRxiv / medRxiv

# The licence codes bioRxiv and medRxiv answer with, as a person reads them ("cc_no": no CC licence, all rights
# reserved by the authors; "cc_by_nc_nd": CC BY-NC-ND, the version the preprint names).
_PREPRINT_LICENCES = {"cc_by": "CC BY", "cc_by_nc": "CC BY-NC", "cc_by_nd": "CC BY-ND", "cc_by_nc_nd": "CC BY-NC-ND",
                      "cc0": "CC0", "cc0_ng": "CC0"}


def preprint_licence(code: str, server: str) -> str | None:
    """``cc_by_nc_nd`` → ``CC BY-NC-ND``; ``cc_no`` → says there is none; an unknown code is kept as it came."""
    code = code.strip()
    if not code or code.upper() == "NA":
        return None
    if code.lower() == "cc_no":
        return f"no reuse licence ({server or 'preprint server'}: cc_no)"
    return _PREPRINT_LICENCES.get(code.lower(), code)


def biorxiv_details(payload: dict[str, Any]) -> Paper:
    """``/details/{server}/{doi}``: every version of the preprint; the newest one describes it."""
    versions = [v for v in payload.get("collection") or [] if isinstance(v, dict)]
    if not versions:
        raise LookupError("no such preprint")
    latest = max(versions, key=lambda v: int(str(v.get("version") or 0)) if str(v.get("version", "")).isdigit() else 0)
    creators = []
    for name in str(latest.get("authors") or "").split(";"):
        family, _, given = name.strip().partition(",")
        if family:
            creators.append((family.strip(), given.strip()))
    published_doi = str(latest.get("published") or "")
    updates = []
    if published_doi and published_doi.upper() != "NA":
        updates.append(Update(PUBLISHED, published_doi, None, "biorxiv"))
    server = str(latest.get("server") or "")
    day = str(latest.get("date") or "")
    return Paper(
        title=one_line(str(latest.get("title") or "")),
        creators=creators,
        container={"biorxiv": "bioRxiv", "medrxiv": "medRxiv"}.get(server.lower(), server or None),
        published=date.fromisoformat(day) if re.fullmatch(r"\d{4}-\d\d-\d\d", day) else None,
        doi=latest.get("doi"),
        version=int(latest["version"]) if str(latest.get("version", "")).isdigit() else None,
        abstract=one_line(str(latest.get("abstract") or "")),
        license=preprint_licence(str(latest.get("license") or ""), server),
        item_type="preprint",
        updates=updates,
        source=server.lower() or "biorxiv",
    )


# --------------------------------------------------------------------------- Unpaywall


@dataclass(frozen=True)
class OpenCopy:
    url: str
    is_pdf: bool
    license: str | None
    host_type: str | None
    version: str | None


def unpaywall_best(payload: dict[str, Any]) -> OpenCopy | None:
    """Unpaywall's ``best_oa_location`` (its PDF when there is one), None when the work is closed."""
    best = payload.get("best_oa_location") if payload.get("is_oa", True) else None
    if not isinstance(best, dict):
        return None
    url = best.get("url_for_pdf") or best.get("url") or best.get("url_for_landing_page")
    if not url:
        return None
    return OpenCopy(url, bool(best.get("url_for_pdf")), best.get("license"), best.get("host_type"),
                    best.get("version"))
