"""Papers benchmark: a paper link answered in its thread, and the weekly re-check sweep over 10,000 paper notes.

    python bench/papers.py                 # 3 rounds × 5 paper links; sweep over 10,000 notes
    python bench/papers.py --rounds 1 --notes 2000

Everything runs on 127.0.0.1: the real Bolt app over signed HTTP, the Slack Web API stand-in, and the scholarly
stand-ins answering with captured responses (tests/fixtures/scholarly). The APIs are paced exactly as in
production (Crossref polite pool ≤ 10 requests/s, NCBI ≤ 3/s without a key, arXiv one request per 3 s), so
the sweep's duration is what Crossref's published limits allow, not what loopback could do.

Baselines measured in the same run: a plain web article answered in its thread (the same app and stand-ins),
and the sweep done one Crossref ``/works/{doi}`` call per note (timed on a sample, scaled to all notes).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.capture.fetch import Allowlist  # noqa: E402
from bot.capture.papers.apis import ApiError, PaperAPIs  # noqa: E402
from bot.capture.papers.status import check  # noqa: E402
from bot.capture.pipeline import CaptureOptions  # noqa: E402
from bot.kb.notes import Note, make_id  # noqa: E402
from bot.kb.store import Store  # noqa: E402
from bot.slack.app import create_app  # noqa: E402
from tests.fakes.bolt_server import serve_bolt  # noqa: E402
from tests.fakes.scholarly import load_all, serve_scholarly  # noqa: E402
from tests.fakes.slack_api import FakeSlackAPI  # noqa: E402
from tests.slack.listeners.harness import (  # noqa: E402
    FAST_BACKOFF,
    NOW,
    HttpBot,
    article_html,
    envelope,
    link_event,
    settings_for,
)

PAPER_LINKS = [
    "https://doi.org/10.5555/12345678",  # Crossref + Unpaywall open PDF
    "https://pubmed.ncbi.nlm.nih.gov/38147649/",  # PubMed abstract
    "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC8435807/",  # PMC full text
    "https://arxiv.org/abs/2204.08348v1",  # arXiv API + PDF
    "https://www.medrxiv.org/content/10.1101/2020.09.09.20191205v1",  # medRxiv API
]


def answered_in_thread(url_for: str, tmp: Path, scholarly: object, papers: bool) -> float:
    """Seconds from the signed event POST to the thread reply reaching the Slack stand-in."""
    with FakeSlackAPI() as fake:
        settings = settings_for(fake, tmp / "deskbot.db", contact_email="bench@example.org",
                                **scholarly.settings())  # type: ignore[attr-defined]
        allow = Allowlist.from_env("127.0.0.1")
        options = CaptureOptions(allow=allow, papers=PaperAPIs.from_settings(settings, allow=allow) if papers else None)
        store = Store.open(str(tmp / "deskbot.db"))
        app = create_app(settings, store, None, clock=lambda: NOW, backoff=FAST_BACKOFF, capture_options=options)
        app.worker.start()
        try:
            with serve_bolt(app) as base:
                bot = HttpBot(app, fake, store, base)
                start = time.perf_counter()
                bot.event(envelope(link_event(url_for)))
                fake.wait_for("chat.postMessage", 1, ok_only=True, timeout=60)
                return time.perf_counter() - start
        finally:
            app.worker.stop()
            store.close()


def sweep(notes: int, scholarly: object, baseline_sample: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(str(Path(tmp) / "deskbot.db"))
        papers = PaperAPIs(crossref_url=scholarly.url("crossref"), ncbi_url=scholarly.url("ncbi"),  # type: ignore
                           arxiv_url=scholarly.url("arxiv"), biorxiv_url=scholarly.url("biorxiv"),  # type: ignore
                           unpaywall_url=scholarly.url("unpaywall"), contact_email="bench@example.org",  # type: ignore
                           allow=Allowlist.from_env("127.0.0.1"))
        n_pmid, n_arxiv = notes * 8 // 100, notes * 2 // 100
        batch = []
        for i in range(notes):
            if i < n_pmid:
                extra = {"PMID": str(30_000_000 + i), "item_type": "journalArticle"}
            elif i < n_pmid + n_arxiv:
                extra = {"archiveID": f"arXiv:2401.{10000 + i:05d}", "version": 1, "item_type": "preprint"}
            else:
                extra = {"DOI": f"10.9999/bench.{i}", "item_type": "journalArticle"}
            batch.append((Note(id=make_id("bench", str(i)), title=f"Paper {i}", kind="paper", extra=extra), None))
        batch.append((Note(id="retracted", title="Silly String", kind="paper", extra={"DOI": "10.5555/12345678"}),
                      None))
        store.upsert_notes(batch)
        start = time.perf_counter()
        result = check(store, None, papers, datetime(2026, 12, 7, 9, 0))
        seconds = time.perf_counter() - start
        print(f"  weekly sweep over {notes + 1:,} paper notes ({notes - n_pmid - n_arxiv + 1:,} DOIs, {n_pmid:,} "
              f"PMIDs, {n_arxiv:,} arXiv): {seconds:6.1f} s, {result.requests} requests "
              f"({result.requests / seconds:.1f}/s), {len(result.found)} findings, {len(result.errors)} errors")
        per_note = PaperAPIs(crossref_url=papers.crossref_url, contact_email="bench@example.org",
                             allow=papers.allow)
        start = time.perf_counter()
        for i in range(baseline_sample):
            with contextlib.suppress(ApiError):  # unknown DOIs answer 404; the request still counts
                per_note.get_json("crossref", per_note.crossref_work_url(f"10.9999/bench.{i}"))
        sample = time.perf_counter() - start
        doi_notes = notes - n_pmid - n_arxiv + 1
        print(f"  baseline, one /works call per DOI: {sample:.1f} s for {baseline_sample} → "
              f"{sample / baseline_sample * doi_notes:,.0f} s ({doi_notes:,} requests) for the same DOIs")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--baseline-sample", type=int, default=50)
    args = parser.parse_args()
    with serve_scholarly() as scholarly:
        load_all(scholarly)
        scholarly.files["article/1"] = (article_html("bench"), "text/html; charset=utf-8")
        paper_s: dict[str, list[float]] = {}
        article_s: list[float] = []
        for _ in range(args.rounds):
            for url in PAPER_LINKS:
                with tempfile.TemporaryDirectory() as tmp:
                    paper_s.setdefault(url, []).append(answered_in_thread(url, Path(tmp), scholarly, True))
            with tempfile.TemporaryDirectory() as tmp:
                article_s.append(answered_in_thread(scholarly.base + "/files/article/1", Path(tmp), scholarly, False))
        every = [s for values in paper_s.values() for s in values]
        print(f"papers bench · {len(PAPER_LINKS)} paper links × {args.rounds} rounds · python {sys.version.split()[0]}")
        print(f"  paper link → thread reply   median {statistics.median(every):5.2f} s   max {max(every):5.2f} s"
              f"   (target: median ≤ 3 s)")
        print(f"  baseline: web article       median {statistics.median(article_s):5.2f} s")
        for url, values in paper_s.items():
            print(f"    {url:64s} {statistics.median(values):5.2f} s")
        sweep(args.notes, scholarly, args.baseline_sample)


if __name__ == "__main__":
    main()
