"""The store on a real SQLite file: imports, linking, search, validation, migrations, threads."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime

import pytest

from bot.kb.importer import import_paths
from bot.kb.migrations import MIGRATIONS
from bot.kb.noteformats import parse_file
from bot.kb.notes import Claim, Note
from bot.kb.store import Store, fts_query

TODAY = date(2026, 11, 24)


def test_wal_busy_timeout_and_migrations_recorded(store):
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    # reopening applies nothing twice
    again = Store.open(store.path)
    assert [r[0] for r in again.conn.execute("SELECT name FROM _migrations")] == names


def test_reimport_is_idempotent(store, seeds_dir):
    first = import_paths(store, [seeds_dir])
    counts = store.counts()
    second = import_paths(store, [seeds_dir])
    assert (first.imported, second.unchanged, second.imported, second.updated) == (3, 3, 0, 0)
    assert store.counts() == counts == {"notes": 3, "claims": 27}
    fts = store.conn.execute("SELECT count(*) FROM claims_fts").fetchone()[0]
    assert fts == 27


@pytest.mark.parametrize("order", [("summary", "clip", "video"), ("video", "clip", "summary")])
def test_same_work_and_related_links_do_not_depend_on_import_order(store, seeds_dir, order):
    files = {
        "summary": "thoughts-on-ai-progress-summary.txt",
        "clip": "thoughts-on-ai-progress-clip.md",
        "video": "what-are-we-scaling-video.md",
    }
    ids = {}
    for name in order:
        note = parse_file(seeds_dir / files[name])
        ids[name] = store.upsert_note(note).note_id
    summary = store.get_note(ids["summary"])
    assert summary.source_id == ids["clip"]
    covered = store.conn.execute("SELECT covered_by FROM notes WHERE id = ?", (ids["clip"],)).fetchone()[0]
    assert covered == ids["summary"]
    assert ids["video"] in {i for i, _ in store.related_titles(ids["summary"])}
    assert ids["clip"] in {i for i, _ in store.related_titles(ids["video"])}
    # one knowledge item in the stale list, carrying the summary's title and the clip's URL
    stale = {r.title: r for r in store.stale_notes(TODAY)}
    assert "Thoughts on AI progress (Dec 2025)" not in stale
    item = stale["Thoughts on AI Progress (Dec 2025)"]
    assert item.due == date(2026, 10, 3)
    assert item.url == "https://www.dwarkesh.com/p/thoughts-on-ai-progress-dec-2025"


def test_claim_search_ranks_claims_that_say_it_first(seeded):
    hits = seeded.search_claims("rlvr", limit=10)
    top3 = [h.text for h in hits[:3]]
    assert all("RLVR" in t for t in top3)
    assert any("laundering the prestige of pretraining scaling" in t for t in top3)
    assert any("tension between short AGI timelines and bullishness on RLVR" in t for t in top3)
    assert {h.note_url for h in hits} >= {"https://www.dwarkesh.com/p/thoughts-on-ai-progress-dec-2025"}


@pytest.mark.parametrize("topic", ['"', '"NOT', "NOT", "-", "*", "a AND", "x OR (", "NEAR(a b)", "^", "'", "-" * 5000])
def test_fts_operators_in_user_input_never_raise(seeded, topic):
    assert isinstance(seeded.search_claims(topic), list)
    assert isinstance(seeded.search_notes(topic), list)


def test_fts_query_quotes_every_word():
    assert fts_query('RL "scaling" -x*') == '"RL" "scaling" "x"'
    assert fts_query("---") is None
    assert fts_query("a b", any_term=True) == '"a" OR "b"'


def test_big_match_sets_use_a_bounded_window(store):
    notes = [
        Note(id=f"{i:016x}", title=f"Note {i}", claims=[Claim(text=f"common word claim number {i} x{i}")])
        for i in range(2600)
    ]
    with store.write():
        for n in notes:
            store.upsert_note(n)
    hits = store.search_claims("common", limit=10)
    assert len(hits) == 10
    assert all("common" in h.text for h in hits)
    rare = store.search_claims("x17", limit=10)
    assert [h.text for h in rare] == ["common word claim number 17 x17"]


def test_validation_restarts_the_clock_and_is_kept_on_reimport(seeded, seeds_dir):
    (summary_id,) = seeded.find_note_ids("Thoughts on AI Progress (Dec 2025)")
    seeded.validate(summary_id, by="U123", at=datetime(2026, 11, 30, 9, 5))
    assert "Thoughts on AI Progress (Dec 2025)" not in {r.title for r in seeded.stale_notes(date(2026, 11, 30))}
    history = seeded.get_note(summary_id).validations
    assert [(v.by, v.verdict) for v in history] == [("U123", "valid")]
    import_paths(seeded, [seeds_dir])  # the file still says 2026-04-06
    assert seeded.get_note(summary_id).last_validated == date(2026, 11, 30)


def test_per_claim_validation_and_outdated(seeded):
    (video_id,) = seeded.find_note_ids("What are we scaling?")
    seeded.validate(video_id, by="U1", at=datetime(2026, 11, 20, 10), claim=2)
    seeded.validate(video_id, by="U1", at=datetime(2026, 11, 20, 10), claim=3, verdict="outdated")
    note = seeded.get_note(video_id)
    assert note.claims[1].last_validated == date(2026, 11, 20)
    assert note.claims[2].outdated is True
    assert note.last_validated is None  # the note itself was not validated
    with pytest.raises(IndexError):
        seeded.validate(video_id, by="U1", at=datetime(2026, 11, 20), claim=99)


def test_decay_table_change_rederives_due_dates(tmp_path, seeds_dir):
    path = str(tmp_path / "d.db")
    import_paths(Store.open(path), [seeds_dir])
    fast = Store.open(path, {"fast": 30, "medium": 90, "slow": 30})
    rows = {r.title: r for r in fast.stale_notes(TODAY)}
    assert rows["Thoughts on AI Progress (Dec 2025)"].due == date(2026, 5, 6)


def test_bad_files_change_nothing_and_the_rest_imports(store, tmp_path, seeds_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text("---\ntitle: Good note\nurl: https://example.org/good\n---\nBody.\n")
    (folder / "broken.md").write_text("---\ntitle: [oops\n---\nBody\n")
    (folder / "decay.txt").write_text("Decay\n\nlast_validated: 2026-01-01 decay_rate: sometimes\n\nSummary\n\nx\n")
    (folder / "date.txt").write_text("Date\n\nlast_validated: 2026-02-30 decay_rate: slow\n\nSummary\n\nx\n")
    report = import_paths(store, [folder])
    assert report.imported == 1
    failed = dict(report.failed)
    assert set(failed) == {str(folder / n) for n in ("broken.md", "decay.txt", "date.txt")}
    assert "malformed YAML" in failed[str(folder / "broken.md")]
    assert "sometimes" in failed[str(folder / "decay.txt")]
    assert "2026-02-30" in failed[str(folder / "date.txt")]
    assert [r[0] for r in store.conn.execute("SELECT title FROM notes")] == ["Good note"]


def test_one_connection_per_thread_and_concurrent_writers(store):
    errors: list[BaseException] = []
    conns: set[int] = set()

    def writer(n: int) -> None:
        try:
            conns.add(id(store.conn))
            for i in range(20):
                store.upsert_note(Note(id=f"{n:08x}{i:08x}", title=f"t{n}-{i}", claims=[Claim(text=f"c {n} {i}")]))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(conns) == 8
    assert store.counts() == {"notes": 160, "claims": 160}
    check = sqlite3.connect(store.path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.execute("INSERT INTO claims_fts(claims_fts) VALUES ('integrity-check')")


def test_export_then_import_loses_nothing(seeded, tmp_path):
    from bot.kb.vault import export_vault

    (video_id,) = seeded.find_note_ids("What are we scaling?")
    seeded.validate(video_id, by="U9", at=datetime(2026, 11, 2, 8, 30), claim=4, verdict="outdated")
    seeded.validate(video_id, by="U9", at=datetime(2026, 11, 3, 8, 30))
    files = export_vault(seeded, tmp_path / "vault")
    assert sorted(p.name for p in files) == [
        "thoughts-on-ai-progress-dec-2025-076b8c7a.md",  # slug + the first 8 hex digits of sha256(id)
        "thoughts-on-ai-progress-dec-2025.md",
        "what-are-we-scaling.md",
    ]
    other = Store.open(str(tmp_path / "other.db"))
    report = import_paths(other, [tmp_path / "vault"])
    assert report.failed == [] and report.imported == 3
    for note_id in seeded.note_ids():
        assert other.get_note(note_id) == seeded.get_note(note_id)


def test_set_decay_and_snooze_move_the_due_date(seeded):
    (video_id,) = seeded.find_note_ids("What are we scaling?")
    assert seeded.set_decay(video_id, "SLOW", by="U1", at=datetime(2026, 11, 24, 9)) == "slow"
    assert seeded.note_row(video_id).due == date(2026, 6, 21)  # 2025-12-23 + 180
    seeded.snooze(video_id, date(2026, 12, 8), by="U1", at=datetime(2026, 11, 24, 9))
    assert seeded.note_row(video_id).due == date(2026, 12, 8)
    assert video_id not in {r.id for r in seeded.stale_notes(date(2026, 12, 1))}
    assert [v.verdict for v in seeded.validations(video_id)] == ["decay:slow", "snoozed"]
    seeded.validate(video_id, by="U1", at=datetime(2026, 12, 2, 9))  # validation clears the snooze
    assert seeded.note_row(video_id).due == date(2027, 5, 31)


def test_stale_count_from_trigger_kept_table_matches_a_full_count(seeded):
    def full(today):
        return seeded.conn.execute(
            "SELECT count(*) FROM notes WHERE covered_by IS NULL AND due <= ?", (today.isoformat(),)).fetchone()[0]

    for today in (date(2026, 3, 22), date(2026, 3, 23), date(2026, 11, 24)):
        assert seeded.count_stale(today) == full(today)
    (summary_id,) = seeded.find_note_ids("Thoughts on AI Progress (Dec 2025)")
    seeded.validate(summary_id, by="U1", at=datetime(2026, 11, 24, 9))
    seeded.snooze(seeded.find_note_ids("What are we scaling?")[0], date(2026, 12, 31), by="U1",
                  at=datetime(2026, 11, 24, 9))
    assert seeded.count_stale(TODAY) == full(TODAY) == 0
