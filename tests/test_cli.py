"""The deskbot command as a user runs it: CliRunner in-process, plus one real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESKBOT_DB", str(tmp_path / "kb.db"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_demo_shows_rlvr_claims_and_the_stale_digest(run):
    result = run("demo", "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    out = result.output
    claims, stale = out.split("== stale list (deskbot stale)")
    assert "laundering the prestige of pre" in claims  # the video's wording; the summary's folds in as "also in"
    assert "tension between short AGI timelines and bullishness on RLVR scaling" in claims
    assert "Thoughts on AI Progress (Dec 2025) (summary) · https://www.dwarkesh.com/p/thoughts-on-ai-progress-dec-2025" in claims
    assert "* Thoughts on AI Progress (Dec 2025) — stale since 2026-10-03 (52 days overdue)" in stale
    assert "slow decay · last validated 2026-04-06" in stale
    # running it twice is harmless
    again = run("demo", "--as-of", "2026-11-24")
    assert "0 imported, 0 updated, 3 unchanged, 0 failed" in again.output


@pytest.mark.parametrize("topic", ["RL scaling", '"NOT', "NOT", "-", "*", "x" * 5000, '"rlvr" OR (', "NEAR(a b"])
def test_claim_answers_sensibly(run, topic):
    run("demo")
    result = run("claim", topic)
    assert "Traceback" not in result.output
    if not any(ch.isalnum() for ch in topic):
        assert result.exit_code == 2 and "give a topic" in result.output
        return
    assert result.exit_code == 0
    assert result.output.startswith(("Claims on", "No claims found"))
    if topic == "RL scaling":
        assert 'RL scaling is "laundering the prestige of pretraining scaling"' in result.output


@pytest.mark.parametrize("args", [[""], [], ["  "]])
def test_claim_without_a_topic_prints_usage(run, args):
    result = run("claim", *args)
    assert result.exit_code == 2
    assert "give a topic" in result.output


def test_import_reports_bad_files_and_exits_non_zero(run, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "ok.md").write_text("---\ntitle: Fine\nurl: https://example.org/fine\n---\nText.\n")
    (folder / "bad-yaml.md").write_text("---\ntitle: : :\n  - x\n---\n")
    (folder / "bad-decay.txt").write_text("T\n\nlast_validated: 2026-01-01 decay_rate: sometimes\n\nSummary\n\nx\n")
    result = run("import", str(folder))
    assert result.exit_code == 1
    assert f"error: {folder / 'bad-yaml.md'}: malformed YAML frontmatter" in result.output
    assert "unknown decay_rate 'sometimes'" in result.output
    assert "1 imported, 0 updated, 0 unchanged, 2 failed" in result.output
    note = run("note", "Fine")
    assert "Fine (article)" in note.output


def test_validate_removes_the_note_from_the_stale_list(run):
    run("demo")
    result = run("validate", "Thoughts on AI Progress (Dec 2025)", "--by", "U024BE7LH", "--on", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "Validated: 'Thoughts on AI Progress (Dec 2025)' on 2026-11-30 by U024BE7LH" in result.output
    stale = run("stale", "--as-of", "2026-11-30").output
    assert "Thoughts on AI Progress" not in stale
    assert "What are we scaling?" in stale
    missing = run("validate", "no such note at all zzz")
    assert missing.exit_code == 1 and "no note matches" in missing.output


def test_validate_one_claim_outdated(run):
    run("demo")
    result = run("validate", "What are we scaling?", "--claim", "11", "--outdated", "--by", "ann")
    assert result.exit_code == 0, result.output
    out = run("claim", "publicly known trend", "--as-of", "2026-11-24").output
    line = next(line for line in out.splitlines() if "&t=508s" in line)
    assert line.endswith("outdated")
    bad = run("validate", "What are we scaling?", "--claim", "99")
    assert bad.exit_code == 1 and "has no claim 99" in bad.output


def test_export_writes_slug_files(run, tmp_path):
    run("demo")
    result = run("export", str(tmp_path / "vault"))
    assert result.exit_code == 0
    names = sorted(p.name for p in (tmp_path / "vault").iterdir())
    assert "what-are-we-scaling.md" in names and "thoughts-on-ai-progress-dec-2025.md" in names


def test_every_command_has_help_and_is_in_the_readme(run):
    readme = (ROOT / "README.md").read_text()
    for name, command in cli.commands.items():
        result = run(name, "-h")
        assert result.exit_code == 0 and "Usage:" in result.output, name
        assert command.help, name
        assert f"deskbot {name}" in readme, f"README does not document `deskbot {name}`"


def test_bad_setting_is_a_clear_error(run, monkeypatch):
    monkeypatch.setenv("DESKBOT_DECAY", "fast=soon")
    result = run("stale")
    assert result.exit_code == 1
    assert "DESKBOT_DECAY" in result.output and "Traceback" not in result.output


def test_python_dash_m_bot_runs_as_a_real_process(tmp_path):
    env = {**os.environ, "DESKBOT_DB": str(tmp_path / "p.db")}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--as-of", "2026-11-24"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "stale since 2026-10-03" in proc.stdout


def test_ingest_prints_the_note_and_fails_clearly(run, monkeypatch):
    from tests.fakes.web import Page, serve_pages

    page = (ROOT / "bot" / "samples" / "sample-article.html").read_bytes()
    with serve_pages({"/p/rewards": Page(page)}) as site:
        monkeypatch.setenv("DESKBOT_FETCH_ALLOW", "127.0.0.1")
        ok = run("ingest", site.url("/p/rewards"), "--channel", "C1", "--by", "U1")
        assert ok.exit_code == 0, ok.output
        assert ok.output.startswith("Verifiable rewards in clinical AI: what the evidence supports")
        assert "Key claims:" in ok.output and "#:~:text=" in ok.output
        again = run("ingest", site.url("/p/rewards"))
        assert again.output.startswith("Already clipped on ") and " by U1: Verifiable rewards" in again.output
        missing = run("ingest", site.url("/nope"))
        assert missing.exit_code == 1 and "HTTP 404 Not Found" in missing.output
        # without the allow list the same loopback server is refused (other addresses are only ever
        # tested on the address check itself, never by connecting)
        monkeypatch.delenv("DESKBOT_FETCH_ALLOW")
        refused = run("ingest", site.url("/other"))
        assert refused.exit_code == 1 and "refused: 127.0.0.1 is a loopback address" in refused.output
        assert "/other" not in site.hits


def test_demo_clips_the_bundled_sample_offline(run):
    out = run("demo", "--as-of", "2026-11-24").output
    clip = out.split("== clip of a bundled sample page")[1]
    assert "Verifiable rewards in clinical AI: what the evidence supports" in clip
    assert "Key claims:" in clip
