"""Quality bench: are deskbot's offline Key Claims what a researcher would write? (issue 14)

    python bench/quality.py            # every figure below, each beside a baseline measured in the same run

1. BBC news (``../shared/eval/bbc-news-summary``, 100 stories with human-picked summary sentences, read in
   place, never copied): precision of the Key Claims (share that are picked sentences) beside the first k
   and k random sentences of the same story; ROUGE-2 F1 of the first three Key Claims vs the picked
   sentences beside LEAD-3. Even-numbered stories are the "dev" half the rules were looked at on, odd ones
   the held-out half.
2. Seed 001 → seed 000: which of the 11 claims of the hand-written note (seed 000) the claims made from the
   clip (seed 001) cover, judged by the phrases in ``bench/seed000_claims.json``.
3. Lint of item 2 over the claims of every saved page (``tests/fixtures/pages``), the seed clip and the BBC
   stories: claims opening with a connective/pronoun, with unbalanced quotes, with stray brackets, captions;
   and the share of the saved real pages' and the clip's claims judged real, checkable assertions by hand
   (``bench/checkable_claims.tsv``; claims with no judgment are listed, not counted).
4. Video: share of the claims per quarter of the saved 12:34 talk (``tests/fixtures/youtube``).
5. Time: extraction + offline summary per saved page (median, p95), bare trafilatura beside it.
6. Saved pages: title exactly right, every known sentence in the clip; trafilatura alone beside it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.capture.budget import BudgetExceeded  # noqa: E402
from bot.capture.extract import Extracted, extract_article, extract_text_file, plain_text  # noqa: E402
from bot.capture.summarize import ExtractiveSummarizer  # noqa: E402
from bot.capture.youtube import Transcript, video_extracted  # noqa: E402
from bot.kb.notes import one_line  # noqa: E402
from tests.fixtures.decay_pages.corpus import labelled_pages  # noqa: E402
from tests.fixtures.decay_pages.corpus import page as decay_page  # noqa: E402
from tests.fixtures.pages.corpus import HUGE_NAME, load_corpus  # noqa: E402

# ``shared/`` sits beside the checkout (or beside the folder of worktrees): the nearest one up wins.
EVAL = next(
    (
        p / "shared" / "eval" / "bbc-news-summary"
        for p in ROOT.parents
        if (p / "shared" / "eval" / "bbc-news-summary").is_dir()
    ),
    ROOT.parent / "shared" / "eval",
)
SEED_CLIP = ROOT / "seeds" / "thoughts-on-ai-progress-clip.md"
SEED_CLAIMS = Path(__file__).with_name("seed000_claims.json")
CHECKABLE = Path(__file__).with_name("checkable_claims.tsv")
YOUTUBE = ROOT / "tests" / "fixtures" / "youtube" / "scaling.transcript.xml"
KNOWN_PAGES = Path(__file__).with_name("known_pages.tsv")  # written by bench/build_known_pages.py


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- BBC


def _story(path: Path) -> tuple[str, list[list[str]]]:
    """Title and paragraphs (each a list of sentences) of one corpus story."""
    lines = path.read_text("utf-8", errors="replace").splitlines()
    title = lines[0].strip()
    paragraphs: list[list[str]] = [[]]
    for line in lines[1:]:
        if line.strip():
            paragraphs[-1].append(one_line(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    return title, [p for p in paragraphs if p]


def _bigrams(text: str) -> Counter[tuple[str, str]]:
    tokens = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    return Counter(zip(tokens, tokens[1:], strict=False))


def rouge2_f1(candidate: str, reference: str) -> float:
    """ROUGE-2 F1 (clipped bigram overlap, lower-cased alphanumeric tokens, no stemming)."""
    cand, ref = _bigrams(candidate), _bigrams(reference)
    overlap = sum((cand & ref).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(cand.values()), overlap / sum(ref.values())
    return 2 * p * r / (p + r)


def _picked(claim: str, story: list[str], picked: set[str]) -> bool:
    """A claim is a picked sentence, or a run of them (a leaning sentence taken with its antecedent)."""
    if claim in picked:
        return True
    parts = [s for s in story if s in claim]
    return bool(parts) and all(s in picked for s in parts) and len(" ".join(parts)) >= len(claim)


def bbc(summarizer: ExtractiveSummarizer) -> tuple[dict[str, dict[str, list[float]]], list[str]]:
    """Per half (dev/held-out) the per-story precisions and ROUGE-2 of ours and the baselines; all claims."""
    rng = random.Random(14)
    halves: dict[str, dict[str, list[float]]] = {}
    all_claims: list[str] = []
    for article in sorted((EVAL / "article").glob("*/*.txt")):
        title, paragraphs = _story(article)
        picked = {one_line(s) for s in (EVAL / "summary" / article.parent.name / article.name)
                  .read_text("utf-8", errors="replace").splitlines() if s.strip()}  # fmt: skip
        story = [s for p in paragraphs for s in p]
        text = "\n\n".join(" ".join(p) for p in paragraphs)
        extracted = Extracted(url=f"https://www.bbc.co.uk/news/{article.parent.name}-{article.stem}",
                              title=title, text=text)  # fmt: skip
        claims = [c.text for c in summarizer.summarize(extracted).claims]
        all_claims.extend(claims)
        k = len(claims)
        half = "dev" if int(article.stem) % 2 == 0 else "held-out"
        rows = halves.setdefault(half, {})
        if k:
            rows.setdefault("claims P", []).append(sum(_picked(c, story, picked) for c in claims) / k)
            rows.setdefault("first-k P", []).append(sum(s in picked for s in story[:k]) / k)
            sample = rng.sample(story, min(k, len(story)))
            rows.setdefault("random-k P", []).append(sum(s in picked for s in sample) / len(sample))
        reference = " ".join(s for s in story if s in picked)
        rows.setdefault("claims[:3] R2", []).append(rouge2_f1(" ".join(claims[:3]), reference))
        rows.setdefault("LEAD-3 R2", []).append(rouge2_f1(" ".join(story[:3]), reference))
    return halves, all_claims


# --------------------------------------------------------------------------- seed 001 → 000


def seed_coverage(summarizer: ExtractiveSummarizer) -> tuple[list[tuple[str, str]], list[str]]:
    """For each seed-000 claim: "full" / "partial" / "none" by its expected phrases; and our claims."""
    extracted = extract_text_file(SEED_CLIP.read_bytes(), "https://www.dwarkesh.com/p/thoughts-on-ai-progress-dec-2025")
    claims = [c.text for c in summarizer.summarize(extracted).claims]
    said = one_line(" ".join(claims)).casefold()
    out = []
    for entry in json.loads(SEED_CLAIMS.read_text("utf-8"))["claims"]:
        parts = entry["parts"]  # each part: alternatives, any of which states it
        hits = sum(any(alt.casefold() in said for alt in part) for part in parts)
        out.append((entry["id"], "full" if hits == len(parts) else "partial" if hits else "none"))
    return out, claims


# --------------------------------------------------------------------------- lint

_LEANING_TEXT = """
    however but and so or also yet still thus hence therefore instead besides moreover furthermore
    meanwhile nevertheless nonetheless then second secondly third thirdly finally first firstly indeed
    he she it they them his her its their this that these those such both which"""
LEANING = frozenset(_LEANING_TEXT.split())
_CAPTION = re.compile(
    r"\b(?:clockwise from|photograph:|photo:|image:|picture:|credit:|pictured\b|illustration:|"
    r"\(left\)|\(right\)|\(above\)|\(below\)|getty images)",
    re.I,
)


def lint(claim: str) -> set[str]:
    """Which of item 2's faults a claim has."""
    faults: set[str] = set()
    first = re.match(r"[\W_]*([^\W\d_]+)", claim)
    if first and first.group(1).lower() in LEANING:
        faults.add("leaning")
    straight = claim.count('"')
    if straight % 2 or claim.count("“") != claim.count("”"):
        faults.add("quotes")
    if "[" in claim or "]" in claim or claim.count("(") != claim.count(")"):
        faults.add("brackets")
    if _CAPTION.search(claim):
        faults.add("caption")
    return faults


def lint_counts(claims: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for claim in claims:
        counts.update(lint(claim))
    return counts


def checkable(claims: list[str]) -> tuple[int, int, list[str]]:
    """Claims judged real, checkable assertions by hand (``bench/checkable_claims.tsv``), claims judged,
    and the claims with no judgment yet (a changed picker shows them rather than a stale figure)."""
    judged: dict[str, str] = {}
    for line in CHECKABLE.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            _source, verdict, _why, claim = line.split("\t", 3)
            judged[claim] = verdict
    known = [c for c in claims if c in judged]
    return sum(judged[c] == "yes" for c in known), len(known), [c for c in claims if c not in judged]


# --------------------------------------------------------------------------- video


def video_quarters(summarizer: ExtractiveSummarizer) -> tuple[list[int], float]:
    root = ET.parse(YOUTUBE).getroot()
    snippets = [(float(n.get("start", "0")), n.text or "") for n in root.iter("text")]
    end = max(float(n.get("start", "0")) + float(n.get("dur", "0")) for n in root.iter("text"))
    extracted = video_extracted(
        "_zgnSbu5GqE", Transcript("_zgnSbu5GqE", snippets, language="en", details={"title": "What are we scaling?"})
    )
    times = [c.t or 0 for c in summarizer.summarize(extracted).claims]
    quarters = [0, 0, 0, 0]
    for t in times:
        quarters[min(3, int(4 * t / end))] += 1
    return quarters, end


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds over the saved pages")
    parser.add_argument("--eval", type=Path, default=None, help="the bbc-news-summary folder (default: found up)")
    args = parser.parse_args()
    global EVAL
    EVAL = args.eval or EVAL
    summarizer = ExtractiveSummarizer()
    print(f"quality bench · python {sys.version.split()[0]}")

    if EVAL.is_dir():
        halves, bbc_claims = bbc(summarizer)
        print(f"\n1. BBC news ({EVAL}): mean per story")
        print(
            f"   {'half':9s} {'stories':>7s} {'claims P':>9s} {'first-k P':>10s} {'random-k P':>11s}"
            f" {'claims[:3] R2':>14s} {'LEAD-3 R2':>10s}"
        )
        for half in ("dev", "held-out"):
            rows = halves[half]
            n = len(rows["LEAD-3 R2"])
            print(
                f"   {half:9s} {n:7d} {statistics.mean(rows['claims P']):9.1%} "
                f"{statistics.mean(rows['first-k P']):10.1%} {statistics.mean(rows['random-k P']):11.1%} "
                f"{100 * statistics.mean(rows['claims[:3] R2']):14.1f} "
                f"{100 * statistics.mean(rows['LEAD-3 R2']):10.1f}"
            )
    else:
        bbc_claims = []
        print(f"\n1. BBC news: {EVAL} not found, skipped")

    coverage, seed_claims = seed_coverage(summarizer)
    tally = Counter(kind for _, kind in coverage)
    print(
        f"\n2. seed 001 → seed 000: {tally['full']} full, {tally['partial']} partial, {tally['none']} none"
        f" of {len(coverage)} (the hand-written note: {len(coverage)} full; {len(seed_claims)} claims made)"
    )
    print("   " + "  ".join(f"{cid}:{kind}" for cid, kind in coverage))

    corpus = load_corpus(with_huge=True)
    page_claims: list[str] = []
    judged_claims: list[str] = []  # the saved pages' but the generated huge page's: judged by hand
    for page in corpus:
        extracted = extract_article(page.data, page.url)
        claims = [c.text for c in summarizer.summarize(extracted).claims]
        page_claims += claims
        judged_claims += [] if page.name == HUGE_NAME else claims
    print("\n3. lint of the claims: leaning (connective/pronoun first) / unbalanced quotes / brackets / captions")
    real = real_page_claims(summarizer)
    real_claims = [claim for claims in real.values() for claim in claims]
    for name, claims in (("saved pages", page_claims), (f"{len(real)} real pages", real_claims),
                         ("seed 001 clip", seed_claims), ("BBC stories", bbc_claims)):  # fmt: skip
        c = lint_counts(claims)
        print(
            f"   {name:14s} {c['leaning']:3d} / {c['quotes']:3d} / {c['brackets']:3d} / {c['caption']:3d}"
            f"  of {len(claims)} claims"
        )
    yes, judged, unjudged = checkable(judged_claims + seed_claims)
    print(
        f"   checkable assertions (hand judgments, {CHECKABLE.name}; saved pages + seed 001 clip): "
        f"{yes}/{judged} ({yes / (judged or 1):.0%}) (goal ≥ 90 %); unjudged: {len(unjudged)}"
    )
    for claim in unjudged:
        print(f"     unjudged: {claim}")

    quarters, end = video_quarters(summarizer)
    total = sum(quarters) or 1
    print(
        f"\n4. video ({int(end) // 60}:{int(end) % 60:02d} talk): claims per quarter {quarters}; "
        f"largest quarter {max(quarters) / total:.0%} (goal ≤ 40 %)"
    )

    ours, bare = timings(corpus, summarizer, args.rounds)
    print(f"\n5. time per page ({len(corpus)} pages x {args.rounds} rounds), wall clock and (in brackets) CPU time:")
    for name, (wall, cpu) in (("extract+summarize", ours), ("bare trafilatura", bare)):
        print(
            f"   {name:18s} median {statistics.median(wall):6.1f} ms ({statistics.median(cpu):6.1f}),"
            f" p95 {pct(wall, 0.95):6.1f} ms ({pct(cpu, 0.95):6.1f})"
        )

    print("\n6. title exactly right / every known sentence in the clip; trafilatura alone beside each")
    saved = [(p.name, p.data, p.url, p.expected.get("title") or "", p.expected.get("known_sentences") or [])
             for p in corpus if p.name != "huge-longread"]  # fmt: skip
    rows = [("saved pages", saved), (f"real pages ({KNOWN_PAGES.name})", known_pages())]
    for name, pages in [*rows, ("all", saved + known_pages())]:
        got = titles_and_sentences(pages, summarizer)
        print(
            f"   {name:28s} title {got['title']:3d}/{got['with_title']:<3d} (trafilatura alone "
            f"{got['bare_title']:3d}/{got['with_title']});  sentences {got['known']:3d}/{got['with_known']:<3d}"
            f" (trafilatura alone {got['bare_known']:3d}/{got['with_known']})"
        )
        if name != "all":
            for kind in ("title", "known"):
                if got[f"missed_{kind}"]:
                    print(f"     {kind} missed: {', '.join(got[f'missed_{kind}'])}")


# --------------------------------------------------------------------------- saved real pages


def real_page_claims(summarizer: ExtractiveSummarizer) -> dict[str, list[str]]:
    """The claims deskbot writes for every saved real page of ``tests/fixtures/decay_pages`` (a page the
    capture's hostile-input caps refuse makes no claims: it is counted, not linted)."""
    out = {}
    for labelled in labelled_pages():
        try:
            extracted = extract_article(labelled.html(), labelled.url)
        except BudgetExceeded as refused:
            print(f"   (refused by the capture caps: {labelled.name}: {refused})")
            continue
        out[labelled.name] = [c.text for c in summarizer.summarize(extracted).claims]
    return out


def known_pages() -> list[tuple[str, bytes, str, str, list[str]]]:
    """(name, html, url, known title, known sentences) of each row of ``bench/known_pages.tsv``."""
    import csv

    with KNOWN_PAGES.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    out = []
    for row in rows:
        labelled = decay_page(row["name"])
        sentences = [row[f"sentence{i}"] for i in (1, 2, 3) if row[f"sentence{i}"]]
        out.append((row["name"], labelled.html(), labelled.url, row["title"], sentences))
    return out


def titles_and_sentences(
    pages: list[tuple[str, bytes, str, str, list[str]]], summarizer: ExtractiveSummarizer
) -> dict[str, Any]:
    """Counts of exact titles and of pages with every known sentence in the clip, ours and trafilatura's."""
    import trafilatura

    got: dict[str, Any] = Counter()
    got["missed_title"], got["missed_known"] = [], []
    for name, data, url, title, sentences in pages:
        extracted = extract_article(data, url)
        if title:
            got["with_title"] += 1
            got["title"] += extracted.title == title
            if extracted.title != title:
                got["missed_title"].append(name)
            bare_meta = trafilatura.extract_metadata(data, default_url=url)
            got["bare_title"] += (bare_meta.title if bare_meta else None) == title
        if sentences:
            got["with_known"] += 1
            found = all_in(sentences, clip_text(extracted.text))
            got["known"] += found
            if not found:
                got["missed_known"].append(name)
            got["bare_known"] += all_in(sentences, trafilatura.extract(data, url=url) or "")
    return got


def all_in(sentences: list[str], text: str) -> bool:
    """Every sentence is in the text, whitespace aside ("Kyle Wagner , Reference" = "Kyle Wagner, Reference")."""
    flat = "".join(text.split())
    return all("".join(s.split()) in flat for s in sentences)


def clip_text(markdown: str) -> str:
    """The clip as a reader sees it: markdown rendered (emphasis marks and escapes gone), then the raw text."""
    return f"{plain_text(markdown)}\n{markdown}"


def timings(corpus: list[Any], summarizer: ExtractiveSummarizer, rounds: int) -> tuple[Any, Any]:
    """Per page and round: (wall ms, CPU ms) of ours and of bare trafilatura, each page in turn.

    CPU time beside wall time: the machine is shared, and a page's wall time also counts the time
    other processes held the core; the CPU time is the work this page cost.
    """
    import trafilatura

    ours: tuple[list[float], list[float]] = ([], [])
    bare: tuple[list[float], list[float]] = ([], [])
    for round_no in range(rounds + 1):  # round 0 warms imports and caches
        for page in corpus:
            for out, run in (
                (ours, lambda p=page: summarizer.summarize(extract_article(p.data, p.url))),
                (bare, lambda p=page: trafilatura.extract(p.data, url=p.url)),
            ):
                wall, cpu = time.perf_counter(), time.process_time()
                run()
                if round_no:
                    out[0].append((time.perf_counter() - wall) * 1000)
                    out[1].append((time.process_time() - cpu) * 1000)
    return ours, bare

if __name__ == "__main__":
    main()
