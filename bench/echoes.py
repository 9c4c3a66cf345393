"""Echo detection bench: quality on the labelled pairs beside a TF-IDF-cosine baseline, then speed at 1M claims.

    python bench/echoes.py                  # quality + speed on the 1M-claim store of bench/kb.py
    python bench/echoes.py --notes 10000    # speed on a smaller store (100k claims)
    python bench/echoes.py --quality-only

Quality: tests/fixtures/echoes/pairs.tsv (hand-labelled, sources and licences in its README). Ours at the
shipped threshold, and the TF-IDF-cosine baseline (binary TF-IDF over the same stems) at the best threshold
that reaches at least our precision — the recall each gets at the same precision. Optional held-out set:
``--paraphrase FILE``: an MSRP file (test or training split, or a contiguous part) as distributed, read from outside
the repository; none ships with deskbot (docs/decisions.md says where to get it and which part we ran).

Speed: the bench/kb.py store (100k notes, 1M claims) with a few hundred real claims and their paraphrases
mixed in, so echoes exist: p50/p95 of storing a new 10-claim note (echoes included) against the same
store without echo linking; /claim p50/p99 with folding against search_claims alone; relink claims/s.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bot.kb.claimterms import analyze, assertion, idf, plain_stems, score, tfidf_cosine  # noqa: E402
from bot.kb.echoes import BORDER, STRONG, SURE, THRESHOLD, strong_ties, sure  # noqa: E402

PAIRS = ROOT / "tests" / "fixtures" / "echoes" / "pairs.tsv"


def load_pairs(path: Path = PAIRS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _weights(texts: list[str], terms_of) -> callable:
    df = Counter(t for text in set(texts) for t in set(terms_of(text)))
    n = len(set(texts))
    return lambda t: idf(n, df.get(t, 0) or 1)


def prf(labels: list[int], predicted: list[bool]) -> tuple[float, float, int, int]:
    tp = sum(1 for y, p in zip(labels, predicted, strict=True) if p and y)
    fp = sum(1 for y, p in zip(labels, predicted, strict=True) if p and not y)
    pos = sum(labels)
    precision = tp / (tp + fp) if tp + fp else 1.0
    return precision, tp / pos if pos else 0.0, tp, fp


def best_recall_at(labels: list[int], scores: list[float], precision: float) -> tuple[float, float, float]:
    """The baseline's best recall among thresholds whose precision is at least ``precision``."""
    best = (0.0, 1.0, float("inf"))
    for t in sorted(set(scores)):
        p, r, _, _ = prf(labels, [s >= t for s in scores])
        if p >= precision and r > best[0]:
            best = (r, p, t)
    return best


def _note_of(source: str, row: int) -> str:
    """The note a labelled claim comes from ("seed 004 claim 3" -> "seed 004"); written variants are
    each their own note."""
    return source.split(" claim ")[0].split(" sentence ")[0] if source.startswith("seed") else f"row{row}"


def decide(pairs: list[dict[str, str]], scores: list[float], sures: list[bool]) -> list[bool]:
    """Our rule as the store applies it (``echoes.choose``): a sure pair is an echo; a pair from THRESHOLD
    up only when the two notes are tied (``echoes.strong_ties``)."""
    notes = [(_note_of(p.get("source_a", ""), i), _note_of(p.get("source_b", ""), -i - 1))
             for i, p in enumerate(pairs)]
    rows = enumerate(zip(notes, scores, sures, strict=True))
    ties = strong_ties((i, -i - 1, a, b, s, ok) for i, ((a, b), s, ok) in rows)
    return [ok or (s >= THRESHOLD and n in ties) for n, s, ok in zip(notes, scores, sures, strict=True)]


def quality(pairs: list[dict[str, str]], title: str) -> None:
    labels = [int(p["label"]) for p in pairs]
    texts = [p["a"] for p in pairs] + [p["b"] for p in pairs]
    ours_w = _weights(texts, lambda t: analyze(t).terms)
    base_w = _weights(texts, plain_stems)
    analysed = [(analyze(p["a"]), analyze(p["b"])) for p in pairs]
    raw = [score(a, b, ours_w) for a, b in analysed]
    linked = decide(pairs, raw, [sure(a, b, ours_w, s) for (a, b), s in zip(analysed, raw, strict=True)])
    # one number to rank by for the "at precision ≥" lines: the assertion score of pairs scoring from STRONG up
    ours = [assertion(a, b, ours_w) if s >= STRONG else 0.0 for (a, b), s in zip(analysed, raw, strict=True)]
    base = [tfidf_cosine(plain_stems(p["a"]), plain_stems(p["b"]), base_w) for p in pairs]
    p, r, tp, fp = prf(labels, linked)
    br, bp, bt = best_recall_at(labels, base, p)
    claims = len(set(texts))
    print(f"\n{title}: {len(pairs)} pairs ({sum(labels)} echoes), {claims} distinct claims")
    print(f"  deskbot echoes ({STRONG} and assertion {SURE}, or {THRESHOLD} between tied notes)"
          f" precision {p:.2f}  recall {r:.2f}"
          f"  ({tp} found, {fp} wrong; {100 * fp / claims:.1f} wrong links per 100 claims)")
    print(f"  baseline TF-IDF cosine at precision ≥ {p:.2f}: recall {br:.2f} (precision {bp:.2f},"
          f" threshold {bt:.2f})")
    band = [BORDER[0] <= s < BORDER[1] for s in raw]
    oracle = [bool(y) if b else k for y, b, k in zip(labels, band, linked, strict=True)]
    op, orr, _, ofp = prf(labels, oracle)
    print(f"  upper bound of model confirmation: {sum(band)} pairs score {BORDER[0]}–{BORDER[1]} (the band a model is"
          f" asked about); were each judged right: precision {op:.2f} recall {orr:.2f} ({ofp} wrong)")
    for level in (0.9, 0.8):
        our_r, our_p, our_t = best_recall_at(labels, ours, level)
        base_r, base_p, base_t = best_recall_at(labels, base, level)
        print(f"  at precision ≥ {level:.1f}: deskbot assertion score recall {our_r:.2f} (threshold {our_t:.2f}) ·"
              f" TF-IDF cosine recall {base_r:.2f} (threshold {base_t:.2f})")
    kinds = sorted({q["kind"] for q in pairs})
    for kind in kinds:
        idx = [i for i, q in enumerate(pairs) if q["kind"] == kind]
        ys = [labels[i] for i in idx]
        ok = sum(1 for i in idx if linked[i] == bool(labels[i]))
        bok = sum(1 for i in idx if (base[i] >= bt) == bool(labels[i]))
        print(f"    {kind:22s} {len(idx):4d} pairs ({sum(ys):3d} echoes): ours right on {ok:4d}, baseline {bok:4d}")


def paraphrase_file(path: Path) -> list[dict[str, str]]:
    """The Microsoft Research Paraphrase Corpus's TSV as it is distributed (``msr_paraphrase_test.txt``):
    a header line, then Quality, #1 ID, #2 ID, #1 String, #2 String. Split on tabs only (the strings hold
    bare quote marks a CSV reader would take as quoting). A contiguous part of the file may end inside a
    pair: a last line without its newline is left out rather than scored half-read."""
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    lines = text.split("\n")[1:]
    if lines and not text.endswith("\n"):
        lines = lines[:-1]  # cut mid-pair
    rows = []
    for line in lines:
        parts = line.split("\t")
        if len(parts) == 5 and parts[0] in {"0", "1"}:
            rows.append({"label": parts[0], "kind": "news-paraphrase", "a": parts[3], "b": parts[4]})
    if not rows:
        raise SystemExit(f"{path}: no pairs in the MSRP format (Quality, #1 ID, #2 ID, #1 String, #2 String)")
    return rows


def unrelated_news(root: Path) -> None:
    """Every BBC story of ../shared/eval stored as a note through the real store (echoes found as on any
    import): stories of different topics are unrelated, so a link between them is a wrong link; within a
    topic the set holds a few stories told twice (real echoes) and many on one subject."""
    import tempfile

    from bot.kb.notes import Claim, Note
    from bot.kb.store import Store

    notes = []
    for topic in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(topic.iterdir()):
            lines = [x.strip() for x in f.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()]
            notes.append(Note(id=f"{topic.name}-{f.stem}", title=lines[0],
                              url=f"https://news.example/{topic.name}/{f.stem}",
                              claims=[Claim(text=x) for x in lines[1:]]))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(str(Path(tmp) / "news.db"))
        for note in notes:  # one at a time, as clips arrive
            store.upsert_notes([(note, None)])
        claims = store.counts()["claims"]
        rows = store.conn.execute(
            "SELECT a.note_id, b.note_id, e.score FROM echoes e JOIN claims a ON a.id = e.claim_id"
            " JOIN claims b ON b.id = e.other_id WHERE e.claim_id < e.other_id").fetchall()
        store.close()
    cross = [r for r in rows if r[0].split("-")[0] != r[1].split("-")[0]]
    print(f"\nunrelated claims: {len(notes)} BBC news stories ({claims:,} sentences as claims, CC0, read from"
          f" {root}) stored one by one")
    print(f"  links between stories of different topics (all wrong): {len(cross)} ="
          f" {100 * len(cross) / claims:.2f} per 100 claims · all links: {len(rows)}"
          f" ({100 * len(rows) / claims:.2f} per 100 claims; includes stories the set holds twice)")


# --------------------------------------------------------------------------- speed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def speed(notes_count: int, rounds: int) -> None:
    import kb

    from bot.kb.answers import claim_search
    from bot.kb.echoes import link_notes, relink
    from bot.kb.notes import Claim, Note

    path = kb.OUT / f"kb-{notes_count}.db"
    store, built = kb.build_store(path, notes_count)
    pairs = load_pairs()
    echo_pairs = [p for p in pairs if p["label"] == "1"]
    total = store.counts()["claims"]
    print(f"\nspeed on {total:,} claims ({path.name}{'' if not built else f', built in {built:.0f} s'})")
    # Real claims in, so there is something to echo: each labelled echo's first side, 10 claims a note.
    if store.get_meta("bench_echo_seed") is None:
        firsts = [p["a"] for p in echo_pairs]
        seeded = [Note(id=f"real{n:04d}", title=f"Real claims {n}", url=f"https://example.org/real/{n}",
                       claims=[Claim(text=t) for t in firsts[n * 10:(n + 1) * 10]]) for n in range(len(firsts) // 10)]
        store.upsert_notes([(note, None) for note in seeded])
        store.set_meta("bench_echo_seed", "1")
    with store.write() as conn:  # a previous run's new notes
        conn.execute("DELETE FROM notes WHERE id LIKE 'new%'")
    today = __import__("datetime").date(2026, 11, 24)
    rng = random.Random(5)
    new_notes = []
    for n in range(rounds):
        seconds = [p["b"] for p in rng.sample(echo_pairs, 3)]
        filler = kb.make_notes(1, seed=7_000_000 + n)[0].claims[:7]  # seeds the store was not built from
        new_notes.append(Note(id=f"new{n:05d}", title=f"New clip {n}", url=f"https://example.org/new/{n}",
                              claims=[Claim(text=t) for t in seconds] + filler))
    # Echo linking alone for a new note (inside one write, as upsert does), then the whole upsert.
    link_ms, upsert_ms, found = [], [], 0
    cpu = time.process_time()
    for note in new_notes:
        start = time.perf_counter()
        store.upsert_notes([(note, None)])
        upsert_ms.append((time.perf_counter() - start) * 1000)
        with store.write() as conn:
            start = time.perf_counter()
            found += link_notes(conn, [note])
            link_ms.append((time.perf_counter() - start) * 1000)
    cpu_ms = (time.process_time() - cpu) * 1000 / len(new_notes)
    stray = store.conn.execute(
        "SELECT count(*) FROM echoes e JOIN claims c ON c.id = e.claim_id WHERE c.note_id LIKE 'new%'"
        " AND c.position > 3").fetchone()[0]
    print(f"  links of the new notes' 7 random claims (unrelated to anything): {stray} over"
          f" {7 * len(new_notes)} claims = {100 * stray / (7 * len(new_notes)):.2f} per 100 claims")
    print(f"  echoes for a new 10-claim note      p50 {pct(link_ms, .5):7.2f} ms   p95 {pct(link_ms, .95):7.2f} ms"
          f"   ({found / len(new_notes):.1f} links a note; 3 of its claims are paraphrases of stored ones)")
    print(f"    CPU per note, upsert + echoes: {cpu_ms:.1f} ms")
    print(f"  whole upsert of that note (with it) p50 {pct(upsert_ms, .5):7.2f} ms   p95 {pct(upsert_ms, .95):7.2f} ms")
    queries = [kb.COMMON, *kb.MEDIUM, *kb.RARE, "macrophages", "continual learning", "robotics algorithms",
               "Zephyr-3 benchmark", "reinforcement learning from verifiable rewards"]
    ours, plain = [], []
    for _ in range(10):
        for q in queries:
            start = time.perf_counter()
            claim_search(store, q, today, 10)
            ours.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            store.search_claims(q, 10)
            plain.append((time.perf_counter() - start) * 1000)
    print(f"  /claim with folding (claim_search)  p50 {pct(ours, .5):7.2f} ms   p99 {pct(ours, .99):7.2f} ms")
    print(f"  baseline search_claims alone        p50 {pct(plain, .5):7.2f} ms   p99 {pct(plain, .99):7.2f} ms")
    tick = []
    cpu = time.process_time()
    with store.write() as conn:
        report = relink(conn, progress=lambda done, total: tick.append(done))
        conn.execute("DELETE FROM notes WHERE id LIKE 'new%'")
    cpu = time.process_time() - cpu
    print(f"  relink of the whole base            {report.claims:,} claims in {report.seconds:.1f} s wall ="
          f" {report.rate:,.0f} claims/s ({cpu:.1f} s CPU in this process; the rest in its 2 workers)"
          f" · {report.links:,} links · {report.boilerplate:,} boilerplate keys skipped")
    rest = report.seconds - report.keyed_seconds
    print(f"    pass 1 (read, analyse, key; 2 processes) {report.keyed_seconds:.1f} s · then"
          f" {report.candidates:,} candidate pairs sorted out and scored in {rest:.1f} s")
    print(f"  machine load while measuring: {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}"
          " (1/5/15 min; 2 cores shared)")
    import resource

    print(f"  peak memory of this process         {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=100_000, help="notes in the speed store (10 claims each)")
    parser.add_argument("--rounds", type=int, default=100, help="new notes stored for the p95")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--paraphrase", type=Path, help="held-out MSRP test TSV (or a part), outside the repo")
    args = parser.parse_args()
    print(f"deskbot echoes bench · python {sys.version.split()[0]}")
    quality(load_pairs(), "labelled claim pairs (tests/fixtures/echoes/pairs.tsv)")
    if args.paraphrase:
        quality(paraphrase_file(args.paraphrase), f"held-out paraphrase pairs ({args.paraphrase.name})")
    else:
        print("\nheld-out news paraphrase pairs: not given; pass --paraphrase FILE (an MSRP file as distributed, or a"
              " part of it, from outside the repository: docs/decisions.md, \"Held-out paraphrase check\" and"
              " \"A third held-out paraphrase set\")")
    news = [p / "shared" / "eval" / "bbc-news-summary" / "article" for p in (ROOT.parent, ROOT.parent.parent)]
    found = [p for p in news if p.is_dir()]
    if found:
        unrelated_news(found[0])
    else:
        print("\nunrelated claims: ../shared/eval/bbc-news-summary not found — skipped")
    if not args.quality_only:
        speed(args.notes, args.rounds)


if __name__ == "__main__":
    main()
