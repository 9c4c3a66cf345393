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
    """Each in a note of its own, so a paraphrase must be sure (``echoes.SURE``). Four of the 16 are not, by
    design or as known misses of a word-based scorer: one adds a clause of its own ("and the honest thing is to
    read it again"), "cheap"/"cost little", "human level"/"human-level", "the Oslo-based company… new model"
    / "Zephyr-3" (docs/decisions.md, "Echo precision on news paraphrase")."""
    rows = _rows(("paraphrase",))
    assert len(rows) >= 15 and all(r["label"] == "1" for r in rows)
    missed = {r["b"][:20] for r in rows if not linked(r)}
    assert missed <= {"Zephyr-3 solves 71% ", "Quick notes cost lit", "Not being able to st", "Human-level continua"}


def test_two_words_trading_places_change_the_claim_but_a_moved_phrase_does_not():
    from bot.kb.claimterms import analyze, conflict

    def why(a: str, b: str) -> str | None:
        return conflict(analyze(a), analyze(b))

    assert why("The new parser beats the old one on long files", "The old parser beats the new one on long files") == "roles"
    assert why("Yesterday the lab released its evaluation harness", "The lab released its evaluation harness yesterday") is None
    assert why("The lab released its harness", "The lab published its harness") is None  # synonyms, same order


FRESNEL = ("Fresnel presented his first lens to the French Academy of Sciences in 1822, and it was installed in the"
           " Cordouan lighthouse the following year.")  # tests/fixtures/pages/wiki-fresnel-lens (pairs.tsv)
FRESNEL_SHORT = "Fresnel presented his first lens to the French Academy of Sciences in 1822."  # the same, its clause cut
ZEPHYR = ("Zephyr-3 supports a context window of 400,000 tokens, twice the length of its predecessor.",
          "The context window of Zephyr-3 is 400,000 tokens, double that of its predecessor.")  # pairs.tsv paraphrase


def _note(note_id: str, *texts: str) -> Note:
    return Note(id=note_id, title=f"Source {note_id}", url=f"https://example.org/{note_id}",
                claims=[Claim(text=t) for t in texts])


def _linked_texts(store) -> set[frozenset[str]]:
    return {frozenset(r) for r in store.conn.execute(
        "SELECT a.text, b.text FROM echoes e JOIN claims a ON a.id = e.claim_id JOIN claims b ON b.id = e.other_id")}


def test_a_sentence_and_the_same_sentence_with_a_fact_of_its_own_are_not_one_claim_between_unrelated_notes(store):
    from bot.kb.claimterms import analyze, assertion, score
    from bot.kb.echoes import STRONG, SURE

    a, b = analyze(FRESNEL), analyze(FRESNEL_SHORT)
    assert score(a, b, lambda t: 1.0) >= STRONG  # every word of the short one is in the long one…
    assert assertion(a, b, lambda t: 1.0) < SURE  # …but the long one adds "installed in the Cordouan lighthouse"
    assert assertion(*map(analyze, ZEPHYR), lambda t: 1.0) >= SURE  # a reworded statement adds nothing
    store.upsert_notes([(_note("wiki", FRESNEL), None), (_note("other", FRESNEL_SHORT), None)])
    assert frozenset((FRESNEL, FRESNEL_SHORT)) not in _linked_texts(store)


def test_between_notes_tied_by_a_sure_echo_the_claim_that_states_more_is_still_an_echo(store):
    """Two notes about one event (they share a sure echo): there one claim may state more, as a summary
    claim packs two of its source's points."""
    store.upsert_notes([(_note("page", FRESNEL, ZEPHYR[0]), None), (_note("digest", FRESNEL_SHORT, ZEPHYR[1]), None)])
    linked = _linked_texts(store)
    assert frozenset(ZEPHYR) in linked
    assert frozenset((FRESNEL, FRESNEL_SHORT)) in linked


def test_two_close_pairs_tie_two_notes_without_a_sure_one(store):
    """A summary and its source rarely have one sure pair, but several close ones: two claim pairs from
    STRONG up tie the notes (one alone does not: two news sentences, one with a clause of its own)."""
    from bot.kb.echoes import strong_ties

    assert strong_ties([(1, 2, "x", "y", 0.6, False)]) == set()
    assert strong_ties([(1, 2, "x", "y", 0.6, False), (3, 4, "x", "y", 0.55, False)]) == {("x", "y"), ("y", "x")}
    assert strong_ties([(1, 2, "x", "y", 0.6, False), (2, 1, "y", "x", 0.6, False)]) == set()  # one pair, seen twice
    assert strong_ties([(1, 2, "x", "y", 0.9, True)]) == {("x", "y"), ("y", "x")}


@pytest.mark.parametrize(("a", "b"), [
    ("Germany's inflation rate fell to 2.1 % in October 2025 according to Destatis.",
     "France's inflation rate fell to 2.1 % in October 2025 according to INSEE."),
    ("In the third quarter, Nvidia's data centre revenue rose 12 % as cloud providers bought more GPUs.",
     "In the third quarter, AMD's data centre revenue rose 12 % as cloud providers bought more GPUs."),
    ("The study found that remote workers were more productive than office workers.",
     "The study found that remote workers were less productive than office workers."),
])
def test_the_same_sentence_about_another_country_firm_or_the_other_way_is_no_echo(store, a, b):
    """Stored one by one, as captures arrive: a different name in the same slot, or "more" against "less"."""
    store.upsert_notes([(Note(id="n1", title="One", url="https://one.example.org/a", claims=[Claim(text=a)]), None)])
    store.upsert_notes([(Note(id="n2", title="Two", url="https://two.example.org/a", claims=[Claim(text=b)]), None)])
    assert store.conn.execute("SELECT count(*) FROM echoes").fetchone()[0] == 0


@pytest.mark.parametrize(("a", "b"), [
    ("We are suspending sales of SCOLinux until these issues are resolved, Sontag said.",
     "We are suspending sales of SCO Linux until these issues are resolved."),
    ("The Very Rev. Peter Karanja said the church was alienating itself.",
     "The Very Reverend Peter Karanja said the church was alienating itself."),
    ("Germany's inflation rate fell to 2.1 % in October 2025, Destatis said.",
     "Germany's inflation rate fell to 2.1 % in October 2025."),
])
def test_a_name_written_two_ways_or_an_added_attribution_is_no_conflict(a, b):
    from bot.kb.claimterms import analyze, conflict

    assert conflict(analyze(a), analyze(b)) is None
