"""PDF extraction on small real PDFs written by tests/fixtures/pdf/make_pdfs.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.capture.extract import ExtractionError
from bot.capture.pdf import clean_page, extract_pdf
from bot.capture.summarize import ExtractiveSummarizer, note_from
from bot.kb.notes import one_line, url_note_id
from bot.kb.render import claim_link as place_url

PDFS = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"


def read(name: str) -> bytes:
    return (PDFS / f"{name}.pdf").read_bytes()


def test_pages_and_metadata():
    got = extract_pdf(read("sparse-retrieval"), "https://arxiv.org/pdf/2401.01234v1")
    assert got.kind == "paper"
    assert got.title == "Sparse Retrieval for Long Documents"
    assert got.author == "Ada Lindqvist, Rafael Ortiz"
    assert got.meta["authors"] == ["Ada Lindqvist", "Rafael Ortiz"] and got.meta["page_count"] == 3
    assert got.published == date(2024, 1, 15)
    assert got.site == "arxiv.org" and not got.little_text and got.problem is None
    assert len(got.pages) == 3
    assert "Dense retrievers struggle" in one_line(got.pages[0])
    assert "Section weights are learned from click logs" in one_line(got.pages[1])
    assert "4 Limitations." in got.pages[2]
    assert got.text.startswith("## Page 1\n\n") and "## Page 3" in got.text


def test_claims_keep_their_page_and_link_to_it():
    got = extract_pdf(read("sparse-retrieval"), "https://arxiv.org/pdf/2401.01234v1")
    summary = ExtractiveSummarizer().summarize(got)
    assert 3 <= len(summary.claims) <= 10
    assert "Sparse Retrieval for Long Documents Ada" not in summary.text, "title lines are not sentences"
    for claim in summary.claims:
        assert claim.text in one_line(got.pages[claim.page - 1])
    note = note_from(got, summary)
    # shown as clipped (the PDF), identified by the canonical abstract URL every other form maps to
    assert note.url == "https://arxiv.org/pdf/2401.01234v1" and note.kind == "paper"
    assert note.id == url_note_id("https://arxiv.org/abs/2401.01234v1")
    assert note.decay_rate == "fast" and "a preprint (arxiv.org)" in note.decay_reason  # issue 18: preprints age fast
    first = note.claims[0]
    assert place_url(note.url, first) == f"https://arxiv.org/pdf/2401.01234v1#page={first.page}"
    assert {c.page for c in note.claims} != {1}, "claims come from more than the first page"


def test_junk_metadata_title_falls_back_to_the_first_line():
    got = extract_pdf(read("field-report"), "https://intranet.example/files/report_final_v3.pdf")
    assert got.title == "Field report: winter maintenance of the coastal tramway"
    assert got.author is None and got.published is None and len(got.pages) == 2


def test_scanned_pdf_is_little_text_with_a_reason():
    got = extract_pdf(read("scan"), "https://x.example/docs/scan-2019.pdf")
    assert got.little_text and got.problem == "the PDF has no text layer (a scan?)"
    assert got.title == "scan-2019"
    note = note_from(got, ExtractiveSummarizer().summarize(got))
    assert note.flags == ["little-text"] and note.claims == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: read("encrypted"), "could not read PDF: it is password-protected"),
        (lambda: read("truncated"), "could not read PDF: "),
        (lambda: b"<html>not a pdf</html>", "could not read PDF: the file is not a PDF"),
        (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 20, "could not read PDF: "),
        (lambda: b"", "could not read PDF: the file is not a PDF"),
    ],
)
def test_unreadable_pdfs_raise_one_clear_error(data, message):
    with pytest.raises(ExtractionError) as caught:
        extract_pdf(data(), "https://x.example/a.pdf")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_empty_user_password_is_opened():
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(read("sparse-retrieval"))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    got = extract_pdf(buffer.getvalue(), "https://x.example/a.pdf")
    assert "Dense retrievers struggle" in one_line(got.pages[0])


def test_page_cap():
    got = extract_pdf(read("sparse-retrieval"), "https://x.example/a.pdf", max_pages=2)
    assert len(got.pages) == 2 and got.meta == {**got.meta, "page_count": 3, "pages_read": 2}


def test_clean_page_joins_hyphenation_and_ligatures():
    assert (
        clean_page("the re-\ntrieval ﬁnds   it\n\n\nState-of-the-\nArt")
        == "the retrieval finds it\nState-of-the-\nArt"
    )
