"""Backfill jobs in the shared queue: the bot's consumers never take them, `deskbot retry` re-queues a
backfill's failures for the same command, and the progress a user sees."""

from __future__ import annotations

from bot.cli import BackfillProgress
from bot.slack import queue
from bot.slack.backfills import Counts
from bot.slack.queue import JobSpec
from tests.slack.exports import ANA, RESEARCH, build_export
from tests.slack.listeners.harness import open_jobs, running_bot, wait_idle


def _spec(n: int, batch: str | None) -> JobSpec:
    url = f"https://example.org/{n}"
    return JobSpec(kind="url", channel=RESEARCH, ts=f"17410000{n:02d}.000100", thread_ts=f"17410000{n:02d}.000100",
                   user=ANA, url=url, canonical_url=url, batch=batch)


def test_the_bots_consumers_take_live_links_and_a_backfill_only_its_own(store):
    queue.enqueue(store, [_spec(n, "history:C1::") for n in range(10)])
    queue.enqueue(store, [_spec(50, None)])
    assert open_jobs(store) == 1 and queue.next_due(store) is not None
    assert queue.claim_next(store).url == "https://example.org/50"  # posted last, clipped at once
    assert queue.claim_next(store) is None  # a backlog never occupies the bot's consumers
    assert queue.next_due(store) is None and open_jobs(store) == 1  # no busy wake-ups for it either
    assert queue.claim_next(store, batch="export:x:C1") is None  # a pool takes only its own run's jobs
    assert queue.claim_next(store, batch="history:C1::").url == "https://example.org/0"


def test_retry_covers_a_backfills_failures_and_the_same_command_clips_them(deskbot, fake, site, tmp_path):
    site.status_for["/a/3"] = 404
    export = build_export(tmp_path / "export.zip", site.base)
    result = deskbot.invoke("import-slack-export", str(export), "--channel", "research")
    assert "→ 5 notes; 1 failed (deskbot retry re-queues them)" in result.output
    failed = queue.jobs(deskbot.store(), queue.FAILED)
    assert [(j.url, j.last_error, j.reply_ts) for j in failed] == [(site.url(3), "HTTP 404 Not Found", None)]

    retried = deskbot.invoke("retry")
    assert f"job {failed[0].id}: {site.url(3)} — HTTP 404 Not Found" in retried.output
    assert "re-queued 1 failed job\n1 of them from a backfill: run the same backfill" in retried.output
    del site.status_for["/a/3"]
    with running_bot(fake, tmp_path, channels=(RESEARCH,)) as bot:  # the bot leaves it alone
        assert wait_idle(bot.app, 10)
        assert queue.get(deskbot.store(), failed[0].id).status == "pending"
    hits = site.total()
    again = deskbot.invoke("import-slack-export", str(export), "--channel", "research")
    assert "resuming the import of #research" in again.output
    assert "15 messages, 9 links → 6 notes; 0 failed" in again.output  # the run's totals, nothing read twice
    assert site.total() == hits + 1  # only the re-queued link was fetched
    job = queue.get(deskbot.store(), failed[0].id)
    assert (job.status, job.reply_ts) == ("done", None)
    assert fake.calls("chat.postMessage") == [] and fake.calls("reactions.add") == []
    note = deskbot.store().get_note(job.note_id)
    assert (note.owner, note.clipped.isoformat()) == (ANA, "2025-03-04T12:06:40")


def test_plain_progress_lines_when_not_on_a_terminal(capsys):
    progress = BackfillProgress("#research", every=0.0, tty=False)
    progress(Counts(jobs=40, done=0, failed=0, pending=40, running=0, notes=0))
    progress(Counts(jobs=120, done=30, failed=2, pending=85, running=3, notes=28))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "backfill #research: 40 links found · 0 clipped · 0 failed · 0.0/s"
    assert lines[1].startswith("backfill #research: 120 links found · 30 clipped · 2 failed · ")
    assert "/s · ETA " in lines[1]
