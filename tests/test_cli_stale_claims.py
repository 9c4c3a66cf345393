"""``deskbot stale`` (and ``--owner``, what /stale mine shows) lists a fresh note whose own claim is due, by
the digest's rule, naming the claim as ``deskbot note`` numbers it; validating clears it (issue 19)."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.kb.notes import Claim, Note
from bot.kb.store import Store


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESKBOT_DB", str(tmp_path / "kb.db"))
    store = Store.open(str(tmp_path / "kb.db"))
    store.upsert_note(Note(  # slow, due 2027-04-25; its price claim (fast) due 2026-11-26
        id="p1", title="Vector DB pricing", url="https://example.org/p1", owner="U0ANN", decay_rate="slow",
        last_validated=date(2026, 10, 27), body="",
        claims=[Claim(text="Vector search finds neighbours by distance."),
                Claim(text="The managed tier costs $70 per month.")],
    ))
    store.upsert_note(Note(id="s1", title="Old benchmark", url="https://example.org/s1", owner="U0BOB",
                           decay_rate="fast", last_validated=date(2026, 10, 21), body=""))  # stale since 11-20
    store.close()
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_stale_names_the_due_claim_with_the_number_note_prints(run):
    out = run("stale", "--as-of", "2026-11-30")
    assert out.startswith("Stale as of 2026-11-30: 2 notes (1 for a claim due before its note)")
    assert out.index("* Old benchmark") < out.index("* Vector DB pricing")  # due 11-20, then 11-26
    assert "* Vector DB pricing — fresh (until 2027-04-25) (a claim 4 days overdue)" in out
    assert ("    claim 2 states a price: due 2026-11-26 (4 days ago), before its note (2027-04-25)"
            " · deskbot validate p1 --claim 2") in out
    assert "claim 1" not in out
    note = run("note", "p1", "--as-of", "2026-11-30")
    assert ("    2. The managed tier costs $70 per month. (⏰ states a price: due 2026-11-26, before its note)"
            in note)
    assert "    1. Vector search finds neighbours by distance.\n" in note  # a definition: due with its note


def test_owner_lists_only_that_persons_notes_case_insensitively(run):
    ann = run("stale", "--owner", "u0ann", "--as-of", "2026-11-30")
    assert "Vector DB pricing" in ann and "Old benchmark" not in ann
    assert ann.startswith("Stale as of 2026-11-30: 1 note (1 for a claim due before its note)")
    bob = run("stale", "--owner", "U0BOB", "--owner", "@bob", "--as-of", "2026-11-30")
    assert "Old benchmark" in bob and "Vector DB pricing" not in bob and "for a claim" not in bob
    assert "All fresh" in run("stale", "--owner", "U0CAROL", "--as-of", "2026-11-30")


def test_a_claim_is_not_listed_before_its_date_and_validating_it_restarts_its_clock(run):
    assert "All fresh" in run("stale", "--owner", "U0ANN", "--as-of", "2026-11-25")
    run("validate", "p1", "--claim", "2", "--on", "2026-11-30")
    assert "All fresh" in run("stale", "--owner", "U0ANN", "--as-of", "2026-11-30")
    later = run("stale", "--owner", "U0ANN", "--as-of", "2026-12-30")
    assert "claim 2 states a price: due 2026-12-30 (today)" in later


def test_once_the_note_is_stale_the_note_is_listed_not_its_claim_again(run):
    out = run("stale", "--as-of", "2027-05-01")
    assert "* Vector DB pricing — stale since 2027-04-25 (6 days overdue)" in out
    assert "states a price" not in out and "for a claim" not in out
