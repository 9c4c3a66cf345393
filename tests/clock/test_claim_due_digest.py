"""The digest lists claims past their own due date while their note is still fresh (issue 19, per-claim decay)."""

from __future__ import annotations

from datetime import date, datetime

from bot.clock.digest import collect_digest, digest_message, render_digest_text
from bot.kb.notes import Claim, Note
from bot.kb.store import Store

BASE = date(2026, 1, 1)


def priced_store(tmp_path, notes: int = 1) -> Store:
    store = Store.open(str(tmp_path / "kb.db"))
    for n in range(1, notes + 1):
        store.upsert_note(Note(
            id=f"n{n}", title=f"Vector databases {n}", url=f"https://example.org/{n}", body="", decay_rate="slow",
            clipped=datetime(2026, 1, 1, 9), last_validated=BASE, owner="U1",
            claims=[Claim(text="Vector search finds neighbours by distance."),
                    Claim(text=f"The managed vector tier costs ${n + 60} per month.")],
        ))
    return store


def test_a_fresh_note_whose_price_claim_is_due_shows_in_the_digest_with_which_claim_and_why(tmp_path):
    store = priced_store(tmp_path)
    digest = collect_digest(store, date(2026, 2, 2))
    assert digest.total == 0 and digest.due_claim_notes == 1

    text = render_digest_text(digest)
    assert "Claims due before their note (1 note)" in text
    assert ("“The managed vector tier costs $61 per month.” — Vector databases 1 claim 2 states a price:"
            " due 2026-01-31, its note not until 2026-06-30 (`deskbot validate n1 --claim 2`)") in text
    blocks = {b.get("block_id"): b for b in digest_message(digest)["blocks"]}
    assert "states a price" in blocks["digest:claims-due"]["text"]["text"]
    assert "Vector search finds" not in blocks["digest:claims-due"]["text"]["text"]


def test_validating_the_claim_takes_it_out_of_the_next_digest(tmp_path):
    store = priced_store(tmp_path)
    store.validate("n1", by="U2", at=datetime(2026, 2, 2, 10), claim=2)
    digest = collect_digest(store, date(2026, 2, 3))
    assert digest.due_claims == [] and "Claims due before their note" not in render_digest_text(digest)
    assert "digest:claims-due" not in {b.get("block_id") for b in digest_message(digest)["blocks"]}


def test_many_due_claims_fit_one_block_and_the_rest_are_counted(tmp_path):
    store = priced_store(tmp_path, notes=8)
    digest = collect_digest(store, date(2026, 2, 2))
    assert digest.due_claim_notes == 8 and len(digest.due_claims) == 5
    assert "+3 more notes with a claim due" in render_digest_text(digest)
    assert sum(b.get("block_id") == "digest:claims-due" for b in digest_message(digest)["blocks"]) == 1


def test_the_cli_digest_shows_the_claim_and_validate_claim_takes_it_off(tmp_path):
    from click.testing import CliRunner

    from bot.cli import cli

    store = priced_store(tmp_path)
    db = store.path
    store.close()
    runner = CliRunner()
    shown = runner.invoke(cli, ["digest", "--dry-run", "--as-of", "2026-02-02", "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "Claims due before their note (1 note)" in shown.output and "claim 2 states a price" in shown.output
    done = runner.invoke(cli, ["validate", "n1", "--claim", "2", "--on", "2026-02-02", "--db", db])
    assert done.exit_code == 0, done.output
    again = runner.invoke(cli, ["digest", "--dry-run", "--as-of", "2026-02-03", "--db", db])
    assert again.exit_code == 0 and "Claims due before their note" not in again.output
    later = runner.invoke(cli, ["digest", "--dry-run", "--as-of", "2026-03-04", "--db", db])
    assert "due 2026-03-04" in later.output, "the claim's own clock restarted on 2026-02-02"


def test_the_digest_and_the_stale_lists_agree_on_what_is_due_for_a_claim(tmp_path):
    from bot.kb.answers import count_due, due_list

    store = priced_store(tmp_path, notes=8)
    store.upsert_note(Note(id="old", title="Old note", url="https://example.org/old", body="", decay_rate="fast",
                           last_validated=date(2025, 12, 1), owner="U1"))  # stale since 2025-12-31
    today = date(2026, 2, 2)
    digest = collect_digest(store, today)
    listed = due_list(store, today)
    assert [a.row.id for a in listed][0] == "old" and not listed[0].due_claims  # the stale note, no claim line
    early = [a for a in listed if a.due_claims]
    assert digest.due_claim_notes == count_due(store, today).for_claims == len(early) == 8
    assert digest.due_claims == [c for a in early[:5] for c in a.due_claims]
    assert count_due(store, today, owners=["u1"]).total == digest.total + digest.due_claim_notes == 9
