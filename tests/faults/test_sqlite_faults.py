"""SQLite under stress: many writers, a locked database, a full disk, a backup while writing."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.kb.importer import import_paths
from bot.kb.notes import Claim, Note
from bot.kb.render import render_note
from bot.kb.store import Store


def _note(n: int, i: int) -> Note:
    return Note(id=f"{n:08x}{i:08x}", title=f"Writer {n} note {i}", tags=["stress"],
                claims=[Claim(text=f"claim {k} of note {i} by writer {n}") for k in range(3)])


def test_twenty_writer_threads_leave_a_consistent_database(store):
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(15):
                store.upsert_note(_note(n, i))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.counts() == {"notes": 300, "claims": 900}
    assert store.integrity_problems() == []
    assert len(store.search_claims("writer", limit=50)) == 50


def test_a_locked_database_is_a_clear_error_and_loses_nothing(tmp_path):
    path = str(tmp_path / "locked.db")
    Store.open(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    store = Store.open(path, busy_timeout_ms=100)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store.upsert_note(_note(1, 1))
    blocker.execute("ROLLBACK")
    blocker.close()
    store.upsert_note(_note(1, 1))
    assert store.counts()["notes"] == 1
    assert store.integrity_problems() == []


def test_cli_reports_a_locked_database_in_words(tmp_path, seeds_dir, monkeypatch):
    from click.testing import CliRunner

    from bot.cli import cli

    path = str(tmp_path / "cli.db")
    Store.open(path)
    blocker = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    monkeypatch.setenv("DESKBOT_BUSY_TIMEOUT_MS", "100")
    try:
        result = CliRunner().invoke(cli, ["import", str(seeds_dir), "--db", path])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.exit_code == 1
    assert "database error: database is locked" in result.output
    assert "another deskbot process is writing" in result.output
    assert "Traceback" not in result.output


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_200_000, 1_200_000))


def test_disk_full_is_a_clear_error_and_the_database_stays_sound(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(1200):
        note = _note(7, i)
        note.summary = "A long summary to fill pages quickly. " * 20
        (folder / f"n{i}.md").write_text(render_note(note), encoding="utf-8")
    db = tmp_path / "full.db"
    env = {**os.environ, "DESKBOT_DB": str(db)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(folder)],
        capture_output=True, text=True, env=env, preexec_fn=_limit_file_size, timeout=120,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "database error" in proc.stderr and "disk may be full" in proc.stderr
    store = Store.open(str(db))
    assert store.integrity_problems() == []
    imported = store.counts()["notes"]
    assert imported % 500 == 0 and imported < 1200  # whole batches or nothing: no half-written batch
    again = import_paths(store, [folder])  # with space again, the rest imports
    assert again.failed == [] and store.counts()["notes"] == 1200


def test_backup_while_writing_opens_and_passes_integrity(store, tmp_path):
    stop = threading.Event()
    under_way = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 5000:
            store.upsert_note(_note(3, i))
            i += 1
            if i == 50:
                under_way.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert under_way.wait(30)
        target = store.backup(tmp_path / "backup.db")
    finally:
        stop.set()
        thread.join()
    copy = Store.open(str(target))
    assert copy.integrity_problems() == []
    assert 50 <= copy.counts()["notes"] <= store.counts()["notes"]
    with pytest.raises(FileExistsError):
        store.backup(target)


def test_not_a_database_is_a_clear_cli_error(tmp_path):
    from click.testing import CliRunner

    from bot.cli import cli

    bogus = Path(tmp_path / "notes.db")
    bogus.write_text("this is not sqlite " * 100)
    result = CliRunner().invoke(cli, ["stale", "--db", str(bogus)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "DESKBOT_DB" in result.output or "database" in result.output


def test_backup_command(tmp_path, seeds_dir):
    from click.testing import CliRunner

    from bot.cli import cli

    db = str(tmp_path / "live.db")
    import_paths(Store.open(db), [seeds_dir])
    runner = CliRunner()
    result = runner.invoke(cli, ["backup", str(tmp_path / "copy.db"), "--db", db])
    assert result.exit_code == 0, result.output
    assert "3 notes, 27 claims, integrity ok" in result.output
    again = runner.invoke(cli, ["backup", str(tmp_path / "copy.db"), "--db", db])
    assert again.exit_code == 1 and "already exists" in again.output
