"""A dated URL says when a page was published, not that it is news: blog permalinks on real saved pages."""

from __future__ import annotations

from datetime import date

import pytest

from bot.capture.decay_rules import WEIGHTS, suggest
from bot.capture.pagemeta import PageMeta, page_meta
from tests.capture.test_decay_evidence import clip
from tests.fixtures.decay_pages.corpus import page


@pytest.mark.parametrize(("name", "platform", "dated"), [
    ("tc-buchperlen-leandra-lou", "WordPress", "2013/10/20"),  # a book review on wordpress.com
    ("hd-jovelstefan-parking-paris", "WordPress", "2012/05/11"),  # a personal essay, self-hosted WordPress
    ("tc-kulinaria-almond-biscuits", "WordPress", "2012/12/08"),  # a recipe
    ("tc-plentylife-pamela-reif", "Blogger", "2017/05"),  # a book review on Blogspot
])
def test_a_dated_blog_permalink_alone_is_not_news(name, platform, dated):
    assert page_meta(page(name).html()).platform == platform
    note = clip(name)
    assert note.decay_rate == "medium"
    assert note.decay_reason == f"a blog post ({platform}; its URL dated {dated} says when, not news)"
    assert not any("[news-url]" in e for e in note.extra["decay_evidence"])


@pytest.mark.parametrize(("name", "why"), [
    ("correctiv-zusage", "a news article (schema.org NewsArticle)"),  # WordPress, but marked up as news
    ("meedia-freenet-tv", "a dated news-style URL (2016/03/08)"),  # WordPress, signed "(dpa)"
    ("wikimedia-turkey-access", "a dated news-style URL (2020/01/15)"),  # WordPress, in the site's /news/
    ("time-washington-monument", "a dated news-style URL (2011/08/24)"),  # WordPress VIP, a dated report lead
])
def test_a_dated_news_article_on_a_blog_platform_stays_fast(name, why):
    assert page_meta(page(name).html()).platform == "WordPress"
    note = clip(name)
    assert note.decay_rate == "fast"
    assert note.decay_reason.startswith(why)


def test_a_dated_news_url_without_any_blog_marker_stays_fast():
    assert page_meta(page("elpais-waiting-lists").html()).platform == ""
    assert clip("elpais-waiting-lists").decay_rate == "fast"


def test_another_site_s_wordpress_picture_does_not_make_a_news_page_a_blog():
    # engadget shows TechCrunch's favicon from s2.wp.com/wp-content/…: an image, not the page's own engine
    assert page_meta(page("engadget-fios-guide").html()).platform == ""
    assert clip("engadget-fios-guide").decay_rate == "fast"


def test_news_evidence_outweighs_the_platform_in_the_scorer():
    url = "https://example.org/2024/03/01/a-post/"
    blog = suggest(kind="article", url=url, title="A post", page=PageMeta(platform="Ghost",
                   og_type="article", published=date(2024, 3, 1)), now=date(2024, 3, 2))
    assert (blog.rate, blog.evidence[0].kind) == ("medium", "blog")
    news = suggest(kind="article", url=url, title="A post", page=PageMeta(
        platform="Ghost", schema_types=("NewsArticle",), published=date(2024, 3, 1)), now=date(2024, 3, 2))
    assert news.rate == "fast" and "news-url" in {e.kind for e in news.evidence}
    assert "blog" in WEIGHTS


def test_the_platform_is_kept_with_the_note_and_read_back():
    meta = PageMeta(platform="Blogger")
    assert not meta.empty and PageMeta.from_dict(meta.as_dict()) == meta
