"""The labelled near-misses through a real store: a changed number, a negation or a flipped direction
is never an echo; the paraphrases of the same sentences are."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.notes import Claim, Note

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "echoes" / "pairs.tsv"
NEAR_MISS = ("numeric", "negation", "direction")


def _rows(kinds: tuple[str, ...]) -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] in kinds]


def _linked(store, a: str, b: str) -> bool:
    store.upsert_notes([
        (Note(id="a", title="Source A", url="https://example.org/a", claims=[Claim(text=a)]), None),
        (Note(id="b", title="Source B", url="https://example.org/b", claims=[Claim(text=b)]), None),
    ])
    return store.conn.execute("SELECT count(*) FROM echoes").fetchone()[0] > 0


@pytest.mark.parametrize("row", _rows(NEAR_MISS), ids=lambda r: f"{r['kind']}:{r['b'][:40]}")
def test_a_near_miss_is_never_an_echo(store, row):
    assert row["label"] == "0"
    assert not _linked(store, row["a"], row["b"])


def test_the_paraphrases_of_the_same_sentences_are_echoes(tmp_path):
    from bot.store import Store

    rows = _rows(("paraphrase",))
    assert len(rows) >= 15
    found = 0
    for n, row in enumerate(rows):
        store = Store.open(str(tmp_path / f"p{n}.db"))
        try:
            found += _linked(store, row["a"], row["b"])
        finally:
            store.close()
    assert found == len(rows)
