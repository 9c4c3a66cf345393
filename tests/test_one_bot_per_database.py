"""One bot and one clock per database (issue 13, row 11), with real processes: a second `deskbot serve`
or `deskbot clock` on the same file refuses to start, naming the first, while the first answers each
link once; `kill -9` of the first frees the database at once."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import HttpBot, envelope, link_event, serve_articles
from tests.test_app_serve_process import bot_env, server

SERVE_WITH_CLOCK = ("serve", "--host", "127.0.0.1", "--port", "0", "--workers", "2")
CLOCK_READY = re.compile(r"(deskbot clock) ·")


def _second(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def _status_of_oversized_post(base: str) -> bytes:
    """Send the headers of a 200 MB unsigned POST and 64 KB of it; return the status line."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % (200 * 1024 * 1024) + b"{" + b" " * 65535)
        got = b""
        while b"\r\n" not in got and (chunk := sock.recv(4096)):
            got += chunk
    return got.split(b"\r\n", 1)[0]


def test_a_second_serve_refuses_while_the_first_runs_a_job_and_kill_9_frees_the_database(tmp_path):
    db = tmp_path / "deskbot.db"
    with serve_articles() as site, FakeSlackAPI() as fake:
        env = bot_env(fake, db)
        with server(env, tmp_path, SERVE_WITH_CLOCK) as first:
            bot = HttpBot(app=None, fake=fake, store=None, base=first.wait_ready())  # type: ignore[arg-type]
            event = link_event(site.url(1, slow=True))
            assert bot.event(envelope(event)).status == 200
            site.wait_hits(1)  # the first bot's capture process is in the job (running, claimed)

            again = _second(env, tmp_path, "serve", "--host", "127.0.0.1", "--port", "0", "--no-clock")
            assert again.returncode == 1, again.stderr
            assert "already running" in again.stderr and f"pid {first.proc.pid}" in again.stderr
            assert "Traceback" not in again.stderr
            clock = _second(env, tmp_path, "clock")
            assert clock.returncode == 1 and "clock (reminders and digest) is already running" in clock.stderr

            site.gate.set()
            [post] = fake.wait_for("chat.postMessage", ok_only=True, timeout=30)
            assert post.decoded["thread_ts"] == event["ts"]
            assert _status_of_oversized_post(bot.base).startswith(b"HTTP/1.1 413")  # row 9, the real server

            first.proc.send_signal(signal.SIGKILL)
            assert first.proc.wait(10) == -signal.SIGKILL
        with server(env, tmp_path, SERVE_WITH_CLOCK) as successor:  # the kernel dropped the dead one's lock
            successor.wait_ready()
        assert site.hits == {"/slow/1": 1}  # fetched once: nobody resumed the running job behind its back
        assert len([c for c in fake.calls("chat.postMessage") if c.ok]) == 1


def test_serve_without_clock_and_one_clock_share_a_database_but_not_two_clocks(tmp_path):
    db = tmp_path / "deskbot.db"
    with FakeSlackAPI() as fake:
        env = bot_env(fake, db)
        with server(env, tmp_path, ("serve", "--host", "127.0.0.1", "--port", "0", "--no-clock", "--workers", "2")) \
                as bot, server(env, tmp_path, ("clock",), CLOCK_READY) as clock:
            bot.wait_ready()
            clock.wait_ready()
            second = _second(env, tmp_path, "clock", "--db", db.name)  # relative: the same file
            assert second.returncode == 1
            assert f"pid {clock.proc.pid} (`deskbot clock`" in second.stderr and "Traceback" not in second.stderr
            serve_with_clock = _second(env, tmp_path, *SERVE_WITH_CLOCK)
            assert serve_with_clock.returncode == 1 and "bot (job queue) is already running" in serve_with_clock.stderr
