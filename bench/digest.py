"""Digest benchmark: the queries behind the weekly digest and the reminder sweep, at 1M notes.

    python bench/digest.py                 # 1M notes (builds bench/out/digest-1000000.db once, ~1-2 min)
    python bench/digest.py --notes 100000  # quicker

Each query is timed warm (p50 / max over --rounds runs) against a baseline measured in the same run:
  scan      the same SQL forced to a full table scan (``NOT INDEXED``) on the same database;
  vault     what a tool without a database does: parse every note's frontmatter in a markdown vault and
            compute the same answer. 10k files are timed and extrapolated linearly to 100k (and 1M); the
            extrapolation is printed as such.
Target: each digest query < 10 ms at 1M notes. Counting stale notes by walking the due index misses it
(~50 ns per stale note: 30 ms at 600k stale), so migration 005 keeps ``due_counts`` (notes per due date)
by triggers and the digest sums ~1,000 rows; ``Store.count_stale`` is printed for reference.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import digest as dg  # noqa: E402
from bot.clock.runs import due_for_reminder  # noqa: E402
from bot.kb import answers as lookups  # noqa: E402
from bot.kb import decay  # noqa: E402
from bot.kb.store import Store  # noqa: E402

OUT = ROOT / "bench" / "out"
TODAY = date(2026, 11, 30)
TARGET_MS = 10.0
RATES = ("fast", "medium", "slow")


def build(path: Path, count: int, seed: int = 11) -> Store:
    """A store with ``count`` notes whose due dates spread from two years ago to a year ahead (about two
    thirds stale), one in ten a clip covered by a summary. Rows go in through plain INSERTs into the real
    schema (migrations, FTS triggers and all); the note contents do not matter to these queries."""
    if path.exists():
        return Store.open(str(path))
    tmp = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    store = Store.open(str(tmp))
    rng = random.Random(seed)
    start = time.perf_counter()
    chunk = 50_000
    for base in range(0, count, chunk):
        rows, claims = [], []
        for n in range(base, min(count, base + chunk)):
            rate = rng.choice(RATES)
            due = TODAY + timedelta(days=rng.randint(-730, 365))
            validated = due - timedelta(days=decay.DEFAULT_TABLE[rate])
            covered = f"{n + 1:016x}" if n % 10 == 0 else None
            # one in five slower notes has a price claim due 30 days after the note's base (issue 19)
            priced = rate != "fast" and n % 5 == 1
            claim_due = (validated + timedelta(days=decay.DEFAULT_TABLE["fast"])).isoformat() if priced else None
            lead = decay.DEFAULT_TABLE[rate] - decay.DEFAULT_TABLE["fast"] if priced else None
            rows.append((f"{n:016x}", f"Note {n}", f"note {n}", "article", f"https://example.org/{n}",
                         f"U{n % 500:08d}", rate, validated.isoformat(), validated.isoformat(), due.isoformat(),
                         covered, claim_due, lead))
            if priced:
                claims.append((f"{n:016x}", 1, f"The plan costs ${n % 90 + 10} per month.", claim_due,
                               "states a price"))
        with store.write() as conn:
            conn.executemany(
                "INSERT INTO notes(id, title, title_key, kind, url, owner, decay_rate, last_validated, base_date,"
                " due, covered_by, claim_due, claim_lead) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            conn.executemany("INSERT INTO claims(note_id, position, text, due, due_why) VALUES (?,?,?,?,?)", claims)
        print(f"  built {min(count, base + chunk):,} notes", file=sys.stderr, end="\r")
    store.conn.execute("ANALYZE")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    os.replace(tmp, path)
    print(f"\n  built in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return Store.open(str(path))


def timed(fn: Callable[[], Any], rounds: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), result


def scan(store: Store, sql: str, args: tuple[Any, ...]) -> Any:
    return store.conn.execute(sql.replace("FROM notes n ", "FROM notes n NOT INDEXED ").replace(
        "FROM notes WHERE", "FROM notes NOT INDEXED WHERE"), args).fetchall()


def vault_baseline(files: int) -> tuple[float, int]:
    """Seconds to parse ``files`` notes' frontmatter and count the stale ones (the no-database way)."""
    from bot.kb.noteformats import parse_file
    from bot.kb.notes import Claim, Note
    from bot.kb.render import render_note

    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in range(files):
            rate = rng.choice(RATES)
            due = TODAY + timedelta(days=rng.randint(-730, 365))
            note = Note(id=f"{n:016x}", title=f"Note {n}", url=f"https://example.org/{n}", decay_rate=rate,
                        last_validated=due - timedelta(days=decay.DEFAULT_TABLE[rate]),
                        claims=[Claim(text=f"Claim {i} of note {n}.") for i in range(3)], tags=["bench"])
            (folder / f"{n}.md").write_text(render_note(note), encoding="utf-8")
        start = time.perf_counter()
        stale = 0
        for path in folder.iterdir():
            note = parse_file(path)
            due_day = decay.due_date(note.base_date(), note.decay_rate)
            stale += bool(due_day and due_day <= TODAY)
        return time.perf_counter() - start, stale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--vault-files", type=int, default=10_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    store = build(OUT / f"digest-{args.notes}.db", args.notes)
    total = store.conn.execute("SELECT count(*) FROM notes").fetchone()[0]
    today = TODAY.isoformat()
    newly_low, newly_high = dg.group_bounds(TODAY)[dg.NEWLY]
    first_start = (TODAY - timedelta(days=30)).isoformat()
    busiest = store.conn.execute("SELECT owner FROM notes GROUP BY owner ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    owner = (busiest, f"<@{busiest}>", "@someone")  # an id and two names, as UserAliases gives them
    queries: list[tuple[str, Callable[[], Any], str, tuple[Any, ...]]] = [
        ("count stale (due_counts, migration 005)", lambda: dg.count_stale(store, TODAY),
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND due <= ?", (today,)),
        ("  for reference: Store.count_stale", lambda: store.count_stale(TODAY),
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND due <= ?", (today,)),
        ("count per overdue group (4 ranges)", lambda: dg.stale_counts(store, TODAY),
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND due <= ?", (today,)),
        ("newly stale this week (count)", lambda: store.conn.execute(
            "SELECT count(*) FROM notes WHERE covered_by IS NULL AND due BETWEEN ? AND ?",
            (newly_low, newly_high)).fetchone()[0],
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND due BETWEEN ? AND ?", (newly_low, newly_high)),
        ("newly stale this week (top 20)", lambda: dg.newly_stale_ids(store, TODAY, 20),
         "SELECT id FROM notes WHERE covered_by IS NULL AND due BETWEEN ? AND ? ORDER BY due, id LIMIT 20",
         (newly_low, newly_high)),
        ("20 most overdue", lambda: dg.most_overdue_ids(store, TODAY, 20),
         "SELECT id FROM notes WHERE covered_by IS NULL AND due <= ? ORDER BY due, id LIMIT 20", (today,)),
        ("reminder sweep candidates (with claims)", lambda: due_for_reminder(store, today, first_start),
         "SELECT n.id FROM notes n WHERE n.covered_by IS NULL AND n.due <= ? AND n.due >= ? AND NOT EXISTS"
         " (SELECT 1 FROM reminders r WHERE r.note_id = n.id AND r.due = n.due) ORDER BY n.due, n.id LIMIT 500",
         (today, first_start)),
        ("/stale mine: count (3 names, migr. 007)", lambda: lookups.count_due(store, TODAY, owners=owner),
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND (due <= ?1 OR claim_due <= ?1)"
         " AND owner COLLATE NOCASE IN (?, ?, ?)", (today, *owner)),
        ("/stale mine: 50 longest due, rendered", lambda: lookups.due_list(store, TODAY, owners=owner, limit=50),
         "SELECT id FROM notes WHERE covered_by IS NULL AND (due <= ?1 OR claim_due <= ?1)"
         " AND owner COLLATE NOCASE IN (?, ?, ?) ORDER BY min(due, coalesce(claim_due, due)), id LIMIT 50",
         (today, *owner)),
        ("  for reference: note-only, as before", lambda: [store.note_row(r[0]) for r in store.conn.execute(
            "SELECT id FROM notes WHERE covered_by IS NULL AND owner COLLATE NOCASE IN (?, ?, ?) AND due <= ?"
            " ORDER BY due, id LIMIT 50", (*owner, today)).fetchall()],
         "SELECT id FROM notes WHERE covered_by IS NULL AND due <= ? AND owner COLLATE NOCASE IN (?, ?, ?)"
         " ORDER BY due, id LIMIT 50", (today, *owner)),
        ("/stale (everyone's): 10 longest due", lambda: lookups.due_list(store, TODAY, limit=10),
         "SELECT id FROM notes WHERE covered_by IS NULL AND (due <= ?1 OR claim_due <= ?1)"
         " ORDER BY min(due, coalesce(claim_due, due)), id LIMIT 10", (today,)),
        ("claims due before their note (count, 017)", lambda: store.count_claims_due_before_note(TODAY),
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND claim_due <= ? AND (due IS NULL OR due > ?)",
         (today, today)),
        ("  for reference: walking claim_due <= today", lambda: store.conn.execute(
            "SELECT count(*) FROM notes INDEXED BY idx_notes_claim_lead WHERE covered_by IS NULL"
            " AND claim_due IS NOT NULL AND claim_due <= ? AND (due IS NULL OR due > ?)", (today, today)).fetchone()[0],
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND claim_due <= ? AND (due IS NULL OR due > ?)",
         (today, today)),
        ("claims due before their note (first 5)", lambda: store.claims_due_before_note(TODAY, 5),
         "SELECT id FROM notes WHERE covered_by IS NULL AND claim_due <= ? AND (due IS NULL OR due > ?)"
         " ORDER BY claim_due, id LIMIT 5", (today, today)),
        ("App Home's counts and 8 due notes", lambda: (lookups.count_due(store, TODAY),
                                                       lookups.due_list(store, TODAY, owners=owner, limit=8)),
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND (due <= ?1 OR claim_due <= ?1)", (today,)),
        ("whole digest (collect_digest)", lambda: dg.collect_digest(store, TODAY),
         "SELECT count(*) FROM notes WHERE covered_by IS NULL AND due <= ?", (today,)),
    ]
    stale = store.count_stale(TODAY)
    assert dg.count_stale(store, TODAY) == stale, "due_counts disagrees with the notes table"
    print(f"digest queries at {total:,} notes ({stale:,} stale = {stale / total:.0%}), as of {today}, "
          f"{args.rounds} warm runs each; target < {TARGET_MS:.0f} ms")
    print(f"  {'query':40s} {'p50':>9s} {'max':>9s}   {'full scan':>10s} {'ratio':>8s}")
    misses = []
    for name, fn, baseline_sql, baseline_args in queries:
        p50, worst, _ = timed(fn, args.rounds)
        scan_ms, _, _ = timed(lambda s=baseline_sql, a=baseline_args: scan(store, s, a), 3)
        reference = name.startswith("  for reference")
        flag = "" if p50 < TARGET_MS else ("  (index range walk)" if reference else "  MISSES TARGET")
        if p50 >= TARGET_MS and not reference:
            misses.append(name)
        print(f"  {name:40s} {p50:7.2f} ms {worst:7.2f} ms   {scan_ms:8.1f} ms {scan_ms / p50:7.0f}x{flag}")
    print("  (full scan = the same SQL with NOT INDEXED; for the group counts and the whole digest, the"
          " one-pass count)")

    seconds, vault_stale = vault_baseline(args.vault_files)
    per_note_us = seconds / args.vault_files * 1e6
    p50_count = timed(lambda: dg.stale_counts(store, TODAY), args.rounds)[0]
    print(f"\nvault baseline: parse frontmatter + compute due for {args.vault_files:,} markdown notes "
          f"= {seconds * 1000:,.0f} ms measured ({per_note_us:.0f} µs/note, {vault_stale:,} stale)")
    for n in (100_000, 1_000_000):
        est = per_note_us * n / 1000
        print(f"  extrapolated linearly to {n:>9,} notes: {est:10,.0f} ms   "
              f"({est / p50_count:,.0f}x the digest's group counts at {total:,} notes)")
    print("\nresult: " + ("every query under target" if not misses else "MISSED: " + ", ".join(misses)))
    store.close()


if __name__ == "__main__":
    main()
