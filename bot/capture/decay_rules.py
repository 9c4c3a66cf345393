"""Propose how fast a captured note goes stale (slow / medium / fast), with the reason shown to the owner.

A rule table, not a model: the first rule that matches wins, so the order is the policy. Teams can pass
their own table (``suggest_decay(..., rules=MY_RULES)``) or prepend rules to ``DEFAULT_RULES``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

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
