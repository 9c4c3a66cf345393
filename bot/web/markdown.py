"""A clipped page's body as safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises.

Clipped bodies are untrusted HTML/markdown. Rendering keeps raw HTML (clips carry tables and
figures), then an allow-list sanitiser removes everything that can run or leak: ``<script>`` and
``<style>`` with their content, every ``on*`` handler, ``javascript:``/``data:`` URLs (only absolute
http, https and mailto links survive), forms, iframes, and images (a remote image would tell a tracker
who reads the note; the page shows the link instead).
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

URL_SCHEMES = frozenset({"http", "https", "mailto"})
TAGS = frozenset(nh3.ALLOWED_TAGS - {"img", "area", "map"})
DROPPED_WITH_CONTENT = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "math"})
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
              "ol": {"start"}}

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")


def _image_as_link(self, tokens, idx, options, env) -> str:  # noqa: ANN001 - markdown-it's render-rule signature
    """A markdown image becomes a link to it: never loaded by the page."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = token.content or "image"
    return f'<a href="{html.escape(str(src), quote=True)}">[image: {html.escape(alt)}]</a>'


_md.add_render_rule("image", _image_as_link)


def render_markdown(text: str) -> str:
    """Markdown (with inline HTML) → sanitised HTML fragment; links open outside with rel=noopener."""
    return sanitise(_md.render(text or ""))


def sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",  # a clip's relative links would point into deskbot web itself
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
