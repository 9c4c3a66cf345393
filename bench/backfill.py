"""Backfill benchmark: a channel's past clipped end to end, against a local site and the Slack stand-in.

    python bench/backfill.py                  # 2,000-link export + API path under Tier 3 and 1/min + baseline
    python bench/backfill.py --links 300 --api-links 100 --baseline-sample 10     # a quick run

1. Export path: ``deskbot import-slack-export`` as a real process on a generated 2,000-link export (one
   link per message, a year of days), every link a saved page of ``tests/fixtures/pages/`` (titles made
   distinct) served by a threaded HTTP server on 127.0.0.1 in this process. Wall time, links/s, and the
   child's peak RSS.
2. Baseline, same run: the same kind of links done one ``deskbot ingest URL`` process at a time — a
   sample (``--baseline-sample``), extrapolated linearly to all the links.
3. API path: ``deskbot backfill`` (in this process, click's runner) against the Slack stand-in with its
   per-method rate limit set to Tier 3 (50 calls/min, 200-message pages asked, 1,000 allowed) and to the
   2025 reduced regime (1 call/min, 15 messages a page). Time is *simulated*: the stand-in's limiter and
   slack-sdk's ``RateLimitErrorRetryHandler`` share a virtual clock — the handler's ``time.sleep`` is
   replaced, in this bench only, by one that advances that clock — so an hour-long read takes seconds of
   real time while every 429, ``Retry-After`` and retry really happens over HTTP. Printed: the curve of
   messages read against simulated minutes, and what a year of this channel costs under each regime.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.pages.corpus import load_corpus  # noqa: E402

DAY = 86_400
YEAR_START = 1_735_689_600  # 2025-01-01
CHANNEL = "C07RSRCH01"


# --------------------------------------------------------------------------- the local site


class Site:
    """Serves /p/<n>/<page>: the saved page with its title numbered (every URL a distinct work)."""

    def __init__(self) -> None:
        self.pages = {p.name: p.data for p in load_corpus(with_huge=False)}
        self.names = sorted(self.pages)
        self.hits = 0
        self.lock = threading.Lock()
        self.base = ""

    def path(self, n: int) -> str:
        return f"/p/{n}/{self.names[n % len(self.names)]}"

    def body(self, path: str) -> bytes | None:
        match = re.match(r"^/p/(\d+)/([\w-]+)$", path)
        if not match or match[2] not in self.pages:
            return None
        return re.sub(rb"(<title[^>]*>)", lambda m: m[1] + f"{match[1]} · ".encode(), self.pages[match[2]], count=1)


@contextmanager
def serve(site: Site) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            body = site.body(self.path)
            with site.lock:
                site.hits += 1
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            payload = body or b"not found"
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- messages and the export


def messages(site: Site, links: int, chatter: int, threads: int, first: int = 0) -> list[dict[str, Any]]:
    """A year of a channel: ``links`` posts with one link each among ``chatter`` posts without, and
    ``threads`` of the link posts with one reply (no link) each; users rotate."""
    template = json.loads((ROOT / "tests/fixtures/slack/export/research/2025-03-03.json").read_text())[0]
    users = ["U07ANA0001", "U07BEN0002", "U07CHO0003", "U07DAN0004"]
    total = links + chatter
    every = total // links
    out, linked = [], []
    for i in range(total):
        message = dict(template, ts=f"{YEAR_START + int(i * 365 * DAY / total)}.{i % 1000:03d}100",
                       user=users[i % len(users)], text="agreed, see you at the reading group", blocks=[])
        if i % every == 0 and len(linked) < links:
            url = site.base + site.path(first + len(linked))
            message["text"] = f"worth reading <{url}>"
            message["blocks"] = [{"type": "rich_text", "block_id": "b", "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "worth reading "},
                                                           {"type": "link", "url": url}]}]}]
            linked.append(message)
        out.append(message)
    for parent in linked[:threads]:
        parent.update(thread_ts=parent["ts"], reply_count=1)
        out.append(dict(template, ts=f"{parent['ts'].split('.')[0]}.999900", user=users[0], thread_ts=parent["ts"],
                        text="thanks!", blocks=[]))
    return out


def build_export(path: Path, msgs: list[dict[str, Any]]) -> None:
    days: dict[str, list[dict[str, Any]]] = {}
    for m in msgs:
        day = time.strftime("%Y-%m-%d", time.gmtime(float(m["ts"])))
        days.setdefault(day, []).append(m)
    channel = {"id": CHANNEL, "name": "research", "created": YEAR_START, "creator": "U07ANA0001",
               "is_archived": False, "is_general": False, "members": [], "topic": {"value": ""},
               "purpose": {"value": ""}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("channels.json", json.dumps([channel]))
        zf.writestr("users.json", json.dumps([{"id": "U07ANA0001", "name": "ana"}]))
        for day, items in sorted(days.items()):
            zf.writestr(f"research/{day}.json", json.dumps(items))


def env_for(db: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DESKBOT_"))}
    env.update(DESKBOT_DB=str(db), DESKBOT_FETCH_ALLOW="127.0.0.1", DESKBOT_SUMMARIZER="extractive", **more)
    return env


# --------------------------------------------------------------------------- 1 + 2: export path and baseline


def export_run(site: Site, links: int, workers: int, tmp: Path) -> dict[str, float]:
    msgs = messages(site, links, chatter=links, threads=0)
    export = tmp / "export.zip"
    build_export(export, msgs)
    db = tmp / "export.db"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bot", "import-slack-export", str(export), "--channel", "research",
                           "--workers", str(workers)], env=env_for(db), cwd=tmp, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {proc.stderr[-2000:]}")
    return {"seconds": seconds, "rate": links / seconds, "rss_mb": max(peak, before) / 1024,
            "summary": proc.stdout.strip()}  # type: ignore[dict-item]


def baseline(site: Site, sample: int, tmp: Path, first: int) -> float:
    """Seconds per link, one `deskbot ingest` process each (sequential, as a shell loop would)."""
    db = tmp / "baseline.db"
    start = time.perf_counter()
    for n in range(sample):
        proc = subprocess.run([sys.executable, "-m", "bot", "ingest", site.base + site.path(first + n)],
                              env=env_for(db), cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"ingest failed: {proc.stdout[-500:]} {proc.stderr[-1000:]}")
    return (time.perf_counter() - start) / sample


# --------------------------------------------------------------------------- 3: the API path, simulated time


class VirtualTime:
    """Real monotonic time plus every wait slack-sdk's rate-limit handler was asked to sleep."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.offset += seconds


@contextmanager
def simulated_sleep(virtual: VirtualTime) -> Any:
    from slack_sdk.http_retry import builtin_handlers

    real = builtin_handlers.time

    class Shim:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        sleep = staticmethod(virtual.sleep)

    builtin_handlers.time = Shim()  # type: ignore[assignment]
    try:
        yield
    finally:
        builtin_handlers.time = real


def api_run(site: Site, links: int, threads: int, regime: str, tmp: Path, workers: int, first: int) -> dict[str, Any]:
    from click.testing import CliRunner

    from bot.cli import cli
    from tests.fakes.slack_api import FakeSlackAPI

    virtual = VirtualTime()
    msgs = messages(site, links, chatter=2 * links, threads=threads, first=first)
    calls, page = (50, 1000) if regime == "tier3" else (1, 15)
    db = tmp / f"api-{regime}.db"
    log: list[tuple[float, str, bool]] = []
    with FakeSlackAPI(ts_base=1_764_000_000) as fake, simulated_sleep(virtual):
        fake.add_channel(CHANNEL, "research", is_member=True)
        fake.add_history(CHANNEL, msgs)
        fake.history_page_size = page
        fake.replies_page_size = page
        for method in ("conversations.history", "conversations.replies"):
            limit = fake.limit(method, calls=calls, per=60.0, clock=virtual.clock)
            check = limit.check

            def logged(check: Any = check, method: str = method) -> int | None:
                wait = check()
                log.append((virtual.clock(), method, wait is None))
                return wait

            limit.check = logged  # type: ignore[method-assign]
        start_virtual, start = virtual.clock(), time.perf_counter()
        env = env_for(db, SLACK_API_URL=fake.base_url, SLACK_BOT_TOKEN="xoxb-bench")
        result = CliRunner().invoke(cli, ["backfill", CHANNEL, "--workers", str(workers)], env=env)
        seconds = time.perf_counter() - start
        if result.exit_code != 0:
            raise SystemExit(f"backfill failed: {result.output[-2000:]}")
    served = [(t - start_virtual, m) for t, m, ok in log if ok]
    read = 0
    curve: list[tuple[float, int]] = []
    by_ts = {m["ts"]: m for m in msgs}
    top = sorted((m for m in msgs if m.get("thread_ts") in (None, m["ts"])), key=lambda m: -float(m["ts"]))
    for t, method in served:
        asked = min(page, 200)  # deskbot asks for 200 a page; the reduced regime answers 15
        read += min(asked, len(top) - read) if method == "conversations.history" and read < len(top) else 1
        curve.append((t, min(read, len(by_ts))))
    return {"regime": regime, "messages": len(msgs), "links": links, "threads": threads,
            "simulated_min": (virtual.clock() - start_virtual) / 60, "seconds": seconds,
            "limited": sum(1 for _, _, ok in log if not ok), "calls": len(served), "curve": curve,
            "summary": result.output.strip().splitlines()[-1]}


def year_cost(messages_per_year: int, threads_per_year: int) -> tuple[float, float]:
    """Minutes of reading a year: (Tier 3: 200/page, 50 calls/min; reduced: 15/page, 1 call/min)."""
    tier3 = (math.ceil(messages_per_year / 200) + threads_per_year) / 50
    reduced = (math.ceil(messages_per_year / 15) + threads_per_year) / 1
    return tier3, reduced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=2000, help="links in the export run")
    parser.add_argument("--api-links", type=int, default=300, help="links in each API-path run")
    parser.add_argument("--baseline-sample", type=int, default=30, help="`deskbot ingest` processes timed")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    site = Site()
    with serve(site), tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print(f"backfill bench · python {sys.version.split()[0]} · {os.cpu_count()} cpus · pages from "
              f"{len(site.names)} saved corpus pages on {site.base}")
        ex = export_run(site, args.links, args.workers, tmp)
        print(f"\nexport path: {args.links:,} links ({args.links:,} messages without links too), "
              f"`deskbot import-slack-export`, {args.workers} clip threads, one process")
        print(f"  {ex['summary']}")
        print(f"  wall {ex['seconds']:7.1f} s   {ex['rate']:6.1f} links/s   peak RSS {ex['rss_mb']:.0f} MB "
              "(the whole child process)")
        per = baseline(site, args.baseline_sample, tmp, first=args.links)
        print(f"  baseline: one `deskbot ingest` process per link: {per:.2f} s/link over a sample of "
              f"{args.baseline_sample} → {per * args.links / 60:.1f} min for {args.links:,} links (extrapolated), "
              f"{1 / per:.1f} links/s — backfill is {ex['rate'] * per:.0f}x faster")
        threads = max(1, args.api_links // 2)  # enough calls that Tier 3's 50 a minute binds too
        print(f"\nAPI path: `deskbot backfill` against the stand-in's rate limits, {args.api_links} links in "
              f"{args.api_links * 3 + threads} messages ({threads} threads); simulated time (see the docstring)")
        for n, regime in enumerate(("tier3", "reduced")):
            run = api_run(site, args.api_links, threads, regime, tmp, args.workers,
                          first=args.links + args.baseline_sample + n * args.api_links)
            name = "Tier 3 (50 calls/min, 200 a page)" if regime == "tier3" else "reduced (1 call/min, 15 a page)"
            print(f"  {name}: read {run['messages']} messages in {run['calls']} calls, {run['limited']} answered "
                  f"429; simulated {run['simulated_min']:.1f} min; real {run['seconds']:.1f} s")
            print(f"    {run['summary']} · {run['links'] / run['seconds']:.1f} links/s real")
            points = run["curve"]
            marks = sorted({min(len(points) - 1, int(len(points) * q)) for q in (0.1, 0.25, 0.5, 0.75, 1.0)})
            print("    curve (simulated min → messages read): " + "  ".join(
                f"{points[i][0] / 60:.1f}→{points[i][1]}" for i in marks))
        print(f"  peak RSS of this process (site, stand-in and both backfills in it): "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        tier3, reduced = year_cost(args.links * 3, args.links // 10)
        print(f"\na year of a channel like the export's ({args.links * 3:,} messages, {args.links // 10} threads):"
              f" Tier 3 ≈ {tier3:.1f} min of reading; reduced ≈ {reduced / 60:.1f} h ({reduced / 60 / 24:.1f} days)")


if __name__ == "__main__":
    main()
