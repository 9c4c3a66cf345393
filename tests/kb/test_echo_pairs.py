"""The labelled near-misses through a real store: a changed number, a negation, a flipped direction or two
words trading places is never an echo; the paraphrases of the same sentences are. Every sentence is a note of its own, all
in one store (so the weights are those of a small real base, not of two lone claims)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.kb.notes import Claim, Note

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "echoes" / "pairs.tsv"
NEAR_MISS = ("numeric", "negation", "direction", "word-order")


def _rows(kinds: tuple[str, ...]) -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] in kinds]


@pytest.fixture
def linked(store):
    rows = _rows((*NEAR_MISS, "paraphrase"))
    sentences = sorted({r[side] for r in rows for side in ("a", "b")})
    ids = {text: f"s{n:03d}" for n, text in enumerate(sentences)}
    store.upsert_notes([(Note(id=ids[t], title=f"Source {ids[t]}", url=f"https://example.org/{ids[t]}",
                              claims=[Claim(text=t)]), None) for t in sentences])
    pairs = {frozenset(r) for r in store.conn.execute(
        "SELECT a.note_id, b.note_id FROM echoes e JOIN claims a ON a.id = e.claim_id"
        " JOIN claims b ON b.id = e.other_id")}
    return lambda row: frozenset((ids[row["a"]], ids[row["b"]])) in pairs


@pytest.mark.parametrize("row", _rows(NEAR_MISS), ids=lambda r: f"{r['kind']}:{r['b'][:40]}")
def test_a_near_miss_is_never_an_echo(linked, row):
    assert row["label"] == "0"
    assert not linked(row)


def test_the_paraphrases_of_the_same_sentences_are_echoes(linked):
    rows = _rows(("paraphrase",))
    assert len(rows) >= 15 and all(r["label"] == "1" for r in rows)
    missed = [r["b"] for r in rows if not linked(r)]
    assert not missed, missed


def test_two_words_trading_places_change_the_claim_but_a_moved_phrase_does_not():
    from bot.kb.claimterms import analyze, conflict

    def why(a: str, b: str) -> str | None:
        return conflict(analyze(a), analyze(b))

    assert why("The new parser beats the old one on long files", "The old parser beats the new one on long files") == "roles"
    assert why("Yesterday the lab released its evaluation harness", "The lab released its evaluation harness yesterday") is None
    assert why("The lab released its harness", "The lab published its harness") is None  # synonyms, same order
