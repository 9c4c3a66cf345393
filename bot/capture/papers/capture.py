"""A scholarly link → an ``Extracted`` paper: metadata from the open APIs, then the best open text.

Text, best first: PubMed Central's open-access full text (JATS), the arXiv PDF, Unpaywall's best open-access
location (PDF or page), else the abstract. A publisher's landing page is never read: behind a paywall it is a
stub, and the abstract says more. ``extra.full_text`` says which text the note was made from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.capture.budget import BudgetExceeded, ChildStuck
from bot.capture.papers import records as rec
from bot.capture.papers.apis import ApiError, ApiUnavailable, NotFound, PaperAPIs
from bot.capture.papers.refs import ARXIV, DOI, PMCID, PMID, PREPRINT, PaperRef

log = logging.getLogger(__name__)

ABSTRACT, PMC, ARXIV_PDF, UNPAYWALL = "abstract", "pmc", "arxiv-pdf", "unpaywall"
TEXT_LABELS = {
    PMC: "open-access full text from PubMed Central",
    ARXIV_PDF: "the arXiv PDF",
    UNPAYWALL: "an open-access copy found by Unpaywall",
    ABSTRACT: "the abstract only (no open-access full text found)",
}

TextFetcher = Callable[[str], Any]  # URL → Extracted (the pipeline's fetch + extract)
Within = Callable[[Callable[[], Any]], Any]  # runs a parse under the capture budget, returns its value


def budgeted(work: Callable[[], Any]) -> Any:
    """``work()`` in a child under the default capture budget (callers outside a capture: the re-check)."""
    from bot.capture.budget import Budget, run_within

    return run_within(Budget(), work).value


def pmc_text(data: bytes, within: Within | None = None) -> tuple[rec.Paper, list[str]]:
    """PubMed Central's JATS XML read in a child under the capture budget, as a page or a PDF is: a full text
    is large and untrusted (nested paragraphs cost the square of their depth, a deep tree gigabytes)."""
    try:
        return (within or budgeted)(lambda: rec.pmc_article(data))
    except BudgetExceeded as exc:
        raise BudgetExceeded(f"PubMed Central's XML: {exc.reason}", exc.usage) from None


class PaperError(Exception):
    """A clear, final answer about a paper link (malformed DOI, unknown DOI); ``permanent`` for the queue."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Described:
    """A paper's metadata plus the PMC full text when that came with it."""

    paper: rec.Paper
    pmc_paragraphs: list[str] | None = None


def describe(ref: PaperRef, apis: PaperAPIs, within: Within | None = None) -> Described:
    """The work's metadata from the API that owns the identifier (then PubMed for PMC ids); ``within`` runs
    the PMC full text's parse under the capture's budget (default: its own child, ``budgeted``)."""
    if ref.invalid:
        raise PaperError(ref.invalid)
    if ref.kind == ARXIV:
        found = rec.arxiv_entries(apis.get_xml("arxiv", apis.arxiv_query_url([ref.value])))
        if ref.value not in found:
            raise NotFound(f"arXiv has no paper {ref.value}")
        return Described(found[ref.value])
    if ref.kind == PREPRINT:
        return Described(_preprint(ref.value, ref.server or "biorxiv", apis))
    if ref.kind == PMID:
        found = rec.pubmed_articles(apis.get_xml("ncbi", apis.ncbi_url_for("efetch", db="pubmed", id=ref.value,
                                                                           retmode="xml")))
        if ref.value not in found:
            raise NotFound(f"PubMed has no record {ref.value}")
        return Described(found[ref.value])
    if ref.kind == PMCID:
        number = ref.value.removeprefix("PMC")
        paper, paragraphs = pmc_text(apis.get_xml("ncbi", apis.ncbi_url_for("efetch", db="pmc", id=number)), within)
        if paper.pmid:
            try:
                pubmed = rec.pubmed_articles(apis.get_xml("ncbi", apis.ncbi_url_for(
                    "efetch", db="pubmed", id=paper.pmid, retmode="xml"))).get(paper.pmid)
            except ApiError:
                pubmed = None  # PMC's own front matter is enough to make the note
            if pubmed is not None:
                pubmed.pmcid = pubmed.pmcid or ref.value
                return Described(pubmed, paragraphs)
        paper.pmcid = ref.value
        return Described(paper, paragraphs)
    doi = ref.value
    if doi.lower().startswith("10.48550/arxiv."):
        return describe(PaperRef(ARXIV, doi.split(".", 2)[2]), apis, within)
    if doi.startswith("10.1101/"):
        for server in ("biorxiv", "medrxiv"):
            try:
                return Described(_preprint(doi, server, apis))
            except NotFound:
                continue
    try:
        payload = apis.get_json("crossref", apis.crossref_work_url(doi))
    except NotFound as exc:
        raise PaperError(f"Crossref has no record of DOI {doi} (is it mistyped?)") from exc
    return Described(rec.crossref_work(payload.get("message") or {}))


def _preprint(doi: str, server: str, apis: PaperAPIs) -> rec.Paper:
    payload = apis.get_json("biorxiv", apis.biorxiv_details_url(server, doi))
    try:
        return rec.biorxiv_details(payload if isinstance(payload, dict) else {})
    except LookupError as exc:
        raise NotFound(f"{server} has no preprint {doi}") from exc


def extract_paper(ref: PaperRef, apis: PaperAPIs, fetch_text: TextFetcher, within: Within | None = None) -> Any:
    """Metadata and the best open text of one work as an ``Extracted`` (kind ``paper``).

    Raises ``PaperError`` for answers the user must hear (bad or unknown identifier) and ``ApiUnavailable``
    when the metadata services are down (the pipeline then clips the page and retries the metadata later).
    """
    from bot.capture.extract import Extracted

    described = describe(ref, apis, within)
    paper = described.paper
    if ref.version and paper.version and ref.version < paper.version:  # the link named an older version
        ident = f"{paper.arxiv_id or paper.doi}v{paper.version}"
        paper.updates.append(rec.Update(rec.NEW_VERSION, ident, None, paper.source, f"v{paper.version}"))
        paper.version = ref.version
    if ref.kind == PMID and paper.pmcid and described.pmc_paragraphs is None:
        try:
            _, paragraphs = pmc_text(apis.get_xml("ncbi", apis.ncbi_url_for(
                "efetch", db="pmc", id=paper.pmcid.removeprefix("PMC"))), within)
            described.pmc_paragraphs = paragraphs
        except (ApiError, ValueError, LookupError) as exc:
            log.info("no PMC text for %s: %s", paper.pmcid, exc)
    source, text_url, extracted = _open_text(ref, described, apis, fetch_text)
    if extracted is None:
        extracted = Extracted(url=ref.canonical, title=paper.title, kind="paper", text=paper.abstract,
                              little_text=not paper.abstract)
    extracted.kind = "paper"
    extracted.url = work_url(ref, paper)
    extracted.title = paper.title or extracted.title or ref.canonical
    extracted.author = paper.byline or extracted.author
    extracted.site = paper.container or extracted.site
    extracted.published = paper.published or extracted.published
    if source == ABSTRACT and paper.abstract:
        extracted.little_text = False  # an abstract is short by nature, and it is all there is
    meta = {k: v for k, v in extracted.meta.items() if k not in ("authors",)}
    meta.update(paper.zotero())
    meta["full_text"] = source
    if text_url:
        meta["full_text_url"] = text_url
    if paper.updates:
        meta["paper_updates"] = [dict(u.__dict__) for u in paper.updates]
    extracted.meta = meta
    notices = [f"📄 Read from {TEXT_LABELS[source]}."]
    if paper.is_notice_of:
        target = "" if paper.is_notice_of == "?" else f" of {paper.is_notice_of}"
        notices.append(f"this record is itself a retraction notice{target}, not a research article")
    for update in paper.updates:
        if update.kind != rec.CORRECTION:
            notices.append(describe_update(update))
    extracted.problem = " · ".join(notices[1:]) or None
    extracted.meta["paper_notices"] = notices
    return extracted


def work_url(ref: PaperRef, paper: rec.Paper) -> str:
    """The note's identity: the DOI when the work has one (arXiv keeps its own abs URL), else the link's."""
    if ref.kind == ARXIV:
        return ref.canonical
    if paper.doi and ref.kind in (DOI, PMID, PMCID, PREPRINT):
        return f"https://doi.org/{paper.doi.lower()}"
    return ref.canonical


def describe_update(update: rec.Update) -> str:
    """One line a person reads: 'RETRACTED (2009-09-14, notice 10.5555/24242424x)'."""
    when = f"{update.on}, " if update.on else ""
    notice = f"notice {update.ref}" if update.ref else (update.label or "see the publisher")
    if update.kind == rec.RETRACTION:
        return f"🚫 RETRACTED ({when}{notice})"
    if update.kind == rec.CONCERN:
        return f"⚠️ Expression of concern ({when}{notice})"
    if update.kind == rec.CORRECTION:
        return f"corrected ({when}{notice})"
    if update.kind == rec.NEW_VERSION:
        return f"🆕 {update.label or update.ref} exists ({update.ref}) — re-clip to summarise it"
    return f"📰 published version: https://doi.org/{update.ref}"


def _open_text(ref: PaperRef, described: Described, apis: PaperAPIs,
               fetch_text: TextFetcher) -> tuple[str, str | None, Any]:
    """The first open text that really is text: (source, its public URL, Extracted), or the abstract."""
    from bot.capture.extract import Extracted

    paper = described.paper
    if described.pmc_paragraphs:
        text = "\n\n".join(described.pmc_paragraphs)
        full = Extracted(url=ref.canonical, title=paper.title, kind="paper", text=text,
                         little_text=len(text) < 400 and not paper.abstract)
        return PMC, f"https://pmc.ncbi.nlm.nih.gov/articles/{paper.pmcid}/", full
    candidates: list[tuple[str, str, str]] = []  # (source, URL fetched, URL people open)
    if paper.arxiv_id:
        version = f"v{ref.version}" if ref.kind == ARXIV and ref.version else ""
        candidates.append((ARXIV_PDF, apis.arxiv_pdf_url(paper.arxiv_id + version),
                           f"https://arxiv.org/pdf/{paper.arxiv_id}{version}"))
    elif paper.doi and (url := apis.unpaywall_url_for(paper.doi)):
        try:
            best = rec.unpaywall_best(apis.get_json("unpaywall", url))
        except ApiError as exc:
            log.info("Unpaywall has nothing for %s: %s", paper.doi, exc)
            best = None
        if best is not None:
            candidates.append((UNPAYWALL, best.url, best.url))
    for source, url, public in candidates:
        try:
            extracted = fetch_text(url)
        except (BudgetExceeded, ChildStuck):
            raise  # too large / too complex, or stuck: the capture says so (not "no open full text")
        except Exception as exc:  # noqa: BLE001 - an unreachable copy just means the next best text
            log.info("open text %s not usable: %s", url, exc)
            continue
        if not extracted.little_text:
            return source, public, extracted
    return ABSTRACT, None, None


def lookup_error_reply(exc: Exception) -> tuple[str, bool]:
    """A sentence and ``permanent`` for a failure of ``extract_paper``."""
    if isinstance(exc, PaperError):
        return str(exc), exc.permanent
    if isinstance(exc, NotFound):
        return str(exc), True
    if isinstance(exc, ApiUnavailable):
        return str(exc), False
    if isinstance(exc, ValueError):  # an answer that cannot be parsed (billion laughs…): the same next time
        return str(exc), True
    return f"could not read the paper's metadata ({type(exc).__name__})", False
