"""HTTP-edge bench (issue 13, row 9): four parallel unsigned 200 MB POSTs to /slack/events.

    python bench/edge.py               # 4 × 200 MB
    python bench/edge.py --mb 50 --parallel 2

Two servers, same run, same requests, each a process of its own on 127.0.0.1:
  before  deskbot's Bolt app behind Bolt's bare WSGI handler under waitress's default settings — what
          `deskbot serve` was before the edge checks (the body is read in full and parsed before the
          signature check);
  after   the real `deskbot serve` (waitress `max_request_body_size` = 1 MB + ``bot.server.refuse_early``).
Printed per server: statuses, wall time until every request was answered, MB the senders got to send,
the server process's peak RSS (VmHWM) and CPU time spent on the burst.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.slack import SECRET, Process, Remote, cpu_ms, memory_mb_main  # noqa: E402

CHUNK = 1024 * 1024


def serve_before() -> None:
    """The baseline server: deskbot's app, Bolt's bare WSGI handler, waitress defaults (the old run_http)."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from waitress.server import create_server

    from bot.config import Settings
    from bot.kb.store import Store
    from bot.slack.app import create_app

    settings = Settings.from_env()
    app = create_app(settings, Store.open(settings.db_path), capture_processes=False)
    server = create_server(SlackRequestHandler(app, path="/slack/events"), host="127.0.0.1", port=0, threads=8,
                           ident="deskbot")
    print(f"before listening on http://127.0.0.1:{server.effective_port}/slack/events job processes ready",
          file=sys.stderr, flush=True)
    server.run()


def post_unsigned(base: str, megabytes: int, out: list[tuple[str, float, float]]) -> None:
    """Stream one unsigned POST of ``megabytes``; stop sending as soon as the server answers."""
    host, port = base.removeprefix("http://").split("/")[0].split(":")
    start, sent, status = time.perf_counter(), 0, "no answer"
    total = megabytes * CHUNK
    chunk = b" " * CHUNK
    try:
        with socket.create_connection((host, int(port)), timeout=600) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n{" % total)
            sent = 1
            answer = b""
            while True:
                readable, writable, _ = select.select([sock], [sock] if sent < total else [], [], 600)
                if readable:
                    data = sock.recv(65536)
                    answer += data
                    if not data or b"\r\n" in answer:
                        break
                elif writable:
                    n = min(CHUNK, total - sent)
                    sock.sendall(chunk[:n])
                    sent += n
            status = answer.split(b"\r\n", 1)[0].decode("latin-1") or "closed"
    except OSError as exc:
        status = f"{type(exc).__name__}"
    out.append((status, time.perf_counter() - start, sent / CHUNK))


def burst(name: str, server: Process, megabytes: int, parallel: int) -> None:
    base = server.wait_ready()
    pid = server.proc.pid
    _, peak_before = memory_mb_main(pid)
    cpu_before = cpu_ms(pid)
    results: list[tuple[str, float, float]] = []
    threads = [threading.Thread(target=post_unsigned, args=(base, megabytes, results)) for _ in range(parallel)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    _, peak = memory_mb_main(pid)
    cpu = cpu_ms(pid) - cpu_before
    statuses = sorted({r[0] for r in results})
    print(f"{name:7} {parallel} × {megabytes} MB unsigned: {', '.join(statuses)} · all answered in {wall:6.2f} s"
          f" · sent {sum(r[2] for r in results):7.1f} MB · server peak RSS {peak_before:6.0f} → {peak:6.0f} MB"
          f" · server CPU {cpu:7.0f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="size of each POST in MB")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--serve-before", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_before:
        serve_before()
        return
    remote = Remote()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DESKBOT_"))}
        env.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=remote.slack_url,
                   DESKBOT_CHANNELS="C0BENCH", DESKBOT_SUMMARIZER="extractive", PYTHONPATH=str(ROOT))
        print(f"edge: {args.parallel} parallel unsigned POSTs of {args.mb} MB to /slack/events (loopback)")
        servers = [
            ("before", [sys.executable, str(Path(__file__).resolve()), "--serve-before"], "before.db"),
            ("after", [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0", "--no-clock",
                       "--workers", "1"], "after.db"),
        ]
        for name, command, db in servers:
            server = Process(command, {**env, "DESKBOT_DB": str(Path(tmp) / db)}, tmp)
            try:
                burst(name, server, args.mb, args.parallel)
            finally:
                server.stop()
    remote.close()


if __name__ == "__main__":
    main()
