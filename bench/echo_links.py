"""Same links? The echoes an import writes, with this checkout's code against another checkout's (main).

    git worktree add --detach /tmp/deskbot-main main
    python bench/echo_links.py /tmp/deskbot-main          # seeds/, the 2,000-note bench import, and both
                                                          # plus every labelled pair's sides (real echoes),
                                                          # and the bench notes plus the BBC stories and
                                                          # their summaries (../shared/eval) when present
    python bench/echo_links.py /tmp/deskbot-main --relink-db bench/out/kb-100000.db   # relink of a copy

Each import runs in a subprocess with the given checkout first on sys.path, into a fresh database; the links
are compared as (note, claim position, other note, other position, score to 1e-9, method), then ``relink``
runs on that database and its links are compared too. ``bench+bbc`` spreads every story and its summary over
the import's batches (500 files a batch), so a summary meets its story from a later batch or the same one.
``--relink-db`` runs ``relink`` on an existing database inside a transaction that is rolled back (the file
is left as it was) and compares (claim, other claim, score, method). Prints the time of each side too (one
run each: a hint, not a measurement — bench/kb.py and bench/echoes.py measure speed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BBC = next((p / "shared" / "eval" / "bbc-news-summary" for p in (ROOT.parent, ROOT.parent.parent)
            if (p / "shared" / "eval" / "bbc-news-summary").is_dir()), None)

DUMP = r'''
import csv, sqlite3, sys, tempfile, time
from pathlib import Path
root = Path(sys.argv[1]); corpus = sys.argv[2]; fixtures = Path(sys.argv[3]); bbc = Path(sys.argv[4])
sys.path[:0] = [str(root), str(root / "bench")]
from bot.kb.importer import import_paths
from bot.kb.notes import Claim, Note
from bot.kb.render import render_note
from bot.kb.store import Store
with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp) / "vault"
    folder.mkdir()
    notes = []
    if corpus == "seeds":
        folder = root / "seeds"
    else:
        from kb import make_notes
        notes = make_notes(2000, seed=99)  # what bench/kb.py imports
    if corpus == "bench+pairs":
        with (fixtures / "echoes" / "pairs.tsv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        for side in "ab":
            texts = [r[side] for r in rows]
            notes += [Note(id=f"pair-{side}-{n:04d}", title=f"Pairs {side} {n}", url=f"https://example.org/{side}/{n}",
                           claims=[Claim(text=t) for t in texts[n:n + 7]]) for n in range(0, len(texts), 7)]
    if corpus == "bench+bbc":  # a story and its summary land in different batches (or, for a few, one)
        for n, article in enumerate(sorted((bbc / "article").glob("*/*.txt"))):
            summary = bbc / "summary" / article.parent.name / article.name
            for kind, path, slot in (("story", article, n * 7 % 2000), ("summary", summary, (n * 7 + 900) % 2000)):
                text = path.read_text(encoding="utf-8", errors="replace")
                lines = [x.strip() for x in text.splitlines() if x.strip()]
                if kind == "summary":  # one paragraph: its sentences are the claims
                    lines = [lines[0][:80]] + [x.strip() for x in text.replace(".", ".\n").splitlines() if x.strip()]
                notes.append(Note(id=f"{slot:016x}-{kind}-{article.parent.name}-{article.stem}", title=lines[0],
                                  url=f"https://news.example/{kind}/{article.parent.name}/{article.stem}",
                                  claims=[Claim(text=x) for x in lines[1:]]))
    for note in notes:
        (folder / f"{note.id}.md").write_text(render_note(note), encoding="utf-8")
    store = Store.open(str(Path(tmp) / "links.db"))
    start = time.perf_counter()
    import_paths(store, [folder])
    print(f"#seconds {time.perf_counter() - start:.2f}")
    sql = ("SELECT a.note_id, a.position, b.note_id, b.position, round(e.score, 9), e.method FROM echoes e"
           " JOIN claims a ON a.id = e.claim_id JOIN claims b ON b.id = e.other_id")
    for row in sorted(store.conn.execute(sql)):
        print("\t".join(map(str, row)))
    from bot.kb.echoes import relink
    with store.write() as conn:
        relink(conn)
    for row in sorted(store.conn.execute(sql)):
        print("relink\t" + "\t".join(map(str, row)))
'''


RELINK = r'''
import sys, time
from pathlib import Path
root = Path(sys.argv[1]); sys.path[:0] = [str(root)]
from bot.kb.echoes import relink
from bot.kb.store import Store
store = Store.open(sys.argv[2])
conn = store.conn
conn.execute("BEGIN IMMEDIATE")
try:
    report = relink(conn)
    print(f"#seconds {report.seconds:.2f}")
    for row in sorted(conn.execute("SELECT claim_id, other_id, round(score, 9), method FROM echoes")):
        print("relink\t" + "\t".join(map(str, row)))
finally:
    conn.execute("ROLLBACK")
'''


def links(root: Path, corpus: str) -> tuple[set[str], str]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(DUMP)
    args = [str(root), corpus, str(ROOT / "tests" / "fixtures"), str(BBC)]
    if corpus.startswith("db:"):  # relink of an existing database
        Path(f.name).write_text(RELINK)
        args = [str(root), corpus[3:]]
    out = subprocess.run([sys.executable, f.name, *args],
                         capture_output=True, text=True, check=True, cwd=root).stdout.splitlines()
    Path(f.name).unlink()
    seconds = next(line.split()[1] for line in out if line.startswith("#seconds"))
    return {line for line in out if not line.startswith("#")}, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", type=Path, help="the other checkout (e.g. a worktree of main)")
    parser.add_argument("--corpus", action="append", choices=["seeds", "bench", "bench+pairs", "bench+bbc"])
    parser.add_argument("--relink-db", type=Path, action="append", default=[],
                        help="also relink this database with each checkout (rolled back) and compare")
    args = parser.parse_args()
    corpora = args.corpus or ["seeds", "bench", "bench+pairs", "bench+bbc"]
    if "bench+bbc" in corpora and BBC is None:
        print("bench+bbc: ../shared/eval/bbc-news-summary not found — skipped")
        corpora.remove("bench+bbc")
    differ = 0
    for corpus in corpora + [f"db:{db.resolve()}" for db in args.relink_db]:
        ours, ours_s = links(ROOT, corpus)
        theirs, theirs_s = links(args.other.resolve(), corpus)
        for what, keep in (("import", False), ("relink", True)):
            mine = {x for x in ours if x.startswith("relink") == keep}
            other = {x for x in theirs if x.startswith("relink") == keep}
            if not mine and not other and (keep or corpus.startswith("db:")):
                continue
            diff = mine ^ other
            differ += len(diff)
            print(f"{corpus[:40]:12} {what} links (both ways) here {len(mine):5,} · there {len(other):5,} ·"
                  f" differing {len(diff)}   (took {ours_s} s here, {theirs_s} s there)")
            for line in sorted(diff)[:10]:
                print(f"    {'here ' if line in mine else 'there'} {line}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
