"""The passes over the parsed page before trafilatura: scripts, styles, icons and reader comments dropped once
(``extract._drop_non_content``: same text, less work, no metadata read from comments) and loose prose
between blocks given its own paragraph (``extract._wrap_loose_text``)."""

from __future__ import annotations

import json

from bot.capture.extract import extract_article, plain_text
from bot.kb.notes import one_line
from tests.fixtures.decay_pages.corpus import page

_POSTS = [
    "The ferry timetable changed in March and the early crossing now leaves at six.",
    "I took the early crossing twice last week and it left on time both mornings.",
    "The harbour office says the winter timetable will keep the six o'clock departure.",
]


def _thread(forum: bool) -> bytes:
    """A discussion page whose posts sit in ``comment`` containers, with or without the forum JSON-LD."""
    ld = {"@context": "https://schema.org", "@type": "DiscussionForumPosting", "headline": "Ferry timetable"}
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if forum else ""
    posts = "".join(f'<div class="comment"><p>{text}</p></div>' for text in _POSTS)
    return (
        f"<html><head><title>Ferry timetable</title>{script}</head><body><h1>Ferry timetable</h1>"
        f'<div class="comments">{posts}</div></body></html>'
    ).encode()


def test_reader_comments_are_not_the_article_nor_its_date():
    """slate.fr: ten reader comments, each dated "le lundi 29 octobre 2012"; the article states no date."""
    slate = page("slate-fr-tapie-provence")
    extracted = extract_article(slate.html(), slate.url)
    assert "Bernard Tapie sera-t-il le prochain propriétaire" in extracted.text
    assert "Tant que le redacteur en chef de Nice Matin" not in extracted.text  # the first comment
    assert extracted.published is None  # was 2012-10-29, read from a comment's timestamp


def test_on_a_forum_thread_the_comment_containers_are_the_posts():
    kept = extract_article(_thread(forum=True), "https://forum.example/t/1")
    assert all(post in kept.text for post in _POSTS)
    dropped = extract_article(_thread(forum=False), "https://blog.example/p/1")
    assert not any(post in dropped.text for post in _POSTS)


def test_icons_and_scripts_go_but_the_words_after_them_stay():
    sentence = "The survey found that the northern quay floods twice as often as it did in 1990."
    html = (
        "<html><head><title>Quay</title><style>p{color:red}</style></head><body><article><h1>Quay</h1>"
        f'<p>Flooding. <svg viewBox="0 0 1 1"><path d="M0 0"/></svg>{sentence}</p>'
        f"<p>{sentence.replace('northern', 'southern')} <script>track()</script>Repairs start in May.</p>"
        f"<p>{sentence.replace('northern', 'eastern')} It was rebuilt in 1881 after the storm.</p>"
        "</article></body></html>"
    )
    extracted = extract_article(html.encode(), "https://quay.example/")
    assert sentence in extracted.text
    assert "Repairs start in May." in extracted.text
    assert "track()" not in extracted.text and "color:red" not in extracted.text


def test_loose_prose_between_blocks_stays_one_sentence():
    """sott.net: the text after an image block runs loose in its div; trafilatura cut it at the <em>."""
    sott = page("sott-adelson-court-files")
    text = plain_text(extract_article(sott.html(), sott.url).text)
    assert (
        "He was the subject of minor controversy in 1996 when the Miami New Times reported that the city of"
        " Miami had hired him as sergeant-in-arms"
    ) in one_line(text)


def test_a_script_that_only_names_its_source_stays_for_the_page_evidence():
    """A WordPress blog known only by its ``/wp-includes/`` scripts (a real saved page): the capture's own
    evidence names the platform, as a fresh parse of the page does."""
    from bot.capture.pagemeta import page_meta

    saved = page("hd-hobbywerkstatt-roomba-wall")
    assert page_meta(saved.html()).platform == "WordPress"
    extracted = extract_article(saved.html(), saved.url)
    assert extracted.meta["page_meta"]["platform"] == "WordPress"
