"""Article extraction on the saved-page corpus (tests/fixtures/pages): metadata, main text, little text."""

from __future__ import annotations

import time
from datetime import date

import pytest

from bot.capture.extract import (
    Extracted,
    declared_charset,
    decode_bytes,
    extract_article,
    extract_text_file,
    inline_plain,
    is_boilerplate,
    is_content_sentence,
    layout_blocks,
    plain_text,
    prose_blocks,
    sentences,
    split_sentences,
)
from bot.kb.notes import one_line, title_key
from tests.fixtures.pages.corpus import HUGE_NAME, huge_page, known_share, load_corpus, load_page, page_names

NAMES = page_names()
REAL = [n for n in NAMES if not load_page(n).expected["little_text"]]
LITTLE = [n for n in NAMES if load_page(n).expected["little_text"]]


def _extract(name: str) -> Extracted:
    page = load_page(name)
    return extract_article(page.data, page.url)


def test_corpus_is_complete():
    assert len(NAMES) >= 10
    assert {"js-shell", "paywall-stub", "junk-body"} <= set(LITTLE)
    for name in NAMES:
        expected = load_page(name).expected
        assert expected["title"]
        assert len(expected["known_sentences"]) == 3 or expected["little_text"]


@pytest.mark.parametrize("name", NAMES)
def test_title_and_metadata(name):
    page = load_page(name)
    got = extract_article(page.data, page.url)
    expected = page.expected
    assert title_key(got.title) == title_key(expected["title"])
    assert got.url == page.url and got.kind == "article"
    if "author" in expected:
        assert got.author == expected["author"]
    if "site" in expected:
        assert (got.site or "").casefold() == expected["site"].casefold()
    if "published" in expected:
        assert got.published == date.fromisoformat(expected["published"])
    assert got.little_text is expected["little_text"]


@pytest.mark.parametrize("name", REAL)
def test_main_text_has_the_known_sentences_and_not_the_chrome(name):
    page = load_page(name)
    got = extract_article(page.data, page.url)
    prose = plain_text(got.text)
    assert known_share(prose, page.expected["known_sentences"]) == 1.0
    for chrome in page.expected.get("absent", []):
        assert chrome not in one_line(prose)


def test_known_sentence_share_over_the_corpus(capsys):
    found = total = 0
    for page in load_corpus():
        got = extract_article(page.data, page.url)
        known = page.expected["known_sentences"]
        found += round(known_share(plain_text(got.text), known) * len(known))
        total += len(known)
    with capsys.disabled():
        print(f"\n[extract] known sentences found: {found}/{total} ({found / total:.0%})")
    assert found == total


@pytest.mark.parametrize("name", LITTLE)
def test_little_text_pages_are_flagged_not_padded(name):
    got = _extract(name)
    assert got.little_text
    assert len(plain_text(got.text)) < 600


def test_huge_page_is_extracted_in_reasonable_time():
    page = huge_page()
    assert 2_000_000 <= len(page.data) <= 5_000_000
    extract_article(page.data[:2000] + b"</body></html>", page.url)  # warm the imports
    start = time.perf_counter()
    got = extract_article(page.data, page.url)
    elapsed = time.perf_counter() - start
    assert got.title == page.expected["title"] and not got.little_text
    assert known_share(plain_text(got.text), page.expected["known_sentences"]) == 1.0
    assert "reader2199" not in got.text, "comments are not main text"
    assert elapsed < 3.0, f"{elapsed:.2f}s for {HUGE_NAME}"


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("name", "word"),
    [("windows-1252-cafes", "façades"), ("iso-8859-1-nachtzuege", "größer"), ("shift-jis-railways", "鉄道")],
)
def test_legacy_encodings_decode_from_the_meta_charset(name, word):
    page = load_page(name)
    with pytest.raises(UnicodeDecodeError):
        page.data.decode("utf-8")
    assert declared_charset(page.data).lower() == page.expected["charset"].lower()
    got = extract_article(page.data, page.url)
    assert word in got.text
    assert "\ufffd" not in got.text and "Ã" not in got.text


def test_windows_1252_quotes_survive_an_iso_8859_1_label():
    html = "<html><head><title>t</title></head><body><p>“Quoted” – fine €5</p></body></html>"
    data = html.encode("cp1252")
    assert decode_bytes(data, "iso-8859-1") == html
    assert "“Quoted”" in decode_bytes(data)  # no label at all: detected


def test_header_charset_wins_over_detection_and_utf8_wins_over_a_wrong_label():
    text = "Grüße aus Köln, schöne Straße"
    assert decode_bytes(text.encode("latin-1"), content_type_charset="iso-8859-1") == text
    assert decode_bytes(text.encode("utf-8"), content_type_charset="iso-8859-1") == text
    assert decode_bytes(b"\xef\xbb\xbfhello") == "hello"
    assert decode_bytes("already text") == "already text"


def test_header_charset_used_when_the_page_declares_nothing():
    html = (
        "<html><body><article><p>" + "Ça coûte très cher à Montréal. " * 30 + "</p></article></body></html>"
    )
    got = extract_article(html.encode("cp1252"), "https://x.example/a", content_type_charset="windows-1252")
    assert "Ça coûte très cher à Montréal." in got.text


def test_an_extractor_failure_is_a_problem_not_a_crash(monkeypatch):
    import trafilatura

    def boom(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(trafilatura, "extract", boom)
    page = load_page("blog-essay")
    got = extract_article(page.data, page.url)
    assert got.little_text and got.problem == "the page could not be read"
    assert got.title == "The case for slow notes"


def test_not_html_at_all_does_not_crash():
    got = extract_article(b"", "https://x.example/empty")
    assert got.little_text and got.title
    got = extract_article(b"\x00\x01\x02 binary", "https://x.example/bin")
    assert got.little_text


# --------------------------------------------------------------------------- text helpers


def test_split_sentences_handles_abbreviations_initials_and_numbers():
    text = (
        "Dr. Smith paid $1.50 at 3 p.m. on Jan. 5. The U.S. team won, e.g. twice. "
        "See W. W. Norton for details! Was it worth it? \u201cYes.\u201d The end."
    )
    assert split_sentences(text) == [
        "Dr. Smith paid $1.50 at 3 p.m. on Jan. 5.",
        "The U.S. team won, e.g. twice.",
        "See W. W. Norton for details!",
        "Was it worth it?",
        "\u201cYes.\u201d",
        "The end.",
    ]


def test_split_sentences_lowercase_starts_and_cjk():
    assert split_sentences("A limit is reached. httpkit can retry.") == [
        "A limit is reached.",
        "httpkit can retry.",
    ]
    assert split_sentences("駅の設計も重要だ。乗客は列を作る。") == ["駅の設計も重要だ。", "乗客は列を作る。"]


def test_inline_markdown_is_rendered_to_plain_words():
    md = (
        "A **bold** [link](https://x.example/a_b) and `code`, *em* and \\[1\\] a_b_c.<sup>[\\[2\\]](#c)</sup>"
    )
    assert inline_plain(md) == "A bold link and code, em and a_b_c."
    assert inline_plain("![img](https://x/y.png) Caption text") == "Caption text"


def test_prose_blocks_skip_headings_code_and_tables():
    md = "# Title\n\nPara one\ncontinues.\n\n```\ncode. Here.\n```\n| a | b |\n|---|---|\n- item one\n- item two\n> quoted\n"
    assert prose_blocks(md) == ["Para one continues.", "item one", "item two", "quoted"]
    assert sentences(md) == ["Para one continues.", "item one", "item two", "quoted"]


def test_layout_blocks_split_titles_from_wrapped_paragraphs():
    page = "Short Title\nA B\nThis is a long wrapped line of text that goes on\nand continues here to the end.\nNext"
    assert layout_blocks(page)[:2] == ["Short Title", "A B"]


def test_boilerplate_and_content_sentences():
    assert is_boilerplate("Subscribe to continue reading")
    assert is_boilerplate("Sign up for our monthly letter from Lisbon.")
    assert is_boilerplate("Read more at https://example.com today.")
    assert not is_boilerplate("The design in 1822 was a sign of things to come.")
    assert not is_boilerplate("Unloading times fell by a third after the cranes arrived.")
    assert is_content_sentence("Unloading times fell by a third after the cranes arrived.")
    assert not is_content_sentence("Retries and backoff")  # a heading, no sentence end
    assert not is_content_sentence("Too short here.")


def test_text_files():
    md = b'---\ntitle: "Meeting notes"\n---\n# Ignored heading\n\nWe agreed to ship the parser in May. ' * 1
    got = extract_text_file(md, "https://x.example/notes.md")
    assert got.title == "Meeting notes" and got.little_text
    body = "\n\n".join(f"Paragraph {i} says something concrete about the release plan." for i in range(12))
    got = extract_text_file(("Release plan\n\n" + body).encode("utf-16"), "https://x.example/plan.txt")
    assert got.title == "Release plan" and not got.little_text
    got = extract_text_file(b"", "https://x.example/dir/empty.txt")
    assert got.title == "empty.txt" and got.little_text


def test_extraction_is_deterministic():
    for name in NAMES:
        assert _extract(name) == _extract(name)
