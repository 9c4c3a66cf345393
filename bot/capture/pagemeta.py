"""What a web page says about itself in its markup: JSON-LD objects, ``og:``/``meta`` values, title sources.

Shared by extraction (the title by agreement) and anything else that reads page metadata (decay rules
read JSON-LD and ``og:`` fields). Works on an lxml tree that still holds its ``ld+json`` scripts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from bot.kb.notes import one_line

MAX_JSON_LD_CHARS = 200_000  # a JSON-LD block larger than this is a data dump, not page metadata


def json_ld(tree: Any) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page (``@graph`` members flattened); broken blocks are skipped."""
    out: list[dict[str, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        raw = script.text or ""
        if not raw.strip() or len(raw) > MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        out.extend(_objects(data))
    return out


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _objects(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, list):
            yield from _objects(graph)


def meta_content(tree: Any, *names: str) -> str | None:
    """The first non-empty ``<meta property|name=NAME content=…>`` among ``names``."""
    for name in names:
        for value in tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content"):
            text = one_line(str(value))
            if text:
                return text
    return None


def page_titles(tree: Any) -> dict[str, str]:
    """Each place a page states its title: ``title``, ``og``, ``h1`` and ``jsonld`` (headline)."""
    found: dict[str, str] = {}
    title = tree.find(".//title")
    if title is not None and one_line(title.text_content()):
        found["title"] = one_line(title.text_content())
    og = meta_content(tree, "og:title", "twitter:title")
    if og:
        found["og"] = og
    for h1 in tree.iter("h1"):
        text = one_line(h1.text_content())
        if text:
            found["h1"] = text
            break
    for obj in json_ld(tree):
        headline = obj.get("headline")
        if isinstance(headline, str) and one_line(headline):
            found["jsonld"] = one_line(headline)
            break
    return found


_SEPARATORS = re.compile(r"\s+[|\-—–·:]{1,2}\s+|｜|\s+::\s+")
_SITE_TAG = re.compile(r"\s*[\[(][^\[\]()]{1,40}[\])]\s*$")
_PREFERENCE = ("h1", "og", "jsonld", "title")  # on a tie, the page's visible headline first


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _variants(text: str) -> list[str]:
    """The text and each run of its separator-split parts ("A - by B - Site" → "A", "A - by B", "Site", …)."""
    untagged = _SITE_TAG.sub("", text)  # "Budget review [LWN.net]" → "Budget review"
    if untagged and untagged != text:
        return [*_variants(untagged), text]
    parts = _SEPARATORS.split(text)
    seps = _SEPARATORS.findall(text)
    out = [text]
    if len(parts) > 1:
        for i in range(len(parts)):
            for j in range(i + 1, len(parts) + 1):
                if (i, j) != (0, len(parts)):
                    joined = parts[i] + "".join(s + p for s, p in zip(seps[i : j - 1], parts[i + 1 : j], strict=True))
                    out.append(joined.strip())
    return [v.rstrip(" ¶#") for v in out if v.strip()]


def pick_title(titles: dict[str, str]) -> str | None:
    """The title most of the page's title sources agree on, or None when no two agree.

    ``<title>`` often carries the site name ("Fresnel lens - Wikipedia"), ``og:title`` an SEO variant,
    ``<h1>`` sometimes a section or the site logo: the wording that two or more of them share is the
    one the page really calls itself. Among equally supported wordings the longest wins (a headline
    over a word it contains), then the visible ``<h1>``.
    """
    keys = {source: {_key(v) for v in _variants(text)} for source, text in titles.items()}
    best: tuple[int, int, int, str] | None = None
    for rank, source in enumerate(_PREFERENCE):
        if source not in titles:
            continue
        for variant in _variants(titles[source]):
            key = _key(variant)
            if not key:
                continue
            support = sum(key in ks for ks in keys.values())
            candidate = (support, len(key), -rank, variant)
            if support >= 2 and (best is None or candidate[:3] > best[:3]):
                best = candidate
    return best[3] if best else None
