"""Which scholarly work a link (or a ``doi:`` in text) names: a DOI, a PubMed or PMC id, arXiv, bioRxiv/medRxiv.

Pure string work, no network. A paper's note is keyed by the most stable identity its link carries:
``https://doi.org/<doi, lower case>`` (DOIs are case-insensitive), ``https://pubmed.ncbi.nlm.nih.gov/<pmid>``,
``https://pmc.ncbi.nlm.nih.gov/articles/PMC<n>``, ``https://arxiv.org/abs/<id>``. Publisher URLs that embed a
DOI (``/doi/10.1002/…``, ``?id=10.1371/…``) count as that DOI, so a paywalled journal page becomes the open
metadata of the work instead of its paywall stub.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from bot.kb.doi import clean_doi, doi_url, find_text_dois, valid_doi
from bot.kb.links import arxiv_id

__all__ = ["PaperRef", "doi_from_html", "find_text_dois", "recognise", "valid_doi"]

DOI, PMID, PMCID, ARXIV, PREPRINT = "doi", "pmid", "pmcid", "arxiv", "preprint"

_DOI_IN_PATH = re.compile(r"(?<![\w.])(10\.\d{4,9}/[^?#\s]+)")
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
_PUBMED = re.compile(r"/(?:pubmed/)?(\d{1,9})/?$")
_PMC = re.compile(r"/(?:pmc/)?articles/(PMC\d+)/?", re.I)
_PREPRINT_PATH = re.compile(
    r"/content/(?:early/\d{4}/\d{2}/\d{2}/)?(10\.1101/(?:\d{4}\.\d{2}\.\d{2}\.)?\d+)(?:v(\d+))?"
)
# Highwire/Google Scholar, Dublin Core and PRISM tags that journal pages carry, paywalled or not
_META = re.compile(rb"<meta\s[^>]*>", re.I)
_META_NAME = re.compile(
    rb"""(?:name|property)\s*=\s*["']?(citation_doi|dc\.identifier|prism\.doi|bepress_citation_doi)""", re.I
)
_META_CONTENT = re.compile(rb"""content\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


@dataclass(frozen=True)
class PaperRef:
    """One scholarly identifier. ``server`` is ``biorxiv``/``medrxiv`` for preprints; ``version`` an explicit
    version the link named (arXiv ``v2``, bioRxiv ``v3``); ``invalid`` a reason the identifier is unusable."""

    kind: str
    value: str
    server: str | None = None
    version: int | None = None
    invalid: str | None = None

    @property
    def canonical(self) -> str:
        """The note identity for this work (see module doc)."""
        if self.kind in (DOI, PREPRINT):
            return doi_url(self.value)
        if self.kind == PMID:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.value}"
        if self.kind == PMCID:
            return f"https://pmc.ncbi.nlm.nih.gov/articles/{self.value}"
        return f"https://arxiv.org/abs/{self.value}" + (f"v{self.version}" if self.version else "")


def doi_from_html(html: bytes) -> str | None:
    """The DOI a page declares in its ``<meta name="citation_doi">`` (or Dublin Core / PRISM), else None."""
    for tag in _META.findall(html):
        if not _META_NAME.search(tag):
            continue
        content = _META_CONTENT.search(tag)
        if content is None:
            continue
        value = (content.group(1) or content.group(2) or b"").decode("utf-8", errors="replace").strip()
        value = re.sub(r"(?i)^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", "", value)
        doi = clean_doi(value)
        if valid_doi(doi):
            return doi
    return None


def recognise(url: str) -> PaperRef | None:
    """The scholarly identifier a URL names, else None. Never raises."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    path = parts.path
    if host in _DOI_HOSTS:
        doi = clean_doi(path.lstrip("/"))
        if not valid_doi(doi):
            return PaperRef(DOI, doi, invalid=f"{doi or '(empty)'} is not a valid DOI (a DOI looks like 10.1234/abc)")
        return PaperRef(DOI, doi)
    if found := arxiv_id(url):
        number, version = re.fullmatch(r"(.+?)(?:v(\d+))?", found).groups()  # type: ignore[union-attr]
        return PaperRef(ARXIV, number, version=int(version) if version else None)
    if host in ("pubmed.ncbi.nlm.nih.gov", "www.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov"):
        if (pmc := _PMC.search(path)) and host != "pubmed.ncbi.nlm.nih.gov":
            return PaperRef(PMCID, pmc.group(1).upper())
        pubmed = host == "pubmed.ncbi.nlm.nih.gov" or path.startswith("/pubmed/")
        if pubmed and (match := _PUBMED.search(path)):
            return PaperRef(PMID, match.group(1).lstrip("0") or "0")
        return None
    if host in ("pmc.ncbi.nlm.nih.gov", "europepmc.org", "www.europepmc.org"):
        if pmc := re.search(r"(PMC\d+)", path, re.I):
            return PaperRef(PMCID, pmc.group(1).upper())
        return None
    for server in ("biorxiv", "medrxiv"):
        if host in (f"{server}.org", f"www.{server}.org", f"connect.{server}.org"):
            if match := _PREPRINT_PATH.search(path):
                version = int(match.group(2)) if match.group(2) else None
                return PaperRef(PREPRINT, match.group(1), server=server, version=version)
            return None
    if match := _DOI_IN_PATH.search(path):
        doi = clean_doi(match.group(1))
        if valid_doi(doi):
            return PaperRef(DOI, doi)
    for _key, value in parse_qsl(parts.query):
        value = value.strip()
        if value.lower().startswith("doi:"):
            value = value[4:]
        if valid_doi(value):
            return PaperRef(DOI, clean_doi(value))
    return None
