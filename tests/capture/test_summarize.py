"""The offline extractive summarizer, place links and ``note_from``, over the whole saved corpus."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.capture.extract import Extracted, extract_article, split_sentences
from bot.capture.pdf import extract_pdf
from bot.capture.summarize import (
    MAX_SENTENCES,
    ExtractiveSummarizer,
    Summarizer,
    Summary,
    keyphrases,
    note_from,
    source_sentences,
    summarize,
)
from bot.kb.links import canonical_url
from bot.kb.notes import Claim, normalize_tag, one_line, url_note_id
from bot.kb.render import claim_link as place_url
from bot.kb.render import text_fragment
from tests.fixtures.pages.corpus import huge_page, load_corpus

PDFS = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"
SUMMARIZER = ExtractiveSummarizer()


def _corpus_extracted() -> list[Extracted]:
    out = [extract_article(page.data, page.url) for page in load_corpus()]
    for name in ("sparse-retrieval", "field-report"):
        out.append(extract_pdf((PDFS / f"{name}.pdf").read_bytes(), f"https://papers.example/{name}.pdf"))
    return out


@pytest.fixture(scope="module")
def corpus() -> list[Extracted]:
    return _corpus_extracted()


def test_every_claim_and_summary_sentence_is_a_sentence_of_the_source(corpus):
    checked = 0
    for extracted in corpus:
        summary = SUMMARIZER.summarize(extracted)
        ordered = [text for text, _, _ in source_sentences(extracted)]
        source = set(ordered)
        runs = source | {f"{a} {b}" for a, b in zip(ordered, ordered[1:], strict=False)}
        flat = one_line(" ".join([extracted.text, *extracted.pages]))
        for claim in summary.claims:
            # a sentence, or one leaning on the sentence before taken with it ("… . He said …")
            assert claim.text in runs, (extracted.url, claim.text)
            assert claim.supported is True
            checked += 1
        for sentence in split_sentences(summary.text):
            assert sentence in source, (extracted.url, sentence)
        if extracted.kind == "article":
            for claim in summary.claims:
                assert claim.quote == claim.text
                assert all(word in flat for word in claim.text.split()[:3])
    assert checked >= 30


def test_shape_of_summaries(corpus):
    for extracted in corpus:
        summary = SUMMARIZER.summarize(extracted)
        if extracted.little_text:
            assert summary.text == "" and summary.claims == [] and summary.tags == []
            continue
        assert 2 <= len(split_sentences(summary.text)) <= 4, extracted.url
        assert 3 <= len(summary.claims) <= 10, extracted.url
        assert summary.tags and len(summary.tags) <= 8
        assert all(tag == normalize_tag(tag) for tag in summary.tags)
        claim_texts = [c.text for c in summary.claims]
        assert len(set(claim_texts)) == len(claim_texts)
        assert not any(text.endswith("?") for text in claim_texts)


def test_claims_carry_their_place(corpus):
    for extracted in corpus:
        for claim in SUMMARIZER.summarize(extracted).claims:
            if extracted.kind == "paper":
                assert claim.page is not None and 1 <= claim.page <= len(extracted.pages)
                assert claim.text in one_line(extracted.pages[claim.page - 1])
                assert claim.quote is None and claim.t is None
            else:
                assert claim.quote and claim.t is None and claim.page is None


def test_summaries_are_deterministic(corpus):
    for extracted in corpus:
        assert SUMMARIZER.summarize(extracted) == SUMMARIZER.summarize(extracted)
    again = _corpus_extracted()
    assert [SUMMARIZER.summarize(e) for e in again] == [SUMMARIZER.summarize(e) for e in corpus]


def test_news_summary_leads_with_the_news(corpus):
    news = next(e for e in corpus if "zephyr" in e.url)
    summary = SUMMARIZER.summarize(news)
    assert summary.text.startswith("Northwind AI released Zephyr-3 on Tuesday")
    assert {"northwind", "zephyr-3"} & set(summary.tags)
    assert not any("comment" in c.text.lower() or "newsletter" in c.text.lower() for c in summary.claims)


def test_huge_page_summary_reads_only_the_capped_head_of_the_page():
    """The cap is what keeps a 3 MB page as fast as a blog post (timed in bench/quality.py, not here):
    every claim comes from the first ``MAX_SENTENCES`` sentences, none from the rest of the page."""
    page = huge_page()
    extracted = extract_article(page.data, page.url)
    sentences = [text for text, _, _ in source_sentences(extracted)]
    assert len(sentences) > MAX_SENTENCES
    head = " ".join(sentences[:MAX_SENTENCES])
    beyond = set(sentences[MAX_SENTENCES:]) - set(sentences[:MAX_SENTENCES])  # said only past the cap
    assert beyond
    summary = SUMMARIZER.summarize(extracted)
    assert 2 <= len(split_sentences(summary.text)) <= 4 and len(summary.claims) == 10
    assert all(claim.text in head for claim in summary.claims)
    assert not any(sentence in claim.text for claim in summary.claims for sentence in beyond)


# --------------------------------------------------------------------------- tags


def test_keyphrases_merge_plurals_and_prefer_repeated_bigrams():
    texts = [
        "Fresnel lenses focus light with concentric grooves.",
        "A Fresnel lens is lighter than a solid lens.",
        "Lighthouse keepers cleaned the lenses every morning.",
        "The lighthouse keepers lived beside the tower.",
    ]
    tags = keyphrases(texts, "Fresnel lens")
    assert tags[0] in {"fresnel-lens", "fresnel-lenses"}
    assert "lighthouse-keepers" in tags
    assert "lenses" not in tags and "lens" not in tags  # covered by the bigram
    assert keyphrases(["Der Zug und die Bahn.", "Der Zug und die Bahn."]) == ["bahn", "zug"]  # no "der"


# --------------------------------------------------------------------------- places


def test_text_fragment_links():
    short = Claim(text="Fast notes are cheap to make.", quote="Fast notes are cheap to make.")
    assert (
        place_url("https://x.example/p", short)
        == "https://x.example/p#:~:text=Fast%20notes%20are%20cheap%20to%20make."
    )
    long_quote = (
        "Zephyr-3 supports a context window of 400,000 tokens, twice the length of its predecessor & more."
    )
    link = place_url("https://x.example/p#intro", Claim(text=long_quote, quote=long_quote))
    assert link.startswith("https://x.example/p#intro:~:text=")
    value = link.split(":~:text=", 1)[1]
    start, end = value.split(",")
    assert "-" not in value and "&" not in value and unquote(start) == "Zephyr-3 supports a context window"
    assert unquote(end) == "of its predecessor & more."
    assert text_fragment("a-b, c&d") == "a%2Db%2C%20c%26d"


def test_video_and_pdf_links():
    video = Claim(text="x", t=508)
    assert (
        place_url("https://youtu.be/_zgnSbu5GqE", video)
        == "https://www.youtube.com/watch?v=_zgnSbu5GqE&t=508s"
    )
    assert place_url("https://media.example/talk?id=3", video) == "https://media.example/talk?id=3&t=508s"
    page = Claim(text="x", page=3)
    assert place_url("https://papers.example/a.pdf", page) == "https://papers.example/a.pdf#page=3"
    assert (
        place_url("https://arxiv.org/abs/2401.01234v2", page) == "https://arxiv.org/pdf/2401.01234v2#page=3"
    )
    assert place_url("https://x.example/p", Claim(text="no place")) == "https://x.example/p"


# --------------------------------------------------------------------------- notes


def test_note_from_builds_a_full_note(corpus):
    essay = next(e for e in corpus if "slow-notes" in e.url)
    summary = SUMMARIZER.summarize(essay)
    clipped = datetime(2025, 12, 23, 13, 0)
    note = note_from(essay, summary, channel="C0123", owner="U0456", clipped=clipped)
    assert note.id == url_note_id(canonical_url(essay.url)), "the same id as an imported note of that URL"
    assert note.url == canonical_url(essay.url)
    assert (note.title, note.kind, note.author, note.site) == (
        essay.title,
        "article",
        "Jonas Berg",
        "Field Notes",
    )
    assert (note.channel, note.owner, note.clipped) == ("C0123", "U0456", clipped)
    assert note.published == essay.published
    assert note.summary == summary.text and note.claims == summary.claims and note.tags == summary.tags
    assert note.body == essay.text
    assert (note.decay_rate, note.decay_reason) == ("slow", "essays on ideas age slowly")
    assert note.flags == [] and note.extra["summarizer"] == "extractive"
    tracked = Extracted(**{**essay.__dict__, "url": essay.url + "?utm_source=slack#top"})
    assert note_from(tracked, summary).id == note.id, "same work, same id"


def test_little_text_note_has_no_summary_even_from_a_generous_summarizer(corpus):
    class Inventive:
        def summarize(self, extracted: Extracted) -> Summary:
            return Summary("Made up.", [Claim(text="Invented claim.", supported=False)], ["x"], "llm")

    assert isinstance(Inventive(), Summarizer)
    paywall = next(e for e in corpus if "ledger" in e.url)
    note = note_from(paywall, summarize(paywall, Inventive()))
    assert note.flags == ["little-text"]
    assert note.summary == "" and note.claims == [] and note.tags == []
    assert note.title == "Inside the chip shortage's second act"


def test_other_summarizers_keep_their_supported_flags(corpus):
    class Partial:
        def summarize(self, extracted: Extracted) -> Summary:
            claims = [Claim(text="A.", supported=True), Claim(text="B.", supported=False)]
            return Summary("Two sentences. Here.", claims, ["Topic One"], "llm")

    news = next(e for e in corpus if "zephyr" in e.url)
    note = note_from(news, summarize(news, Partial()))
    assert [c.supported for c in note.claims] == [True, False]
    assert note.tags == ["topic-one"] and note.extra["summarizer"] == "llm"


def test_summarize_defaults_to_extractive(corpus):
    assert summarize(corpus[0]) == SUMMARIZER.summarize(corpus[0])


# --------------------------------------------------------------------------- property


_WORDS = [
    "river",
    "harbour",
    "tide",
    "crane",
    "ship",
    "cargo",
    "quay",
    "storm",
    "wall",
    "town",
    "grows",
    "fell",
]
_SENT = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(st.sampled_from(_WORDS), min_size=6, max_size=18),
    st.sampled_from([".", "!", "."]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_SENT, min_size=1, max_size=5), min_size=1, max_size=12))
def test_property_claims_are_always_source_sentences(paragraphs):
    text = "\n\n".join(" ".join(p) for p in paragraphs)
    extracted = Extracted(url="https://x.example/p", title="Harbour", text=text)
    summary = SUMMARIZER.summarize(extracted)
    source = {s for s, _, _ in source_sentences(extracted)}
    assert all(c.text in source for c in summary.claims)
    assert all(s in source for s in split_sentences(summary.text))
    assert len(summary.claims) <= 10 and len(split_sentences(summary.text)) <= 4
    assert summary == SUMMARIZER.summarize(extracted)
