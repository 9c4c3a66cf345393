"""Echoes over real imports: seed 000 (summary of the essay) against seed 004 (the narrated video)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.kb import echoes
from bot.kb.importer import import_paths
from bot.kb.notes import Claim, Note
from bot.kb.store import Store
from bot.kb.vault import export_vault

SUMMARY = "20d2ec800f95fb01"  # seed 000
CLIP = "26a257d172a0655d"  # seed 001, the same work as 000
VIDEO = "904f2657af3b42e6"  # seed 004
# Which video key points restate which summary claim (read by hand; see tests/fixtures/echoes/pairs.tsv).
COUNTERPARTS = {
    1: {1, 2}, 2: {2}, 3: {3}, 4: {4}, 5: {6}, 6: {8, 9}, 7: {10}, 8: {11, 12}, 10: {13, 14, 15},
}


def _links(store: Store) -> set[tuple[str, int, str, int]]:
    return {
        tuple(r) for r in store.conn.execute(
            "SELECT a.note_id, a.position, b.note_id, b.position FROM echoes e"
            " JOIN claims a ON a.id = e.claim_id JOIN claims b ON b.id = e.other_id"
        )
    }


def test_most_summary_claims_find_their_video_counterpart_and_none_an_unrelated_one(seeded):
    links = _links(seeded)
    mine = {(a, p, b, q) for a, p, b, q in links if a == SUMMARY}
    assert mine, "no echoes at all"
    for _, p, b, q in mine:
        assert b == VIDEO and q in COUNTERPARTS.get(p, set()), f"summary claim {p} linked to {b} #{q}"
    found = {p for _, p, _, _ in mine}
    assert len(found) >= 6, found  # most of the 9 claims that have a counterpart
    assert {(b, q, a, p) for a, p, b, q in mine} <= links  # stored both ways


def test_no_echo_inside_a_note_or_its_same_work_note(seeded, tmp_path, seeds_dir):
    # The clip (seed 001) gets a claim that its own summary states almost word for word: same work.
    clip = (seeds_dir / "thoughts-on-ai-progress-clip.md").read_text(encoding="utf-8")
    extra = ("\n## Key Claims\n\n- Robotics is in some fundamental sense an algorithms problem: a human-like "
             "learner would largely solve robotics, as humans can teleoperate current hardware.\n")
    (tmp_path / "clip.md").write_text(clip + extra, encoding="utf-8")
    assert import_paths(seeded, [tmp_path / "clip.md"]).failed == []
    links = _links(seeded)
    assert not [x for x in links if {x[0], x[2]} == {SUMMARY, CLIP}]
    assert not [x for x in links if x[0] == x[2]]
    assert (CLIP, 1, VIDEO, 3) in links  # it still echoes the video


def _note(note_id: str, *claims: str, title: str | None = None) -> Note:
    return Note(id=note_id, title=title or f"Note {note_id}", url=f"https://example.org/{note_id}",
                claims=[Claim(text=c) for c in claims])


def test_numbers_direction_and_negation_must_agree(store):
    store.upsert_notes([(n, None) for n in (
        _note("a", "Nvidia revenue rose 5 % in the third quarter on data centre demand"),
        _note("b", "Nvidia revenue fell 5 % in the third quarter on data centre demand"),
        _note("c", "Nvidia revenue rose 9 % in the third quarter on data centre demand"),
        _note("d", "AGI is not imminent according to the essay on continual learning"),
        _note("e", "AGI is imminent according to the essay on continual learning"),
        _note("f", "In the third quarter Nvidia's revenue increased by 5% on demand from data centres"),
    )])
    pairs = {(a, b) for a, _, b, _ in _links(store)}
    assert ("a", "f") in pairs  # paraphrase: word order, inflection, synonym
    for wrong in (("a", "b"), ("a", "c"), ("b", "f"), ("d", "e")):
        assert wrong not in pairs and wrong[::-1] not in pairs, wrong


def test_boilerplate_one_word_and_two_languages_make_no_storm(store):
    notes = [_note(f"n{i:02d}", "Subscribe to our newsletter for weekly updates on research",
                   f"Claim {i} about topic number {i}") for i in range(12)]
    notes += [_note("w1", "RLVR"), _note("w2", "RLVR"),
              _note("de", "Die Robotik ist im Grunde ein Algorithmenproblem"),
              _note("en", "Robotics is fundamentally an algorithms problem")]
    store.upsert_notes([(n, None) for n in notes])
    assert _links(store) == set()


def test_boilerplate_arriving_one_clip_at_a_time_leaves_no_links_and_ties_nothing(store):
    """As Slack captures arrive: the first copies of a footer link before the storm shows; they must not stay,
    nor tie their notes so that each note's own, unrelated claim links at the looser tied bar."""
    own = ["A report finds sourdough starters keep for a decade in the fridge.",
           "Coral reef bleaching doubled over the last decade, the report finds.",
           "The report finds the Rust borrow checker halved memory bugs this decade.",
           "Heat pump sales tripled in a decade, a new report finds.",
           "Bike lanes cut cyclist injuries over a decade, the city report finds.",
           "A report finds sleep apnea tests got cheaper over the decade.",
           "Tidal energy farms grew slowly over the past decade, a report finds.",
           "Urban tree cover shrank in most cities this decade, the report finds.",
           "A report finds ant colonies relocate about once a decade.",
           "Rice farms used less water over the decade, a report finds.",
           "Jazz record sales rose over the last decade, the report finds.",
           "The report finds chess engines gained 400 Elo in a decade.",
           "Glaciers lost a tenth of their ice in a decade, a report finds."]
    for i, claim in enumerate(own):
        store.upsert_notes([(_note(f"n{i:02d}", "Subscribe to our newsletter for weekly updates on research",
                                   claim), None)])
    assert _links(store) == set()


def test_links_per_claim_are_capped(store):
    text = "Toby Ord estimates a million-fold scale-up of RL compute gives a GPT-level boost"
    store.upsert_notes([(_note(f"p{i}", text + (" indeed" if i % 2 else "")), None) for i in range(8)])
    counts = [r[0] for r in store.conn.execute("SELECT count(*) FROM echoes GROUP BY claim_id")]
    assert counts and max(counts) <= echoes.MAX_LINKS


def _rows(store: Store) -> list[tuple]:
    """Every echo row as (note, position, other note, other position, score, method)."""
    return sorted(store.conn.execute(
        "SELECT a.note_id, a.position, b.note_id, b.position, round(e.score, 9), e.method FROM echoes e"
        " JOIN claims a ON a.id = e.claim_id JOIN claims b ON b.id = e.other_id"))


def test_relink_rebuilds_exactly_the_link_rows_the_import_made_with_progress(seeded):
    """One definition of a term's count and of which pairs are scored (every pair between tied notes), so
    ``relink`` on the seeds gives back every row ``deskbot import`` wrote, scores and methods included."""
    made = _rows(seeded)
    assert len(made) >= 18 and {r[5] for r in made} == {echoes.METHOD}
    assert len({p for a, p, _, _, _, _ in made if a == SUMMARY}) >= 6
    seen: list[tuple[int, int]] = []
    with seeded.write() as conn:
        conn.execute("DELETE FROM echoes")
        report = echoes.relink(conn, progress=lambda done, total: seen.append((done, total)))
    assert _rows(seeded) == made
    assert report.claims == 27 and report.links == len(made) // 2
    assert seen[-1] == (27, 27)
    with seeded.write() as conn:  # the same in forked worker processes, a few claims each
        conn.execute("DELETE FROM echoes")
        parallel = echoes.relink(conn, chunk=5, processes=2)
    assert _rows(seeded) == made and parallel.claims == 27


def test_export_writes_also_in_and_a_reimport_restores_it(seeded, tmp_path):
    vault = tmp_path / "vault"
    export_vault(seeded, vault)
    summary_file = next(p for p in vault.iterdir() if "thoughts-on-ai-progress" in p.name and "summary" in
                        p.read_text(encoding="utf-8")[:400])
    text = summary_file.read_text(encoding="utf-8")
    assert "also_in:" in text and f"note: {VIDEO}" in text
    note = seeded.get_note(SUMMARY)
    assert {"note": VIDEO, "claim": 2} in note.claims[2].also_in  # summary claim 3 = video key point 3
    # A link the scorer would not find survives an export and re-import as method 'vault'.
    text = text.replace("also_in:\n", f"also_in:\n  - note: {VIDEO}\n    claim: 15\n", 1)
    summary_file.write_text(text, encoding="utf-8")
    fresh = Store.open(str(tmp_path / "again.db"))
    try:
        assert import_paths(fresh, [vault]).failed == []
        assert _links(fresh) >= _links(seeded)
        restored = {(a, p, b, q) for a, p, b, q in _links(fresh)} - _links(seeded)
        assert {(b, q) for _, _, b, q in restored} >= {(VIDEO, 16)}
        assert {(a, p) for a, p, _, _ in restored} >= {(VIDEO, 16)}  # both ways
        assert fresh.conn.execute("SELECT count(*) FROM echoes WHERE method = 'vault'").fetchone()[0] == 2
    finally:
        fresh.close()


def test_a_vault_link_within_its_own_note_or_to_no_claim_is_not_restored(seeded, tmp_path, caplog):
    """A hand-edited vault cannot make what detection never would: a claim echoing its own note."""
    vault = tmp_path / "vault"
    export_vault(seeded, vault)
    video_file = next(p for p in vault.iterdir() if f"id: {VIDEO}" in p.read_text(encoding="utf-8"))
    text = video_file.read_text(encoding="utf-8")
    text = text.replace("also_in:\n", f"also_in:\n  - note: {VIDEO}\n    claim: 4\n  - note: nosuchnote\n    claim: 0\n", 1)
    video_file.write_text(text, encoding="utf-8")
    fresh = Store.open(str(tmp_path / "again.db"))
    try:
        assert import_paths(fresh, [vault]).failed == []
        inside = fresh.conn.execute(
            "SELECT count(*) FROM echoes e JOIN claims a ON a.id = e.claim_id JOIN claims b ON b.id = e.other_id"
            " WHERE a.note_id = b.note_id").fetchone()[0]
        assert inside == 0
        assert _links(fresh) == _links(seeded)
        assert "also_in nosuchnote claim 0 is no stored claim; skipped" in caplog.text
    finally:
        fresh.close()


def test_updating_a_note_keeps_links_consistent(seeded, seeds_dir, tmp_path):
    shutil.copy(seeds_dir / "what-are-we-scaling-video.md", tmp_path / "v.md")
    path = Path(tmp_path / "v.md")
    path.write_text(path.read_text(encoding="utf-8").replace("Robotics is fundamentally", "Robotics is basically"),
                    encoding="utf-8")
    assert import_paths(seeded, [path]).updated == 1
    ids = {r[0] for r in seeded.conn.execute("SELECT id FROM claims")}
    ends = {x for r in seeded.conn.execute("SELECT claim_id, other_id FROM echoes") for x in r}
    assert ends <= ids
    assert (SUMMARY, 3, VIDEO, 3) in _links(seeded)


def test_a_note_of_hundreds_of_claims_links_only_what_it_restates(seeded, seeds_dir):
    """Every sentence of the essay (seed 001's text) as one note of ~300 claims: each claim keeps at
    most MAX_LINKS echoes, and the video's key points find the sentences they restate."""
    from bot.capture.extract import sentences

    essay = seeded.get_note(CLIP).body
    lines = [s for s in sentences(essay) if len(s) > 40]
    claims = (lines * 4)[:300]
    seeded.upsert_notes([(_note("essay-as-claims", *claims, title="Essay, sentence by sentence"), None)])
    per_claim = [r[0] for r in seeded.conn.execute(
        "SELECT count(*) FROM echoes e JOIN claims c ON c.id = e.claim_id WHERE c.note_id = 'essay-as-claims'"
        " GROUP BY e.claim_id")]
    assert per_claim and max(per_claim) <= echoes.MAX_LINKS
    video_links = {(q, text) for _, _, q, text in seeded.conn.execute(
        "SELECT a.note_id, a.position, b.position, a.text FROM echoes e JOIN claims a ON a.id = e.claim_id"
        " JOIN claims b ON b.id = e.other_id WHERE a.note_id = 'essay-as-claims' AND b.note_id = ?", (VIDEO,))}
    # video 3: "Robotics is fundamentally an algorithms problem; a humanlike learner would make it largely
    # solved" — the essay says each half in a sentence of its own (the second scores higher)
    halves = ("robotics is an algorithms problem", "if we had a human like learner, robotics would")
    assert any(q == 3 and any(h in text for h in halves) for q, text in video_links)


def _deskbot(db: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-c", "from bot.cli import cli; cli()", *args],
                   env={**os.environ, "DESKBOT_DB": str(db)}, check=True, capture_output=True, timeout=120)


def _rows_of(db: Path) -> list[tuple]:
    store = Store.open(str(db))
    try:
        return _rows(store)
    finally:
        store.close()


def test_the_seeds_in_either_file_order_one_process_per_file_make_the_rows_of_one_import_and_of_relink(
        seeds_dir, tmp_path):
    """Each file a `deskbot import` process of its own, as two captures or two runs are, in both orders:
    the same rows, scores included, as one `deskbot import seeds/` — and `deskbot relink` keeps them."""
    files = sorted(p.name for p in seeds_dir.iterdir())
    _deskbot(tmp_path / "all.db", "import", str(seeds_dir))
    made = _rows_of(tmp_path / "all.db")
    assert len(made) >= 18
    for order in (files, files[::-1]):
        db = tmp_path / f"{order[0]}.db"
        for name in order:
            _deskbot(db, "import", str(seeds_dir / name))
        assert _rows_of(db) == made, order
        _deskbot(db, "relink")
        assert _rows_of(db) == made, order


def test_the_seeds_in_any_file_order_in_one_process_make_the_rows_of_one_import(seeds_dir, tmp_path):
    """One long-lived process storing note after note keeps term counts between them (``Weights``): a count
    read before a later note arrived must not stay, or a pair on the tied bar tips (it did: 22 rows, not 20)."""
    batch = Store.open(str(tmp_path / "batch.db"))
    try:
        assert import_paths(batch, [seeds_dir]).failed == []
        made = _rows(batch)
    finally:
        batch.close()
    for k, order in enumerate(itertools.permutations(sorted(seeds_dir.iterdir()))):
        store = Store.open(str(tmp_path / f"{k}.db"))
        try:
            for path in order:
                assert import_paths(store, [path]).failed == []
            assert _rows(store) == made, [p.name for p in order]
            with store.write() as conn:
                echoes.relink(conn)
            assert _rows(store) == made, [p.name for p in order]
        finally:
            store.close()


def test_which_of_two_notes_is_stored_first_does_not_change_their_links(seeds_dir, tmp_path):
    """A new claim's candidates come from its own rarest terms; between tied notes every pair is scored, so
    the summary stored before or after its video makes the same links. Each import is a process of its own,
    as two captures or two `deskbot import` runs are (within one process, term counts cached from the first
    note can still tip a pair that sits on the tied bar)."""
    found = []
    for order in (("what-are-we-scaling-video.md", "thoughts-on-ai-progress-summary.txt"),
                  ("thoughts-on-ai-progress-summary.txt", "what-are-we-scaling-video.md")):
        db = tmp_path / f"{order[0]}.db"
        for name in order:
            subprocess.run([sys.executable, "-c", "from bot.cli import cli; cli()", "import", str(seeds_dir / name)],
                           env={**os.environ, "DESKBOT_DB": str(db)}, check=True, capture_output=True, timeout=120)
        store = Store.open(str(db))
        try:
            found.append(_links(store))
        finally:
            store.close()
    assert found[0] == found[1] and len(found[0]) >= 18  # 9+ links, both ways
