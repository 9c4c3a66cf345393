"""Decay is pure: dates in, states out, with the clock passed in."""

from __future__ import annotations

from datetime import date

import pytest

from bot.kb import decay


def test_named_and_explicit_rates():
    assert decay.rate_days("slow") == 180
    assert decay.rate_days("medium") == 90
    assert decay.rate_days("fast") == 30
    assert decay.rate_days(None) == 90  # missing → medium
    assert decay.rate_days("14d") == 14
    assert decay.rate_days("3w") == 21
    assert decay.rate_days("fast", {"fast": 7, "medium": 90, "slow": 180}) == 7


def test_table_from_env_spec():
    assert decay.parse_table("fast=10, slow=400") == {"fast": 10, "medium": 90, "slow": 400}
    with pytest.raises(decay.DecayError, match="DESKBOT_DECAY"):
        decay.parse_table("fast=soon")


@pytest.mark.parametrize("bad", ["sometimes", "0d", "-3d", "12", "w"])
def test_unknown_rates_are_rejected(bad):
    with pytest.raises(decay.DecayError):
        decay.normalize_rate(bad)


def test_seed_summary_is_stale_since_october_third():
    due = decay.due_date(date(2026, 4, 6), "slow")
    assert due == date(2026, 10, 3)
    state = decay.freshness(due, date(2026, 11, 24))
    assert state.state == decay.STALE and state.days_overdue == 52
    assert state.badge == "stale since 2026-10-03"


def test_boundaries_fresh_due_soon_stale():
    due = date(2026, 10, 3)
    assert decay.freshness(due, date(2026, 9, 25)).state == decay.FRESH
    assert decay.freshness(due, date(2026, 9, 26)).state == decay.DUE_SOON
    assert decay.freshness(due, date(2026, 10, 2)).badge == "due soon (in 1 day)"
    assert decay.freshness(due, date(2026, 10, 3)).state == decay.STALE
    assert decay.freshness(None, date(2026, 10, 3)).state == decay.FRESH


def test_snooze_pushes_the_due_date():
    state = decay.freshness(date(2026, 10, 3), date(2026, 10, 10), snoozed_until=date(2026, 10, 17))
    assert state.state == decay.DUE_SOON and state.due == date(2026, 10, 17)


def test_claim_inherits_unless_validated_or_outdated():
    today = date(2026, 11, 24)
    note_base = date(2026, 4, 6)
    inherited = decay.claim_freshness(note_base, None, False, "slow", today)
    assert inherited.state == decay.STALE
    own = decay.claim_freshness(note_base, date(2026, 11, 1), False, "slow", today)
    assert own.state == decay.FRESH and own.due == date(2027, 4, 30)
    assert decay.claim_freshness(note_base, None, True, "slow", today).state == decay.OUTDATED
