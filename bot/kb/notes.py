"""The Note model: the one shape every source (seed file, clip, video, PDF, capture) becomes.

Parsing lives in ``bot.kb.noteformats`` and rendering in ``bot.kb.render``; this module only holds the
data, the identity rules and the small normalisers both sides share, so importing it stays cheap.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

KINDS = ("article", "video", "paper", "summary")

_SPACE = re.compile(r"\s+")
_KEY_DROP = re.compile(r"[^\w\s]")


def one_line(text: str) -> str:
    """Collapse whitespace so a claim or title is always a single clean line."""
    return _SPACE.sub(" ", text or "").strip()


def title_key(title: str) -> str:
    """Matching key for 'same work': case, accents, punctuation and spacing do not count."""
    text = title or ""
    if not text.isascii():  # ASCII has nothing to decompose and no accents
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").casefold()
    return one_line(_KEY_DROP.sub(" ", text))


def normalize_tag(tag: str) -> str:
    """Tags are lowercase, without '#', spaces become '-' (``#RLVR`` and ``rlvr`` are one tag)."""
    tag = one_line(str(tag)).lstrip("#").strip().casefold()
    return re.sub(r"\s+", "-", tag)


def make_id(*parts: str) -> str:
    """Stable 16-hex id, so re-importing the same source updates instead of duplicating."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


def url_note_id(canonical_url: str) -> str:
    """The id of the note for a (canonical) URL: the same whether clipped in Slack or imported."""
    return make_id("url", canonical_url)


@dataclass
class Claim:
    """One statement of a note, with where it sits in the source when that is known."""

    text: str
    label: str | None = None  # bold title of a video key point ("RL scaling contradiction")
    quote: str | None = None  # verbatim words in the source (text-fragment link target)
    t: int | None = None  # seconds into a video
    page: int | None = None  # PDF page, 1-based
    last_validated: date | None = None  # set when this claim was validated on its own
    outdated: bool = False  # marked outdated on its own
    supported: bool | None = None  # LLM claims: was a supporting sentence found?
    # Echoes in other notes as exported: ``{"note": id, "claim": 0-based index}``. Not part of the
    # claim's identity (left out of repr/eq), so a note's content hash does not move with its links.
    also_in: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.text = one_line(self.text)
        self.label = one_line(self.label) or None if self.label else None
        self.quote = one_line(self.quote) or None if self.quote else None


@dataclass
class Quote:
    """A highlight or a surprising quote, kept with its heading, speaker and timestamp."""

    text: str
    heading: str | None = None
    speaker: str | None = None
    t: int | None = None

    def __post_init__(self) -> None:
        self.text = one_line(self.text)
        self.heading = one_line(self.heading) or None if self.heading else None
        self.speaker = one_line(self.speaker) or None if self.speaker else None


@dataclass
class Validation:
    """One entry of a note's validation history."""

    at: datetime
    by: str | None = None
    verdict: str = "valid"  # valid | outdated | needs-update | snoozed | decay:<rate>
    claim: int | None = None  # 1-based claim number when the validation is about one claim


@dataclass
class Note:
    """A knowledge item. Dates are ``date`` (validation) or ``datetime`` (clipping)."""

    id: str
    title: str
    kind: str = "article"
    url: str | None = None
    clipped: datetime | None = None
    channel: str | None = None
    owner: str | None = None
    author: str | None = None
    site: str | None = None
    published: date | None = None
    tags: list[str] = field(default_factory=list)
    summary: str = ""
    claims: list[Claim] = field(default_factory=list)
    highlights: list[Quote] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # other sections kept verbatim
    body: str = ""  # article markdown, or the timestamped transcript of a video
    related: list[str] = field(default_factory=list)  # ids of related notes
    source_id: str | None = None  # the clip a summary note summarises
    last_validated: date | None = None
    decay_rate: str | None = None  # slow | medium | fast | NNd | NNw
    decay_reason: str | None = None
    validations: list[Validation] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown frontmatter, kept as-is
    flags: list[str] = field(default_factory=list)  # e.g. "little-text"

    def __post_init__(self) -> None:
        self.title = one_line(self.title)
        seen: list[str] = []
        for tag in self.tags:
            norm = normalize_tag(tag)
            if norm and norm not in seen:
                seen.append(norm)
        self.tags = seen

    @property
    def key_points(self) -> list[Claim]:
        """Key points are the claims that carry a label (the video format's bold titles)."""
        return [c for c in self.claims if c.label]

    def base_date(self) -> date | None:
        """The date freshness counts from: last validation, else the clipping date."""
        if self.last_validated:
            return self.last_validated
        return self.clipped.date() if self.clipped else None
