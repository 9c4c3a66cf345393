"""A backfill killed with SIGKILL at any moment — mid-fetch, mid-read, twice — and run again ends exact:
every link clipped once, no note, mention or job doubled or lost. Real processes, real signals."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.web import QuietHandler, loopback_server, respond
from tests.slack.exports import CLIPPED, RESEARCH, build_export, channel_messages, link_messages
from tests.slack.listeners.harness import article_html, envelope, link_event, running_bot, serve_articles

ROOT = Path(__file__).resolve().parents[2]
EXTRA = [f"/k/{n % 30}" for n in range(40)]  # 40 more posts, 30 links: ten posted twice


@dataclass
class Site:
    """Serves every path as an article; requests past ``hold_after`` wait until it is raised."""

    base: str = ""
    hits: int = 0
    hold_after: float = float("inf")
    cond: threading.Condition = field(default_factory=threading.Condition)

    def wait_hits(self, count: int, timeout: float = 60.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.hits >= count, timeout), f"{self.hits} hits, expected {count}"

    def hold(self, after: float) -> None:
        with self.cond:
            self.hold_after = after
            self.cond.notify_all()


@contextmanager
def holding_site() -> Iterator[Site]:
    site = Site()

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            with site.cond:
                site.hits += 1
                mine = site.hits
                site.cond.notify_all()
                site.cond.wait_for(lambda: mine <= site.hold_after, timeout=120)
            # the process that asked may have been killed meanwhile: respond() does not mind
            respond(self, 200, "text/html; charset=utf-8", article_html(self.path.strip("/").replace("/", "-")))

    with loopback_server(Handler) as base:
        site.base = base
        try:
            yield site
        finally:
            site.hold(float("inf"))


def _start(deskbot, *args: str) -> subprocess.Popen:
    env = {**os.environ, **deskbot.env}
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=deskbot.db.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_when_held(proc: subprocess.Popen, site: Site, after: int) -> None:
    """Let ``after`` fetches through, wait until one more is in flight (held), then SIGKILL."""
    site.hold(after)
    site.wait_hits(after + 1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def _state(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    return dict(conn.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())


def _assert_exact(db: Path, posts: list[tuple[str, str, str]]) -> None:
    """One job and one mention per (message, link); one note per link; owner = its first poster."""
    conn = sqlite3.connect(db)
    jobs = conn.execute("SELECT ts, user, url, status FROM jobs").fetchall()
    assert len(jobs) == len(posts) and {s for *_, s in jobs} == {"done"}
    assert sorted((ts, user) for ts, user, _, _ in jobs) == sorted((ts, user) for _, ts, user in posts)
    mentions = conn.execute("SELECT note_id, ts, user, at FROM mentions").fetchall()
    assert len(mentions) == len(posts) == len(set((n, ts, u) for n, ts, u, _ in mentions))
    links = {path.split("?")[0] for path, _, _ in posts}
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == len(links)
    firsts = conn.execute(
        "SELECT n.owner, n.clipped, (SELECT user FROM mentions m WHERE m.note_id = n.id ORDER BY at, ts LIMIT 1),"
        " (SELECT at FROM mentions m WHERE m.note_id = n.id ORDER BY at, ts LIMIT 1) FROM notes n").fetchall()
    assert all(owner == first and clipped == at for owner, clipped, first, at in firsts)


def test_an_export_import_killed_twice_resumes_to_an_exact_result(deskbot, tmp_path):
    with holding_site() as site:
        more = link_messages(site.base, EXTRA, start_ts=1741300000)
        export = build_export(tmp_path / "export.zip", site.base,
                              extra={"research/2025-03-07.json": json.dumps(more).encode()})
        posts = CLIPPED + [(path, m["ts"], m["user"]) for path, m in zip(EXTRA, more, strict=True)]
        args = ("import-slack-export", str(export), "--channel", "research", "--workers", "3")

        first = _start(deskbot, *args)
        _kill_when_held(first, site, after=5)
        state = _state(deskbot.db)
        assert state.get("running", 0) >= 1 and 0 < state.get("done", 0) < len(posts)  # killed mid-job

        second = _start(deskbot, *args)
        _kill_when_held(second, site, after=site.hits + 10)
        assert 0 < _state(deskbot.db).get("done", 0) < len(posts)

        site.hold(float("inf"))
        last = _start(deskbot, *args)
        out, err = last.communicate(timeout=120)
        assert last.returncode == 0, err
        assert "resuming the import of #research" in err
        assert "→ 36 notes; 0 failed" in out
    _assert_exact(deskbot.db, posts)


def test_a_history_backfill_killed_mid_read_resumes_from_its_cursor(deskbot, fake, tmp_path):
    with holding_site() as site:
        more = link_messages(site.base, EXTRA, start_ts=1741300000)
        fake.add_channel(RESEARCH, "research", is_member=True)
        fake.add_history(RESEARCH, channel_messages(site.base) + more)
        fake.history_page_size = 10
        fake.limit("conversations.history", calls=3, per=3600)  # the 4th page waits an hour for its turn
        posts = CLIPPED + [(path, m["ts"], m["user"]) for path, m in zip(EXTRA, more, strict=True)]

        first = _start(deskbot, "backfill", RESEARCH, "--workers", "3")
        fake.wait_for("conversations.history", 4, timeout=60)  # three pages read, the fourth answered 429
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
        conn = sqlite3.connect(deskbot.db)
        cursor, read_done = conn.execute("SELECT cursor, read_done FROM backfills").fetchone()
        assert (cursor, read_done) == ("bmV4dF90czo30", 0)  # after page three
        conn.close()

        fake.limit("conversations.history", calls=1000, per=60)
        calls_before = len(fake.calls("conversations.history"))
        last = _start(deskbot, "backfill", RESEARCH, "--workers", "3")
        out, err = last.communicate(timeout=120)
        assert last.returncode == 0, err
        resumed = fake.calls("conversations.history")[calls_before]
        assert resumed.params.get("cursor") == "bmV4dF90czo30"  # no page read twice
        assert "1 failed" in out  # the file share: files.info answers file_not_found
    conn = sqlite3.connect(deskbot.db)
    conn.execute("DELETE FROM jobs WHERE kind = 'file'")
    conn.commit()
    _assert_exact(deskbot.db, posts)


def test_live_capture_goes_on_while_a_backfill_waits_on_a_slow_site(deskbot, fake, tmp_path):
    with holding_site() as held, serve_articles() as live_site:
        more = link_messages(held.base, EXTRA, start_ts=1741300000)
        export = build_export(tmp_path / "export.zip", held.base,
                              extra={"research/2025-03-07.json": json.dumps(more).encode()})
        held.hold(0)
        backfill = _start(deskbot, "import-slack-export", str(export), "--channel", "research", "--workers", "4")
        held.wait_hits(2)  # two fetches in flight to that host, held: its other links wait in the backfill
        with running_bot(fake, tmp_path, channels=(RESEARCH,)) as bot:
            bot.event(envelope(link_event(live_site.url(1), channel=RESEARCH)))
            reply = fake.wait_for("chat.postMessage", 1, timeout=30)[0]
            assert "The case for slow notes, part 1" in str(reply.params)  # clipped and answered meanwhile
            assert held.hits == 2 and backfill.poll() is None  # politeness: never a third request to that host
        held.hold(float("inf"))
        out, err = backfill.communicate(timeout=120)
        assert backfill.returncode == 0, err
        assert "→ 36 notes; 0 failed" in out
        assert len(fake.calls("chat.postMessage")) == 1
