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

from bot.capture.budget import BudgetExceeded
from bot.capture.extract import Extracted, ExtractionError, has_little_text, layout_blocks, split_sentences
from bot.kb.notes import one_line

log = logging.getLogger(__name__)

MAX_PAGES = 100  # text of later pages is rarely summarised and costs ~10-50 ms a page to extract
# Caps checked before pypdf interprets a page: its drawing instructions (content streams and forms, decoded)
# cost ~1 s per MB to extract text from, and one small compressed stream can be shared by every page.
# A real page holds 5-100 KB; a page over the cap is a drawing (its text is skipped), and reading stops
# once the document has used its share. Text is capped too, per page and per document.
MAX_PAGE_CONTENT = 1_000_000
MAX_DOCUMENT_CONTENT = 5_000_000
MAX_PAGE_TEXT = 100_000
MAX_DOCUMENT_TEXT = 1_000_000
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
        pages, skipped = _read_pages(reader, min(total, max_pages))
        info = reader.metadata or {}
        meta_title = getattr(info, "title", None)
        raw_author = getattr(info, "author", None)
        try:
            published = _date(getattr(info, "creation_date", None))
        except Exception:  # malformed /CreationDate strings are common
            published = None
    except (ExtractionError, BudgetExceeded, MemoryError):
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
        problem=_problem(pages, skipped),
    )


def _problem(pages: list[str], skipped: int) -> str | None:
    if skipped:
        return f"{skipped} page(s) too large to read (over {MAX_PAGE_CONTENT // 1_000_000} MB of drawing instructions)"
    return "the PDF has no text layer (a scan?)" if not any(pages) else None


def _read_pages(reader: Any, count: int) -> tuple[list[str], int]:
    """Text of the first ``count`` pages within the caps; and how many pages were skipped as too large."""
    pages: list[str] = []
    skipped = used = chars = 0
    for i in range(count):
        page = reader.pages[i]
        size = content_size(page)
        used += size
        if size > MAX_PAGE_CONTENT:
            pages.append("")
            skipped += 1
        else:
            text = clean_page(page.extract_text() or "")[:MAX_PAGE_TEXT]
            chars += len(text)
            pages.append(text)
        if used > MAX_DOCUMENT_CONTENT or chars > MAX_DOCUMENT_TEXT:
            break
    if pages and skipped == len(pages):
        megabytes = MAX_PAGE_CONTENT // 1_000_000
        raise BudgetExceeded(f"its pages hold more than {megabytes} MB of drawing instructions each")
    return pages, skipped


def content_size(page: Any) -> int:
    """Decoded bytes of a page's drawing instructions: its content streams and the forms it draws."""
    from pypdf.generic import ArrayObject

    streams: list[Any] = []
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if isinstance(contents, ArrayObject):
        streams += [item.get_object() for item in contents]
    elif contents is not None:
        streams.append(contents)
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is not None:
        for item in xobjects.get_object().values():
            form = item.get_object()
            if form.get("/Subtype") == "/Form":
                streams.append(form)
    return sum(len(stream.get_data()) for stream in streams if hasattr(stream, "get_data"))
