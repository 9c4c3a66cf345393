"""`deskbot web` as a user runs it: a real process on a loopback port, read-only beside a writer, refusing
to listen off loopback without a password, and a password when one is set."""

from __future__ import annotations

import base64
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.kb.notes import Note
from bot.kb.store import Store
from bot.web import app as web
from tests.fakes.http import get
from tests.web.site import ROOT, build_kb


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in (web.PASSWORD_ENV, web.USER_ENV, "DESKBOT_DB"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def start(args: list[str], env: dict[str, str], cwd) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", "0", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # printed once the socket listens
    assert line.startswith("deskbot web: http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() else "")
    return proc, line.split()[2]


def stop(proc: subprocess.Popen) -> None:
    """uvicorn shuts down cleanly, then re-raises the signal (so the exit status says SIGTERM)."""
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=20)
    errors = proc.stderr.read()
    assert code in (0, -signal.SIGTERM) and "Traceback" not in errors, (code, errors)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESKBOT_", "SLACK_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_web_serves_read_only_beside_a_writer(tmp_path):
    path = tmp_path / "kb.db"
    build_kb(path).close()
    proc, url = start(["--db", str(path)], clean_env(), tmp_path)
    try:
        status, _, body = get(url)
        assert status == 200 and b"The team's knowledge base" in body
        # the bot writes while the web face reads: nothing waits on the web's connections
        writer = sqlite3.connect(path, timeout=0)
        writer.execute("BEGIN IMMEDIATE")
        status, _, _ = get(url + "stale.json")
        assert status == 200
        writer.execute("ROLLBACK")
        writer.close()
        store = Store.open(str(path), busy_timeout_ms=0)
        store.upsert_note(Note(id="feedfacefeedface", title="Written while browsing", clipped=datetime(2026, 11, 30)))
        status, _, body = get(url + "note/feedfacefeedface.json")
        assert status == 200 and b"Written while browsing" in body
        store.close()
        # Datasette itself is read-only: its SQL page cannot write
        status, _, body = get(url + "kb.json?sql=" + "delete+from+notes")
        assert status == 400 and b"Statement must be a SELECT" in body
    finally:
        stop(proc)


def test_web_asks_for_the_password_it_was_given(tmp_path):
    from datasette_auth_passwords.utils import hash_password

    path = tmp_path / "kb.db"
    build_kb(path).close()
    env = clean_env() | {web.PASSWORD_ENV: hash_password("s3cret"), web.USER_ENV: "team"}
    proc, url = start(["--db", str(path)], env, tmp_path)
    try:
        for page in ("", "claims.json?q=rlvr", "kb/notes_browse.json", "-/metadata.json"):
            status, headers, _ = get(url + page)
            assert status == 401 and "basic" in headers["www-authenticate"].lower(), page
        wrong = base64.b64encode(b"team:guess").decode()
        assert get(url, {"Authorization": f"Basic {wrong}"})[0] == 401
        good = base64.b64encode(b"team:s3cret").decode()
        status, _, body = get(url + "claims.json?q=rlvr", {"Authorization": f"Basic {good}"})
        assert status == 200 and b"laundering the prestige" in body
        status, _, body = get(url + "-/metadata.json", {"Authorization": f"Basic {good}"})
        assert status == 200 and b"pbkdf2" not in body  # the hash stays in the environment
    finally:
        stop(proc)


def test_non_loopback_host_needs_a_password(runner, tmp_path):
    build_kb(tmp_path / "kb.db").close()
    result = runner.invoke(cli, ["web", "--db", str(tmp_path / "kb.db"), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "refusing to listen on 0.0.0.0 without a password: set DESKBOT_WEB_PASSWORD_HASH" in result.output
    assert "Traceback" not in result.output
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        web.check_host(host, None)
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        with pytest.raises(web.WebError):
            web.check_host(host, None)
        web.check_host(host, web.Auth("team", "pbkdf2_sha256$480000$salt$hash"))


def test_bad_settings_and_missing_database_are_one_clear_line(runner, tmp_path, monkeypatch):
    result = runner.invoke(cli, ["web", "--db", str(tmp_path / "nothing.db")])
    assert result.exit_code == 1
    assert f"no database at {tmp_path / 'nothing.db'}: run `deskbot demo`" in result.output
    assert not (tmp_path / "nothing.db").exists()
    monkeypatch.setenv(web.PASSWORD_ENV, "hunter2")
    result = runner.invoke(cli, ["web", "--db", str(tmp_path / "nothing.db")])
    assert result.exit_code == 1 and "DESKBOT_WEB_PASSWORD_HASH is not a password hash" in result.output
    assert "hunter2" not in result.output


def test_port_in_use_is_a_clear_error(runner, tmp_path):
    build_kb(tmp_path / "kb.db").close()
    taken = web.listen("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        result = runner.invoke(cli, ["web", "--db", str(tmp_path / "kb.db"), "--port", str(port)])
        assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output
    finally:
        taken.close()


def test_hash_password_makes_a_hash_the_plugin_accepts(runner):
    from datasette_auth_passwords.utils import verify_password

    result = runner.invoke(cli, ["web", "--hash-password"], input="open sesame\nopen sesame\n")
    assert result.exit_code == 0, result.output
    hashed = result.stdout.strip()  # prompts go to stderr: $(deskbot web --hash-password) is the hash alone
    assert web.Auth.from_env({web.PASSWORD_ENV: hashed}) == web.Auth("deskbot", hashed)
    assert verify_password("open sesame", hashed) and not verify_password("open", hashed)


def test_demo_ends_with_the_command_to_browse(runner, tmp_path):
    result = runner.invoke(cli, ["demo", "--as-of", "2026-11-24", "--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    last = result.output.rstrip().splitlines()[-1]  # what the demo made: its scratch database, beside --db
    assert last.startswith(f"== browse it: deskbot web --db {tmp_path / 'deskbot-demo.db'}")
