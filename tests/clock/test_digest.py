"""The digest and reminder messages (pure builders and text), and the `deskbot digest` / `deskbot clock`
commands as a user runs them — in-process with CliRunner and as a real process stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.capture.recheck import SourceCheck
from bot.cli import cli
from bot.clock.digest import (
    DAYS_30_90,
    DIGEST_NOTES,
    NEWLY,
    OVER_90,
    UNDER_30,
    Digest,
    Item,
    ReminderBatch,
    collect_digest,
    digest_message,
    group_of,
    reminder_message,
    render_digest_text,
    render_reminder_text,
)
from bot.kb import decay
from bot.kb.store import NoteRow
from tests.clock.test_runs import stale_note

pytest_plugins = ["tests.fakes.fixtures"]  # fake_slack

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 30)


def item(n: int, overdue: int, *, title: str | None = None, owner: str | None = "U0ANN", claims=()) -> Item:
    due = TODAY - timedelta(days=overdue)
    row = NoteRow(id=f"note{n:04d}", title=title or f"Note {n}", kind="article", url=f"https://example.org/{n}",
                  owner=owner, channel="C1", decay_rate="fast", base_date=due - timedelta(days=30), due=due,
                  last_validated=due - timedelta(days=30), summary="", claim_count=len(claims))
    return Item(row=row, freshness=decay.freshness(due, TODAY), owner=owner, validated_by="U0BOB",
                check=SourceCheck(row.id, "changed", 0.41, "", datetime(2026, 11, 30, tzinfo=UTC)),
                claims=tuple(claims))


def test_groups_by_how_overdue():
    assert [group_of(d) for d in (0, 6, 7, 29, 30, 90, 91, 400)] == [
        NEWLY, NEWLY, UNDER_30, UNDER_30, DAYS_30_90, DAYS_30_90, OVER_90, OVER_90]


def test_digest_message_layout_and_contract():
    items = [item(1, 3), item(2, 120), item(3, 45), item(4, 10)]
    digest = Digest(TODAY, "2026-W49", {NEWLY: 1, OVER_90: 1, DAYS_30_90: 1, UNDER_30: 1}, items)
    payload = digest_message(digest)
    blocks = payload["blocks"]
    ids = [b.get("block_id") for b in blocks]
    assert ids[:3] == [None, "digest:summary", "digest:group:newly"]  # header, counts, newly stale first
    assert [i for i in ids if i and i.startswith("digest:group:")] == [
        "digest:group:newly", "digest:group:over-90", "digest:group:30-90", "digest:group:under-30"]
    assert [i for i in ids if i and i.startswith("note:")] == ["note:note0001", "note:note0002", "note:note0003",
                                                                "note:note0004"]
    section = blocks[ids.index("note:note0002")]["text"]["text"]
    for part in ("120 days overdue", "owner <@U0ANN>", "decay fast", "last validated", "by <@U0BOB>",
                 "source changed (41% similar)"):
        assert part in section
    actions = blocks[ids.index("actions:note0002")]
    assert json.loads(actions["elements"][0]["value"]) == {"n": "note0002", "c": None}
    assert "4 notes need re-validation" in payload["text"]


def test_titles_are_escaped_and_clipped_within_slack_limits():
    evil = "<!channel> & <https://evil.example|click> " + "x" * 5000
    digest = Digest(TODAY, None, {OVER_90: 1}, [item(1, 100, title=evil, owner="<@U0ALL>")])
    blocks = digest_message(digest)["blocks"]
    body = json.dumps(blocks)
    assert "<!channel>" not in body and "&lt;!channel&gt; &amp;" in body and "<https://evil" not in body
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    assert "&lt;@U0ALL&gt;" in body  # a non-Slack-id owner is text, never a mention


def test_more_line_and_block_budget_at_the_maximum():
    items = [item(n, 100 + n) for n in range(DIGEST_NOTES)]
    digest = Digest(TODAY, None, {NEWLY: 3, OVER_90: 9000, DAYS_30_90: 500, UNDER_30: 12}, items)
    blocks = digest_message(digest)["blocks"]
    assert len(blocks) <= 50
    assert "+9,495 more stale" in json.dumps(blocks, ensure_ascii=False)
    assert "9,515 notes need re-validation: 3 newly stale this week · 9,000 over 90 days overdue" in json.dumps(
        blocks, ensure_ascii=False)


def test_all_fresh_is_one_line():
    payload = digest_message(Digest(TODAY, "2026-W49", {g: 0 for g in (NEWLY, OVER_90)}, []))
    assert len(payload["blocks"]) == 1 and payload["text"].startswith("✨ All fresh as of Mon 30 Nov 2026")
    assert "All fresh as of 2026-11-30" in render_digest_text(Digest(TODAY, None, {}, []))


def test_text_rendering_matches_the_message():
    digest = Digest(TODAY, "2026-W49", {OVER_90: 1, NEWLY: 0}, [item(7, 200)], channel="C0DIGEST")
    text = render_digest_text(digest, decay.DEFAULT_TABLE)
    assert text.splitlines()[0] == "Stale knowledge · 2026-11-30 · 2026-W49 → C0DIGEST"
    assert "1 note needs re-validation: 0 newly stale this week · 1 over 90 days overdue" in text
    assert "* Note 7 — stale since 2026-05-14 (200 days overdue)" in text
    assert "decay fast (30 days)" in text and "source changed (41% similar), checked 2026-11-30" in text
    assert "[Still valid] [Needs update] [Snooze 14 days] [Change decay ▾]" in text


def test_reminder_message_has_claims_with_their_menus_and_fits():
    claims = [(n, f"claim {n} " + "y" * 2000) for n in range(1, 6)]
    items = [item(n, 2, claims=claims) for n in range(5)]
    payload = reminder_message(items, more=3)
    blocks = payload["blocks"]
    assert len(blocks) <= 50
    claim_blocks = [b for b in blocks if b.get("block_id", "").startswith("claim:")]
    menu = claim_blocks[0]["accessory"]
    assert len(claim_blocks) == 25 and (menu["type"], menu["action_id"]) == ("overflow", "claim_menu")
    assert [json.loads(o["value"]) for o in menu["options"]] == [{"n": "note0000", "c": 1, "a": "claim_valid"},
                                                                {"n": "note0000", "c": 1, "a": "claim_outdated"}]
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "+3 more due" in json.dumps(blocks)
    text = render_reminder_text(ReminderBatch("U0ANN", items[:1], more=3), decay.DEFAULT_TABLE)
    assert text.startswith("Reminder to U0ANN: 1 note due") and "    1. claim 1" in text


def test_collect_digest_picks_newly_stale_first_then_most_overdue(store):
    for n in range(30):
        stale_note(store, f"old{n:02d}", due=(TODAY - timedelta(days=40 + n)).isoformat())
    for n in range(15):
        stale_note(store, f"new{n:02d}", due=(TODAY - timedelta(days=n % 7)).isoformat())
    stale_note(store, "fresh", due=(TODAY + timedelta(days=3)).isoformat())
    digest = collect_digest(store, TODAY)
    shown = [i.row.id for i in digest.items]
    assert len(shown) == DIGEST_NOTES and digest.total == 45 and digest.more == 25
    assert all(s.startswith("new") for s in shown[:10])
    overdue = [i.days_overdue for i in digest.items[:10]]
    assert overdue == sorted(overdue, reverse=True)  # most overdue first inside the group too
    assert shown[10:] == [f"old{n:02d}" for n in range(29, 19, -1)]  # the ten most overdue
    assert "fresh" not in shown


# --------------------------------------------------------------------------- the commands


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DESKBOT_DB", str(tmp_path / "kb.db"))
    for name in ("SLACK_BOT_TOKEN", "DESKBOT_DIGEST_CHANNEL", "DESKBOT_CHANNELS", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_digest_dry_run_needs_no_slack(run):
    assert run("import", str(ROOT / "seeds")).exit_code == 0
    result = run("digest", "--dry-run", "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Stale knowledge · 2026-11-30 · 2026-W49")
    assert "* Thoughts on AI Progress (Dec 2025) — stale since 2026-10-03 (58 days overdue)" in result.output
    assert "2 notes need re-validation" in result.output


def test_digest_without_a_token_or_channel_is_a_clear_error(run, monkeypatch):
    assert "SLACK_BOT_TOKEN is not set" in run("clock").output
    result = run("digest")
    assert result.exit_code == 1 and "SLACK_BOT_TOKEN is not set" in result.output and "--dry-run" in result.output
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    result = run("digest")
    assert result.exit_code == 1 and "DESKBOT_DIGEST_CHANNEL" in result.output
    assert run("digest", "--as-of", "2026-11-30").exit_code == 2  # --as-of only with --dry-run


def test_digest_posts_once_per_week_unless_forced(run, monkeypatch, fake_slack):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.base_url)
    monkeypatch.setenv("DESKBOT_DIGEST_CHANNEL", "C0DIGEST")
    first = run("digest", "--no-recheck")
    assert first.exit_code == 0 and first.output.startswith("posted the digest for ")
    again = run("digest", "--no-recheck")
    assert again.exit_code == 1 and "already posted; --force posts another" in again.output
    assert run("digest", "--no-recheck", "--force").exit_code == 0
    assert len(fake_slack.calls("chat.postMessage")) == 2
    fake_slack.fail("chat.postMessage", "not_in_channel")
    failed = run("digest", "--no-recheck", "--force")
    assert failed.exit_code == 1 and "Slack refused the digest: not_in_channel" in failed.output


def test_demo_ends_with_the_digest_as_it_would_post(run):
    result = run("demo", "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    tail = result.output.split("== weekly digest as it would post to Slack")[1]
    assert "Stale knowledge · 2026-11-30 · 2026-W49" in tail
    assert "Thoughts on AI Progress (Dec 2025) — stale since 2026-10-03" in tail


def test_deskbot_clock_as_a_real_process_posts_and_stops_on_sigterm(tmp_path, fake_slack):
    """`deskbot clock` with its real signal handling: the start-up catch-up posts this week's digest."""
    from bot.kb.store import Store

    db = tmp_path / "clock.db"
    store = Store.open(str(db))
    # a loopback URL the fetch guard refuses without a socket: the re-check stays off the network
    stale_note(store, "n1", due="2020-01-01", url="http://127.0.0.1:9/gone")
    store.set_meta("clock_first_start", (datetime.now(UTC) - timedelta(days=14)).isoformat())
    store.close()
    env = {**os.environ, "DESKBOT_DB": str(db), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.base_url,
           "DESKBOT_DIGEST_CHANNEL": "C0DIGEST", "DESKBOT_REMINDER_FALLBACK": "C0DIGEST"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "clock"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        [call] = fake_slack.wait_for("chat.postMessage", timeout=20)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "deskbot clock" in err and "next digest" in err and "deskbot clock stopped" in err
    assert call.decoded["channel"] == "C0DIGEST" and "note:n1" in json.dumps(call.decoded["blocks"])


def test_due_counts_follow_every_write_path(seeded):
    """Migration 005's triggers: import (incl. a clip becoming covered by its summary), validate, snooze,
    decay change, re-derived due dates and delete all keep due_counts equal to a direct count."""
    from bot.clock.digest import count_stale, stale_counts

    def direct() -> dict[str, int]:
        rows = seeded.conn.execute("SELECT due, count(*) FROM notes WHERE covered_by IS NULL AND due IS NOT NULL"
                                   " GROUP BY due").fetchall()
        return dict(rows)

    def kept() -> dict[str, int]:
        return dict(seeded.conn.execute("SELECT due, n FROM due_counts WHERE n != 0").fetchall())

    assert kept() == direct() and len(direct()) == 2  # three seed files, the clip covered by its summary
    ids = [r.id for r in seeded.stale_notes(TODAY)]
    at = datetime(2026, 11, 30, 9)
    seeded.validate(ids[0], by="U1", at=at)
    seeded.snooze(ids[1], TODAY + timedelta(days=14), by="U1", at=at)
    assert kept() == direct()
    seeded.set_decay(ids[0], "fast", by="U1", at=at)
    stale_note(seeded, "x1", due="2026-01-01")
    stale_note(seeded, "x1", due="2026-02-01", claims=3)  # re-import with a new date
    assert kept() == direct()
    seeded.conn.execute("DELETE FROM notes WHERE id = 'x1'")
    assert kept() == direct()
    from bot.kb.store import Store

    rederived = Store.open(seeded.path, {**seeded.decay_table, "fast": 7})  # DESKBOT_DECAY changed
    assert dict(rederived.conn.execute("SELECT due, n FROM due_counts WHERE n != 0").fetchall()) == direct()
    rederived.close()
    assert count_stale(seeded, TODAY) == seeded.count_stale(TODAY)
    assert sum(stale_counts(seeded, TODAY).values()) == seeded.count_stale(TODAY)
