"""PDFs (papers, reports): text per page and metadata, so each claim keeps the page it came from.

pypdf is imported lazily. Anything pypdf cannot read (corrupt bytes, a password) becomes
``ExtractionError("could not read PDF: …")``: a sentence for the user, never a traceback.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.capture.extract import Extracted, ExtractionError, has_little_text, layout_blocks, split_sentences
from bot.kb.notes import one_line

log = logging.getLogger(__name__)

MAX_PAGES = 100  # text of later pages is rarely summarised and costs ~10-50 ms a page to extract
_HYPHEN_BREAK = re.compile(r"(?<=[a-z])-\n(?=[a-z])")
_JUNK_TITLE = re.compile(r"^(untitled|microsoft (word|powerpoint) - .*|.*\.(pdf|docx?|tex|dvi|pptx?))$", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\band\b|&)\s*")


def clean_page(text: str) -> str:
    """Normalise one page of extracted text: ligatures (ﬁ → fi), hyphenated line breaks, spacing."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _HYPHEN_BREAK.sub("", text)
    lines = [one_line(line) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _title(meta_title: str | None, first_page: str, url: str) -> str:
    """Metadata title unless it is junk ("Microsoft Word - draft.docx"), else page 1's first real line."""
    title = one_line(meta_title or "")
    if title and not _JUNK_TITLE.match(title):
        return title
    for line in first_page.splitlines()[:8]:
        n_words = len(line.split())
        if 2 <= n_words <= 25 and len(line) <= 200 and sum(c.isalpha() for c in line) > len(line) / 2:
            return line
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return name.removesuffix(".pdf") or url


def _authors(raw: str | None) -> list[str]:
    return [one_line(a) for a in _AUTHOR_SPLIT.split(raw or "") if one_line(a)]


def _date(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else None


def _open(data: bytes) -> Any:
    from pypdf import PasswordType, PdfReader

    if b"%PDF-" not in data[:1024]:  # the header may follow a little junk, within the first 1 KB
        raise ExtractionError("could not read PDF: the file is not a PDF")
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # many PDFs are "encrypted" with an empty user password
        except Exception as exc:
            raise ExtractionError(f"could not read PDF: it is encrypted ({type(exc).__name__})") from exc
        if opened == PasswordType.NOT_DECRYPTED:
            raise ExtractionError("could not read PDF: it is password-protected")
    return reader


def extract_pdf(data: bytes, url: str, *, max_pages: int = MAX_PAGES) -> Extracted:
    """Title, authors, date and per-page text of a PDF; ``pages[i]`` is page ``i + 1``."""
    try:
        reader = _open(data)
        total = len(reader.pages)
        pages = [clean_page(reader.pages[i].extract_text() or "") for i in range(min(total, max_pages))]
        info = reader.metadata or {}
        meta_title = getattr(info, "title", None)
        raw_author = getattr(info, "author", None)
        try:
            published = _date(getattr(info, "creation_date", None))
        except Exception:  # malformed /CreationDate strings are common
            published = None
    except ExtractionError:
        raise
    except Exception as exc:
        log.info("unreadable PDF %s: %s", url, exc)
        detail = one_line(str(exc))[:120] or type(exc).__name__
        raise ExtractionError(f"could not read PDF: {detail}") from exc
    authors = _authors(raw_author)
    text = "\n\n".join(f"## Page {n}\n\n{page}" for n, page in enumerate(pages, start=1) if page)
    little = has_little_text(
        s for page in pages for block in layout_blocks(page) for s in split_sentences(block)
    )
    meta: dict[str, Any] = {"page_count": total}
    if authors:
        meta["authors"] = authors
    if total > len(pages):
        meta["pages_read"] = len(pages)
    host = (urlsplit(url).hostname or "").removeprefix("www.") or None
    return Extracted(
        url=url,
        title=_title(meta_title, pages[0] if pages else "", url),
        kind="paper",
        author=", ".join(authors) or None,
        site=host,
        published=published,
        text=text,
        little_text=little,
        pages=pages,
        meta=meta,
        problem="the PDF has no text layer (a scan?)" if not any(pages) else None,
    )
