"""A batch of notes (an import) reads each key group's claims once instead of one FTS query per claim: the
candidates and the links must be exactly those of the one-query-per-claim path."""

from __future__ import annotations

import csv
import itertools
import os
import subprocess
import sys
from array import array
from pathlib import Path

import pytest

from bot.kb import claimterms, echoes
from bot.kb.importer import import_paths
from bot.kb.notes import Claim, Note
from bot.kb.render import render_note
from bot.kb.store import Store

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "echoes" / "pairs.tsv"


def _notes() -> list[Note]:
    """Both sides of every labelled pair, 7 claims a note (echoes, near-misses and same-topic claims)."""
    with PAIRS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    notes = []
    for side in ("a", "b"):
        texts = [r[side] for r in rows]
        for n in range(0, len(texts), 7):
            notes.append(Note(id=f"{side}{n:04d}", title=f"Pairs {side} {n}", url=f"https://example.org/{side}/{n}",
                              claims=[Claim(text=t) for t in texts[n : n + 7]]))
    return notes


def _links(store: Store) -> set[tuple[str, int, str, int, float, str]]:
    return {tuple(r) for r in store.conn.execute(
        "SELECT a.note_id, a.position, b.note_id, b.position, round(e.score, 9), e.method FROM echoes e"
        " JOIN claims a ON a.id = e.claim_id JOIN claims b ON b.id = e.other_id")}


def _import(path: Path, seeds_dir: Path) -> Store:
    store = Store.open(str(path))
    assert import_paths(store, [seeds_dir]).failed == []
    store.upsert_notes([(note, None) for note in _notes()])
    return store


def test_a_batch_links_exactly_what_one_query_per_claim_links(tmp_path, seeds_dir, monkeypatch):
    made: list[echoes._Postings] = []

    class Counted(echoes._Postings):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(echoes, "_Postings", Counted)
    batched = _import(tmp_path / "batched.db", seeds_dir)
    assert made, "the batch did not take the batched path"
    monkeypatch.setattr(echoes, "BATCH_CLAIMS", 10**9)  # every claim asks the index on its own
    one_by_one = _import(tmp_path / "queries.db", seeds_dir)
    links = _links(batched)
    assert len(links) >= 40
    assert links == _links(one_by_one)


@pytest.mark.parametrize("cap", [echoes.DF_CAP, 3])
def test_batch_candidates_are_the_fts_query_candidates(store, seeds_dir, monkeypatch, cap):
    # cap 3: most groups hold more claims than are kept, so those claims fall back to their own query
    assert import_paths(store, [seeds_dir]).failed == []
    store.upsert_notes([(note, None) for note in _notes()])
    conn = store.conn
    rows = conn.execute(f"SELECT c.id, {echoes.CLAIM_TEXT} FROM claims c").fetchall()
    analysed = {cid: echoes.analyze(text) for cid, text in rows}
    weights = echoes.Weights.load(conn, echoes.words_of(analysed.values()))
    keyed = {cid: echoes.keys(a, weights) for cid, a in analysed.items()}
    # counts are exact (never a stale one under the cap), so a group over the cap is made by lowering the cap
    # once the keys are chosen
    monkeypatch.setattr(echoes, "DF_CAP", cap)
    words = {cid: a.surface for cid, a in analysed.items()}
    groups = {cid: {t: echoes._group(words[cid], t) for pair in pairs for t in pair} for cid, pairs in keyed.items()}
    postings = echoes._Postings(conn, (g for of in groups.values() for g in of.values()))
    assert (None in postings.claims.values()) == (cap == 3)
    found = 0
    for cid, pairs in keyed.items():
        mine = postings.candidates(words[cid], pairs, groups[cid])
        assert mine == echoes._candidates(conn, words[cid], pairs), cid
        found += len(mine) > 1
    assert found >= 100


def _claim_texts(store: Store) -> list[tuple[int, str]]:
    return store.conn.execute(f"SELECT c.id, {echoes.CLAIM_TEXT} FROM claims c ORDER BY c.id").fetchall()


def test_one_pass_analysis_and_term_sets_equal_the_scoped_analysis(store, seeds_dir):
    # The one-pass analysis of a claim without a negation, relink's term sets and a stored claim's terms with
    # their words, against the analysis that tracks negation scope (the reference): real claims, with and
    # without negations

    assert import_paths(store, [seeds_dir]).failed == []
    store.upsert_notes([(note, None) for note in _notes()])
    texts = [text for _, text in _claim_texts(store)] + ["Prices rose 5 % to 1,000.5 in Zürich's re-opened port"]
    negated = 0
    for text in texts:
        tokens = claimterms._TOKEN.findall(claimterms.fold(text))
        reference = claimterms._analyze_scoped(tokens)
        fresh = claimterms.analyze.__wrapped__(text)
        assert fresh == reference and list(fresh.surface) == list(reference.surface), text
        assert claimterms.term_set(text) == reference.terms, text
        words = claimterms.term_words(text)
        assert words == reference.surface and list(words) == list(reference.surface), text
        negated += bool(reference.negated or reference.has_np)
    assert negated >= 10 and len(texts) - negated >= 300


def _reference_keys(terms: echoes.Terms, weights: echoes.Weights, size: int) -> set[tuple[str, str]]:
    """The keys as first written: the rarest terms by (count, term), then their pairs rare together."""
    df = weights.df
    rarest = sorted((d, t) for t in terms.terms if (d := df.get(t)) is not None and 2 <= d <= echoes.DF_CAP)
    most = max(echoes.PAIR_CHANCE * weights.n, echoes.PAIR_FLOOR)
    return {(a, b) for a, b in itertools.combinations(sorted(t for _, t in rarest[:size]), 2) if df[a] * df[b] <= most}


def test_keys_and_relink_key_hashes_are_the_rarest_pairs(store, seeds_dir):
    assert import_paths(store, [seeds_dir]).failed == []
    store.upsert_notes([(note, None) for note in _notes()])
    rows = _claim_texts(store)
    analysed = {cid: echoes.analyze(text) for cid, text in rows}
    incremental = echoes.Weights.load(store.conn, echoes.words_of(analysed.values()))
    everything = echoes.Weights.load(store.conn, {}, vocabulary=True)  # relink's: learned as it keys every claim
    hashes, owners, count = echoes._keys_of(store.conn, rows, everything)
    assert everything.df == incremental.df  # one count per term, whichever path asked
    keyed = 0
    for weights in (incremental, everything):
        assert weights.rare == {t: (d, t) for t, d in weights.df.items() if 2 <= d <= echoes.DF_CAP}
        for cid, terms in analysed.items():
            for size in (echoes.PREFIX, echoes.RELINK_PREFIX):
                assert echoes.keys(terms, weights, size) == _reference_keys(terms, weights, size), cid
            keyed += bool(echoes.keys(terms, everything, echoes.RELINK_PREFIX))
    found = sorted(zip(array("q", owners), array("q", hashes), strict=True))
    expected = sorted((cid, hash(pair)) for cid, terms in analysed.items() if len(terms.terms) >= echoes.MIN_TERMS
                      for pair in _reference_keys(terms, everything, echoes.RELINK_PREFIX))
    assert count == len(rows) and found == expected and keyed >= 200


def _index_counts(conn, words: dict[str, str]) -> dict[str, int]:
    """What the index answers now for each term's words (``surfaces``), up to ``DF_SAMPLE``: the definition,
    asked afresh one term at a time."""
    out = {}
    for term, word in words.items():
        if term in echoes.DIRECTIONS:
            continue
        group = [w for w in claimterms.surfaces(term, word) if '"' not in w]
        query = "text : (" + " OR ".join(f'"{w}"' for w in group) + ")"
        out[term] = conn.execute("SELECT count(*) FROM (SELECT 1 FROM claims_fts WHERE claims_fts MATCH ?"
                                 f" LIMIT {echoes.DF_SAMPLE})", (query,)).fetchone()[0]
    return out


def _note(note_id: str, *claims: str) -> Note:
    return Note(id=note_id, title=f"Note {note_id}", url=f"https://example.org/{note_id}",
                claims=[Claim(text=c) for c in claims])


@pytest.mark.parametrize("bound", [echoes.DF_SAMPLE, 3])
def test_counts_a_process_keeps_between_notes_are_what_the_index_answers_after_every_change(store, seeds_dir,
                                                                                            tmp_path, monkeypatch,
                                                                                            bound):
    """Term counts are kept in the process between notes, moved by each change of claims; whatever changed
    them meanwhile — this process's next note, another process's import, a deleted note, a rewritten claim, a
    rolled-back write — the counts used are the index's answer of the moment, never an earlier one (also with
    most counts at the ``DF_SAMPLE`` bound, where a claim gone cannot be counted down)."""
    monkeypatch.setattr(echoes, "DF_SAMPLE", bound)
    assert import_paths(store, [seeds_dir]).failed == []
    words = echoes.words_of(claimterms.term_words(t) for _, t in _claim_texts(store))
    # our stem of "technology" is "technologi", the index's "technolog" — the token of "technological" too
    words |= claimterms.term_words("technology costs")
    assert "technologi" in words and "technolog" not in words
    video = "Robotics is fundamentally an algorithms problem; a humanlike learner would make it largely solved"

    def check() -> None:
        with store.write() as conn:
            kept = echoes.Weights.load(conn, words)
            assert kept.df == _index_counts(conn, words)

    check()
    store.upsert_notes([(_note("again", video, "Continual learning is the bottleneck for broadly deployed AI"),
                         None)])
    check()
    store.upsert_notes([(_note("tech", "Technological progress in robotics depends on learners"), None)])
    check()
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "other.md").write_text(render_note(_note("other-process", video, video + " soon")), encoding="utf-8")
    subprocess.run([sys.executable, "-c", "from bot.cli import cli; cli()", "import", str(folder)],
                   env={**os.environ, "DESKBOT_DB": store.path}, check=True, capture_output=True, timeout=120)
    check()
    with store.write() as conn:
        conn.execute("DELETE FROM notes WHERE id = 'again'")
    check()
    with store.write() as conn:
        conn.execute("UPDATE claims SET text = 'Robotics learner algorithms problem solved' WHERE position = 2")
    check()
    with pytest.raises(RuntimeError), store.write() as conn:  # counts read inside a write that is undone
        conn.execute("UPDATE claims SET text = text || ' robotics learner algorithms'")
        assert echoes.Weights.load(conn, words).df == _index_counts(conn, words)
        raise RuntimeError
    check()
    kept = echoes.Weights._kept[str(store.conn.execute("PRAGMA database_list").fetchone()[2])]
    assert len(kept.counts) >= len(words) // 2  # counts are moved, not asked again
