"""Per-claim decay: a claim that states a price, a version, a ranking or "as of" gets its own due date."""

from __future__ import annotations

from datetime import date

from bot import decay

BASE = date(2026, 1, 1)


def test_price_version_ranking_and_as_of_claims_age_fast_inside_a_slow_note():
    for text, why in [("The Pro plan costs $20 per month.", "states a price"),
                      ("Version 2.3 adds streaming.", "names a version"),
                      ("It ranked #1 on the leaderboard.", "states a ranking"),
                      ("As of May, 40 teams use it.", 'is dated ("as of")')]:
        assert decay.claim_rate(text, "slow") == ("fast", why)
        got = decay.claim_freshness(BASE, None, False, "slow", date(2026, 2, 15), text=text)
        assert got.due == date(2026, 1, 31) and got.state == decay.STALE


def test_plain_claims_keep_their_notes_rate():
    assert decay.claim_rate("Sparse retrieval is a kind of search.", "slow") is None
    got = decay.claim_freshness(BASE, None, False, "slow", date(2026, 2, 15), text="A definition.")
    assert got.due == date(2026, 6, 30) and got.state == decay.FRESH
    assert decay.claim_freshness(BASE, None, False, "7d", date(2026, 1, 2), text="It costs $5.").due == date(
        2026, 1, 8), "a claim never ages slower than its note"
