"""Link finding on real Slack payloads, and canonical forms: many spellings of one work, one key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.kb.links import arxiv_id, canonical_url, youtube_id
from bot.slack.message_jobs import find_links

SLACK = Path(__file__).resolve().parents[1] / "fixtures" / "slack"


def payload(name: str) -> dict[str, Any]:
    return json.loads((SLACK / name).read_text(encoding="utf-8"))


def message(text: str = "", *elements: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "message", "user": "U1", "text": text}
    if elements:
        event["blocks"] = [{"type": "rich_text", "block_id": "b", "elements": list(elements)}]
    return event


def section(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text_section", "elements": list(elements)}


def link(url: str, text: str | None = None) -> dict[str, Any]:
    return {"type": "link", "url": url, **({"text": text} if text else {})}


# --- real payloads -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "event_message_link.json",
            ["https://jadeapptesting.slack.com/archives/C043YJGBY49/p1663961604007869"],
        ),
        ("event_message_rich_text_mixed.json", ["https://google.com"]),
        ("event_message_plain_no_link.json", []),
        ("event_message_share_with_message.json", []),  # the shared message is an attachment, not a link
        ("event_message_file_share.json", []),  # the file's URLs are in `files`, never captured
    ],
)
def test_real_payloads(name: str, expected: list[str]) -> None:
    envelope = payload(name)
    assert find_links(envelope["event"]) == expected
    assert find_links(envelope) == expected  # the event_callback envelope is unwrapped


# --- text ----------------------------------------------------------------------------------------------


def test_mrkdwn_link_with_label_and_escapes() -> None:
    event = message("read <https://a.b/x?y=1&amp;z=2|this &amp; that> now")
    assert find_links(event) == ["https://a.b/x?y=1&z=2"]


def test_lt_gt_are_unescaped_in_links() -> None:
    assert find_links(message("<https://a.b/q?x=&lt;1&gt;>")) == ["https://a.b/q?x=<1>"]


def test_html_entities_other_than_slacks_three_are_left_alone() -> None:
    assert find_links(message("<https://a.b/q?x=1&copy=2>")) == ["https://a.b/q?x=1&copy=2"]


def test_mentions_specials_and_mailto_are_not_links() -> None:
    text = (
        "<@U043H11ES4V> <#C043YJGBY49|general> <#C043YJGBY49> <!here> <!channel|@channel> "
        "<!subteam^S123|@research> <!date^1392734382^{date_short}|Feb 18, 2014> "
        "<mailto:bob@example.com|bob@example.com> <tel:+123|call> <slack://open> <ftp://x.org/f>"
    )
    assert find_links(message(text)) == []


def test_slack_file_links_are_ignored_but_archive_links_are_not() -> None:
    text = (
        "<https://files.slack.com/files-pri/T1-F1/report.pdf> "
        "<https://acme.slack.com/files/U1/F1/report.pdf> "
        "<https://slack-files.com/T1-F1-abc> "
        "<https://acme.slack.com/archives/C1/p1663961604007869>"
    )
    assert find_links(message(text)) == ["https://acme.slack.com/archives/C1/p1663961604007869"]


def test_bare_urls_in_api_posted_text() -> None:
    text = "see https://example.com/a_(b), and (https://example.org/x). Also http://e.net/q?a=1&amp;b=2!"
    assert find_links(message(text)) == [
        "https://example.com/a_(b)",
        "https://example.org/x",
        "http://e.net/q?a=1&b=2",
    ]


def test_internationalised_host_names_are_links() -> None:
    assert find_links(message("<https://Bücher.de/x> <https://xn--bcher-kva.de/x/>")) == [
        "https://Bücher.de/x"
    ]


# --- blocks --------------------------------------------------------------------------------------------


def test_links_nested_in_every_rich_text_container() -> None:
    event = message(
        "",
        section({"type": "text", "text": "one "}, link("https://one.example/")),
        {"type": "rich_text_quote", "elements": [link("https://two.example/")]},
        {
            "type": "rich_text_list",
            "style": "bullet",
            "elements": [section(link("https://three.example/")), section(link("https://four.example/"))],
        },
        {"type": "rich_text_preformatted", "elements": [link("https://five.example/code")]},
    )
    assert find_links(event) == [
        "https://one.example/",
        "https://two.example/",
        "https://three.example/",
        "https://four.example/",
        "https://five.example/code",
    ]


def test_non_rich_text_blocks_and_non_link_elements_are_ignored() -> None:
    event = message("")
    event["blocks"] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "<https://x.example>"}},
        {"type": "rich_text", "elements": [section({"type": "user", "user_id": "U1"}, {"type": "emoji"})]},
    ]
    assert find_links(event) == []


def test_text_and_blocks_deduplicate_by_canonical_form_first_seen_wins() -> None:
    event = message(
        "<http://Example.com/post/?utm_source=slack|post> and <https://youtu.be/dQw4w9WgXcQ?t=10>",
        section(
            link("https://example.com/post"),
            link("https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
            link("https://example.com/other"),
        ),
    )
    assert find_links(event) == [
        "http://Example.com/post/?utm_source=slack",
        "https://youtu.be/dQw4w9WgXcQ?t=10",
        "https://example.com/other",
    ]


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"text": None, "blocks": None},
        {"text": 3, "blocks": "x"},
        {"blocks": [None, 1, "a", {"type": "rich_text", "elements": [None, {"type": "link", "url": None}]}]},
        {
            "text": "<",
            "blocks": [{"type": "rich_text", "elements": [{"type": "link", "url": "http://[::1"}]}],
        },
    ],
)
def test_malformed_events_yield_nothing(event: dict[str, Any]) -> None:
    assert find_links(event) == []


def test_not_a_dict() -> None:
    assert find_links(None) == []  # type: ignore[arg-type]


# --- canonical forms -----------------------------------------------------------------------------------

SAME_WORK = {
    "https://example.com/a/b": [
        "https://example.com/a/b",
        "HTTP://EXAMPLE.com:80/a/b/",
        "http://example.com/a/b",
        "https://example.com:443/a/b#section-2",
        "https://example.com./a/b",
        "https://user:pw@example.com/a/b",
        "https://example.com/a/./c/../b//",
        "https://example.com/a/b?utm_source=x&utm_medium=y&UTM_Campaign=z",
        "https://example.com/a/b?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref_src=twsrc%5Etfw",
        "  https://example.com/a/b  ",
    ],
    "https://example.com/": ["https://example.com", "http://EXAMPLE.COM/", "https://example.com/#top"],
    "https://example.com/s?a=1&b=2&b=3": [
        "https://example.com/s?b=2&a=1&b=3",
        "https://example.com/s?b=3&utm_term=q&a=1&b=2",
        "https://example.com/s/?a=1&&b=2&b=3",
    ],
    "https://example.com/~user/caf%C3%A9": [
        "https://example.com/%7euser/caf%c3%a9",
        "https://example.com/%7Euser/café",
        "https://example.com/~user/caf%C3%A9/",
    ],
    "https://xn--bcher-kva.de/x": [
        "https://Bücher.de/x",
        "https://xn--bcher-kva.de/x",
        "http://BÜCHER.de/x/",
    ],
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ": [
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?t=42",
        "http://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1m2s&list=PL0123456789",
        "https://youtube.com/watch?feature=shared&v=dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=30",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ?si=xyz",
        "https://www.youtube.com/v/dQw4w9WgXcQ",
        "https://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ#t=5",
    ],
    "https://arxiv.org/abs/2401.12345": [
        "https://arxiv.org/abs/2401.12345",
        "https://arxiv.org/pdf/2401.12345",
        "https://arxiv.org/pdf/2401.12345.pdf",
        "http://www.arxiv.org/abs/2401.12345/",
        "https://export.arxiv.org/abs/2401.12345",
        "https://arxiv.org/html/2401.12345",
    ],
    "https://arxiv.org/abs/2401.12345v2": [
        "https://arxiv.org/abs/2401.12345v2",
        "https://arxiv.org/pdf/2401.12345v2",
        "https://arxiv.org/pdf/2401.12345v2.pdf",
        "https://arxiv.org/pdf/2401.12345.pdfv2",
    ],
    "https://arxiv.org/abs/hep-th/9901001v1": [
        "https://arxiv.org/pdf/hep-th/9901001v1",
        "https://arxiv.org/abs/hep-th/9901001v1",
    ],
    "https://arxiv.org/abs/math.GT/0309136": ["https://arxiv.org/pdf/math.GT/0309136.pdf"],
    "https://arxiv.org/abs/0704.0001": ["https://arxiv.org/pdf/0704.0001"],
    "https://[2001:db8::1]:8443/x": ["https://[2001:DB8::1]:8443/x/"],
}


@pytest.mark.parametrize(
    ("variant", "canonical"), [(v, c) for c, variants in SAME_WORK.items() for v in variants]
)
def test_variants_share_one_canonical_url(variant: str, canonical: str) -> None:
    assert canonical_url(variant) == canonical
    assert canonical_url(canonical) == canonical


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/A", "https://example.com/a"),  # paths are case-sensitive
        ("https://example.com/a", "https://www.example.com/a"),  # www is a different host
        ("https://example.com:8080/a", "https://example.com/a"),
        ("https://example.com/s?page=2", "https://example.com/s?page=3"),
        ("https://example.com/s?a", "https://example.com/s?a="),
        ("https://arxiv.org/abs/2401.12345v1", "https://arxiv.org/abs/2401.12345v2"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube.com/watch?v=9bZkp7q19f0"),
        ("https://www.youtube.com/playlist?list=PL1", "https://www.youtube.com/playlist?list=PL2"),
    ],
)
def test_different_works_stay_different(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


@pytest.mark.parametrize(
    "junk", ["", "not a url", "mailto:bob@example.com", "http://[::1", "ftp://x.org/f", "//x"]
)
def test_canonical_url_returns_non_http_input_unchanged(junk: str) -> None:
    assert canonical_url(junk) == junk.strip()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://youtu.be/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("youtu.be/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/watch?v=_-abcdefgh1", "_-abcdefgh1"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ/", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/playlist?list=PLx", None),
        ("https://www.youtube.com/embed/videoseries?list=PLx", None),
        ("https://www.youtube.com/@somechannel", None),
        ("https://www.youtube.com/watch?v=tooshort", None),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQx", None),
        ("https://youtu.be/", None),
        ("https://example.com/watch?v=dQw4w9WgXcQ", None),
        ("https://notyoutube.com/watch?v=dQw4w9WgXcQ", None),
    ],
)
def test_youtube_id(url: str, expected: str | None) -> None:
    assert youtube_id(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/2401.12345", "2401.12345"),
        ("https://arxiv.org/pdf/2401.12345v3.pdf", "2401.12345v3"),
        ("https://arxiv.org/abs/cond-mat/0102536v1", "cond-mat/0102536v1"),
        ("https://arxiv.org/list/cs.AI/recent", None),
        ("https://arxiv.org/abs/24011.2345", None),
        ("https://arxiv.org/pdf/2401.12345v2.pdfv3", None),
        ("https://example.org/abs/2401.12345", None),
    ],
)
def test_arxiv_id(url: str, expected: str | None) -> None:
    assert arxiv_id(url) == expected


# --- fuzz ----------------------------------------------------------------------------------------------

SLACKISH = st.lists(
    st.sampled_from(
        [*"<>|&;:/.?=#@!^_-~%() \n\tabcxyzAZ019é", "http", "https://", "&amp;", "&lt;", "%2E", "..", "ß"]
    ),
    max_size=40,
).map("".join)
URLISH = st.one_of(
    SLACKISH,
    st.builds(
        lambda scheme, host, path, query: f"{scheme}{host}{path}{query}",
        st.sampled_from(["http://", "https://", "HTTPS://", "mailto:", "", "//"]),
        st.sampled_from(
            ["example.com", "youtu.be", "www.youtube.com", "arxiv.org", "files.slack.com", "[::1]", "Bü.de"]
        ),
        SLACKISH,
        SLACKISH,
    ),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | URLISH,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["type", "url", "elements", "text"]), children, max_size=4)
    ),
    max_leaves=20,
)
ELEMENT = st.recursive(
    st.builds(lambda url: {"type": "link", "url": url}, URLISH) | JSONISH,
    lambda children: st.builds(
        lambda kind, elements: {"type": kind, "elements": elements},
        st.sampled_from(
            ["rich_text_section", "rich_text_quote", "rich_text_list", "rich_text_preformatted", "rich_text"]
        ),
        st.lists(children, max_size=4),
    ),
    max_leaves=15,
)
EVENT = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "event_callback"]),
        "text": st.one_of(
            st.builds(
                lambda parts: "".join(parts),
                st.lists(st.one_of(SLACKISH, URLISH.map(lambda u: f"<{u}|x>")), max_size=5),
            ),
            JSONISH,
        ),
        "blocks": st.one_of(st.lists(ELEMENT, max_size=3), JSONISH),
        "event": JSONISH,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EVENT)
def test_find_links_never_raises_and_returns_unique_http_urls(event: dict[str, Any]) -> None:
    links = find_links(event)
    assert all(isinstance(u, str) and u.lower().startswith(("http://", "https://")) for u in links)
    keys = [canonical_url(u) for u in links]
    assert len(keys) == len(set(keys))


@settings(max_examples=300, deadline=None)
@given(URLISH)
def test_canonical_url_is_total_and_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
