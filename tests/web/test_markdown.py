"""The note body renderer: markdown in, HTML out with nothing that can run or leak."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.web.markdown import render_markdown
from tests.web.site import HOSTILE_BODY

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "form", "img", "base", "meta", "link",
                  "input", "button", "frame", "frameset", "applet", "template"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background", "poster"}


class Active(HTMLParser):
    """Collects what a browser would act on: a forbidden tag, an event handler, a non-web URL, inline style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag} {name}=")
            if name in URL_ATTRIBUTES:
                # as a browser reads it: tabs and newlines removed, leading controls and spaces stripped
                url = re.sub(r"[\t\n\r]", "", value or "").lstrip("".join(map(chr, range(33)))).lower()
                scheme = re.match(r"[a-z][a-z0-9+.-]*:", url)
                if scheme and scheme.group(0) not in ("http:", "https:", "mailto:"):
                    self.found.append(f"{tag} {name}={value}")


def active(fragment: str) -> list[str]:
    parser = Active()
    parser.feed(fragment)
    parser.close()
    return parser.found


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "<a href=\"  JAVASCRIPT:alert(1)\">x</a>",
    "<svg/onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<base href='javascript:alert(1)//'>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "![x](javascript:alert(1))",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    HOSTILE_BODY,
])
def test_nothing_active_survives(hostile):
    assert active(render_markdown(hostile)) == [], render_markdown(hostile)


def test_the_checker_sees_what_it_looks_for():
    assert active('<a href="JavaScript:x">a</a><b onclick="x">b</b><img src=y>') == [
        "a href=JavaScript:x", "b onclick=", "<img>"]


def test_markdown_still_renders():
    out = render_markdown("## Results\n\n*Sepsis* models **help**.\n\n- one\n- two\n\n[paper](https://example.org/p)"
                          "\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![figure](https://example.org/f.png)")
    assert "<h2>Results</h2>" in out and "<em>Sepsis</em>" in out and "<strong>help</strong>" in out
    assert "<li>one</li>" in out and "<td>1</td>" in out
    assert '<a href="https://example.org/p" rel="noopener noreferrer nofollow">paper</a>' in out
    assert '<a href="https://example.org/f.png" rel="noopener noreferrer nofollow">[image: figure]</a>' in out
    assert render_markdown("[up](../other) [here](#methods)") == (
        '<p><a rel="noopener noreferrer nofollow">up</a> <a rel="noopener noreferrer nofollow">here</a></p>\n')


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["<", ">", "script", "img", " src=x", " onerror=", "alert(1)", "javascript:",
                                 "\"", "'", "a href=", "](", "[", ")", "svg", "/", "\n", "&#", "x", "on", "load"]),
                max_size=40))
def test_fuzzed_fragments_never_yield_active_markup(parts):
    assert active(render_markdown("".join(parts))) == []
