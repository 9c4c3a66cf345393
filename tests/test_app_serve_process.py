"""`deskbot serve` / `deskbot retry` as real processes: kill -9 mid-ingest loses nothing and doubles nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.kb.store import Store
from bot.slack import queue
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import (
    SECRET,
    ArticleSite,
    HttpBot,
    SocketLink,
    envelope,
    link_event,
    serve_articles,
)

READY = re.compile(r"deskbot listening on (http://127\.0\.0\.1:\d+)/slack/events")


def bot_env(fake: FakeSlackAPI, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DESKBOT_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.base_url,
               DESKBOT_DB=str(db), DESKBOT_CHANNELS="C0CHANNEL", DESKBOT_FETCH_ALLOW="127.0.0.1",
               DESKBOT_SUMMARIZER="extractive")
    return env


SERVE = ("serve", "--host", "127.0.0.1", "--port", "0", "--no-clock", "--workers", "4")  # 4: the kill test counts them


class ServerProcess:
    """`python -m bot serve` (or `run`) as a real process; its log is read on a thread (no pipe stalls)."""

    def __init__(self, env: dict[str, str], cwd: Path, args: tuple[str, ...] = SERVE,
                 ready: re.Pattern[str] = READY) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.ready = ready
        self.lines: list[str] = []
        self.base: str | None = None
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line)
                if (found := self.ready.search(line)) and self.base is None:
                    self.base = found.group(found.lastindex or 0)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_ready(self, timeout: float = 20.0) -> str:
        with self._cond:
            self._cond.wait_for(lambda: self.base is not None or self.proc.poll() is not None, timeout=timeout)
            if self.base is None:
                raise AssertionError("deskbot serve did not start:\n" + "".join(self.lines))
            return self.base

    def log(self) -> str:
        with self._cond:
            return "".join(self.lines)


@contextmanager
def server(env: dict[str, str], cwd: Path, args: tuple[str, ...] = SERVE,
           ready: re.Pattern[str] = READY) -> Iterator[ServerProcess]:
    process = ServerProcess(env, cwd, args, ready)
    try:
        yield process
    finally:
        if process.proc.poll() is None:
            process.proc.kill()
        process.proc.wait(10)


@pytest.fixture
def site() -> Iterator[ArticleSite]:
    with serve_articles() as articles:
        yield articles


def test_kill_9_mid_ingest_then_restart_loses_nothing_and_doubles_nothing(tmp_path, site):
    db = tmp_path / "deskbot.db"
    links = 6
    with FakeSlackAPI() as fake:
        env = bot_env(fake, db)
        events = [link_event(site.url(n, slow=True)) for n in range(links)]
        with server(env, tmp_path) as first:
            bot = HttpBot(app=None, fake=fake, store=None, base=first.wait_ready())  # type: ignore[arg-type]
            for event in events:
                ack = bot.event(envelope(event))
                assert ack.status == 200 and ack.seconds < 3
            site.wait_hits(4, timeout=60)  # patience, not a speed claim: the 4 workers are blocked fetching: 4 jobs running, 2 pending
            first.proc.send_signal(signal.SIGKILL)
            assert first.proc.wait(10) == -signal.SIGKILL
        assert not [c for c in fake.calls("chat.postMessage") if c.ok]
        snapshot = Store.open(str(db))
        assert queue.counts(snapshot) == {"pending": links - 4, "running": 4, "done": 0, "failed": 0}
        snapshot.close()

        site.gate.set()  # the site answers at once now
        with server(env, tmp_path) as second:
            bot = HttpBot(app=None, fake=fake, store=None, base=second.wait_ready())  # type: ignore[arg-type]
            for event in events:  # Slack retries the deliveries it never got an answer for: no effect
                assert bot.event(envelope(event), retry=1).status == 200
            fake.wait_for("chat.postMessage", links, timeout=30, ok_only=True)
            second.proc.send_signal(signal.SIGTERM)  # graceful: running jobs finish, then exit 0
            assert second.proc.wait(15) == 0, second.log()
            assert "resuming 4 interrupted capture job(s)" in second.log()

        posts = [c.decoded for c in fake.calls("chat.postMessage") if c.ok]
        assert sorted(p["thread_ts"] for p in posts) == sorted(e["ts"] for e in events)
        store = Store.open(str(db))
        assert store.counts()["notes"] == links
        assert queue.counts(store) == {"pending": 0, "running": 0, "done": links, "failed": 0}
        store.close()
        assert "xoxb-test" not in second.log() and SECRET not in second.log()


def test_deskbot_run_answers_over_socket_mode_as_a_real_process(tmp_path, site):
    """`deskbot run`: apps.connections.open on the fake, then envelopes over a local websocket."""
    link = SocketLink()
    try:
        with FakeSlackAPI(socket_mode_url=link.url) as fake:
            env = {**bot_env(fake, tmp_path / "deskbot.db"), "SLACK_APP_TOKEN": "xapp-1-test"}
            del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none
            with server(env, tmp_path, ("run", "--no-clock"), re.compile(r"(connected over Socket Mode)")) as bot:
                bot.wait_ready()
                event = link_event(site.url(1))
                payload = envelope(event)
                assert link.send("events_api", payload).status == 200
                [post] = fake.wait_for("chat.postMessage", ok_only=True, timeout=30)
                assert post.decoded["thread_ts"] == event["ts"]
                assert link.send("events_api", payload, retry_attempt=1, retry_reason="timeout").status == 200
                claim = link.send("slash_commands", {"command": "/claim", "text": "slow notes", "user_id": "U0ANN",
                                                     "channel_id": "C0CHANNEL", "team_id": "T0TEAM",
                                                     "response_url": fake.hook_url(), "trigger_id": "1.2.3"},
                                  accepts_response_payload=True)
                assert "The case for slow notes, part 1" in json.dumps(claim.json)
                bot.proc.send_signal(signal.SIGTERM)
                assert bot.proc.wait(15) == 0, bot.log()
            assert len([c for c in fake.calls("chat.postMessage") if c.ok]) == 1
    finally:
        link.close()


def test_deskbot_run_does_not_claim_a_connection_the_websocket_refused(tmp_path):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: Slack's websocket "refuses"
        with FakeSlackAPI(socket_mode_url=f"ws://127.0.0.1:{closed.getsockname()[1]}/link") as fake:
            env = {**bot_env(fake, tmp_path / "deskbot.db"), "SLACK_APP_TOKEN": "xapp-1-test"}
            warned = re.compile(r"(could not open the websocket to Slack)")
            with server(env, tmp_path, ("run", "--no-clock", "--workers", "2"), warned) as bot:
                bot.wait_ready()
                assert "connected over Socket Mode" not in bot.log()


def test_serve_without_a_token_is_a_one_line_error(tmp_path):
    with FakeSlackAPI() as fake:
        env = bot_env(fake, tmp_path / "d.db")
        del env["SLACK_BOT_TOKEN"]
        done = subprocess.run([sys.executable, "-m", "bot", "serve", "--port", "0"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "SLACK_BOT_TOKEN is not set" in done.stderr and "Traceback" not in done.stderr


def test_run_without_an_app_token_is_a_one_line_error(tmp_path):
    with FakeSlackAPI() as fake:
        env = bot_env(fake, tmp_path / "d.db")
        done = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=30)
    assert done.returncode == 1
    assert "SLACK_APP_TOKEN is not set" in done.stderr and "Traceback" not in done.stderr


def test_every_missing_or_malformed_slack_variable_is_named_at_once(tmp_path):
    with FakeSlackAPI() as fake:
        env = bot_env(fake, tmp_path / "d.db")
        env["SLACK_BOT_TOKEN"], env["SLACK_APP_TOKEN"] = "", "xoxb-not-an-app-token"
        done = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "SLACK_BOT_TOKEN is not set" in done.stderr and "SLACK_APP_TOKEN should be" in done.stderr


def test_an_unreachable_slack_api_url_is_one_line(tmp_path):
    import socket

    with FakeSlackAPI() as fake, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused, and no other
        env = bot_env(fake, tmp_path / "d.db")  # test can take the port meanwhile
        env["SLACK_API_URL"] = f"http://127.0.0.1:{closed.getsockname()[1]}/api/"
        done = subprocess.run([sys.executable, "-m", "bot", "serve", "--port", "0"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: cannot reach the Slack API at {env['SLACK_API_URL']} (Connection refused); "
        "check SLACK_API_URL and the network"]


def test_retry_command_requeues_failed_jobs(tmp_path):
    from click.testing import CliRunner

    from bot.cli import cli

    db = tmp_path / "d.db"
    store = Store.open(str(db))
    queue.enqueue(store, [queue.JobSpec(kind="url", channel="C1", ts="1.1", thread_ts="1.1", user="U1",
                                        url="https://e.example/x", canonical_url="https://e.example/x")])
    job = queue.claim_next(store)
    queue.mark_failed(store, job.id, error="HTTP 503 Service Unavailable", permanent=False)
    result = CliRunner().invoke(cli, ["retry", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "HTTP 503" in result.output and "re-queued 1 failed job" in result.output
    assert queue.counts(store)["pending"] == 1
    store.close()
