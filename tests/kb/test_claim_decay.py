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


def _price_note(store, note_id: str = "n1", rate: str = "slow", **kw):
    from datetime import datetime

    from bot.kb.notes import Claim, Note

    store.upsert_note(Note(
        id=note_id, title="Vector databases", url=f"https://example.org/{note_id}", body="", decay_rate=rate,
        clipped=datetime(2026, 1, 1, 9), last_validated=BASE, owner="U1",
        claims=[Claim(text="Vector search finds neighbours by distance."),
                Claim(text="The managed vector tier costs $70 per month.")], **kw,
    ))


def test_a_price_claim_is_stored_with_its_own_due_date_and_listed_before_its_note(tmp_path):
    from bot.kb.store import Store

    store = Store.open(str(tmp_path / "kb.db"))
    _price_note(store)
    assert store.count_claims_due_before_note(date(2026, 1, 30)) == 0  # due on the 31st (fast = 30 days)
    [due] = store.claims_due_before_note(date(2026, 1, 31))
    assert (due.note_id, due.position, due.due, due.why) == ("n1", 2, date(2026, 1, 31), "states a price")
    assert due.note_due == date(2026, 6, 30) and due.owner == "U1"
    assert store.count_claims_due_before_note(date(2026, 1, 31)) == 1
    assert store.count_claims_due_before_note(date(2026, 6, 30)) == 0, "once the note is stale it is listed as such"


def test_validating_the_claim_restarts_its_own_clock_and_the_note_restarts_both(tmp_path):
    from datetime import datetime

    from bot.kb.store import Store

    store = Store.open(str(tmp_path / "kb.db"))
    _price_note(store)
    store.validate("n1", by="U2", at=datetime(2026, 2, 10, 12), claim=2)
    assert store.count_claims_due_before_note(date(2026, 3, 11)) == 0
    [due] = store.claims_due_before_note(date(2026, 3, 12))
    assert due.due == date(2026, 3, 12)
    store.validate("n1", by="U2", at=datetime(2026, 3, 20, 12), claim=2, verdict="outdated")
    assert store.claims_due_before_note(date(2026, 3, 30)) == [], "an outdated claim is not asked again"
    store.validate("n1", by="U2", at=datetime(2026, 4, 1, 12), claim=2)
    store.validate("n1", by="U2", at=datetime(2026, 4, 20, 12))  # the whole note: base moves for both
    assert [d.due for d in store.claims_due_before_note(date(2026, 5, 20))] == [date(2026, 5, 20)]


def test_a_fast_note_has_no_earlier_claims_and_changing_the_rate_recomputes(tmp_path):
    from datetime import datetime

    from bot.kb.store import Store

    store = Store.open(str(tmp_path / "kb.db"))
    _price_note(store, rate="fast")
    assert store.claims_due_before_note(date(2026, 1, 31)) == []
    store.set_decay("n1", "slow", by="U2", at=datetime(2026, 1, 5, 9))
    assert [d.position for d in store.claims_due_before_note(date(2026, 1, 31))] == [2]
    store.snooze("n1", date(2026, 3, 1), by="U2", at=datetime(2026, 1, 31, 9))
    assert store.claims_due_before_note(date(2026, 2, 27)) == [], "snoozing the note snoozes its claims"


def test_the_decay_table_and_migration_017_fill_claim_dues_for_existing_stores(tmp_path):
    from bot.kb.store import Store

    path = str(tmp_path / "kb.db")
    store = Store.open(path)
    _price_note(store)
    with store.write() as conn:  # as a store migrated from 016 looks before its first open
        conn.execute("UPDATE claims SET due = NULL, due_why = NULL")
        conn.execute("UPDATE notes SET claim_due = NULL")
        conn.execute("DELETE FROM meta WHERE key = 'decay_table'")
    store.close()
    store = Store.open(path)
    assert [d.due for d in store.claims_due_before_note(date(2026, 2, 1))] == [date(2026, 1, 31)]
    store.close()
    store = Store.open(path, {"fast": 14, "medium": 90, "slow": 180})
    assert [d.due for d in store.claims_due_before_note(date(2026, 2, 1))] == [date(2026, 1, 15)]


def test_the_per_lead_ranges_count_exactly_what_a_plain_scan_finds(tmp_path):
    from datetime import datetime, timedelta

    from bot.kb.notes import Claim, Note
    from bot.kb.store import Store

    store = Store.open(str(tmp_path / "kb.db"))
    for n, rate in enumerate(["slow", "medium", "120d", "slow", "medium", "fast"]):
        store.upsert_note(Note(
            id=f"n{n}", title=f"Note {n}", url=f"https://example.org/{n}", body="", decay_rate=rate,
            last_validated=BASE + timedelta(days=9 * n),
            claims=[Claim(text="A definition."), Claim(text=f"Version {n}.2 is current as of today.")],
        ))
    store.validate("n3", by="U", at=datetime(2026, 2, 20, 9), claim=2)  # a lead of its own
    store.snooze("n4", date(2026, 4, 1), by="U", at=datetime(2026, 2, 1, 9))
    for offset in range(0, 260, 3):
        day = BASE + timedelta(days=offset)
        plain = store.conn.execute(
            "SELECT id FROM notes WHERE claim_due <= ? AND due > ? ORDER BY claim_due, id",
            (day.isoformat(), day.isoformat())).fetchall()
        assert store.count_claims_due_before_note(day) == len(plain), day
        assert [d.note_id for d in store.claims_due_before_note(day, None)] == [r[0] for r in plain], day


def test_the_quick_check_never_hides_a_claim_the_patterns_would_flag():
    # claim_rate skips the four case-insensitive searches when a claim has no digit and none of the words every
    # match contains: over real claims and edge cases it must decide exactly as the patterns alone do
    import csv
    from pathlib import Path

    pairs = Path(__file__).resolve().parents[1] / "fixtures" / "echoes" / "pairs.tsv"
    with pairs.open(encoding="utf-8", newline="") as f:
        texts = [r[side] for r in csv.DictReader(f, delimiter="\t") for side in "ab"]
    texts += ["Costs $5 a seat", "5 USD each", "billed PER MONTH", "v2.1 fixed it", "Version 3 shipped",
              "RANKED first", "top-10 models", "#1 on the LEADERBOARD", "Number One again", "State-of-the-art",
              "As Of today", "CURRENTLY the best", "At The Time Of Writing", "Il coûte 5 € par mois",
              "ſtate of the art", "٣ dollars", "nothing volatile here", "a timely stately perk"]
    flagged = 0
    for text in texts:
        plain = next((("fast", why) for pattern, why in decay._VOLATILE_CLAIM if pattern.search(text)), None)
        assert decay.claim_rate(text, "slow") == plain, text
        flagged += plain is not None
    assert flagged >= 14 and len(texts) - flagged >= 300
