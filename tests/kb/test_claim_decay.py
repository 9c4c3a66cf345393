"""Per-claim decay: a claim that states a price, a version, a ranking or "as of" gets its own due date."""

from __future__ import annotations

from datetime import date

from bot.kb import decay

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


def test_claim_lookup_gives_a_price_claim_its_own_due_date(tmp_path):
    from datetime import datetime

    from bot.kb.answers import claim_lookup
    from bot.kb.notes import Claim, Note
    from bot.kb.store import Store

    store = Store.open(str(tmp_path / "kb.db"))
    store.upsert_note(Note(
        id="n1", title="Vector databases", url="https://example.org/vdb", body="", decay_rate="slow",
        clipped=datetime(2026, 1, 1, 9), last_validated=BASE,
        claims=[Claim(text="Vector search finds neighbours by distance."),
                Claim(text="The managed vector tier costs $70 per month.")],
    ))
    got = {a.hit.text: a.freshness for a in claim_lookup(store, "vector", date(2026, 2, 15))}
    assert got["The managed vector tier costs $70 per month."].state == decay.STALE
    assert got["Vector search finds neighbours by distance."].state == decay.FRESH
