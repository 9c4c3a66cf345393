"""Propose how fast a captured note goes stale (slow / medium / fast), with the reason shown to the owner.

A rule table, not a model: the first rule that matches wins, so the order is the policy. Teams can pass
their own table (``suggest_decay(..., rules=MY_RULES)``) or prepend rules to ``DEFAULT_RULES``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from bot.capture.dateline import report_cue
from bot.capture.newsroom import newsroom_credit
from bot.kb.notes import normalize_tag

DEFAULT_RATE = "medium"
DEFAULT_REASON = "no rule matched; medium is the default"


@dataclass(frozen=True)
class DecayRule:
    """Matches when every condition given matches (kinds, domains, tags, title words); any one of a list."""

    rate: str
    reason: str
    kinds: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()  # "arxiv.org" also matches "export.arxiv.org"
    tags: frozenset[str] = frozenset()  # normalised tags; "benchmark" also matches "benchmarks"
    title_words: frozenset[str] = frozenset()  # lowercase words or phrases found in the title
    url_pattern: str | None = None  # regex searched in "host/path" ("^docs\\.", "/docs/")

    def matches(self, kind: str, host: str, tags: set[str], title: str, where: str = "") -> bool:
        if self.kinds and kind not in self.kinds:
            return False
        if self.domains and not any(host == d or host.endswith("." + d) for d in self.domains):
            return False
        if self.tags and not any(_tag_hit(rule_tag, tags) for rule_tag in self.tags):
            return False
        if self.url_pattern and not re.search(self.url_pattern, where):
            return False
        return not self.title_words or any(_word_in(w, title) for w in self.title_words)


def rule(
    rate: str,
    reason: str,
    *,
    kinds: Iterable[str] = (),
    domains: Iterable[str] = (),
    tags: Iterable[str] = (),
    title_words: Iterable[str] = (),
    url_pattern: str | None = None,
) -> DecayRule:
    """Build a rule from plain lists (tags are normalised like note tags)."""
    return DecayRule(
        rate,
        reason,
        frozenset(kinds),
        frozenset(d.lower() for d in domains),
        frozenset(normalize_tag(t) for t in tags),
        frozenset(w.lower() for w in title_words),
        url_pattern,
    )


_FAST_TOPICS = (
    "news",
    "model-release",
    "release",
    "launch",
    "pricing",
    "price",
    "benchmark",
    "leaderboard",
    "announcement",
    "funding",
    "earnings",
    "rumor",
    "changelog",
    "roadmap",
    "beta",
)
_FAST_TITLE = (
    "releases",
    "released",
    "launches",
    "launched",
    "announces",
    "announced",
    "unveils",
    "pricing",
    "prices",
    "price cut",
    "benchmark",
    "leaderboard",
    "this week",
    "today",
    "breaking",
    "raises",
)
_NEWS_DOMAINS = (
    "techcrunch.com",
    "theverge.com",
    "reuters.com",
    "bloomberg.com",
    "venturebeat.com",
    "wired.com",
    "arstechnica.com",
    "cnbc.com",
    "news.ycombinator.com",
    "theinformation.com",
    "axios.com",
)
_DOCS_DOMAINS = ("readthedocs.io", "readthedocs.org", "docs.python.org", "developer.mozilla.org")
_DOCS_URL = r"^(docs|developer|developers|api)\.|/(docs?|documentation|reference|api|manual)(/|$)"
_ESSAY_TOPICS = (
    "essay",
    "opinion",
    "philosophy",
    "ideas",
    "thinking",
    "history",
    "reflection",
    "culture",
    "writing",
)
_ESSAY_DOMAINS = ("substack.com", "medium.com", "paulgraham.com", "dwarkesh.com", "lesswrong.com")

DEFAULT_RULES: tuple[DecayRule, ...] = (
    # What a source *is* outranks what it mentions: a paper that reports a benchmark is still a paper.
    rule("medium", "papers hold for a while, then follow-up work revises them", kinds=("paper",)),
    rule(
        "medium",
        "papers hold for a while, then follow-up work revises them",
        domains=("arxiv.org", "openreview.net", "aclanthology.org", "biorxiv.org", "medrxiv.org"),
    ),
    rule("medium", "documentation changes with each release", domains=_DOCS_DOMAINS),
    rule("medium", "documentation changes with each release", url_pattern=_DOCS_URL),
    rule(
        "fast",
        "news on model releases ages fast",
        tags=("model-release", "release", "launch", "announcement"),
    ),
    rule("fast", "prices change often", tags=("pricing", "price")),
    rule(
        "fast", "benchmark and leaderboard standings move every few weeks", tags=("benchmark", "leaderboard")
    ),
    rule("fast", "news ages fast", tags=_FAST_TOPICS),
    rule("fast", "news ages fast", domains=_NEWS_DOMAINS),
    rule(
        "fast",
        "the title announces news, which ages fast",
        kinds=("article", "video"),
        title_words=_FAST_TITLE,
    ),
    rule(
        "medium",
        "documentation changes with each release",
        tags=("docs", "documentation", "api", "reference"),
    ),
    rule(
        "medium",
        "documentation changes with each release",
        title_words=("documentation", "docs", "api reference"),
    ),
    rule("slow", "essays on ideas age slowly", tags=_ESSAY_TOPICS),
    rule("slow", "essays on ideas age slowly", domains=_ESSAY_DOMAINS),
    rule("slow", "encyclopedic background ages slowly", domains=("wikipedia.org",)),
    rule("slow", "essays on ideas age slowly", title_words=("essay", "thoughts on", "the case for", "why ")),
)


def _tag_hit(rule_tag: str, tags: set[str]) -> bool:
    """'benchmark' matches 'benchmark', 'benchmarks' and 'coding-benchmarks' (whole words, plural or not)."""
    for tag in tags:
        singular = "-".join(p[:-1] if p.endswith("s") and len(p) > 3 else p for p in tag.split("-"))
        for candidate in (tag, singular):
            if candidate == rule_tag or f"-{rule_tag}-" in f"-{candidate}-":
                return True
    return False


def _word_in(word: str, title: str) -> bool:
    if word.endswith(" "):  # "why " counts only as the title's first word
        return title.startswith(word)
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", title) is not None


def suggest_decay(
    kind: str,
    url: str | None,
    tags: Iterable[str],
    title: str | None,
    *,
    rules: Sequence[DecayRule] = DEFAULT_RULES,
) -> tuple[str, str]:
    """``(rate, reason)`` for a new note: the first matching rule, else medium."""
    try:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").lower().removeprefix("www.")
        where = f"{host}{parts.path.lower()}"
    except ValueError:
        host = where = ""
    norm = {normalize_tag(t) for t in tags if normalize_tag(t)}
    lowered = (title or "").lower()
    for candidate in rules:
        if candidate.matches(kind or "article", host, norm, lowered, where):
            return candidate.rate, candidate.reason
    return DEFAULT_RATE, DEFAULT_REASON


# =========================================================================== evidence scorer
#
# Today's rule table above reads the URL, tags and title. The scorer below weighs it together with what the
# page says about itself (``pagemeta``), what kind of source it is, what its claims look like and what this
# channel decided before. Each piece of evidence votes for one rate with the weight of its kind in
# ``WEIGHTS``; the rate with the most weight wins (a tie, or no evidence, gives medium) and the reason line
# names the strongest evidence for the winner. Change a weight here, run ``python bench/decay_quality.py``.

WEIGHTS: dict[str, float] = {
    "team-site": 6.0,  # this channel re-labelled most earlier notes from the same site (≥ 3 labels)
    "team-tag": 4.0,  # … or with the same tag
    "scholarly": 4.0,  # Zotero item_type / PubMed publication_types / a preprint server / citation_* tags
    "schema": 3.0,  # schema.org type in JSON-LD or microdata (NewsArticle, Product, ScholarlyArticle…)
    "page-kind": 3.0,  # what the URL or title says the page is: glossary, tutorial, FAQ, changelog, pricing
    "og-type": 2.0,  # Open Graph og:type (video.*, product, book)
    "docs": 2.0,  # documentation host or path (docs.*, /docs/, readthedocs)
    "news-url": 2.0,  # a dated path (/2014/06/26/) or a news section (/news/, news.*)
    "blog": 1.5,  # a dated permalink on a blog platform with no news evidence: says when, not that it is news
    "rules": 1.5,  # today's rule table (domains, tags incl. the page's keywords, title words)
    "kind": 1.0,  # a paper or video with nothing more specific
    "version": 0.5,  # a version number in the URL or title (docs for 3.11)
    "report": 1.5,  # the text dates its event to the days before publication, or carries a wire dateline
    "newsroom": 1.5,  # credit lines only news carries: 责任编辑, 原标题, 记者 X, (dpa), Reporting by … Editing by
    "opinion": 3.0,  # an opinion section in the URL (/opinion/, /meinung/): over a news site's NewsArticle markup
    "section": 1.0,  # article:section / articleSection (Politics → fast, Opinion → slow)
    "age": 1.0,  # published within 14 days of the clip → fast; 3+ years before → slow
    "claims": 1.0,  # most claims carry prices, versions, rankings, "currently" → fast; definitions → slow
}

RATES = ("slow", "medium", "fast")
MIN_WEIGHT = 1.5  # one weak hint alone (a date, the claims' wording, a section name) does not leave medium
NO_EVIDENCE = "no evidence either way; medium is the default"
TOO_WEAK = "medium is the default: too little evidence to move it"  # "… (published 12 years ago)"

_SCHEMA_RATES: dict[str, tuple[str, str]] = {
    **{t: ("fast", "a news article") for t in (
        "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "LiveBlogPosting", "BreakingNews")},
    **{t: ("fast", "a product page") for t in ("Product", "Offer", "AggregateOffer", "ProductGroup")},
    **{t: ("fast", "an event page") for t in ("Event", "SaleEvent", "BusinessEvent")},
    "JobPosting": ("fast", "a job posting"),
    **{t: ("medium", "a paper") for t in ("ScholarlyArticle", "MedicalScholarlyArticle")},
    **{t: ("medium", "technical documentation") for t in ("TechArticle", "APIReference", "SoftwareSourceCode")},
    "SoftwareApplication": ("medium", "a software page"),
    "Dataset": ("medium", "a dataset"),
    "Course": ("medium", "a course"),
    "OpinionNewsArticle": ("slow", "an opinion piece"),
    "BackgroundNewsArticle": ("slow", "a background explainer"),
    **{t: ("slow", "a reference entry") for t in ("DefinedTerm", "DefinedTermSet", "FAQPage")},
    **{t: ("slow", "a book or chapter") for t in ("Book", "Chapter")},
    "Recipe": ("slow", "a recipe"),
}
_OG_RATES: dict[str, tuple[str, str]] = {
    "product": ("fast", "a product page"),
    "product.item": ("fast", "a product page"),
    "book": ("slow", "a book"),
    "profile": ("medium", "a profile page"),
}
_PAGE_KINDS: tuple[tuple[str, str, str], ...] = (  # (regex on "host/path title", rate, phrase)
    (r"glossary", "slow", "a glossary"),
    (r"/tutorial|\btutorial\b", "slow", "a tutorial"),
    (r"/faq\b|\bfaq\b|frequently asked", "slow", "a FAQ"),
    (r"/reference/|language reference", "slow", "a language reference"),
    (r"wikipedia\.org/wiki/|encyclop", "slow", "an encyclopedia entry"),
    (r"/wiki/", "slow", "a wiki entry"),  # MediaWiki's article path (any wiki: Fandom, a company's glossary wiki)
    (r"changelog|change ?log|release ?notes|/changes\b|/chronology\b|what.s new|whatsnew", "fast",
     "a changelog or release notes"),
    (r"/pricing|/plans\b|\bpricing\b|/prosupport|support plans", "fast", "a pricing page"),
    (r"/download", "fast", "a download page (current versions)"),
    (r"/status\b|server-status|status page", "fast", "a status page"),
)
_NEWS_SECTIONS = re.compile(
    r"\b(news|politics|world|business|markets?|economy|sports?|breaking|national|local|finance|tech news"
    r"|climate|health|entertainment)\b", re.I)
_SLOW_SECTIONS = re.compile(r"\b(opinion|essays?|ideas|books|history|culture|philosophy|review)\b", re.I)
_DATED_PATH = re.compile(r"/((?:19|20)\d{2})[/-](?:[a-z_]+/)?(\d{1,2})[/-](\d{1,2})(?:/|[-_]|$)")
# /20200911/, /2019_09_07_516923, /2019/0926/15409036 (Chinese and Korean news sites)
_COMPACT_DATED_PATH = re.compile(
    r"/((?:19|20)\d{2})(?:_|/)?(0[1-9]|1[0-2])(?:_|)?([0-2]\d|3[01])(?:/|_|\d{6,}|$)")
# /2019/01/80642, /202311/17/WS6…, /2020-01/zugverkehr-…
_MONTH_PATH = re.compile(r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])/(?:\d{1,2}/)?[\w-]*[\d-]")
# "news" (and a press office's news) in the languages of our users' sources
_NEWS_PATH = re.compile(r"/(?:news|newsticker|nachrichten|actualites|actualite|noticias|notizie|nieuws|wiadomosci"
                        r"|aktuell|aktuelles|neuigkeiten|meldungen|pressemitteilungen|pressemitteilung"
                        r"|press-releases?|pressreleases?|communiques?|actus?)(?:/|_|\b)")
# an opinion section, also inside a news section (/news/opinion/, /comment/opinion/); not "column" or "commentary",
# which news sites also use for reporting columns
_OPINION_PATH = re.compile(r"/(opinions?|meinung|kommentare?|tribunes?|op-?ed|editorials?)(?:/|$)")
_BLOG_HOSTS = ("blogspot.com", "wordpress.com", "medium.com", "substack.com", "tumblr.com", "typepad.com",
               "ghost.io", "blogger.com", "livejournal.com", "over-blog.com", "hatenablog.com", "wixsite.com")
_BLOG_URL = re.compile(r"^blogs?\.|\.blog/|/blogs?/")  # blog.python.org, stackoverflow.blog, /blog/…
_BLOG_SCHEMA = {"BlogPosting", "Blog"}
_NEWS_KINDS = {"section", "rules", "newsroom", "report", "team-site", "team-tag"}  # fast from these = news
_EVENT_KINDS = {"schema", "news-url", "section", "rules", "team-site", "team-tag", "report", "newsroom"}  # about events
_NOT_A_REPORT = {"scholarly", "docs", "kind"}  # a paper, a manual or a video that names a date is not a report
_DOCS_REASON = "documentation changes with each release"
_VERSION = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?)(?![\w.])")
_VOLATILE = re.compile(
    r"[$€£¥]\s?\d|\d\s?(?:usd|eur|dollars|euros|per month|/mo|/month)\b|\bv\d+(?:\.\d+)+|\bversion \d"
    r"|\b\d+(?:\.\d+)?\s?%|\bthis (?:week|month|year|quarter)\b|\bcurrently\b|\bas of\b|\bright now\b"
    r"|\btoday\b|\byesterday\b|\blatest\b|\branked\b|\btop \d+\b|#\d+\b|\bannounced\b|\breleased\b", re.I)
_DEFINITION = re.compile(
    r"\b(?:is|are) (?:a|an|the) (?:kind|type|form|way|set|measure|property|process|method)\b"
    r"|\brefers? to\b|\bis defined as\b|\bare defined as\b|\bmeans that\b|\bin general\b|\bby definition\b",
    re.I)
_PREPRINT_HOSTS = ("arxiv.org", "medrxiv.org", "biorxiv.org", "ssrn.com", "preprints.org", "researchsquare.com")
_SLOW_PUBLICATION_TYPES = ("systematic review", "meta-analysis", "practice guideline", "guideline",
                           "consensus development conference")


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: its kind (a key of ``WEIGHTS``), the rate it argues for, and words for people."""

    kind: str
    rate: str
    phrase: str

    @property
    def weight(self) -> float:
        return WEIGHTS.get(self.kind, 1.0)


@dataclass(frozen=True)
class TeamLabels:
    """What this channel decided for earlier notes of a site (or tag): ``count`` of ``total`` set to ``rate``."""

    scope: str  # "site" | "tag"
    key: str  # host ("nytimes.com") or tag
    rate: str
    count: int
    total: int

    @property
    def phrase(self) -> str:
        what = "from this site" if self.scope == "site" else f"tagged #{self.key}"
        return f"this channel set {self.count} of {self.total} earlier notes {what} to {self.rate}"


@dataclass(frozen=True)
class Suggestion:
    """The suggested rate, its one-line reason, and all evidence seen (kept in the note's ``extra``)."""

    rate: str
    reason: str
    evidence: tuple[Evidence, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"rate": self.rate, "evidence": [f"{e.rate}: {e.phrase} [{e.kind}]" for e in self.evidence]}


def suggest(
    *,
    kind: str,
    url: str | None,
    title: str | None,
    tags: Iterable[str] = (),
    page: Any = None,
    meta: Mapping[str, Any] | None = None,
    claims: Iterable[str] = (),
    published: date | None = None,
    now: date | None = None,
    team: Iterable[TeamLabels] = (),
    text: str = "",
) -> Suggestion:
    """Weigh every piece of evidence (see ``WEIGHTS``) and return the winning rate with its reason line.

    ``page`` is a ``pagemeta.PageMeta`` (or None), ``meta`` the extractor's/papers' extras (``item_type``,
    ``publication_types``), ``claims`` the note's claim texts, ``team`` what this channel decided before,
    ``text`` the source's readable text (its opening is read for a report's dateline).
    """
    evidence = gather(kind=kind, url=url, title=title, tags=tags, page=page, meta=meta or {},
                      claims=list(claims), published=published, now=now, team=team, text=text)
    return decide(evidence)


def decide(evidence: Sequence[Evidence]) -> Suggestion:
    """The rate with the most weight (ties and nothing → medium) and a reason from its strongest evidence."""
    team = max((e for e in evidence if e.kind.startswith("team-")), key=lambda e: e.weight, default=None)
    if team is not None:  # the channel's own choice for this site or tag is the answer, as decay-stats promises
        return Suggestion(team.rate, team.phrase, tuple(evidence))
    totals = {rate: 0.0 for rate in RATES}
    for item in evidence:
        if item.rate in totals:
            totals[item.rate] += item.weight
    best = max(totals.values())
    if best < MIN_WEIGHT:  # medium by default, but say so in its own words when something argues for medium
        said = next((e.phrase for e in evidence if e.rate == DEFAULT_RATE), None)
        if said is None:
            strongest = max(evidence, key=lambda e: e.weight, default=None)
            said = f"{TOO_WEAK} ({strongest.phrase})" if strongest else NO_EVIDENCE
        return Suggestion(DEFAULT_RATE, said, tuple(evidence))
    winners = [rate for rate in RATES if totals[rate] == best]
    rate = winners[0] if len(winners) == 1 else DEFAULT_RATE
    support = sorted((e for e in evidence if e.rate == rate), key=lambda e: -e.weight)
    phrases: list[str] = []
    for item in support:  # one phrase per idea: "a product page (schema.org …)" and "(og:type …)" are one
        if item.phrase.split(" (")[0] not in {p.split(" (")[0] for p in phrases}:
            phrases.append(item.phrase)
    when = next((e.phrase for e in support if e.kind == "age"), None)
    # "a news article (schema.org NewsArticle) published 2 days ago"; not after "a site's front page"
    if when and phrases[0] != when and _about_events(support[0]):
        reason = f"{phrases[0]} {when}"
    else:
        reason = ", ".join(phrases[:2]) if phrases else "the evidence is split; medium is the default"
    return Suggestion(rate, reason, tuple(evidence))


def gather(
    *,
    kind: str,
    url: str | None,
    title: str | None,
    tags: Iterable[str],
    page: Any,
    meta: Mapping[str, Any],
    claims: Sequence[str],
    published: date | None,
    now: date | None,
    team: Iterable[TeamLabels],
    text: str = "",
) -> list[Evidence]:
    """Every piece of evidence, strongest kinds first (each detector adds at most one)."""
    host, where = _split_url(url)
    title_l = (title or "").lower()
    found: list[Evidence] = [Evidence(f"team-{t.scope}", t.rate, t.phrase) for t in team]
    found += _scholarly(meta, host, kind)
    if page is not None and getattr(page, "scholarly", "") and not any(e.kind == "scholarly" for e in found):
        found.append(Evidence("scholarly", "medium", f"a {page.scholarly} (citation tags)"))
    if page is not None:
        found += _schema(page)
        found += _og(page)
        found += _section(page)
    found += _page_kind(where, title_l)
    found += _docs(host, where, title_l)
    news_url = _news_url(host, where)
    opinion = _OPINION_PATH.search(where)
    if opinion:  # an opinion piece on a news site: its news markup and address say where it is, not what it is
        news_url = []
        found = [e for e in found if not (e.rate == "fast" and e.kind in ("schema", "section"))]
        found.append(Evidence("opinion", "medium", f"an opinion piece (its URL is in /{opinion.group(1)}/)"))
    keywords = list(getattr(page, "keywords", ()) or ())
    rate, reason = suggest_decay(kind, url, [*tags, *keywords[:8]], title)
    docs_seen = any(e.kind == "docs" for e in found)
    if reason != DEFAULT_REASON and not (docs_seen and reason == _DOCS_REASON):  # one fact counts once
        found.append(Evidence("rules", rate, reason))
    if kind == "video":
        found.append(Evidence("kind", "medium", "a video"))
    elif kind == "paper" and not any(e.kind == "scholarly" for e in found):
        found.append(Evidence("kind", "medium", "a paper"))
    day = getattr(page, "published", None) or published
    cue = report_cue(text, day) if text else None
    credit = (newsroom_credit(text) if text else None) or getattr(page, "credit", "") or None
    found += _blog_permalink(news_url, host, where, page, found, bool(cue or credit))
    if (cue or credit) and not any(e.kind in _NOT_A_REPORT or (e.kind in ("schema", "page-kind", "og-type")
                                                                and e.rate != "fast") for e in found):
        found += [Evidence("report", "fast", cue)] if cue else []
        found += [Evidence("newsroom", "fast", credit)] if credit else []
    article = (getattr(page, "og_type", "") or "") == "article"
    if article or any(_about_events(e) for e in found):  # recency matters for reports of events only
        found += _age(day, now)
    elif not any(e.rate == "fast" for e in found):
        found += [e for e in _age(day, now) if e.rate == "slow"]
    found += _claims(claims)
    return found


def _about_events(item: Evidence) -> bool:
    if item.rate != "fast" or item.kind not in _EVENT_KINDS:
        return False
    return item.kind != "schema" or item.phrase.startswith(("a news article", "an event page"))


def _split_url(url: str | None) -> tuple[str, str]:
    try:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").lower().removeprefix("www.")
        return host, f"{host}{parts.path.lower()}"
    except ValueError:
        return "", ""


def _scholarly(meta: Mapping[str, Any], host: str, kind: str) -> list[Evidence]:
    """Papers: systematic reviews and guidelines slow, peer-reviewed articles medium, preprints fast."""
    types = meta.get("publication_types") or []
    if isinstance(types, str):
        types = [types]
    lowered = [str(t).strip().lower() for t in types]
    for slow in _SLOW_PUBLICATION_TYPES:
        if slow in lowered:
            name = next(str(t) for t in types if str(t).strip().lower() == slow)
            return [Evidence("scholarly", "slow", f"a {name.lower()} (PubMed type {name!r})")]
    item_type = str(meta.get("item_type") or "").strip()
    if item_type == "preprint":
        return [Evidence("scholarly", "fast", "a preprint (not yet peer-reviewed)")]
    server = next((h for h in _PREPRINT_HOSTS if host == h or host.endswith("." + h)), None)
    if server:
        return [Evidence("scholarly", "fast", f"a preprint ({server})")]
    if item_type == "journalArticle":
        return [Evidence("scholarly", "medium", "a peer-reviewed journal article")]
    if item_type in {"book", "bookSection", "encyclopediaArticle", "dictionaryEntry"}:
        return [Evidence("scholarly", "slow", f"a reference work (Zotero {item_type})")]
    if item_type in {"report", "conferencePaper", "thesis"}:
        name = "conference paper" if item_type == "conferencePaper" else item_type
        return [Evidence("scholarly", "medium", f"a {name}")]
    return []


def _schema(page: Any) -> list[Evidence]:
    for name in getattr(page, "schema_types", ()) or ():
        hit = _SCHEMA_RATES.get(str(name).removeprefix("schema:"))
        if hit:
            return [Evidence("schema", hit[0], f"{hit[1]} (schema.org {name})")]
    return []


def _og(page: Any) -> list[Evidence]:
    og = (getattr(page, "og_type", "") or "").lower()
    if og.startswith("video"):
        return [Evidence("og-type", "medium", f"a video (og:type {og})")]
    hit = _OG_RATES.get(og)
    return [Evidence("og-type", hit[0], f"{hit[1]} (og:type {og})")] if hit else []


def _section(page: Any) -> list[Evidence]:
    section = getattr(page, "section", "") or ""
    if _SLOW_SECTIONS.search(section):
        return [Evidence("section", "slow", f"in the {section!r} section")]
    if _NEWS_SECTIONS.search(section):
        return [Evidence("section", "fast", f"in the {section!r} section")]
    return []


def _page_kind(where: str, title: str) -> list[Evidence]:
    text = f"{where} {title}"
    for pattern, rate, phrase in _PAGE_KINDS:
        if re.search(pattern, text):
            return [Evidence("page-kind", rate, phrase)]
    path = where.partition("/")[2]
    if where and path.strip("/") in {"", "index.html", "index.htm", "home"}:
        return [Evidence("page-kind", "fast", "a site's front page (changes daily)")]
    return []


def _docs(host: str, where: str, title: str) -> list[Evidence]:
    is_docs = any(host == d or host.endswith("." + d) for d in _DOCS_DOMAINS) or bool(re.search(_DOCS_URL, where))
    if not is_docs and not re.search(r"\bdocumentation\b|\bapi reference\b", title):
        return []
    found = [Evidence("docs", "medium", "documentation")]
    version = _VERSION.search(where) or _VERSION.search(title)
    if version:
        found = [Evidence("docs", "medium", f"documentation for version {version.group(1)}"),
                 Evidence("version", "medium", f"documentation for version {version.group(1)}")]
    return found


def _news_url(host: str, where: str) -> list[Evidence]:
    dated = _DATED_PATH.search(where)
    if dated:
        return [Evidence("news-url", "fast", f"a dated news-style URL ({'/'.join(dated.groups())})")]
    compact = _COMPACT_DATED_PATH.search(where)
    if compact:
        return [Evidence("news-url", "fast", f"a dated news-style URL ({'/'.join(compact.groups())})")]
    month = _MONTH_PATH.search(where)
    if month:
        return [Evidence("news-url", "fast", f"a dated URL ({month.group(1)}/{month.group(2)})")]
    if host.startswith("news.") or _NEWS_PATH.search(where):
        return [Evidence("news-url", "fast", "a URL in a news section")]
    return []


def _blog_permalink(news_url: list[Evidence], host: str, where: str, page: Any, found: Sequence[Evidence],
                    news_text: bool) -> list[Evidence]:
    """A dated URL says when a page was published, not that it is news: blog engines date every permalink.

    On a page that shows a blog platform (generator tag or asset paths, a blog host, BlogPosting) and no news
    evidence at all (no NewsArticle type, news section, news host or path, news rule, newsroom credit or
    report dateline), the dated path counts as a blog post (medium) instead of a news URL (fast).
    """
    dated = [e for e in news_url if e.phrase.startswith(("a dated news-style URL", "a dated URL"))]
    if not dated:
        return news_url
    news = news_text or host.startswith("news.") or bool(_NEWS_PATH.search(where)) or any(
        e.rate == "fast" and (e.kind in _NEWS_KINDS or _about_events(e)) for e in found)
    marker = _blog_marker(host, where, page)
    if news or not marker:
        return news_url
    date_text = dated[0].phrase.rpartition("(")[2].rstrip(")")
    return [Evidence("blog", "medium", f"a blog post ({marker}; its URL dated {date_text} says when, not news)")]


def _blog_marker(host: str, where: str, page: Any) -> str:
    """What shows the page is a blog's ("WordPress", "blogspot.com", "a blog address"), or "" when nothing does."""
    platform = getattr(page, "platform", "") or ""
    if platform:
        return platform
    blog_host = next((h for h in _BLOG_HOSTS if host == h or host.endswith("." + h)), None)
    if blog_host:
        return blog_host
    if _BLOG_URL.search(where):
        return "a blog address"
    types = [str(t).removeprefix("schema:") for t in getattr(page, "schema_types", ()) or ()]
    return next((f"schema.org {t}" for t in types if t in _BLOG_SCHEMA), "")


def _age(published: date | None, now: date | None) -> list[Evidence]:
    if published is None or now is None:
        return []
    days = (now - published).days
    if 0 <= days <= 14:
        when = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
        return [Evidence("age", "fast", f"published {when}")]
    if days >= 3 * 365:
        return [Evidence("age", "slow", f"published {days // 365} years ago")]
    return []


def _claims(claims: Sequence[str]) -> list[Evidence]:
    texts = [c for c in claims if c and c.strip()][:20]
    if len(texts) < 3:
        return []
    volatile = sum(1 for c in texts if _VOLATILE.search(c))
    defining = sum(1 for c in texts if _DEFINITION.search(c))
    if volatile * 2 > len(texts):
        return [Evidence("claims", "fast", f"{volatile} of {len(texts)} claims state prices, versions, "
                                           "figures or 'currently'")]
    if defining * 3 >= len(texts) and volatile * 4 < len(texts):
        return [Evidence("claims", "slow", f"{defining} of {len(texts)} claims are definitions")]
    return []


def suggest_for_note(
    extracted: Any,
    url: str | None,
    tags: Iterable[str],
    claims: Iterable[str],
    *,
    now: date | None,
    team: Iterable[TeamLabels] = (),
) -> Suggestion:
    """The suggestion for a captured source (``extract.Extracted``): its page metadata, kind, claims."""
    from bot.capture.pagemeta import PageMeta

    meta = getattr(extracted, "meta", None) or {}
    return suggest(
        kind=getattr(extracted, "kind", "article") or "article",
        url=url,
        title=getattr(extracted, "title", None),
        tags=tags,
        page=PageMeta.from_dict(meta.get("page_meta")),
        meta=meta,
        claims=claims,
        published=getattr(extracted, "published", None),
        now=now,
        team=team,
        text="" if getattr(extracted, "kind", "article") != "article" else getattr(extracted, "text", "") or "",
    )


def team_labels(
    site_counts: Mapping[str, Mapping[str, int]], tag_counts: Mapping[str, Mapping[str, int]],
    *, min_labels: int = 3, share: float = 2 / 3,
) -> list[TeamLabels]:
    """Turn label counts (key → rate → count) into team evidence where the team clearly agrees.

    A site (or tag) counts once at least ``min_labels`` earlier notes were labelled and one rate holds at
    least ``share`` of them: a single override is a preference, three in a row are a policy.
    """
    found: list[TeamLabels] = []
    for scope, counts in (("site", site_counts), ("tag", tag_counts)):
        best: TeamLabels | None = None
        for key, by_rate in counts.items():
            total = sum(by_rate.values())
            if total < min_labels:
                continue
            rate, count = max(by_rate.items(), key=lambda kv: (kv[1], kv[0]))
            if count >= share * total and (best is None or count > best.count):
                best = TeamLabels(scope, key, rate, count, total)
        if best is not None:
            found.append(best)
    return found
