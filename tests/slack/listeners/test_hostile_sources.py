"""A hostile PubMed Central full text and a hostile YouTube transcript, posted in Slack: each is answered in its
thread with the reason, recorded as a failed job (never retried: it would fail the same way), and the worker
carries on with an ordinary link posted after them. The real Bolt app over signed HTTP, the Slack stand-in, the
scholarly stand-in serving the JATS on 127.0.0.1, the saved-YouTube session serving the transcript."""

from __future__ import annotations

import json

from bot.capture.budget import MB, Budget
from bot.capture.fetch import Allowlist
from bot.capture.papers.apis import PaperAPIs, Throttle
from bot.capture.pipeline import CaptureOptions
from bot.slack import queue
from tests.capture.test_youtube import session_for
from tests.fakes.scholarly import load_all, serve_scholarly
from tests.fixtures.hostile import angle_bracket_transcript, nested_paragraphs_jats
from tests.slack.listeners.harness import envelope, link_event, no_sleep, running_bot, wait_idle


def test_hostile_jats_and_transcript_fail_in_words_and_the_worker_carries_on(fake, site, tmp_path):
    with serve_scholarly() as scholarly:
        load_all(scholarly)
        scholarly.pmc["7000001"] = nested_paragraphs_jats(20_000)
        allow = Allowlist.from_env("127.0.0.1")
        papers = PaperAPIs(ncbi_url=scholarly.url("ncbi"), allow=allow, throttle=Throttle(sleep=no_sleep))
        options = CaptureOptions(allow=allow, papers=papers, budget=Budget(cpu_seconds=2, memory_bytes=256 * MB),
                                 youtube_http=session_for(timedtext=(200, angle_bracket_transcript(200_000))))
        with running_bot(fake, tmp_path, capture_options=options) as bot:
            jats = link_event("https://pmc.ncbi.nlm.nih.gov/articles/PMC7000001/")
            video = link_event("https://www.youtube.com/watch?v=GJLlxj_dtq8")
            ordinary = link_event(site.url(31))
            for event in (jats, video, ordinary):
                assert bot.event(envelope(event)).status == 200
            fake.wait_for("chat.postMessage", 3, ok_only=True, timeout=60)
            assert wait_idle(bot.app, 30)
            posts = {c.decoded["thread_ts"]: c.decoded for c in fake.calls("chat.postMessage") if c.ok}
            assert len(posts) == 3
            too_complex = "this page is too large / too complex to clip: "
            assert too_complex + "PubMed Central's XML: it needs more than 2 s of CPU time" in \
                posts[jats["ts"]]["blocks"][0]["text"]["text"]
            assert too_complex + "the video's transcript: it needs more than 2 s of CPU time" in \
                posts[video["ts"]]["blocks"][0]["text"]["text"]
            assert "part 31" in json.dumps(posts[ordinary["ts"]]["blocks"])
            failed = {j.url: j for j in queue.jobs(bot.store, "failed")}
            assert set(failed) == {"https://pmc.ncbi.nlm.nih.gov/articles/PMC7000001/",
                                   "https://www.youtube.com/watch?v=GJLlxj_dtq8"}
            assert all(j.permanent and j.attempts == 1 and "2 s of CPU time" in j.last_error for j in failed.values())
            assert len(queue.jobs(bot.store, "done")) == 1
            assert scholarly.asked("ncbi") and len(scholarly.asked("ncbi")) == 1  # fetched once, never retried
