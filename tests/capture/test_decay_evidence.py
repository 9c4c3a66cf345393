"""Decay from evidence: what real saved pages say about themselves, and the one-line reason it gives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from bot.capture.decay_rules import WEIGHTS, TeamLabels, suggest, suggest_for_note, team_labels
from bot.capture.pagemeta import PageMeta, page_meta
from bot.capture.pdf import extract_pdf
from bot.capture.pipeline import extract_bytes
from bot.capture.summarize import ExtractiveSummarizer, note_from
from tests.fixtures.decay_pages.corpus import page

PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"


def clip(name: str, on: date | None = None):
    """A corpus page through the real extraction and summary, clipped on ``on`` (default: a day after it)."""
    saved = page(name)
    extracted = extract_bytes(saved.html(), saved.url, "text/html")
    summary = ExtractiveSummarizer().summarize(extracted)
    published = PageMeta.from_dict(extracted.meta.get("page_meta")).published or extracted.published
    day = on or (date.fromordinal(published.toordinal() + 1) if published else date(2026, 12, 1))
    return note_from(extracted, summary, clipped=datetime(day.year, day.month, day.day, 9))


def test_news_page_reads_its_schema_type_and_date():
    meta = page_meta(page("cnn-thanksgiving-weather").html())
    assert "NewsArticle" in meta.schema_types and meta.og_type == "article"
    assert meta.published == date(2013, 11, 27)
    note = clip("cnn-thanksgiving-weather", on=date(2013, 11, 29))
    assert (note.decay_rate, note.decay_reason) == (
        "fast", "a news article (schema.org NewsArticle) published 2 days ago")
    assert note.extra["page_meta"]["schema_types"][0] == "NewsArticle"


def test_news_from_an_unknown_host_is_fast_from_its_markup_alone():
    meta = page_meta(page("bbc-burmese-journalist").html())
    assert meta.schema_types[0] == "ReportageNewsArticle"
    assert clip("bbc-burmese-journalist").decay_rate == "fast"


def test_blog_post_with_microdata_is_not_mistaken_for_a_reference_page():
    meta = page_meta(page("linknaija-kate-henshaw").html())
    assert "BlogPosting" in meta.schema_types and meta.published == date(2018, 10, 6)
    assert clip("linknaija-kate-henshaw").decay_rate == "fast"  # dated URL + published yesterday


def test_essay_without_markup_stays_out_of_fast():
    note = clip("dcurtis-voice-interfaces")
    assert note.decay_rate != "fast"


def test_docs_with_a_version_number_are_medium_and_say_the_version():
    note = clip("py-json")
    assert (note.decay_rate, note.decay_reason) == ("medium", "documentation for version 3.11")


def test_glossary_and_encyclopedia_pages_are_slow():
    assert clip("py-glossary").decay_rate == "slow"
    wiki = clip("wikipedia-now-and-then")
    assert wiki.decay_rate == "slow" and "encyclopedia" in wiki.decay_reason


def test_pricing_and_changelog_pages_are_fast():
    assert (clip("sqlite-prosupport").decay_rate, clip("sqlite-prosupport").decay_reason) == (
        "fast", "a pricing page")
    assert clip("sqlite-changes").decay_rate == "fast"


def test_video_page_is_recognised_from_og_type():
    meta = page_meta(page("polygon-shovel-knight-video").html())
    assert meta.og_type == "video.other"
    assert any("a video (og:type video.other)" in e for e in clip("polygon-shovel-knight-video").extra["decay_evidence"])


def test_paper_decay_follows_the_scholarly_record():
    got = extract_pdf((PDF / "sparse-retrieval.pdf").read_bytes(), "https://arxiv.org/pdf/2401.01234v1")
    assert note_from(got, ExtractiveSummarizer().summarize(got)).decay_rate == "fast"  # a preprint
    base = {"kind": "paper", "url": "https://doi.org/10.1000/x", "title": "A study"}
    assert suggest(**base, meta={"item_type": "journalArticle"}).rate == "medium"
    review = suggest(**base, meta={"item_type": "journalArticle", "publication_types": ["Systematic Review"]})
    assert review.rate == "slow" and "systematic review" in review.reason
    assert suggest(**base, meta={"publication_types": "Practice Guideline"}).rate == "slow"
    assert suggest(**base, meta={"item_type": "preprint"}).rate == "fast"
    assert suggest(kind="paper", url="https://www.medrxiv.org/content/10.1101/2024.01.01", title="x").rate == "fast"


def test_claims_full_of_prices_and_versions_push_towards_fast():
    claims = ["The Pro plan currently costs $20 per month.", "Version 2.3 adds streaming.",
              "As of this week the API is 30% cheaper.", "The company was founded by two friends."]
    alone = suggest(kind="article", url="https://unknown.example/post", title="Notes", claims=claims)
    assert alone.rate == "medium", "one weak hint alone does not leave the default"
    got = suggest(kind="article", url="https://unknown.example/post", title="Notes", claims=claims,
                  page=PageMeta(section="Business"))
    assert got.rate == "fast" and "3 of 4 claims" in got.reason


def test_no_evidence_is_medium_and_says_so():
    got = suggest(kind="article", url="https://unknown.example/post", title="Notes")
    assert (got.rate, got.reason) == ("medium", "no evidence either way; medium is the default")


def test_team_labels_need_three_and_a_clear_majority():
    assert team_labels({"a.example": {"fast": 2}}, {}) == []
    assert team_labels({"a.example": {"fast": 3, "slow": 2}}, {}) == []
    [site] = team_labels({"a.example": {"fast": 5, "slow": 1}}, {})
    assert site == TeamLabels("site", "a.example", "fast", 5, 6)
    got = suggest(kind="article", url="https://en.wikipedia.org/wiki/X", title="X", team=[site])
    assert (got.rate, got.reason) == ("fast", "this channel set 5 of 6 earlier notes from this site to fast")


def test_weights_table_documents_every_evidence_kind():
    kinds = {e.kind for e in suggest(
        kind="video", url="https://news.example/2024/01/02/x", title="Pricing", claims=["a", "b", "c"],
        page=PageMeta(schema_types=("NewsArticle",), og_type="video.other", section="Politics",
                      published=date(2024, 1, 1)), now=date(2024, 1, 2)).evidence}
    assert kinds <= set(WEIGHTS) and {"schema", "og-type", "section", "news-url", "age", "kind"} <= kinds


@pytest.mark.parametrize("html", [b"", b"<html", "<meta property='og:type'>", b"\xff\xfe<html>\x00",
                                  "<script type='application/ld+json'>{not json</script>",
                                  "<script type='application/ld+json'>[[[[[{\"@type\": 5}]]]]]</script>"])
def test_broken_markup_gives_empty_metadata_not_an_error(html):
    meta = page_meta(html)
    assert isinstance(meta, PageMeta) and not meta.schema_types


def test_product_pages_from_microdata_and_open_graph():
    shop = clip("toralin-schmierfett")
    assert "Product" in page_meta(page("toralin-schmierfett").html()).schema_types  # microdata itemtype
    assert (shop.decay_rate, shop.decay_reason) == ("fast", "a product page (schema.org Product)")
    wine = clip("ebrosia-zinfandel")
    assert wine.decay_rate == "fast" and "a product page (og:type product)" in " ".join(wine.extra["decay_evidence"])
    assert wine.decay_reason.count("a product page") == 1, "one idea is said once"


def test_a_video_with_nothing_else_is_medium_because_it_is_a_video():
    got = suggest(kind="video", url="https://www.youtube.com/watch?v=abc", title="A talk")
    assert (got.rate, got.reason) == ("medium", "a video")


def test_paper_landing_page_reads_its_citation_tags_and_scholarly_type():
    """A real journal landing page (SpringerLink, saved by papis): JSON-LD ScholarlyArticle + citation_* tags."""
    meta = page_meta(page("paper-springer-identical-particles").html())
    assert "ScholarlyArticle" in meta.schema_types
    assert meta.scholarly == "journal article in Il Nuovo Cimento B (1971-1996)"
    assert meta.doi == "10.1007/BF02727953"
    note = clip("paper-springer-identical-particles")
    assert note.decay_rate == "medium"
    assert note.decay_reason.startswith("a journal article in Il Nuovo Cimento B (1971-1996) (citation tags)")
    assert note.extra["page_meta"]["scholarly"].startswith("journal article")


def test_paper_pages_without_json_ld_are_known_from_citation_tags_alone():
    working = page_meta(page("paper-nber-ycc-australia").html())  # NBER: citation_* only, slashed dates
    assert not working.schema_types and working.published == date(2022, 4, 25)
    assert working.scholarly == "report from National Bureau of Economic Research"
    talk = page_meta(page("paper-usenix-morphuzz").html())
    assert talk.scholarly == "conference paper at 31st USENIX Security Symposium (USENIX Security 22)"
    note = clip("paper-aps-prx-tearing-dynamo")  # a 2022 article, clipped the day after: not news for that
    assert (note.decay_rate, note.decay_reason) == (
        "medium", "a journal article in Physical Review X (citation tags)")


def test_the_evidence_comes_from_the_extraction_s_own_parse_decoded_as_the_page_is():
    """NDR's keywords are UTF-8; read from the extraction's decoded tree they are words, not mojibake."""
    saved = page("ndr-coronavirus-update-16")
    evidence = PageMeta.from_dict(extract_bytes(saved.html(), saved.url, "text/html").meta.get("page_meta"))
    assert "Charité" in evidence.keywords and "Ältere Menschen" in evidence.keywords
    news = page("cnn-thanksgiving-weather")
    assert extract_bytes(news.html(), news.url, "text/html").meta["page_meta"] == page_meta(news.html()).as_dict()


@pytest.mark.parametrize(("name", "section"), [("scmp-tsai-playbook", "opinion"), ("rd-herald-sun-1", "opinion")])
def test_an_opinion_column_on_a_news_site_is_medium_despite_its_news_markup(name, section):
    """scmp marks its columns NewsArticle under /comment/opinion/; the Herald Sun files them under /news/opinion/."""
    note = clip(name)
    assert (note.decay_rate, note.decay_reason) == ("medium", f"an opinion piece (its URL is in /{section}/)")


def test_a_reporting_column_under_commentary_stays_news():
    got = suggest(kind="article", url="https://news.example/commentary/news/story?id=1", title="Coach resigns",
                  page=PageMeta(schema_types=("NewsArticle",), published=date(2024, 1, 1)), now=date(2024, 1, 2))
    assert got.rate == "fast"


def test_the_channels_choice_for_a_site_wins_over_fresh_news_markup():
    """decay-stats says "new notes follow": a next-day NewsArticle with a dated URL from that site does."""
    saved = page("cnn-thanksgiving-weather")
    extracted = extract_bytes(saved.html(), saved.url, "text/html")
    team = [TeamLabels("site", "www.cnn.com", "medium", 10, 10)]
    got = suggest_for_note(extracted, saved.url, [], [], now=date(2013, 11, 28), team=team)
    assert (got.rate, got.reason) == ("medium", "this channel set 10 of 10 earlier notes from this site to medium")
    assert suggest_for_note(extracted, saved.url, [], [], now=date(2013, 11, 28)).rate == "fast"  # without it


def test_weak_evidence_alone_leaves_medium_and_says_what_it_was():
    got = suggest(kind="article", url="https://example.org/p/1", title="A page", published=date(2024, 1, 1),
                  now=date(2024, 1, 2), page=PageMeta(og_type="article", published=date(2024, 1, 1)))
    assert (got.rate, got.reason) == ("medium", "medium is the default: too little evidence to move it"
                                                " (published yesterday)")


def test_a_wiki_entry_from_an_unknown_host_is_slow_whatever_its_tags_say():
    """Wikipedia's page served from another host: its summary tag #anime-news alone once made it fast."""
    saved = page("wikipedia-now-and-then")
    url = "http://wiki.example.org/wiki/Now_and_Then,_Here_and_There"
    extracted = extract_bytes(saved.html(), url, "text/html")
    got = suggest_for_note(extracted, url, ["anime-news"], [], now=date(2026, 12, 1))
    assert (got.rate, got.reason) == ("slow", "a wiki entry, published 16 years ago")
