"""DOIs as identities: the pure text rules (what a DOI is, what publishers append to one, the canonical
``https://doi.org/<doi in lower case>``) shared by URL identity (``bot.kb.links``) and the scholarly capture."""

from __future__ import annotations

import re
from urllib.parse import unquote

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_TEXT_DOI = re.compile(r"(?i)\bdoi:\s*(10\.\d{4,9}/[^\s<>|\"]+)")
# what publishers append to a DOI in their URLs; never part of the DOI itself
_DOI_TAIL = re.compile(r"(?:/(?:full|abstract|abs|pdf|epdf|fulltext|html|summary|references|figures|meta)|\.pdf)+/?$",
                       re.I)
_TRAILING = ".,;:!?)]}'\""


def valid_doi(text: str) -> bool:
    """``10.<registrant>/<suffix>`` with no spaces: what Crossref can look up."""
    return bool(_DOI.fullmatch(text or ""))


def clean_doi(raw: str) -> str:
    """A DOI as found in a URL path or text, without escapes, publisher suffixes or trailing punctuation."""
    doi = unquote(raw).strip()
    doi = _DOI_TAIL.sub("", doi)
    while doi and doi[-1] in _TRAILING and not (doi[-1] == ")" and doi.count("(") >= doi.count(")")):
        doi = doi[:-1]
    return doi


def doi_url(doi: str) -> str:
    """The note identity of a work with a DOI."""
    return f"https://doi.org/{doi.lower()}"


def find_text_dois(text: str) -> list[str]:
    """``doi:10.…`` written in a message, as ``https://doi.org/…`` URLs (first seen order, no repeats)."""
    found: list[str] = []
    for match in _TEXT_DOI.finditer(text or ""):
        url = f"https://doi.org/{clean_doi(match.group(1))}"
        if url not in found:
            found.append(url)
    return found
