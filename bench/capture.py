"""Capture benchmark: extract + summarise ms/page and peak memory on the saved page corpus.

    python bench/capture.py            # 5 rounds over the corpus (10 saved pages + a generated ~3 MB page)

Baseline measured in the same run: trafilatura's bare ``extract()`` on the same bytes.
Also prints the share of each page's known sentences found in the clip.
Peak RSS is the whole process (Python, trafilatura, lxml and the corpus), read from /proc.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.capture.budget import Budget, run_within  # noqa: E402
from bot.capture.extract import extract_article  # noqa: E402
from bot.capture.summarize import ExtractiveSummarizer  # noqa: E402
from tests.fixtures.pages.corpus import known_share, load_corpus  # noqa: E402


def _clip(data: bytes, url: str, summarizer: ExtractiveSummarizer) -> str:
    extracted = extract_article(data, url)
    if not extracted.little_text:
        summarizer.summarize(extracted)
    return extracted.title


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import trafilatura

    corpus = load_corpus(with_huge=True)
    summarizer = ExtractiveSummarizer()
    ours: list[float] = []
    bare: list[float] = []
    per_page: dict[str, list[float]] = {}
    budget = Budget()
    budgeted: list[float] = []  # the same work as a capture runs it: in a child forked under the budget
    budgeted_cpu: list[float] = []  # its CPU: the parent's (fork, wait, unpickle) + the child's
    plain_cpu: list[float] = []  # CPU of the same work in this process
    shares: dict[str, float] = {}
    for round_no in range(args.rounds + 1):  # round 0 warms imports and caches, not counted
        for page in corpus:
            url = page.expected.get("url", f"https://example.org/{page.name}")
            start = time.perf_counter()
            extracted = extract_article(page.data, url)
            summary = summarizer.summarize(extracted) if not extracted.little_text else None
            ms = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            trafilatura.extract(page.data, url=url)
            bare_ms = (time.perf_counter() - start) * 1000
            start, cpu_start = time.perf_counter(), time.process_time()
            outcome = run_within(budget, lambda data=page.data, url=url: _clip(data, url, summarizer))
            budgeted.append((time.perf_counter() - start) * 1000)
            budgeted_cpu.append((time.process_time() - cpu_start + outcome.usage.cpu_seconds) * 1000)
            cpu_start = time.process_time()
            _clip(page.data, url, summarizer)
            plain_cpu.append((time.process_time() - cpu_start) * 1000)
            if round_no == 0:
                known = page.expected.get("known_sentences") or []
                if known:
                    shares[page.name] = known_share(extracted.text, known)
                continue
            ours.append(ms)
            bare.append(bare_ms)
            per_page.setdefault(page.name, []).append(ms)
            del summary
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"capture bench · {len(corpus)} pages x {args.rounds} rounds · python {sys.version.split()[0]}")
    print(f"  extract+summarize   median {statistics.median(ours):7.1f} ms   p95 {pct(ours, 0.95):7.1f} ms"
          f"   max {max(ours):7.1f} ms")
    print(f"  bare trafilatura    median {statistics.median(bare):7.1f} ms   p95 {pct(bare, 0.95):7.1f} ms"
          f"   (ours/bare median = {statistics.median(ours) / statistics.median(bare):.2f})")
    budgeted, budgeted_cpu, plain_cpu = (v[len(corpus):] for v in (budgeted, budgeted_cpu, plain_cpu))  # round 0
    print(f"  within the budget   median {statistics.median(budgeted):7.1f} ms   p95 {pct(budgeted, 0.95):7.1f} ms"
          "   (the same in a child forked under RLIMIT_CPU/AS/DATA, as a capture runs it)")
    print(f"  CPU per page        median {statistics.median(plain_cpu):7.1f} ms in this process, "
          f"{statistics.median(budgeted_cpu):.1f} ms within the budget (parent + child: the fork's cost)")
    print(f"  peak RSS of this process: {peak_mb:.0f} MB")
    for name, values in sorted(per_page.items()):
        print(f"    {name:28s} {statistics.median(values):7.1f} ms")
    found = sum(1 for s in shares.values() if s == 1.0)
    print(f"  known sentences: {found}/{len(shares)} pages with every known sentence in the clip; "
          f"mean share {statistics.mean(shares.values()):.0%}")


if __name__ == "__main__":
    main()
