"""Hostile-input benchmark (issue 13): every hostile case ends within its budget, and ordinary replies keep
their latency while hostile links are in flight.

    python bench/hostile.py            # all cases, then 2 × 2 rounds of 12 ordinary links (~3 min on 2 cores)
    python bench/hostile.py --quick    # smaller stream
    python bench/hostile.py --skip-cases --skip-latency    # only issue 18's papers and transcripts (part 1b)

Part 1, the cases: each runs in a process forked for it (the real pipeline: fetch from a page server on
127.0.0.1, the capture budget's child, the store), and the kernel reports that process's CPU time and peak
RSS with its children (``wait4``). Baseline in the same run: an ordinary article captured the same way.
The budget per capture is 10 s of CPU and 512 MB of memory (``bot.capture.budget.Budget``).

Part 2, latency: a real ``deskbot serve`` (its capture processes, the Slack stand-in, signed events). A stream
of ordinary links, one every 0.25 s; reply latency = the stand-in's receipt of the thread reply minus the
event's send time. Rounds alternate between "ordinary only" and "two hostile links posted just before".
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import pickle
import resource
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.capture.budget import MB, Budget  # noqa: E402
from bot.capture.fetch import Allowlist  # noqa: E402
from bot.capture.pipeline import CaptureOptions, capture_upload, capture_url  # noqa: E402
from bot.kb.store import Store  # noqa: E402
from tests.fakes.web import Page, serve_pages  # noqa: E402
from tests.fixtures import hostile  # noqa: E402
from tests.slack.listeners.harness import article_html  # noqa: E402

LOCAL = CaptureOptions(allow=Allowlist.from_env("127.0.0.1"))
BUDGET = Budget()


def _bench_slack() -> Any:
    """bench/slack.py's server helpers (Process, READY/WARM, SECRET, pct), loaded by path."""
    spec = importlib.util.spec_from_file_location("bench_slack", ROOT / "bench" / "slack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- part 1: the cases


@contextmanager
def raw_server(answer: bytes) -> Iterator[str]:
    """Answers every connection with ``answer`` as given (malformed answers the page server cannot make)."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/page"
    finally:
        server.shutdown(socket.SHUT_RDWR)
        server.close()


def measured(run: Callable[[Store], str], tmp: Path) -> tuple[str, float, float, float]:
    """Run one case in a forked process: (outcome, wall s, CPU s, peak RSS MB) of it and its children."""
    read_fd, write_fd = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 0
        try:
            store = Store.open(str(tmp / f"case-{os.getpid()}.db"))
            outcome = run(store)
        except BaseException as exc:  # noqa: BLE001 - reported as the outcome
            outcome, code = f"EXCEPTION {type(exc).__name__}: {exc}"[:200], 1
        os.write(write_fd, pickle.dumps(outcome))
        os._exit(code)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    outcome = pickle.loads(b"".join(chunks)) if chunks else f"died ({status})"
    return outcome, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _said(result: Any) -> str:
    if result.status == "failed":
        return f"failed ({'permanent' if result.permanent else 'TRANSIENT'}): {result.error}"
    flags = f" [{', '.join(result.note.flags)}]" if result.note and result.note.flags else ""
    return f"{result.status}{flags}"


def cases(site: Any, raw: dict[str, str]) -> list[tuple[str, Callable[[Store], str]]]:
    def url(path: str) -> Callable[[Store], str]:
        return lambda store: _said(capture_url(store, site.url(path), options=LOCAL))

    def upload(name: str, data: bytes) -> Callable[[Store], str]:
        return lambda store: _said(capture_upload(store, data, name, "text/markdown", channel="C1", user="U1",
                                                  ts="1.0", options=LOCAL))

    def direct(target: str) -> Callable[[Store], str]:
        return lambda store: _said(capture_url(store, target, options=LOCAL))

    def imported(data: bytes) -> Callable[[Store], str]:
        def run(store: Store) -> str:
            from bot.kb.importer import import_paths

            path = Path(tempfile.mkdtemp()) / "big.md"
            path.write_bytes(data)
            report = import_paths(store, [path])
            return f"deskbot import: {len(report.failed)} failed: {report.failed[0][1] if report.failed else ''}"

        return run

    listed: list[tuple[str, Callable[[Store], str]]] = [
        ("baseline: ordinary article (blog essay)", url("/essay")),
        ("1  100 KB of '**a ' (text/markdown)", url("/emphasis-100k.md")),
        ("1  1 MB of '**a '", url("/emphasis-1m.md")),
        ("2  a tag with 40k attributes", url("/attrs-40k")),
        ("2  a tag with 200k attributes (2.2 MB)", url("/attrs-200k")),
        ("3  PDF, 100 pages sharing one 7.7 MB-text stream", url("/shared.pdf")),
        ("4  .md upload, YAML aliases 6 levels", upload("laughs6.md", hostile.billion_laughs_note(6))),
        ("4  .md upload, YAML aliases 9 levels", upload("laughs9.md", hostile.billion_laughs_note(9))),
        ("5  50 MB note, Key Claims bullet first (upload)", upload("big.md", hostile.claims_first_note(50_000_000))),
        ("5  50 MB note (deskbot import of the file)", imported(hostile.claims_first_note(50_000_000))),
        ("5  4 MB note, Key Claims bullet first (upload)", upload("long.md", hostile.claims_first_note(4_000_000))),
    ]
    for field, value in sorted(hostile.WRONG_TYPES.items()):
        listed.append((f"6  {field}: {value}", upload("note.md", hostile.wrong_type_note(field, value).encode())))
    listed += [
        ("12 host label of 64 characters", direct("https://" + "a" * 64 + ".example.org/x")),
        ("12 150 response headers", direct(raw["headers"])),
        ("12 HTTP status 999", direct(raw["999"])),
    ]
    return listed


def case_bench() -> None:
    pages = {
        "/essay": Page((ROOT / "tests" / "fixtures" / "pages" / "blog-essay.html").read_bytes()),
        "/emphasis-100k.md": Page(hostile.emphasis_markdown(100_000), "text/markdown"),
        "/emphasis-1m.md": Page(hostile.emphasis_markdown(1_000_000), "text/markdown"),
        "/attrs-40k": Page(hostile.many_attributes_html(40_000)),
        "/attrs-200k": Page(hostile.many_attributes_html(200_000)),
        "/shared.pdf": Page(hostile.shared_stream_pdf(), "application/pdf"),
    }
    body = b"<html><body><p>Hello.</p></body></html>"
    head = b"Content-Type: text/html\r\nContent-Length: %d\r\n" % len(body)
    headers = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Filler-%d: x\r\n" % n for n in range(150)) + head + b"\r\n" + body
    status = b"HTTP/1.1 999 Whatever\r\n" + head + b"\r\n" + body
    print(f"Hostile cases: budget {BUDGET.cpu_seconds} s CPU and {BUDGET.memory_bytes // MB} MB per capture; each "
          "case in its own process (CPU and peak RSS from wait4, the capture's budget child included)")
    print(f"{'row / case':52s} {'wall s':>7s} {'CPU s':>7s} {'peak MB':>8s}  within  outcome")
    with serve_pages(pages) as site, raw_server(headers) as many, raw_server(status) as odd, \
            tempfile.TemporaryDirectory() as tmp:
        warm = Store.open(str(Path(tmp) / "warm.db"))  # imports, caches, migrations: not part of any case
        capture_url(warm, site.url("/essay"), options=LOCAL)
        warm.close()
        for name, run in cases(site, {"headers": many, "999": odd}):
            outcome, wall, cpu, peak = measured(run, Path(tmp))
            within = "yes" if cpu <= BUDGET.cpu_seconds and peak <= BUDGET.memory_bytes / MB else "NO"
            print(f"{name:52s} {wall:7.2f} {cpu:7.2f} {peak:8.0f}  {within:6s}  {outcome[:150]}", flush=True)


# --------------------------------------------------------------------------- part 1b: papers and transcripts


def source_bench() -> None:
    """Issue 18's hostile sources: PubMed Central JATS served by the scholarly stand-in, YouTube transcripts
    by the saved-YouTube session; each captured through the pipeline (parsed in the budget's child), and the
    same input parsed in the capture process itself, as before (the same-run baseline)."""
    from dataclasses import replace

    from bot.capture.papers.apis import PaperAPIs, Throttle
    from bot.capture.papers.records import pmc_article
    from tests.capture.test_youtube import session_for
    from tests.fakes.scholarly import FIXTURES, serve_scholarly

    def video(timedtext: bytes) -> Callable[[Store], str]:
        options = replace(LOCAL, youtube_http=session_for(timedtext=(200, timedtext)))
        return lambda store: _said(capture_url(store, "https://www.youtube.com/watch?v=GJLlxj_dtq8", options=options))

    def transcript_parse(timedtext: bytes) -> Callable[[Store], str]:
        def run(store: Store) -> str:
            from youtube_transcript_api._transcripts import _TranscriptParser

            snippets = _TranscriptParser().parse(timedtext.decode().replace("&amp;", "&"))
            return f"parsed: {len(snippets)} captions"

        return run

    def jats_parse(data: bytes) -> Callable[[Store], str]:
        def run(store: Store) -> str:
            try:
                return f"parsed: {len(pmc_article(data)[1])} paragraphs"
            except ValueError as exc:
                return f"refused: {exc}"

        return run

    jats = {"8435807": (FIXTURES / "pmc" / "8435807.xml").read_bytes(),
            "7000001": hostile.nested_paragraphs_jats(20_000), "7000002": hostile.deep_sections_jats(1_500_000),
            "7000003": hostile.billion_laughs_xml()}
    names = {"8435807": "baseline: PMC open-access JATS (Biopython's capture)",
             "7000001": "JATS, 20k nested paragraphs (120 KB)", "7000002": "JATS, 1.5M nested sections (16.5 MB)",
             "7000003": "JATS, billion laughs (10**9 'lol')"}
    transcripts = {"baseline: video with its saved transcript": (ROOT / "tests" / "fixtures" / "youtube" /
                                                                 "transcript.xml").read_bytes(),
                   "transcript, one caption of 100k unclosed '<a'": hostile.angle_bracket_transcript(100_000),
                   "transcript, one caption of 200k unclosed '<a'": hostile.angle_bracket_transcript(200_000),
                   "transcript, 600k captions (30 MB)": hostile.many_captions_transcript(600_000)}
    print("\nHostile papers and transcripts (issue 18): captured (parsed in the budget's child), and parsed in the "
          "process itself as before")
    print(f"{'case':52s} {'wall s':>7s} {'CPU s':>7s} {'peak MB':>8s}  within  outcome")
    with serve_scholarly() as scholarly, tempfile.TemporaryDirectory() as tmp:
        scholarly.pmc.update(jats)
        papers = PaperAPIs(ncbi_url=scholarly.url("ncbi"), allow=LOCAL.allow, throttle=Throttle(sleep=lambda s: None))
        options = replace(LOCAL, papers=papers)
        rows: list[tuple[str, Callable[[Store], str]]] = []
        for number, name in names.items():
            url = f"https://pmc.ncbi.nlm.nih.gov/articles/PMC{number}/"
            rows.append((f"18 {name}", lambda store, url=url: _said(capture_url(store, url, options=options))))
            if number != "8435807":
                rows.append(("   … parsed in the process (before)", jats_parse(jats[number])))
        for name, timedtext in transcripts.items():
            rows.append((f"18 {name}", video(timedtext)))
            if "100k" in name or "600k" in name:
                rows.append(("   … parsed in the process (before)", transcript_parse(timedtext)))
        for name, run in rows:
            outcome, wall, cpu, peak = measured(run, Path(tmp))
            within = "yes" if cpu <= BUDGET.cpu_seconds and peak <= BUDGET.memory_bytes / MB else "NO"
            print(f"{name:52s} {wall:7.2f} {cpu:7.2f} {peak:8.0f}  {within:6s}  {outcome[:150]}", flush=True)


# --------------------------------------------------------------------------- part 2: latency


def latency_bench(rounds: int, per_round: int, interval: float) -> None:
    from tests.fakes import http
    from tests.fakes.signing import event_envelope, json_body, signed_headers
    from tests.fakes.slack_api import FakeSlackAPI
    from tests.slack.listeners.harness import link_event

    slack = _bench_slack()
    pages = {f"/a/{n}": Page(article_html(n)) for n in range(rounds * per_round + 10)}
    hostile_pages = {
        "/h/emphasis.md": Page(hostile.emphasis_markdown(1_000_000), "text/markdown"),
        "/h/attrs": Page(hostile.many_attributes_html(200_000)),
    }
    with FakeSlackAPI() as fake, serve_pages({**pages, **hostile_pages}) as site, \
            tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DESKBOT_"))}
        env.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=slack.SECRET, SLACK_API_URL=fake.base_url,
                   DESKBOT_DB=str(Path(tmp) / "bench.db"), DESKBOT_CHANNELS="C0CHANNEL",
                   DESKBOT_FETCH_ALLOW="127.0.0.1", DESKBOT_SUMMARIZER="extractive")
        bot = slack.Process([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0",
                             "--no-clock"], env, str(ROOT))
        try:
            events = bot.wait_ready() + "/slack/events"
            sent: dict[str, float] = {}
            counter = iter(range(1_000_000))

            def post(url: str) -> str:
                event = link_event(url, channel="C0CHANNEL")
                body = json_body(event_envelope(event))
                sent[event["ts"]] = time.time()
                status, _, _ = http.post(events, body, signed_headers(slack.SECRET, body))
                assert status == 200, status
                return event["ts"]

            def replied() -> dict[str, float]:
                return {c.decoded["thread_ts"]: c.timestamp for c in fake.calls("chat.postMessage") if c.ok}

            post(site.url(f"/a/{next(counter)}"))  # warm-up: first imports in the capture processes
            fake.wait_for("chat.postMessage", 1, timeout=60, ok_only=True)
            results: dict[str, list[float]] = {"ordinary only": [], "two hostile links in flight": []}
            hostile_jobs: list[str] = []
            expected = 1
            for round_no in range(rounds * 2):
                scenario = list(results)[round_no % 2]
                if round_no % 2:
                    hostile_jobs += [post(site.url(path)) for path in hostile_pages]
                    expected += len(hostile_pages)
                ordinary = []
                for _ in range(per_round):
                    ordinary.append(post(site.url(f"/a/{next(counter)}")))
                    time.sleep(interval)  # the stream's pace (a benchmark load, not synchronisation)
                expected += per_round
                fake.wait_for("chat.postMessage", expected, timeout=300, ok_only=True)
                answers = replied()
                results[scenario] += [answers[ts] - sent[ts] for ts in ordinary]
            answers = replied()
            print(f"\nReply latency of ordinary links ({per_round} per round, one every {interval:g} s, "
                  f"{rounds} rounds per scenario, alternating; `deskbot serve`, default --workers)")
            for scenario, values in results.items():
                print(f"  {scenario:30s} p50 {slack.pct(values, 0.5) * 1000:7.0f} ms   "
                      f"p95 {slack.pct(values, 0.95) * 1000:7.0f} ms   (n={len(values)})")
            hostile_latency = [answers[ts] - sent[ts] for ts in hostile_jobs if ts in answers]
            texts = {c.decoded["thread_ts"]: c.decoded.get("text", "") for c in fake.calls("chat.postMessage") if c.ok}
            example = texts.get(hostile_jobs[0], "")[:110]
            print(f"  hostile links answered: {len(hostile_latency)}/{len(hostile_jobs)}, reply after "
                  f"{max(hostile_latency, default=0) * 1000:.0f} ms at most; e.g. {example!r}")
        finally:
            bot.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer ordinary links per round")
    parser.add_argument("--skip-cases", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-sources", action="store_true", help="skip issue 18's papers and transcripts")
    args = parser.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    logging.basicConfig(level=logging.ERROR)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not args.skip_cases:
        case_bench()
    if not args.skip_sources:
        source_bench()
    if not args.skip_latency:
        latency_bench(rounds=2, per_round=6 if args.quick else 12, interval=0.25)


if __name__ == "__main__":
    main()
