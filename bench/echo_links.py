"""Same links? The echoes an import writes, with this checkout's code against another checkout's (main).

    git worktree add --detach /tmp/deskbot-main main
    python bench/echo_links.py /tmp/deskbot-main          # seeds/, the 2,000-note bench import, and both
                                                          # plus every labelled pair's sides (real echoes)
Each import runs in a subprocess with the given checkout first on sys.path, into a fresh database; the links
are compared as (note, claim position, other note, other position, score to 1e-9, method). Prints the import
time of each side too (one run each: a hint, not a measurement — bench/kb.py measures import speed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DUMP = r'''
import csv, sqlite3, sys, tempfile, time
from pathlib import Path
root = Path(sys.argv[1]); corpus = sys.argv[2]; fixtures = Path(sys.argv[3])
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
    for note in notes:
        (folder / f"{note.id}.md").write_text(render_note(note), encoding="utf-8")
    store = Store.open(str(Path(tmp) / "links.db"))
    start = time.perf_counter()
    import_paths(store, [folder])
    print(f"#seconds {time.perf_counter() - start:.2f}")
    for row in sorted(store.conn.execute(
            "SELECT a.note_id, a.position, b.note_id, b.position, round(e.score, 9), e.method FROM echoes e"
            " JOIN claims a ON a.id = e.claim_id JOIN claims b ON b.id = e.other_id")):
        print("\t".join(map(str, row)))
'''


def links(root: Path, corpus: str) -> tuple[set[str], str]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(DUMP)
    out = subprocess.run([sys.executable, f.name, str(root), corpus, str(ROOT / "tests" / "fixtures")],
                         capture_output=True, text=True, check=True, cwd=root).stdout.splitlines()
    Path(f.name).unlink()
    seconds = next(line.split()[1] for line in out if line.startswith("#seconds"))
    return {line for line in out if not line.startswith("#")}, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", type=Path, help="the other checkout (e.g. a worktree of main)")
    parser.add_argument("--corpus", action="append", choices=["seeds", "bench", "bench+pairs"])
    args = parser.parse_args()
    differ = 0
    for corpus in args.corpus or ["seeds", "bench", "bench+pairs"]:
        ours, ours_s = links(ROOT, corpus)
        theirs, theirs_s = links(args.other.resolve(), corpus)
        diff = ours ^ theirs
        differ += len(diff)
        print(f"{corpus:12} links (both ways) here {len(ours):5,} · there {len(theirs):5,} · differing {len(diff)}"
              f"   (import {ours_s} s here, {theirs_s} s there)")
        for line in sorted(diff)[:10]:
            print(f"    {'here ' if line in ours else 'there'} {line}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
