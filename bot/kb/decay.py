"""Decay and freshness: pure functions over dates, with the clock always passed in.

A note decays from its base date (last validation, else clipping date) at its ``decay_rate``:
named rates map to days through a table (``DESKBOT_DECAY``), and ``NNd`` / ``NNw`` are explicit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_TABLE: dict[str, int] = {"fast": 30, "medium": 90, "slow": 180}
DEFAULT_RATE = "medium"
DUE_SOON_DAYS = 7

_EXPLICIT = re.compile(r"^\s*(\d{1,4})\s*([dw])\s*$", re.IGNORECASE)

FRESH, DUE_SOON, STALE, OUTDATED = "fresh", "due soon", "stale", "outdated"


class DecayError(ValueError):
    """A decay rate or table that cannot be understood; the message says why."""


def parse_table(spec: str | None) -> dict[str, int]:
    """Parse ``fast=30,medium=90,slow=180``; unspecified names keep their defaults."""
    table = dict(DEFAULT_TABLE)
    if not spec or not spec.strip():
        return table
    for part in spec.split(","):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or not name or not value.strip().isdigit() or int(value) <= 0:
            raise DecayError(f"DESKBOT_DECAY: expected name=days (e.g. fast=30), got {part.strip()!r}")
        table[name] = int(value)
    return table


def normalize_rate(rate: str | None, table: dict[str, int] | None = None) -> str | None:
    """Return the canonical spelling of a rate (``slow``, ``14d``, ``2w``) or raise DecayError."""
    if rate is None or str(rate).strip() == "":
        return None
    text = str(rate).strip().lower()
    if text in (table or DEFAULT_TABLE):
        return text
    match = _EXPLICIT.match(text)
    if match and int(match.group(1)) > 0:
        return f"{int(match.group(1))}{match.group(2).lower()}"
    names = ", ".join(sorted(table or DEFAULT_TABLE))
    raise DecayError(f"unknown decay_rate {rate!r} (use {names}, or NNd / NNw)")


def rate_days(rate: str | None, table: dict[str, int] | None = None) -> int:
    """Days a note stays fresh at ``rate``; a missing rate counts as medium."""
    table = table or DEFAULT_TABLE
    canonical = normalize_rate(rate, table) or DEFAULT_RATE
    if canonical in table:
        return table[canonical]
    number, unit = int(canonical[:-1]), canonical[-1]
    return number * 7 if unit == "w" else number


def due_date(base: date | None, rate: str | None, table: dict[str, int] | None = None) -> date | None:
    """The day a note becomes stale; None when there is no date to count from."""
    if base is None:
        return None
    return base + timedelta(days=rate_days(rate, table))


@dataclass(frozen=True)
class Freshness:
    """Where a note or claim stands on ``today``."""

    state: str
    due: date | None
    days_overdue: int  # > 0 once stale; negative = days left

    @property
    def badge(self) -> str:
        """Short human label: 'fresh', 'due soon (in 3 days)', 'stale since 2026-10-03'."""
        if self.state == STALE and self.due:
            return f"stale since {self.due.isoformat()}"
        if self.state == DUE_SOON and self.due:
            left = -self.days_overdue
            return "due today" if left == 0 else f"due soon (in {left} day{'s' if left != 1 else ''})"
        if self.state == OUTDATED:
            return "outdated"
        if self.state == FRESH and self.due:
            return f"fresh (until {self.due.isoformat()})"
        return self.state


def freshness(due: date | None, today: date, *, snoozed_until: date | None = None) -> Freshness:
    """Classify by due date: stale on and after it, due soon within 7 days before it."""
    if due is None:
        return Freshness(FRESH, None, 0)
    if snoozed_until and snoozed_until > due:
        due = snoozed_until
    overdue = (today - due).days
    if overdue >= 0:
        return Freshness(STALE, due, overdue)
    if -overdue <= DUE_SOON_DAYS:
        return Freshness(DUE_SOON, due, overdue)
    return Freshness(FRESH, due, overdue)


# A claim that states a price, a version, a ranking or a dated figure ("as of …") ages faster than its note.
_VOLATILE_CLAIM = (
    (re.compile(r"[$€£¥]\s?\d|\b\d+(?:[.,]\d+)?\s?(?:usd|eur|dollars|euros)\b|\bper (?:month|year|seat)\b", re.I),
     "states a price"),
    (re.compile(r"\bv\d+(?:\.\d+)+\b|\bversion \d+(?:\.\d+)*\b", re.I), "names a version"),
    (re.compile(r"\b(?:ranked|ranks|top[- ]\d+|#\d+|number one|leaderboard|state[- ]of[- ]the[- ]art)\b", re.I),
     "states a ranking"),
    (re.compile(r"\bas of\b|\bcurrently\b|\bat the time of writing\b", re.I), "is dated (\"as of\")"),
)
# What every match of one of them contains (a digit, or one of these words, case aside): an ASCII claim with
# none states nothing volatile, found with str operations instead of four case-insensitive searches.
_VOLATILE_WORDS = ("per", "rank", "number", "leaderboard", "state", "as of", "currently", "time")
_DIGIT = re.compile(r"[0-9]")


def _may_be_volatile(text: str) -> bool:
    if not text.isascii():  # case folding beyond ASCII ("ſ" matches "s" in re.I): let the patterns decide
        return True
    low = text.lower()
    return _DIGIT.search(text) is not None or any(word in low for word in _VOLATILE_WORDS)


def claim_rate(text: str | None, note_rate: str | None) -> tuple[str, str] | None:
    """``("fast", "states a price")`` when a claim says it ages fast and its note's rate is slower, else None."""
    if not text or (note_rate or DEFAULT_RATE) == "fast" or not _may_be_volatile(text):
        return None
    for pattern, why in _VOLATILE_CLAIM:
        if pattern.search(text):
            return "fast", why
    return None


def claim_freshness(
    note_base: date | None,
    claim_validated: date | None,
    outdated: bool,
    rate: str | None,
    today: date,
    table: dict[str, int] | None = None,
    *,
    text: str | None = None,
) -> Freshness:
    """A claim inherits its note's dates unless validated or marked outdated on its own; given its ``text``, a
    claim with a price, version, ranking or "as of" gets its own, earlier due date (``claim_rate``)."""
    if outdated:
        return Freshness(OUTDATED, None, 0)
    own = claim_rate(text, rate)
    if own and rate_days(own[0], table) < rate_days(rate, table):
        rate = own[0]
    base = max(d for d in (note_base, claim_validated) if d) if (note_base or claim_validated) else None
    return freshness(due_date(base, rate, table), today)


def claim_due(
    note_base: date | None,
    claim_validated: date | None,
    outdated: bool,
    rate: str | None,
    text: str | None,
    table: dict[str, int] | None = None,
    *,
    snoozed_until: date | None = None,
    note_due: date | None = None,
) -> tuple[date, str] | None:
    """A claim's own due date and why (``claim_rate``), only when it falls before its note's ``note_due``:
    the date the store keeps so the digest and reminders can ask for claims due before their note."""
    own = None if outdated else claim_rate(text, rate)
    if own is None or rate_days(own[0], table) >= rate_days(rate, table):
        return None
    base = max(d for d in (note_base, claim_validated) if d) if (note_base or claim_validated) else None
    due = due_date(base, own[0], table)
    if due and snoozed_until and snoozed_until > due:
        due = snoozed_until
    if due is None or (note_due is not None and due >= note_due):
        return None
    return due, own[1]
