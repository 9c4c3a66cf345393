"""Newsroom credits (editors, reporters, wire agencies) as decay evidence, on real saved pages of the corpus."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.capture import decay_rules
from bot.capture.newsroom import newsroom_credit
from bot.capture.pagemeta import PageMeta, page_meta
from bot.capture.pipeline import extract_bytes
from tests.fixtures.decay_pages.corpus import page


def captured(name: str):
    saved = page(name)
    return saved, extract_bytes(saved.html(), saved.url, "text/html")


@pytest.mark.parametrize(("name", "credit"), [
    ("gne-zyyfy-pharmacy-contest", "a reporter's credit ('通讯员 李琴雯')"),
    ("reuters-parasite-sag", "a wire agency's credit ('(Reuters)')"),
    ("rnz-witzel-buchpreis", "a wire agency's credit ('(dpa)')"),
    ("fox-russia-iran-nuclear", "a newsroom's credit line ('contributed to this report')"),
])
def test_a_report_names_its_newsroom_in_its_text(name, credit):
    _, extracted = captured(name)
    assert newsroom_credit(extracted.text) == credit


@pytest.mark.parametrize(("name", "credit"), [
    ("gne-ifeng-host-apology", "an editor's credit ('责任编辑：')"),  # under the article, outside the extract
    ("gne-thepaper-power-bank-prices", "an editor's credit ('责任编辑：')"),  # after the article's last line
    ("sz-flixtrain", "a wire agency's credit ('dpa')"),  # the photo credit beside the article
    ("gne-cmse-docking-briefing", "an editor's credit ('责任编辑：')"),  # a page with no other metadata at all
])
def test_a_credit_outside_the_extracted_article_is_read_from_the_page(name, credit):
    saved, extracted = captured(name)
    assert newsroom_credit(extracted.text) is None
    assert page_meta(saved.html()).credit == credit
    assert PageMeta.from_dict(extracted.meta["page_meta"]).credit == credit  # kept with the note


@pytest.mark.parametrize("name", [
    "py-json", "git-user-manual", "cppref-lambda", "pg15-glossary", "wikipedia-tsne",  # manuals, references
    "dcurtis-voice-interfaces", "gne-people-father-poems",  # essays
    "gne-sxmu-supervision-law",  # a law text that names its 来源 (source), as reposts do
])
def test_manuals_references_and_essays_carry_no_newsroom_credit(name):
    saved, extracted = captured(name)
    assert newsroom_credit(extracted.text) is None
    assert page_meta(saved.html()).credit == ""


def test_the_credit_is_what_makes_an_unmarked_chinese_report_fast():
    saved, extracted = captured("gne-thepaper-power-bank-prices")  # no schema.org, no og:type, site-only URL
    published = PageMeta.from_dict(extracted.meta["page_meta"]).published or extracted.published
    now = published + timedelta(days=1) if published else date(2026, 12, 1)
    got = decay_rules.suggest_for_note(extracted, saved.url, [], [], now=now)
    assert got.rate == "fast"
    assert any(e.kind == "newsroom" for e in got.evidence)
    without = [e for e in got.evidence if e.kind != "newsroom"]
    assert decay_rules.decide(without).rate == "medium"  # nothing else on the page argues for fast
    assert "credit" in got.reason


def test_a_credit_does_not_overrule_what_a_page_is():
    got = decay_rules.suggest(kind="article", url="https://docs.example.org/en/3.11/library/json.html",
                              title="json — JSON encoder and decoder", text="Reporting by Jane Doe; Editing by Al")
    assert got.rate == "medium"
    assert not any(e.kind == "newsroom" for e in got.evidence)


@pytest.mark.parametrize(("text", "credit"), [
    ("BERLIN (dpa) - Die Bahn streicht Verbindungen.", "a wire agency's credit ('(dpa)')"),
    ("Le ministre a démissionné, avec AFP", "a wire agency's credit ('avec AFP')"),
    ("… said on Monday. Reporting by Jane Doe; Editing by Alex Roe", "a newsroom's credit line ('Reporting by Jane Doe')"),
    ("By Sam Lee, Staff Writer", "a newsroom's credit line ('Staff Writer')"),
    ("本报记者 李明 报道", "a reporter's credit ('本报记者 李明')"),
    ("原标题：充电宝涨价", "the original headline of a syndicated report ('原标题：')"),
])
def test_credit_lines_in_four_languages(text, credit):
    assert newsroom_credit(text) == credit


@pytest.mark.parametrize("text", [
    "Last updated: 2024-05-01. This page documents the json module.",
    "来源：国务院办公厅",
    "She was a foreign correspondent for twenty years before writing novels.",
    "The dpa-encoded value is stored in the header.",
])
def test_words_that_also_appear_outside_news_are_not_credits(text):
    assert newsroom_credit(text) is None
