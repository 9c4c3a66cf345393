"""Slack-side bench: ack latency under a link burst, and /claim latency server-side at 1M claims.

    python bench/slack.py                  # 6 bursts of 50 link messages per scenario; /claim on bench/out/kb-100000.db
    python bench/slack.py --bursts 2 --kb bench/out/kb-10000.db

Every figure is printed next to baselines measured in the same run:
  ack     the real `deskbot serve` process (waitress, Bolt, signature check, inbox journal, capture processes
          clipping the burst's articles in the background) vs a bare WSGI app that answers 200 (the target's
          baseline) and a bare Bolt app, configured like deskbot's, whose message listener only acks (what
          Bolt itself costs) — all three served by waitress the same way, sent the same signed requests,
          bursts interleaved. Also each server's CPU time per request (from /proc).
  /claim  the whole Bolt dispatch of a signed `/claim` request (verification, routing, lookup, Block Kit,
          JSON) in-process vs the bare `answers.claim_lookup` it wraps; on the knowledge-base bench's
          store (100k notes / 1M claims, built by `python bench/kb.py` when missing — or say so).
Targets: ack p99 < 10 ms, ack cost <= 2x the bare baseline, /claim p99 < 50 ms server-side.
The Slack stand-in and the article site run in a process of their own (in production they are other
machines), so the senders' interpreter is not also serving the bot's Web API calls and page fetches;
everything stays on 127.0.0.1 and shares this machine's CPUs.
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


def serve_bare_bolt() -> None:
    """Bolt's own floor: an App configured like deskbot's whose message listener only acks, under waitress."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient
    from waitress.server import create_server

    client = WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])  # auth.test: the Slack stand-in
    app = App(client=client, signing_secret=SECRET, process_before_response=True,  # deskbot's Bolt settings
              attaching_conversation_kwargs_enabled=False, ignoring_self_assistant_message_events_enabled=False,
              attaching_function_token_enabled=False)

    @app.event("message")
    def ack_only(ack):  # noqa: ANN001, ANN202
        ack()

    server = create_server(SlackRequestHandler(app), host="127.0.0.1", port=0, threads=THREADS, ident="deskbot")
    print(f"bare listening on http://127.0.0.1:{server.effective_port}/slack/events", file=sys.stderr, flush=True)
    server.run()


def serve_remote() -> None:
    """The Slack stand-in and the article site, in their own process; driven by lines on stdin
    (``gate``: the slow pages answer now; ``wait N``: wait for N thread replies, print how many came)."""
    from tests.fakes.slack_api import FakeSlackAPI
    from tests.slack.listeners.harness import serve_articles

    with FakeSlackAPI() as fake, serve_articles() as site:
        print(f"remote {fake.base_url} {site.base}", flush=True)
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "gate":
                site.gate.set()
                print("ok", flush=True)
            elif command == "wait":
                with contextlib.suppress(AssertionError, TimeoutError):
                    fake.wait_for("chat.postMessage", int(arg), timeout=300, ok_only=True)
                print(len([c for c in fake.calls("chat.postMessage") if c.ok]), flush=True)


class Remote:
    """Drives :func:`serve_remote` in a child process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve-remote"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        _, self.slack_url, self.site_base = self.ask(None).split()

    def ask(self, command: str | None) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(30)


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far, in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


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
    """One scenario: a fresh `deskbot serve` and both baselines; bursts interleaved between them."""
    from tests.fakes.signing import event_envelope, json_body
    from tests.slack.listeners.harness import ArticleSite, link_event

    remote = Remote()
    site = ArticleSite(base=remote.site_base)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DESKBOT_"))}
        env.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=remote.slack_url,
                   DESKBOT_DB=str(Path(tmp) / "bench.db"), DESKBOT_CHANNELS="C0CHANNEL",
                   DESKBOT_FETCH_ALLOW="127.0.0.1", DESKBOT_SUMMARIZER="extractive")
        serve = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0", "--no-clock"]
        me = str(Path(__file__).resolve())
        servers = {
            "deskbot serve": Process(serve + (["--workers", str(WORKERS[0])] if WORKERS else []), env, tmp),
            "bare WSGI 200": Process([sys.executable, me, "--serve-bare"], env, tmp),
            "bare Bolt ack": Process([sys.executable, me, "--serve-bare-bolt"], env, tmp),
        }
        bot = servers["deskbot serve"]
        try:
            targets = {name: proc.wait_ready() + "/slack/events" for name, proc in servers.items()}
            counter = iter(range(1_000_000))

            def bodies(n: int) -> list[bytes]:
                return [json_body(event_envelope(link_event(site.url(next(counter), slow=network_bound))))
                        for _ in range(n)]

            idle_rss, _ = memory_mb(bot.proc.pid)
            main_idle, _ = memory_mb_main(bot.proc.pid)
            results: dict[str, list[float]] = {name: [] for name in targets}
            cpu = dict.fromkeys(targets, 0.0)
            for url in targets.values():
                burst(url, bodies(10), concurrency)  # warm-up: connections, first SQLite pages
            for _ in range(bursts):  # interleaved, so all see the same machine state
                for name, url in targets.items():
                    before = cpu_ms(servers[name].proc.pid)
                    results[name] += burst(url, bodies(size), concurrency)
                    cpu[name] += cpu_ms(servers[name].proc.pid) - before
            remote.ask("gate")  # network-bound scenario: the slow site answers now
            sent = bursts * size + 10
            answered = int(remote.ask(f"wait {sent}"))
            _, peak_rss = memory_mb(bot.proc.pid)
            _, main_peak = memory_mb_main(bot.proc.pid)
        finally:
            for proc in servers.values():
                proc.stop()
            remote.close()
    ours = results["deskbot serve"]
    what = ("captures waiting on the network (the site answers after the bursts)" if network_bound else
            "captures CPU-bound meanwhile (the local site answers at once)")
    print(f"\nack latency, {what}: {bursts} bursts x {size} signed link events, {concurrency} concurrent senders,"
          " round trip over loopback HTTP")
    for name, values in results.items():
        print(f"  {name:16s} p50 {pct(values, .5):7.2f} ms   p99 {pct(values, .99):7.2f} ms   "
              f"max {max(values):7.2f} ms   server CPU {cpu[name] / len(values):5.2f} ms/request   (n={len(values)})")
    for base in ("bare WSGI 200", "bare Bolt ack"):
        other = results[base]
        print(f"  ratio deskbot/{base[5:]:9s} p50 {pct(ours, .5) / pct(other, .5):5.2f}x   "
              f"p99 {pct(ours, .99) / pct(other, .99):5.2f}x" + ("   (targets: p99 < 10 ms, <= 2x)"
                                                               if base == "bare WSGI 200" else ""))
    print(f"  every link answered: {answered}/{sent} thread replies")
    print(f"  deskbot serve memory: server process {main_idle:.0f} MB idle, peak {main_peak:.0f} MB under the bursts;"
          f" with its capture processes {idle_rss:.0f} MB idle, peak {peak_rss:.0f} MB (sum of peaks)")


# --------------------------------------------------------------------------- /claim server-side


def claim_bench(kb: Path | None, rounds: int) -> None:
    from slack_bolt.request import BoltRequest

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from kb import COMMON, MEDIUM, RARE, build_store  # bench/kb.py: the knowledge-base bench's store

    from bot.capture.pipeline import CaptureOptions
    from bot.config import Settings
    from bot.kb.answers import claim_lookup
    from bot.kb.store import Store
    from bot.slack.app import create_app
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
    parser.add_argument("--serve-bare-bolt", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-remote", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help="deskbot serve --workers (default: its own default)")
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare()
        return
    if args.serve_bare_bolt:
        serve_bare_bolt()
        return
    if args.serve_remote:
        serve_remote()
        return
    if args.workers:
        WORKERS.append(args.workers)
    print(f"deskbot Slack bench · python {sys.version.split()[0]} · {os.cpu_count()} cpus · everything "
          "(senders, servers, capture processes, fake Slack + article site process) on this machine")
    ack_bench(args.bursts, args.size, args.concurrency, network_bound=False)
    ack_bench(args.bursts, args.size, args.concurrency, network_bound=True)
    claim_bench(args.kb, args.rounds)


if __name__ == "__main__":
    main()
