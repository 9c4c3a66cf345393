"""`deskbot validate --decay` is a label like a Slack click; `deskbot decay-stats` shows what was learned."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.kb.store import Store

SEED = "Thoughts on AI Progress (Dec 2025)"


def seed_rate(db) -> tuple[str, str | None]:
    store = Store.open(str(db))
    [note_id] = store.find_note_ids(SEED)
    note = store.get_note(note_id)
    return note.decay_rate, note.decay_reason


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESKBOT_DB", str(tmp_path / "kb.db"))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_validate_with_decay_sets_the_rate_and_records_a_label(run, tmp_path):
    run("demo")
    assert seed_rate(tmp_path / "kb.db")[0] == "slow", "seed 000 keeps its own slow"
    result = run("validate", SEED, "--decay", "fast", "--by", "ann", "--on", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "Decay set to fast" in result.output
    assert seed_rate(tmp_path / "kb.db") == ("fast", "set by ann on 2026-11-30")
    stats = run("decay-stats").output
    assert "1 decay labels (1 from cli)" in stats
    assert "tag rlvr: fast 1" in stats and "new notes follow" not in stats  # one label is not yet a policy


def test_validate_with_an_unknown_rate_says_so_and_changes_nothing(run, tmp_path):
    run("demo")
    result = run("validate", SEED, "--decay", "soonish")
    assert result.exit_code == 2 and "unknown decay_rate 'soonish'" in result.output
    assert seed_rate(tmp_path / "kb.db")[0] == "slow"
    assert "0 decay labels (none yet)" in run("decay-stats").output


def test_the_dry_run_digest_shows_each_notes_evidence_line_as_slack_does(run):
    run("demo")
    run("validate", SEED, "--decay", "fast", "--by", "ann", "--on", "2026-09-01")
    text = run("digest", "--dry-run", "--as-of", "2026-12-01").output
    assert "decay fast (30 days) — set by ann on 2026-09-01" in text
