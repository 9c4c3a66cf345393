"""`deskbot web` page latency over loopback HTTP, beside Datasette's bare table page on the same database.

    python bench/web.py                 # 100k notes / 1M claims (bench/kb.py's store, built once)
    python bench/web.py --notes 10000   # quicker

A real `deskbot web --port 0` process serves the store; requests go one at a time over loopback, so each
figure is the server's time plus a loopback round trip. Pages: home (counts are remembered until someone
commits, so it is measured both ways: a commit before each request makes it recount), a note page (a
different note each request), claims on a topic (bench/kb.py's common / medium / rare / two-word topics)
and the stale page.
Baseline, same run and server: Datasette's own table page for the claims table (`/kb/claims`).
Target: home, note and claims p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from kb import COMMON, MEDIUM, OUT, RARE, build_store, pct  # noqa: E402  (bench/kb.py's data builder)


def fetch(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return (time.perf_counter() - start) * 1000, response.status, len(body)


def start_web(db: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", "0", "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("deskbot web: "):
        proc.kill()
        raise SystemExit(f"deskbot web did not start: {line}{proc.stderr.read()}")
    return proc, line.split()[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=100_000, help="notes in the store (10 claims each)")
    parser.add_argument("--rounds", type=int, default=30, help="requests per page kind and topic")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    store, _ = build_store(OUT / f"kb-{args.notes}.db", args.notes)
    counts = store.counts()
    ids = [r[0] for r in store.conn.execute("SELECT id FROM notes ORDER BY random() LIMIT ?", (args.rounds * 4,))]
    db = Path(store.path)
    store.close()
    topics = [COMMON, *MEDIUM, *RARE, f"{COMMON} {MEDIUM[0]}", f"{MEDIUM[1]} {RARE[0]}"]
    rng = random.Random(5)
    pages = {
        "home  /": lambda: "/",
        "home  / after a commit": lambda: (commit(), "/")[1],
        "note  /note/ID": lambda: f"/note/{rng.choice(ids)}",
        "claims /claims?q=TOPIC": lambda: f"/claims?q={quote(rng.choice(topics))}",
        "stale /stale": lambda: "/stale",
        "baseline: Datasette /kb/claims": lambda: "/kb/claims",
    }
    writer = sqlite3.connect(db, isolation_level=None)

    def commit() -> None:  # what the running bot does between two page views: the home page recounts
        writer.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('bench_web', ?)", (str(time.time()),))

    proc, url = start_web(db)
    try:
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        for make in pages.values():  # warm the page cache and Datasette's schema cache; not counted
            for _ in range(3):
                fetch(conn, make())
        times: dict[str, list[float]] = {name: [] for name in pages}
        rounds = args.rounds * (len(topics) // 3)
        for _ in range(rounds):
            for name, make in pages.items():
                ms, status, size = fetch(conn, make())
                if status != 200:
                    raise SystemExit(f"{name} answered {status}")
                times[name].append(ms)
        conn.close()
    finally:
        writer.close()
        proc.terminate()
        proc.wait(timeout=30)
    print(f"deskbot web over loopback HTTP: {rounds} requests per page on {db.name} "
          f"({counts['notes']:,} notes / {counts['claims']:,} claims), one at a time")
    for name, values in times.items():
        target = "   (target p95 < 100 ms)" if name.split()[0] in ("home", "note", "claims") else ""
        print(f"  {name:32s} p50 {pct(values, .5):7.2f} ms   p95 {pct(values, .95):7.2f} ms   "
              f"p99 {pct(values, .99):7.2f} ms   max {max(values):7.2f} ms{target}")


if __name__ == "__main__":
    main()
