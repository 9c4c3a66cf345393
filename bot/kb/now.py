"""The one clock: every "now" in deskbot comes from here, so tests and readers have one place to look.

Functions that depend on time still take ``now``/``today`` as an argument; these are only the defaults.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Aware UTC: what the clock wing and stored ISO stamps use."""
    return datetime.now(UTC)


def naive_utc_now() -> datetime:
    """Naive UTC (the jobs table's stamps compare as plain ISO text)."""
    return utc_now().replace(tzinfo=None)


def wall_clock() -> datetime:
    """The Slack app's clock: naive UTC, whole seconds."""
    return naive_utc_now().replace(microsecond=0)
