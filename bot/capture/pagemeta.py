"""What a web page says about itself in its markup: schema.org types, Open Graph, dates, section, keywords,
and the places it states its title.

Only metadata parsing lives here (no scoring): extraction picks the title the sources agree on
(:func:`pick_title`), and the decay scorer (``decay_rules``) reads a ``PageMeta`` as evidence, and the note
keeps it so a reply can say *why* ("schema.org NewsArticle, published 2 days ago").
Parsed with lxml (already a trafilatura dependency) from JSON-LD, microdata ``itemtype`` and ``<meta>``;
hand-written because we need a dozen fields, not the full graphs ``extruct`` builds. Never raises: a page
with broken markup simply yields fewer fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from bot.capture.newsroom import newsroom_credit
from bot.kb.notes import one_line

MAX_HTML_BYTES = 3_000_000  # metadata sits in <head>; a giant page is cut before parsing
MAX_JSONLD_CHARS = 200_000
MAX_VISIBLE_CHARS = 150_000  # enough for a long report's closing credit line
_INVISIBLE = {"script", "style", "noscript", "head", "title", "template"}
_DATE = re.compile(r"(\d{4})[-/](\d{2})[-/](\d{2})")  # ISO, and citation_*'s 2022/04/25


@dataclass(frozen=True)
class PageMeta:
    """The page's own statements about what it is (each field empty when the page says nothing)."""

    schema_types: tuple[str, ...] = ()  # JSON-LD @type / microdata itemtype, e.g. ("NewsArticle",)
    og_type: str = ""  # og:type, e.g. "article", "video.other", "product"
    published: date | None = None  # article:published_time, datePublished, …
    modified: date | None = None  # article:modified_time, dateModified
    section: str = ""  # article:section / articleSection
    keywords: tuple[str, ...] = field(default=())  # article:tag, news_keywords, keywords
    scholarly: str = ""  # what the citation_* (Highwire/Google Scholar) tags say: "journal article in …", …
    doi: str = ""  # citation_doi / dc.identifier, as "10.…"
    credit: str = ""  # a newsroom credit anywhere in the visible page ("an editor's credit ('责任编辑：')")
    platform: str = ""  # the blog platform the page was made with ("WordPress", "Blogger", "Ghost", …)

    @property
    def empty(self) -> bool:
        return not (self.schema_types or self.og_type or self.published or self.section or self.keywords
                    or self.scholarly or self.credit or self.platform)

    def as_dict(self) -> dict[str, Any]:
        """A JSON/YAML-friendly dict without empty fields (kept in the note's ``extra``)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value:
                out[key] = value.isoformat() if isinstance(value, date) else list(value) if isinstance(
                    value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Any) -> PageMeta:
        """The inverse of ``as_dict`` (tolerates junk: a hand-edited note must not break a suggestion)."""
        if not isinstance(data, dict):
            return cls()
        return cls(
            schema_types=tuple(str(t) for t in data.get("schema_types") or () if t),
            og_type=str(data.get("og_type") or ""),
            published=_to_date(data.get("published")),
            modified=_to_date(data.get("modified")),
            section=str(data.get("section") or ""),
            keywords=tuple(str(k) for k in data.get("keywords") or () if k),
            scholarly=str(data.get("scholarly") or ""),
            doi=str(data.get("doi") or ""),
            credit=str(data.get("credit") or ""),
            platform=str(data.get("platform") or ""),
        )


def page_meta(html: bytes | str) -> PageMeta:
    """Read the page's schema.org types, Open Graph fields, dates, section and keywords."""
    from lxml import etree
    from lxml import html as lxml_html

    html = html[:MAX_HTML_BYTES]
    if not html or not html.strip():
        return PageMeta()
    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError, TypeError):
        return PageMeta()
    return tree_meta(tree)


def tree_meta(tree: Any) -> PageMeta:
    """``page_meta`` of a page already parsed (extraction reads it from its own tree: one parse per page)."""
    metas = _meta_values(tree)
    types: list[str] = []
    published: list[Any] = []
    modified: list[Any] = []
    sections: list[str] = []
    keywords: list[str] = []
    for node in _jsonld_nodes(tree):
        types.extend(_as_list(node.get("@type")))
        published.append(node.get("datePublished"))
        modified.append(node.get("dateModified"))
        sections.extend(_as_list(node.get("articleSection")))
        keywords.extend(_split_keywords(node.get("keywords")))
    for itemtype in tree.xpath("//@itemtype")[:20]:
        types.extend(t.rstrip("/").rsplit("/", 1)[-1] for t in str(itemtype).split())
    for name in ("article:published_time", "og:published_time", "datepublished", "date", "dc.date",
                 "dcterms.created", "citation_publication_date", "citation_date", "citation_online_date",
                 "sailthru.date", "pubdate"):
        published.extend(metas.get(name, ()))
    for name in ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified"):
        modified.extend(metas.get(name, ()))
    published.extend(tree.xpath("//*[@itemprop='datePublished']/@content | //time[@itemprop]/@datetime")[:3])
    sections.extend(metas.get("article:section", ()))
    for name in ("article:tag", "news_keywords", "keywords"):
        for value in metas.get(name, ()):
            keywords.extend(_split_keywords(value))
    return PageMeta(
        schema_types=_unique(t for t in types if isinstance(t, str) and t and len(t) < 60),
        og_type=(metas.get("og:type") or [""])[0].strip().lower()[:40],
        published=_first_date(published),
        modified=_first_date(modified),
        section=next((s.strip()[:60] for s in sections if isinstance(s, str) and s.strip()), ""),
        keywords=_unique(k for k in keywords if k)[:20],
        scholarly=_scholarly(metas),
        doi=_doi(metas),
        credit=newsroom_credit(_visible_text(tree)) or "",
        platform=_platform(tree, metas),
    )


_GENERATORS = (  # generator <meta> prefix (lowercase) → platform; blog engines only, not general CMSs
    ("wordpress", "WordPress"), ("amp for wp", "WordPress"), ("blogger", "Blogger"), ("ghost", "Ghost"),
    ("medium", "Medium"), ("substack", "Substack"), ("tumblr", "Tumblr"), ("typepad", "TypePad"),
    ("movable type", "Movable Type"), ("jekyll", "Jekyll"), ("hugo", "Hugo"), ("hexo", "Hexo"),
    ("pelican", "Pelican"), ("dotclear", "Dotclear"), ("serendipity", "Serendipity"), ("blogengine", "BlogEngine"),
)
_PLATFORM_ASSETS = (  # a path or host the platform serves its pages' assets from
    ("/wp-content/", "WordPress"), ("/wp-includes/", "WordPress"), ("blogger.com/static", "Blogger"),
    ("substackcdn.com", "Substack"), ("cdn-static-1.medium.com", "Medium"), ("medium.com/_/", "Medium"),
)


def _platform(tree: Any, metas: dict[str, list[str]]) -> str:
    """The blog engine the page was made with, from its generator tag or the style sheets and scripts only it
    serves (not images: a news page may show another site's picture from ``…/wp-content/``).

    Evidence of *how* a page was published, not *what* it is: news sites run WordPress too, so the decay
    scorer reads it only beside a dated permalink and only where no news evidence speaks (``decay_rules``).
    """
    for value in metas.get("generator", ()):
        lowered = value.strip().lower()
        for prefix, name in _GENERATORS:
            if lowered.startswith(prefix):
                return name
    for url in tree.xpath("//link[@rel='stylesheet']/@href | //script/@src")[:200]:
        for marker, name in _PLATFORM_ASSETS:
            if marker in str(url):
                return name
    return ""


def _visible_text(tree: Any) -> str:
    """The page's readable text, furniture included (credits often sit outside the extracted article); read
    lazily and cut at ``MAX_VISIBLE_CHARS`` so a 4 MB changelog costs no more than a news page."""
    parts: list[str] = []
    size = 0
    for element in tree.iter():
        if element.tag not in _INVISIBLE and isinstance(element.text, str):
            parts.append(element.text)
            size += len(element.text)
        if isinstance(element.tail, str):
            parts.append(element.tail)
            size += len(element.tail)
        if size > MAX_VISIBLE_CHARS:
            break
    return "\n".join(parts)


_CITATION_VENUES = (  # (citation_* tag naming the venue, what the page is)
    ("citation_journal_title", "journal article in"),
    ("citation_conference_title", "conference paper at"),
    ("citation_technical_report_institution", "report from"),
    ("citation_dissertation_institution", "thesis from"),
)


def _scholarly(metas: dict[str, list[str]]) -> str:
    """A paper's landing page says so in the citation_* tags Google Scholar reads (Highwire Press tags)."""
    if not metas.get("citation_title"):
        return ""
    for tag, what in _CITATION_VENUES:
        venue = (metas.get(tag) or [""])[0]
        if venue:
            return f"{what} {one_line(venue)[:80]}"
    return "paper"


def _doi(metas: dict[str, list[str]]) -> str:
    for name in ("citation_doi", "dc.identifier", "prism.doi", "bepress_citation_doi"):
        for value in metas.get(name, ()):
            found = re.search(r"10\.\d{4,9}/\S+", value)
            if found:
                return found.group(0)
    return ""


def _meta_values(tree: Any) -> dict[str, list[str]]:
    """``<meta property|name|itemprop=… content=…>`` as lowercase name → values (in page order)."""
    out: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        name = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if name and content and content.strip():
            out.setdefault(name.strip().lower(), []).append(content.strip())
    return out


def _jsonld_nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every object in the page's JSON-LD blocks, ``@graph`` members included (bad JSON skipped)."""
    for script in tree.xpath("//script[@type='application/ld+json']")[:20]:
        text = (script.text or "").strip()[:MAX_JSONLD_CHARS]
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            try:  # a common fault: a trailing ';' or several objects without a list
                data = json.loads(text.rstrip(";"))
            except ValueError:
                continue
        yield from _objects(data, depth=0)


def _objects(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 3:
        return
    if isinstance(data, list):
        for item in data[:50]:
            yield from _objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if isinstance(graph, list):
            yield from _objects(graph, depth + 1)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _split_keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if isinstance(v, str) and v.strip()]
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
    return []


def _to_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    match = _DATE.search(str(value or ""))
    if not match:
        return None
    try:
        found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return found if 1990 <= found.year <= 2100 else None


def _first_date(values: list[Any]) -> date | None:
    for value in values:
        found = _to_date(value)
        if found:
            return found
    return None


def _unique(items: Any) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        text = str(item).strip()
        if text and text.lower() not in {k.lower() for k in seen}:
            seen[text] = None
    return tuple(seen)


# --------------------------------------------------------------------------- the title, by agreement


def json_ld(tree: Any) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page (``@graph`` members flattened); broken blocks are skipped."""
    return list(_jsonld_nodes(tree))


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


# " | ", " - ", " :: ", breadcrumb arrows (" » Local » Noticias"), a full-width bar, and a full-width colon
# after a space ("… ：日本経済新聞"; without the space "動画：…" is part of a Japanese headline).
_SEPARATORS = re.compile(r"\s+[|\-—–·:»›]{1,2}\s+|｜|\s+::\s+|\s+：\s*")
_SITE_TAG = re.compile(r"\s*[\[(（][^\[\]()（）]{1,40}[\])）]\s*$")  # "[LWN.net]", "（写真＝ロイター）"
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
    untagged_parts = [_SITE_TAG.sub("", v) for v in out[1:]]  # "成否 （写真＝ロイター）" of "… ：日本経済新聞"
    return [v.rstrip(" ¶#") for v in [*out, *untagged_parts] if v.strip()]


def _leads(headline: str, text: str) -> bool:
    """``text`` is the headline with a byline, credit or label after a space, shorter than the headline.

    "… の成否 編集委員 中沢克二" (an editor's byline in the ``<h1>``), "git-commit(1) Manual Page".
    """
    return 2 * len(headline) >= len(text) and text.startswith(headline + " ")


_CHAPTER = re.compile(r"^\d{1,3}(?:\.\d{1,3})*\.\s+(?=[^\W\d_])")  # "3. Data model", "4.2. Sorting"


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
            support = sum(key in ks or _leads(variant, text) for ks, text in zip(keys.values(), titles.values(),
                                                                                    strict=True))  # fmt: skip
            candidate = (support, len(key), -rank, variant)
            if support >= 2 and (best is None or candidate[:3] > best[:3]):
                best = candidate
    if best is None:
        return None
    # A chapter number a documentation build put before every heading is not part of the title.
    return _CHAPTER.sub("", best[3]) or best[3]
