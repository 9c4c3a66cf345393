"""Issue 13's hostile inputs through the real pipeline (served on 127.0.0.1, the real fetcher and store),
with the production budget (10 s CPU, 512 MB). Each outcome is asserted: captured within the budget, or a
permanent failure that says why — never an exception, never a retry. Sizes are chosen so that today's
quadratic code would run for many minutes (the suite's timeout fails it), the fixed code for well under one."""

from __future__ import annotations

import pytest

from bot.capture.budget import MB, Budget
from bot.capture.fetch import Allowlist
from bot.capture.pipeline import CaptureOptions, capture_upload, capture_url
from tests.fakes.web import Page, serve_pages
from tests.fixtures.hostile import (
    WRONG_TYPES,
    billion_laughs_note,
    claims_first_note,
    emphasis_markdown,
    many_attributes_html,
    shared_stream_pdf,
    wrong_type_note,
)

LOCAL = CaptureOptions(allow=Allowlist.from_env("127.0.0.1"))
PRODUCTION = Budget()
TOO_COMPLEX = "this page is too large / too complex to clip: "


@pytest.fixture(scope="module")
def hostile_site():
    pages = {
        "/emphasis.md": Page(emphasis_markdown(1_000_000), "text/markdown; charset=utf-8"),
        "/attrs-200k": Page(many_attributes_html(200_000)),
        "/attrs-40k": Page(many_attributes_html(40_000)),
        "/shared.pdf": Page(shared_stream_pdf(), "application/pdf"),
    }
    with serve_pages(pages) as site:
        yield site


def _within_budget(result) -> None:
    assert result.usage is not None
    assert result.usage.cpu_seconds < PRODUCTION.cpu_seconds and result.usage.peak_rss_bytes < 1024 * MB


def test_row1_unclosed_emphasis_is_linear_and_clipped(store, hostile_site):
    result = capture_url(store, hostile_site.url("/emphasis.md"), options=LOCAL)  # 1 MB of "**a "
    assert result.status == "captured", result.error
    assert "little-text" in result.note.flags  # nothing to summarise in it, and nothing invented
    _within_budget(result)


@pytest.mark.parametrize("path", ["/attrs-200k", "/attrs-40k"])
def test_row2_a_tag_with_thousands_of_attributes_is_refused_before_parsing(store, hostile_site, path):
    result = capture_url(store, hostile_site.url(path), options=LOCAL)
    assert result.status == "failed" and result.permanent
    assert result.error == TOO_COMPLEX + "a tag has more than 1,000 attributes"
    assert store.counts()["notes"] == 0


def test_row3_pdf_pages_sharing_one_huge_stream_are_refused(store, hostile_site):
    result = capture_url(store, hostile_site.url("/shared.pdf"), options=LOCAL)
    assert result.status == "failed" and result.permanent
    assert result.error == TOO_COMPLEX + "its pages hold more than 1 MB of drawing instructions each"


def test_row4_yaml_aliases_in_an_uploaded_note_are_refused(store):
    result = capture_upload(store, billion_laughs_note(9), "laughs.md", "text/markdown", channel="C1", user="U1",
                            ts="1.0", options=LOCAL)
    assert result.status == "failed" and result.permanent
    assert result.error.startswith("laughs.md: l0: YAML anchors and aliases")
    assert store.counts()["notes"] == 0


def test_row5_a_50_mb_note_is_refused_and_a_4_mb_one_with_claims_first_is_clipped(store):
    big = capture_upload(store, claims_first_note(50_000_000), "big.md", "text/markdown", options=LOCAL)
    assert big.status == "failed" and big.permanent
    assert big.error == "big.md: the note is too large (47.7 MB; notes are limited to 5 MB)"
    fits = capture_upload(store, claims_first_note(4_000_000), "long.md", "text/markdown", options=LOCAL)
    assert fits.status == "captured", fits.error
    assert len(fits.note.claims) == 1 and len(fits.note.claims[0].text) > 3_900_000
    _within_budget(fits)


@pytest.mark.parametrize("field", sorted(WRONG_TYPES))
def test_row6_wrong_types_fail_permanently_naming_the_field(store, field):
    data = wrong_type_note(field, WRONG_TYPES[field]).encode()
    result = capture_upload(store, data, "note.md", "text/markdown", channel="C1", user="U1", ts="1.0",
                            options=LOCAL)
    assert result.status == "failed" and result.permanent
    assert result.error.startswith(f"note.md: {field}: ")


def test_a_capture_over_its_memory_budget_fails_permanently_and_the_next_one_works(store, hostile_site):
    tight = CaptureOptions(allow=LOCAL.allow, budget=Budget(memory_bytes=16 * MB))
    # ~10 MB in 750k lines: ~90 MB to clip (far more than any free heap the test process may already hold,
    # which the address-space limits cannot see)
    with serve_pages({"/big.md": Page(b"Short words.\n" * 750_000, "text/markdown")}) as site:
        over = capture_url(store, site.url("/big.md"), options=tight)
        assert over.status == "failed" and over.permanent
        assert over.error == TOO_COMPLEX + "it needs more than 16 MB of memory"
    ordinary = capture_upload(store, b"---\ntitle: A note\n---\n\nOne sentence.\n", "a.md", "text/markdown", options=tight)
    assert ordinary.status == "captured", ordinary.error
