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
    assert "deskbot backfill '#research'" in out and "deskbot import-slack-export export.zip" in out
    # running it twice prints the same, and the made-up sample clip never reaches the user's database
    again = run("demo", "--as-of", "2026-11-24")
    assert again.output == out
    mine = run("claim", "rlvr", "-n", "50").output
    assert "laundering the prestige" in mine  # the seed notes are there
    assert "Verifiable rewards in clinical AI" not in mine and "desk-research.example" not in mine
    assert "Verifiable rewards in clinical AI" in out  # the demo did show the sample clip


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
        assert "DESKBOT_FETCH_ALLOW" in refused.output  # says how an intranet page can be allowed
        assert "/other" not in site.hits


def test_ingest_says_when_a_page_has_almost_no_text(run, monkeypatch):
    from tests.fakes.web import Page, serve_pages

    stub = (ROOT / "tests" / "fixtures" / "pages" / "paywall-stub.html").read_bytes()
    with serve_pages({"/paywalled": Page(stub)}) as site:
        monkeypatch.setenv("DESKBOT_FETCH_ALLOW", "127.0.0.1")
        result = run("ingest", site.url("/paywalled"))
    assert result.exit_code == 0  # the note is kept (title, site, date) …
    assert "little text extracted (paywall or JavaScript page?): no summary made" in result.output  # … and said


def test_retry_of_a_job_that_does_not_exist_says_so(run):
    from bot.kb.store import Store
    from bot.slack import queue

    run("stale")  # creates the database
    result = run("retry", "42")
    assert result.exit_code == 1 and "no job 42" in result.output
    store = Store.open(os.environ["DESKBOT_DB"])
    queue.enqueue(store, [queue.JobSpec(kind="url", channel="C1", ts="1.0", thread_ts="1.0", user="U1",
                                        url="https://e.example/a", canonical_url="https://e.example/a")])
    [job] = queue.jobs(store)
    store.close()
    pending = run("retry", str(job.id))
    assert pending.exit_code == 1 and f"job {job.id} is pending, not failed" in pending.output
    assert run("retry").exit_code == 0  # nothing named: re-queue whatever failed (here nothing)


def test_backup_into_a_missing_folder_says_so(run, tmp_path):
    run("import", str(ROOT / "seeds"))
    result = run("backup", str(tmp_path / "no" / "such" / "folder" / "copy.db"))
    assert result.exit_code == 1 and "does not exist" in result.output
    assert not (tmp_path / "no").exists()
    assert run("backup", str(tmp_path / "copy.db")).exit_code == 0


def test_demo_clips_the_bundled_sample_offline(run):
    out = run("demo", "--as-of", "2026-11-24").output
    clip = out.split("== clip of a bundled sample page")[1]
    assert "Verifiable rewards in clinical AI: what the evidence supports" in clip
    assert "Key claims:" in clip


def test_validate_by_url_reaches_the_note_the_stale_list_shows(run):
    """The stale list shows seed 000's summary under seed 001's URL; validating that URL (in any form)
    validates the summary, which then leaves the list."""
    assert run("import", str(ROOT / "seeds")).exit_code == 0
    before = run("stale", "--as-of", "2026-11-30").output
    assert "Thoughts on AI Progress (Dec 2025)" in before
    done = run("validate", "http://dwarkesh.com/p/thoughts-on-ai-progress-dec-2025/?utm_source=x".replace(
        "dwarkesh.com", "www.dwarkesh.com"), "--on", "2026-11-30")
    assert done.exit_code == 0, done.output
    after = run("stale", "--as-of", "2026-11-30").output
    assert "Thoughts on AI Progress (Dec 2025)" not in after and "What are we scaling?" in after


def test_note_by_the_id_or_prefix_that_stale_prints_shows_its_numbered_claims(run):
    assert run("import", str(ROOT / "seeds")).exit_code == 0
    stale = run("stale", "--as-of", "2026-11-30").output
    video_id = next(line.split("id ")[-1] for line in stale.splitlines() if "16 claims" in line)
    for ref in (video_id, video_id[:6]):
        shown = run("note", ref)
        assert shown.exit_code == 0 and "What are we scaling? (video)" in shown.output, shown.output
        assert " 1. Short AGI timelines are contradicted" in shown.output
        assert "16. " in shown.output  # every claim, numbered as `validate --claim N` counts them
    assert "No notes match" in run("note", "0000000000000000").output


def test_procfile_runs_one_bot():
    """One process type: a second bot (and clock) on the same database would double every reply; a bot
    that is scaled up anyway refuses to start (see tests/test_one_bot_per_database.py)."""
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 1
    kind, command = lines[0].split(":", 1)
    assert command.split()[:2] in (["deskbot", "serve"], ["deskbot", "run"])
