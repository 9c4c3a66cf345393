"""The whole saved-page corpus served on 127.0.0.1 and captured through the real fetcher and pipeline."""

from __future__ import annotations

from datetime import datetime

from bot.capture.extract import plain_text
from bot.capture.fetch import Allowlist
from bot.capture.pipeline import CaptureOptions, capture_url
from bot.kb.notes import one_line
from tests.fakes.web import Page, serve_pages
from tests.fixtures.pages.corpus import known_share, load_corpus


def test_every_corpus_page_is_captured_with_its_title_and_text_or_a_clear_flag(store, capsys):
    corpus = load_corpus(with_huge=True)
    pages = {f"/{p.name}": Page(p.data, "text/html") for p in corpus}  # no charset header: the page says
    shares = []
    with serve_pages(pages) as site:
        for page in corpus:
            result = capture_url(store, site.url(f"/{page.name}"), now=datetime(2026, 11, 24),
                                 options=CaptureOptions(allow=Allowlist.from_env("127.0.0.1")))
            assert result.status == "captured", (page.name, result.error)
            note = result.note
            expected = page.expected
            if expected.get("title"):
                assert note.title == expected["title"], page.name
            if expected.get("little_text"):
                assert "little-text" in note.flags and not note.claims, page.name
                continue
            assert note.summary and 3 <= len(note.claims) <= 10, page.name
            body = one_line(plain_text(note.body))  # the rendered text: what a #:~:text= link matches
            for claim in note.claims:
                assert claim.text in body, (page.name, claim.text)
            known = expected.get("known_sentences") or []
            if known:
                shares.append(known_share(note.body, known))
    assert shares and min(shares) == 1.0
    with capsys.disabled():
        print(f"\n  corpus over HTTP: {len(corpus)} pages; known sentences found in {sum(s == 1.0 for s in shares)}"
              f"/{len(shares)} article pages")
