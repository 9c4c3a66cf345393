"""Backfill jobs in the shared queue: live links first, quiet clipping by the running bot, `deskbot retry`
for a backfill's failures, and the progress a user sees."""

from __future__ import annotations

from bot import queue
from bot.cli import BackfillProgress
from bot.queue import JobSpec
from bot.slack.backfills import Counts
from tests.listeners.harness import running_bot
from tests.slack.exports import ANA, RESEARCH, build_export


def _spec(n: int, batch: str | None) -> JobSpec:
    url = f"https://example.org/{n}"
    return JobSpec(kind="url", channel=RESEARCH, ts=f"17410000{n:02d}.000100", thread_ts=f"17410000{n:02d}.000100",
                   user=ANA, url=url, canonical_url=url, batch=batch)


def test_a_live_link_is_claimed_before_a_backfill_backlog(store):
    queue.enqueue(store, [_spec(n, "history:C1::") for n in range(10)])
    queue.enqueue(store, [_spec(50, None)])
    assert queue.claim_next(store).url == "https://example.org/50"  # posted last, clipped first
    backlog = queue.claim_next(store)
    assert backlog.batch == "history:C1::" and backlog.url == "https://example.org/0"
    assert queue.claim_next(store, batch="export:x:C1") is None  # a pool takes only its own run's jobs
    assert queue.claim_next(store, batch="history:C1::").url == "https://example.org/1"


def test_retry_covers_a_backfills_failures_and_the_bot_clips_them_quietly(deskbot, fake, site, tmp_path):
    site.status_for["/a/3"] = 404
    export = build_export(tmp_path / "export.zip", site.base)
    result = deskbot.invoke("import-slack-export", str(export), "--channel", "research")
    assert "→ 5 notes; 1 failed (deskbot retry re-queues them)" in result.output
    failed = queue.jobs(deskbot.store(), queue.FAILED)
    assert [(j.url, j.last_error, j.reply_ts) for j in failed] == [(site.url(3), "HTTP 404 Not Found", None)]

    retried = deskbot.invoke("retry")
    assert f"job {failed[0].id}: {site.url(3)} — HTTP 404 Not Found" in retried.output
    assert "re-queued 1 failed job\n1 of them from a backfill: clipped quietly" in retried.output
    del site.status_for["/a/3"]
    with running_bot(fake, tmp_path, channels=(RESEARCH,)) as bot:
        assert bot.app.worker.wait_idle(20)
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
