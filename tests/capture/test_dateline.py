"""A report dates its event to the days before publication: the decay scorer's evidence for unmarked news."""

from __future__ import annotations

from datetime import date

import pytest

from bot.capture.dateline import report_cue
from bot.capture.decay_rules import suggest
from bot.capture.pagemeta import PageMeta
from bot.capture.pipeline import extract_bytes
from tests.fixtures.decay_pages.corpus import page


def opening(name: str) -> tuple[str, date | None]:
    """A corpus page's extracted text and publication date, as the capture sees them."""
    saved = page(name)
    extracted = extract_bytes(saved.html(), saved.url, "text/html")
    return extracted.text, PageMeta.from_dict(extracted.meta.get("page_meta")).published or extracted.published


def test_a_wire_report_in_japanese_is_dated_by_its_lead():
    text, published = opening("afpbb-nigeria-attack")
    assert published == date(2018, 6, 18)
    assert report_cue(text, published) == "a news report (dated 6月18日)"


def test_a_german_report_says_on_which_weekday_it_happened():
    text, published = opening("sonntag-thomanerchor")
    assert report_cue(text, published) == "a news report (says 'am Freitag')"


@pytest.mark.parametrize("name", ["dcurtis-voice-interfaces", "py-json", "sqlite-releaselog-3-40-1",
                                  "accountancyage-ifrs"])
def test_essays_manuals_and_a_release_heading_are_not_reports(name):
    text, published = opening(name)
    assert report_cue(text, published) is None


@pytest.mark.parametrize(("lead", "published", "said"), [
    ("新华社北京2月29日电 2月28日，国务院联防联控机制印发通知", date(2020, 2, 29), "2月29日"),
    ("12月30日，市政府宣布", date(2020, 1, 2), "12月30日"),  # the year before the publication's
    ("WASHINGTON, Sept. 6 — The Senate voted", date(2019, 9, 7), "Sept. 6"),
    ("태풍이 9월 5일 상륙했다", date(2022, 9, 6), "9월 5일"),
])
def test_a_date_in_the_lead_just_before_publication_is_a_report(lead, published, said):
    assert report_cue(lead, published) == f"a news report (dated {said})"


@pytest.mark.parametrize(("lead", "published"), [
    ("Published 24 May 2018\nReef fish communities are spooked", date(2018, 5, 24)),  # a byline
    ("2019-09-24 09:10 来源：澎湃新闻 共享充电宝", date(2019, 9, 24)),  # a timestamp with its clock time
    ("## SQLite Release 3.40.1 On 2022-12-28", date(2022, 12, 28)),  # a heading
    ("On 1 March the committee met", date(2019, 9, 7)),  # months before: history, not a report
    ("Lambda expressions construct a closure", date(2019, 9, 7)),
])
def test_bylines_headings_and_old_dates_are_not_reports(lead, published):
    assert report_cue(lead, published) is None


def test_unmarked_chinese_news_is_fast_from_its_lead_and_says_why():
    lead = "9月6日，公安部治安管理局官微发布消息称，近日，四川江油一女民警平均日拨100余个电话。"
    got = suggest(kind="article", url="https://www.example.cn/a/b.html", title="女警打百个电话遭停机",
                  text=lead, published=date(2019, 9, 7), now=date(2019, 9, 8))
    assert (got.rate, got.reason) == ("fast", "a news report (dated 9月6日) published yesterday")


def test_a_paper_or_a_manual_naming_a_recent_date_is_not_called_a_report():
    lead = "Received 2 May 2018; published 24 May 2018. On 20 May 2018 the survey began."
    paper = suggest(kind="article", url="https://journal.example/articles/4886", title="Reef fish",
                    page=PageMeta(schema_types=("ScholarlyArticle",)), text=lead, published=date(2018, 5, 24),
                    now=date(2018, 5, 25))
    assert paper.rate == "medium" and not any(e.kind == "report" for e in paper.evidence)
    docs = suggest(kind="article", url="https://docs.example.org/3.2/changes.html", title="Guide",
                   text=lead, published=date(2018, 5, 24), now=date(2018, 5, 25))
    assert not any(e.kind == "report" for e in docs.evidence)


@pytest.mark.parametrize(("url", "shape"), [
    ("http://nb.ifeng.com/a/20200911/14526474_0.shtml", "2020/09/11"),
    ("https://m.guancha.cn/politics/2019_09_09_517162.shtml", "2019/09/09"),
    ("http://kuaixun.stcn.com/2019/0926/15409036.shtml", "2019/09/26"),
])
def test_compact_dated_urls_of_chinese_news_sites_are_news_urls(url, shape):
    got = suggest(kind="article", url=url, title="x")
    assert f"fast: a dated news-style URL ({shape}) [news-url]" in got.as_dict()["evidence"]


def test_a_blog_byline_with_its_posting_time_is_not_a_report():
    text, published = opening("szorc-mercurial-python3")  # "January 13, 2020 at 08:45 AM | categories: …"
    assert report_cue(text, published) is None


def test_a_european_numeric_date_in_the_lead_dates_a_german_report():
    text, published = opening("hd-transgen-swine-fever")  # "**(18.01.2018) Deutschlands Landwirte zittern …"
    assert published == date(2018, 1, 18)
    assert report_cue(text, published) == "a news report (dated 18.01.2018)"


def test_a_council_report_that_says_this_week_is_a_report():
    text, published = opening("tc-cdu-erfurt-waldorfschule")  # "Ein positives Signal gab es diese Woche …"
    assert report_cue(text, published) == "a news report (says 'diese Woche')"


@pytest.mark.parametrize(("lead", "published"), [
    ("Am 18.01.2016 trat das Gesetz in Kraft", date(2018, 1, 18)),  # two years before: history
    ("Stand: 18.01.2018 Das Handbuch beschreibt", date(2018, 1, 18)),  # "as of": the page's own timestamp
])
def test_european_dates_far_from_publication_or_standing_alone_are_not_reports(lead, published):
    assert report_cue(lead, published) is None


@pytest.mark.parametrize("url", ["https://www.transgen.de/aktuell/2687.schweinepest.html",
                                 "https://www.bmj.de/pressemitteilungen/2019/neu.html",
                                 "https://example.org/press-releases/2024-new-ceo"])
def test_news_and_press_sections_in_other_languages_are_news_urls(url):
    got = suggest(kind="article", url=url, title="Eine Meldung", text="Ein Text.", published=None,
                  now=date(2024, 1, 2))
    assert got.rate == "fast" and "a URL in a news section" in got.reason
