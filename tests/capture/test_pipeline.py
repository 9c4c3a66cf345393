"""capture_url / capture_upload end to end: a real local web server, the real fetcher, the real store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.capture.fetch import Allowlist
from bot.capture.pipeline import CaptureOptions, capture_upload, capture_url
from bot.kb.notes import url_note_id
from bot.kb.render import place_url
from tests.fakes.web import Page, serve_pages

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
PDFS = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"
NOW = datetime(2026, 11, 24, 10, 30)
LOCAL = CaptureOptions(allow=Allowlist.from_env("127.0.0.1"))


@pytest.fixture
def site():
    pages = {
        "/essay": Page((PAGES / "blog-essay.html").read_bytes()),
        "/paywall": Page((PAGES / "paywall-stub.html").read_bytes()),
        "/paper.pdf": Page((PDFS / "sparse-retrieval.pdf").read_bytes(), "application/pdf"),
        "/logo.png": Page(b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png"),
        "/flaky": Page(b"down", "text/plain", 503),
    }
    with serve_pages(pages) as s:
        yield s


def test_article_becomes_a_stored_note_with_traceable_claims(store, site):
    result = capture_url(store, site.url("/essay?utm_source=slack"), channel="C1", user="U1", ts="1.2",
                         now=NOW, options=LOCAL)
    assert result.status == "captured", result.error
    note = result.note
    assert note.title == "The case for slow notes"
    assert note.url == site.url("/essay?utm_source=slack")  # what was posted (the canonical URL is the id)
    assert note.id == url_note_id(site.url("/essay").replace("http://", "https://"))
    assert note.owner == "U1" and note.channel == "C1" and note.clipped == NOW
    assert 3 <= len(note.claims) <= 10
    body = " ".join(note.body.split())
    for claim in note.claims:
        assert claim.quote and claim.text in body.replace("*", "")  # every claim is a sentence of the source
    assert note.decay_rate in {"slow", "medium", "fast"} and note.decay_reason
    assert store.search_claims("notes")  # searchable at once
    [mention] = store.mentions(note.id)
    assert (mention.channel, mention.ts, mention.user) == ("C1", "1.2", "U1")


def test_links_people_click_are_the_links_that_were_posted(store, site):
    """An http:// intranet page (what DESKBOT_FETCH_ALLOW is for) keeps working links: the note, each claim's
    place and the reply show where the page really is; only the identity uses the canonical https form."""
    site.pages["/old-essay"] = Page(b"", status=301, location="/essay")
    result = capture_url(store, site.url("/old-essay"), channel="C1", user="U1", ts="1.2", now=NOW, options=LOCAL)
    assert result.status == "captured", result.error
    note = store.get_note(result.note.id)
    assert note.url == site.url("/essay") and note.url.startswith("http://")  # after the redirect
    assert note.id == url_note_id(site.url("/old-essay").replace("http://", "https://"))
    assert all(place_url(note, c).startswith(site.url("/essay")) for c in note.claims)
    again = capture_url(store, site.url("/old-essay"), channel="C1", user="U2", ts="2.0", now=NOW, options=LOCAL)
    assert again.status == "duplicate" and again.note.id == note.id and site.hits["/old-essay"] == 1


def test_same_link_again_is_a_duplicate_with_the_first_mention(store, site):
    first = capture_url(store, site.url("/essay"), channel="C1", user="U1", ts="1.0", now=NOW, options=LOCAL)
    again = capture_url(store, site.url("/essay#comments"), channel="C1", user="U2", ts="2.0", now=NOW,
                        options=LOCAL)
    assert again.status == "duplicate"
    assert again.first.user == "U1" and again.first.ts == "1.0"
    assert again.note.id == first.note.id
    assert site.hits["/essay"] == 1  # no second fetch
    assert store.counts()["notes"] == 1
    assert [m.user for m in store.mentions(first.note.id)] == ["U1", "U2"]


def test_little_text_page_is_flagged_not_summarised(store, site):
    result = capture_url(store, site.url("/paywall"), now=NOW, options=LOCAL)
    assert result.status == "captured"
    assert "little-text" in result.note.flags
    assert result.note.summary == "" and result.note.claims == []
    assert any("little text" in n for n in result.notices)


def test_pdf_claims_keep_their_pages(store, site):
    result = capture_url(store, site.url("/paper.pdf"), now=NOW, options=LOCAL)
    assert result.status == "captured", result.error
    assert result.note.kind == "paper"
    assert result.note.claims and all(c.page for c in result.note.claims)


@pytest.mark.parametrize(
    ("path", "error", "permanent"),
    [("/missing", "HTTP 404 Not Found", True), ("/logo.png", "not an article: image/png", True),
     ("/flaky", "HTTP 503", False)],
)
def test_failures_are_readable_and_say_whether_to_retry(store, site, path, error, permanent):
    result = capture_url(store, site.url(path), now=NOW, options=LOCAL)
    assert result.status == "failed"
    assert error in result.error
    assert result.permanent is permanent
    assert store.counts()["notes"] == 0


def test_private_addresses_are_refused_without_the_allow_list(store, site):
    result = capture_url(store, site.url("/essay"), now=NOW)
    assert result.status == "failed"
    assert result.error == "refused: 127.0.0.1 is a loopback address (an intranet host can be allowed with DESKBOT_FETCH_ALLOW)"
    assert site.hits == {}


def test_uploaded_markdown_clip_is_imported_as_is(store, seeds_dir):
    data = (seeds_dir / "thoughts-on-ai-progress-clip.md").read_bytes()
    result = capture_upload(store, data, "clip.md", "text/markdown", channel="C1", user="U7", ts="3.0", now=NOW)
    assert result.status == "captured"
    assert result.note.title == "Thoughts on AI progress (Dec 2025)"
    assert result.note.clipped == datetime(2025, 12, 23, 13, 0)  # the clip's own date wins


def test_uploaded_pdf_is_extracted(store):
    data = (PDFS / "sparse-retrieval.pdf").read_bytes()
    result = capture_upload(store, data, "paper.pdf", "application/pdf", channel="C1", user="U7", now=NOW)
    assert result.status == "captured", result.error
    assert result.note.claims and all(c.page for c in result.note.claims)


def test_broken_upload_is_a_clear_failure(store):
    result = capture_upload(store, (PDFS / "truncated.pdf").read_bytes(), "bad.pdf", "application/pdf", now=NOW)
    assert result.status == "failed" and "PDF" in result.error
