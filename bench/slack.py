"""Slack-side bench: ack latency under a link burst, and /claim latency server-side at 1M claims.

    python bench/slack.py                  # 4 bursts of 50 link messages; /claim on bench/out/kb-100000.db
    python bench/slack.py --bursts 2 --kb bench/out/kb-10000.db

Every figure is printed next to a baseline measured in the same run:
  ack     the real `deskbot serve` process (waitress, Bolt, signature check, enqueue in SQLite, capture
          workers clipping the burst's articles from a local site in the background) vs a bare WSGI app
          that answers 200, served by waitress the same way (same threads, same signed requests).
  /claim  the whole Bolt dispatch of a signed `/claim` request (verification, routing, lookup, Block Kit,
          JSON) in-process vs the bare `answers.claim_lookup` it wraps; on the knowledge-base bench's
          store (100k notes / 1M claims, built by `python bench/kb.py` when missing — or say so).
Targets: ack p99 < 10 ms, ack cost <= 2x the bare baseline, /claim p99 < 50 ms server-side.
Slack is a local stand-in (tests/fakes), the articles a local site: nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
READY = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
WARM = re.compile(r"job processes ready|bare listening")
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
THREADS = 8  # waitress threads, both servers (bot.server.run_http's default)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- servers as processes


def serve_bare() -> None:
    """The baseline: a WSGI app that answers 200 with an empty body, under waitress like deskbot."""
    from waitress.server import create_server

    def app(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    server = create_server(app, host="127.0.0.1", port=0, threads=THREADS, ident="deskbot")
    print(f"bare listening on http://127.0.0.1:{server.effective_port}/slack/events", file=sys.stderr, flush=True)
    server.run()


class Process:
    def __init__(self, args: list[str], env: dict[str, str], cwd: str) -> None:
        self.proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.base: str | None = None
        self.log: list[str] = []
        self._ready = threading.Event()
        self._warm = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            self.log.append(line)
            if (found := READY.search(line)) and self.base is None:
                self.base = found.group(1)
            self._warm = self._warm or bool(WARM.search(line))
            if self.base and self._warm:
                self._ready.set()
        self._ready.set()

    def wait_ready(self) -> str:
        """Listening, and (deskbot) its capture processes spawned: their imports are not part of a burst."""
        self._ready.wait(60)
        if self.base is None:
            raise SystemExit("server did not start:\n" + "".join(self.log))
        return self.base

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB of a process plus its children (the capture worker processes)."""
    def status(p: int) -> dict[str, float]:
        try:
            lines = Path(f"/proc/{p}/status").read_text().splitlines()
        except OSError:
            return {}
        return {k: int(v.split()[0]) / 1024 for k, _, v in (line.partition(":") for line in lines)
                if k in ("VmRSS", "VmHWM")}

    def children(p: int) -> list[int]:
        kids: list[int] = []
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                kids += [int(c) for c in (task / "children").read_text().split()]
        return kids + [g for k in kids for g in children(k)]

    pids = [pid, *children(pid)]
    stats = [status(p) for p in pids]
    return sum(s.get("VmRSS", 0) for s in stats), sum(s.get("VmHWM", 0) for s in stats)


def memory_mb_main(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB of the server process alone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0, 0.0
    found = {k: int(v.split()[0]) / 1024 for k, _, v in (line.partition(":") for line in lines)
             if k in ("VmRSS", "VmHWM")}
    return found.get("VmRSS", 0.0), found.get("VmHWM", 0.0)


# --------------------------------------------------------------------------- ack latency


def burst(url: str, bodies: list[bytes], concurrency: int) -> list[float]:
    from tests.fakes import http
    from tests.fakes.signing import signed_headers

    def one(body: bytes) -> float:
        headers = signed_headers(SECRET, body)
        start = time.perf_counter()
        status, _, _ = http.post(url, body, headers)
        elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            raise SystemExit(f"unexpected HTTP {status} from {url}")
        return elapsed

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, bodies))


WORKERS: list[int] = []


def ack_bench(bursts: int, size: int, concurrency: int, *, network_bound: bool) -> None:
    """One scenario: a fresh `deskbot serve` and bare server; bursts interleaved between them."""
    from tests.fakes.signing import event_envelope, json_body
    from tests.fakes.slack_api import FakeSlackAPI
    from tests.listeners.harness import link_event, serve_articles

    with tempfile.TemporaryDirectory() as tmp, FakeSlackAPI() as fake, serve_articles() as site:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DESKBOT_"))}
        env.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.base_url,
                   DESKBOT_DB=str(Path(tmp) / "bench.db"), DESKBOT_CHANNELS="C0CHANNEL",
                   DESKBOT_FETCH_ALLOW="127.0.0.1", DESKBOT_SUMMARIZER="extractive")
        serve = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0", "--no-clock"]
        bot = Process(serve + (["--workers", str(WORKERS[0])] if WORKERS else []), env, tmp)
        bare = Process([sys.executable, str(Path(__file__).resolve()), "--serve-bare"], env, tmp)
        try:
            targets = {"deskbot serve": bot.wait_ready() + "/slack/events",
                       "bare WSGI 200": bare.wait_ready() + "/slack/events"}
            counter = iter(range(1_000_000))

            def bodies(n: int) -> list[bytes]:
                return [json_body(event_envelope(link_event(site.url(next(counter), slow=network_bound))))
                        for _ in range(n)]

            idle_rss, _ = memory_mb(bot.proc.pid)
            main_idle, _ = memory_mb_main(bot.proc.pid)
            results: dict[str, list[float]] = {name: [] for name in targets}
            for url in targets.values():
                burst(url, bodies(10), concurrency)  # warm-up: connections, first SQLite pages
            for _ in range(bursts):  # interleaved, so both see the same machine state
                for name, url in targets.items():
                    results[name] += burst(url, bodies(size), concurrency)
            site.gate.set()  # network-bound scenario: the slow site answers now
            sent = bursts * size + 10
            fake.wait_for("chat.postMessage", sent, timeout=300, ok_only=True)
            answered = len([c for c in fake.calls("chat.postMessage") if c.ok])
            _, peak_rss = memory_mb(bot.proc.pid)
            _, main_peak = memory_mb_main(bot.proc.pid)
        finally:
            bot.stop()
            bare.stop()
    ours, base = results["deskbot serve"], results["bare WSGI 200"]
    what = ("captures waiting on the network (the site answers after the bursts)" if network_bound else
            "captures CPU-bound meanwhile (the local site answers at once)")
    print(f"\nack latency, {what}: {bursts} bursts x {size} signed link events, {concurrency} concurrent senders,"
          " round trip over loopback HTTP")
    for name, values in results.items():
        print(f"  {name:16s} p50 {pct(values, .5):7.2f} ms   p99 {pct(values, .99):7.2f} ms   "
              f"max {max(values):7.2f} ms   (n={len(values)})")
    print(f"  ratio deskbot/bare      p50 {pct(ours, .5) / pct(base, .5):5.2f}x   "
          f"p99 {pct(ours, .99) / pct(base, .99):5.2f}x   (targets: p99 < 10 ms, <= 2x)")
    print(f"  every link answered: {answered}/{sent} thread replies")
    print(f"  deskbot serve memory: server process {main_idle:.0f} MB idle, peak {main_peak:.0f} MB under the bursts;"
          f" with its capture worker processes {idle_rss:.0f} MB idle, peak {peak_rss:.0f} MB (sum of peaks)")


# --------------------------------------------------------------------------- /claim server-side


def claim_bench(kb: Path | None, rounds: int) -> None:
    from slack_bolt.request import BoltRequest

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from kb import COMMON, MEDIUM, RARE, build_store  # bench/kb.py: the knowledge-base bench's store

    from bot.answers import claim_lookup
    from bot.app import create_app
    from bot.capture.pipeline import CaptureOptions
    from bot.config import Settings
    from bot.store import Store
    from tests.fakes.signing import signed_headers, slash_command_body
    from tests.fakes.slack_api import FakeSlackAPI

    note = ""
    path = kb or OUT / "kb-100000.db"
    if not path.exists():
        note = (f"  NOTE: {path.name} not found (`python bench/kb.py` builds it, ~10 min); "
                "using kb-10000.db: 10k notes / 100k claims, built now if missing\n")
        path = OUT / "kb-10000.db"
        OUT.mkdir(parents=True, exist_ok=True)
        build_store(path, 10_000)[0].close()
    store = Store.open(str(path))
    counts = store.counts()
    today = __import__("datetime").date(2026, 11, 30)
    mix = [COMMON] * 3 + MEDIUM + RARE + [f"{COMMON} {MEDIUM[0]}", f"{MEDIUM[1]} {RARE[0]}", "nonexistentword",
                                          '"NOT rlvr', "x" * 5000]
    with FakeSlackAPI() as fake:
        settings = Settings(db_path=str(path), bot_token="xoxb-bench", signing_secret=SECRET,
                            slack_api_url=fake.base_url)
        app = create_app(settings, store, clock=lambda: __import__("datetime").datetime(2026, 11, 30, 10),
                         capture_options=CaptureOptions())
        dispatch: list[float] = []
        lookup: list[float] = []
        worst: dict[str, float] = {}
        for round_ in range(rounds + 1):  # round 0 warms the page cache and is not counted
            for topic in mix:
                body = slash_command_body("/claim", topic).decode()
                headers = signed_headers(SECRET, body)
                start = time.perf_counter()
                response = app.dispatch(BoltRequest(body=body, headers=headers))
                elapsed = (time.perf_counter() - start) * 1000
                if round_:
                    dispatch.append(elapsed)
                    worst[topic[:20]] = max(worst.get(topic[:20], 0.0), elapsed)
                if response.status != 200 or '"blocks"' not in response.body:
                    raise SystemExit(f"/claim {topic[:20]!r} answered {response.status}: {response.body[:200]}")
                start = time.perf_counter()
                claim_lookup(store, topic[:500], today)
                if round_:
                    lookup.append((time.perf_counter() - start) * 1000)
    print(f"\n/claim server-side: {len(mix)} topics x {rounds} rounds on {path.name} "
          f"({counts['notes']:,} notes / {counts['claims']:,} claims)")
    print(note, end="")
    print(f"  Bolt dispatch of /claim   p50 {pct(dispatch, .5):7.2f} ms   p99 {pct(dispatch, .99):7.2f} ms   "
          f"max {max(dispatch):7.2f} ms   (target p99 < 50 ms)")
    print(f"  bare claim_lookup         p50 {pct(lookup, .5):7.2f} ms   p99 {pct(lookup, .99):7.2f} ms")
    slowest = sorted(worst.items(), key=lambda kv: -kv[1])[:3]
    print("  slowest topics (max dispatch): " + ", ".join(f"{t!r} {ms:.1f} ms" for t, ms in slowest))
    print(f"  ratio dispatch/lookup     p50 {pct(dispatch, .5) / pct(lookup, .5):5.2f}x   "
          f"p99 {pct(dispatch, .99) / pct(lookup, .99):5.2f}x   (Slack's cap is 3 s)")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bursts", type=int, default=6)
    parser.add_argument("--size", type=int, default=50, help="link messages per burst")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent senders")
    parser.add_argument("--kb", type=Path, help="store for /claim (default bench/out/kb-100000.db)")
    parser.add_argument("--rounds", type=int, default=10, help="/claim rounds over the topic mix")
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help="deskbot serve --workers (default: its own default)")
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare()
        return
    if args.workers:
        WORKERS.append(args.workers)
    print(f"deskbot Slack bench · python {sys.version.split()[0]} · {os.cpu_count()} cpus · everything "
          "(senders, servers, capture processes, fake Slack, article site) on this machine")
    ack_bench(args.bursts, args.size, args.concurrency, network_bound=False)
    ack_bench(args.bursts, args.size, args.concurrency, network_bound=True)
    claim_bench(args.kb, args.rounds)


if __name__ == "__main__":
    main()
