"""Capture from the channel over real HTTP: bursts, rate limits, uploads, failures, channel filters."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.slack import queue
from tests.fakes.signing import DEFAULT_CHANNEL_ID
from tests.fakes.slack_api import FILE_DOWNLOAD, FakeSlackAPI
from tests.slack.listeners.harness import FIXTURES, envelope, link_event, load, running_bot, wait_idle


def ok_posts(fake: FakeSlackAPI) -> list[dict]:
    return [c.decoded for c in fake.calls("chat.postMessage") if c.ok]


def test_burst_of_50_links_every_ack_fast_every_link_answered_once(bot, site):
    events = [link_event(site.url(n)) for n in range(50)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        acks = list(pool.map(lambda e: bot.event(envelope(e)), events))
    assert all(a.status == 200 for a in acks)
    assert max(a.seconds for a in acks) < 3
    bot.fake.wait_for("chat.postMessage", 50, timeout=60, ok_only=True)
    assert wait_idle(bot.app, 30)
    posts = ok_posts(bot.fake)
    assert len(posts) == 50
    assert sorted(p["thread_ts"] for p in posts) == sorted(e["ts"] for e in events)
    assert bot.store.counts()["notes"] == 50
    assert queue.counts(bot.store)["done"] == 50


def test_rate_limited_reply_is_retried_after_retry_after_and_posted_once(bot, site):
    bot.fake.rate_limit("chat.postMessage", retry_after=2)
    bot.event(envelope(link_event(site.url(1))))
    bot.fake.wait_for("chat.postMessage", 2, timeout=15, ok_only=False)
    assert wait_idle(bot.app, 10)
    limited, posted = bot.fake.calls("chat.postMessage")
    assert limited.status == 429 and posted.ok
    assert posted.timestamp - limited.timestamp >= 2
    assert len(ok_posts(bot.fake)) == 1


def test_link_in_a_thread_is_answered_in_that_thread(bot, site):
    event = link_event(site.url(2), thread_ts="1790000000.000001")
    bot.event(envelope(event))
    [post] = bot.fake.wait_for("chat.postMessage", ok_only=True)
    assert post.decoded["thread_ts"] == "1790000000.000001"
    [reaction] = bot.fake.calls("reactions.add")
    assert reaction.params["timestamp"] == event["ts"]


def test_transient_failure_is_retried_with_backoff_then_succeeds(bot, site):
    path = "/a/3"
    site.status_for[path] = 503
    bot.event(envelope(link_event(site.url(3))))
    site.wait_hits(1)
    site.status_for.pop(path)  # the site recovers; the job's retry (backoff 0.05 s in tests) clips it
    bot.fake.wait_for("chat.postMessage", ok_only=True, timeout=10)
    assert wait_idle(bot.app, 10)
    [job] = queue.jobs(bot.store)
    assert job.status == "done" and job.attempts == 2
    assert "part 3" in json.dumps(ok_posts(bot.fake)[0]["blocks"])


def test_permanent_failure_is_said_in_words_and_kept_for_retry(bot, site):
    bot.event(envelope(link_event(site.base + "/missing")))
    [post] = bot.fake.wait_for("chat.postMessage", ok_only=True)
    text = post.decoded["blocks"][0]["text"]["text"]
    assert "Could not clip" in text and "404" in text and "Traceback" not in text
    assert wait_idle(bot.app, 5)
    [job] = queue.jobs(bot.store)
    assert job.status == "failed" and job.permanent and "404" in job.last_error
    assert site.total() == 1  # not retried


def test_transient_failure_that_never_recovers_ends_failed_after_the_attempt_budget(bot, site):
    site.status_for["/a/4"] = 503
    bot.event(envelope(link_event(site.url(4))))
    [post] = bot.fake.wait_for("chat.postMessage", ok_only=True, timeout=10)
    assert "503" in post.decoded["blocks"][0]["text"]["text"]
    assert wait_idle(bot.app, 5)
    [job] = queue.jobs(bot.store)
    assert job.status == "failed" and job.attempts == 3 and not job.permanent
    assert site.total() == 3


def test_uploaded_markdown_note_is_downloaded_with_the_bot_token_and_clipped(bot):
    note = (Path(__file__).resolve().parents[3] / "seeds" / "thoughts-on-ai-progress-summary.txt").read_bytes()
    file = bot.fake.add_file("thoughts.txt", note, "text/plain")
    payload = load("event_message_file_share.json")
    event = payload["event"]
    event.update(channel=DEFAULT_CHANNEL_ID, channel_type="channel", files=[{**event["files"][0], **file}])
    bot.event(payload)
    [post] = bot.fake.wait_for("chat.postMessage", ok_only=True)
    [download] = bot.fake.calls(FILE_DOWNLOAD)
    assert download.status == 200 and download.headers["authorization"] == "Bearer xoxb-test"
    assert "Thoughts on AI Progress" in json.dumps(post.decoded["blocks"])
    assert post.decoded["thread_ts"] == event["ts"]
    assert bot.store.counts()["notes"] == 1


def test_uploaded_pdf_is_clipped_and_images_are_ignored(bot):
    pdf = bot.fake.add_file("field-report.pdf", (FIXTURES / "pdf" / "field-report.pdf").read_bytes(),
                            "application/pdf")
    image = bot.fake.add_file("screenshot.png", b"\x89PNG\r\n\x1a\n", "image/png")
    payload = load("event_message_file_share.json")
    payload["event"].update(channel=DEFAULT_CHANNEL_ID, channel_type="channel", files=[image, pdf])
    bot.event(payload)
    bot.fake.wait_for("chat.postMessage", ok_only=True)
    assert wait_idle(bot.app, 10)
    assert [c.params["name"] for c in bot.fake.calls(FILE_DOWNLOAD)] == ["field-report.pdf"]
    assert queue.counts(bot.store)["done"] == 1


def test_the_bot_token_never_goes_to_a_file_host_that_is_not_slack(bot, site):
    bot.fake.add_file("elsewhere.txt", b"x", "text/plain", file_id="F0ELSEWHERE",
                      url_private_download=site.base + "/a/99")
    payload = load("event_message_file_share.json")
    payload["event"].update(channel=DEFAULT_CHANNEL_ID, channel_type="channel",
                            files=[{"id": "F0ELSEWHERE", "name": "elsewhere.txt", "mimetype": "text/plain"}])
    bot.event(payload)
    bot.fake.wait_for("chat.postMessage", ok_only=True)
    site.wait_hits(1)
    assert "authorization" not in site.headers["/a/99"]  # fetched, but the token stayed home
    assert wait_idle(bot.app, 5)


def test_other_channels_are_not_captured(bot, site):
    bot.event(envelope(link_event(site.url(5), channel="C0ELSEWHERE")))
    assert queue.counts(bot.store)["pending"] == 0
    assert [c.method for c in bot.fake.calls()] == ["auth.test"]


def test_channels_can_be_given_by_name(fake, site, tmp_path):
    fake.add_channel("C0RESEARCH", "healthcare-aiml-deskresearch")
    with running_bot(fake, tmp_path, channels=("healthcare-aiml-deskresearch",)) as bot:
        bot.event(envelope(link_event(site.url(6), channel="C0RESEARCH")))
        bot.event(envelope(link_event(site.url(7), channel="C0RANDOM")))
        bot.event(envelope(link_event(site.url(8), channel="C0RESEARCH")))
        fake.wait_for("chat.postMessage", 2, ok_only=True)
        assert wait_idle(bot.app, 5)
        assert {p["channel"] for p in ok_posts(fake)} == {"C0RESEARCH"}
        # each channel is looked up once, then remembered
        assert sorted(c.params["channel"] for c in fake.calls("conversations.info")) == ["C0RANDOM", "C0RESEARCH"]


def test_every_channel_when_none_configured(fake, site, tmp_path):
    with running_bot(fake, tmp_path, channels=()) as bot:
        bot.event(envelope(link_event(site.url(9), channel="C0ANY")))
        [post] = fake.wait_for("chat.postMessage", ok_only=True)
        assert post.decoded["channel"] == "C0ANY"


def test_file_shared_event_is_acknowledged_and_ignored(bot):
    """The upload is clipped from its message event (which has the ts to reply to), not from this one."""
    event = {"type": "file_shared", "channel_id": DEFAULT_CHANNEL_ID, "file_id": "F0X", "user_id": "U0ANN",
             "file": {"id": "F0X"}, "event_ts": "1790000000.000200"}
    assert bot.event(envelope(event)).status == 200
    assert wait_idle(bot.app, 2)
    assert [c.method for c in bot.fake.calls()] == ["auth.test"]


def test_a_link_over_its_capture_budget_fails_once_in_words_while_an_ordinary_link_is_clipped(fake, site, tmp_path):
    from bot.capture.budget import Budget
    from bot.capture.pipeline import CaptureOptions
    from tests.fakes.web import Page, serve_pages
    from tests.fixtures.hostile import shared_stream_pdf
    from tests.slack.listeners.harness import LOCAL

    tight = CaptureOptions(allow=LOCAL.allow, budget=Budget(cpu_seconds=1))
    # 6 pages sharing a 0.9 MB content stream (each page under the 1 MB cap): ~2.5 s of CPU to read
    heavy = Page(shared_stream_pdf(pages=6, text_bytes=900_000), "application/pdf")
    with serve_pages({"/heavy.pdf": heavy}) as pages, running_bot(fake, tmp_path, capture_options=tight) as bot:
        hostile, ordinary = link_event(pages.url("/heavy.pdf")), link_event(site.url(21))
        bot.event(envelope(hostile))
        bot.event(envelope(ordinary))
        fake.wait_for("chat.postMessage", 2, ok_only=True, timeout=30)
        assert wait_idle(bot.app, 10)
        by_thread = {p["thread_ts"]: p for p in ok_posts(fake)}
        assert len(ok_posts(fake)) == 2
        refusal = by_thread[hostile["ts"]]["blocks"][0]["text"]["text"]
        assert "this page is too large / too complex to clip: it needs more than 1 s of CPU time" in refusal
        assert "part 21" in json.dumps(by_thread[ordinary["ts"]]["blocks"])
        failed, done = queue.jobs(bot.store, "failed"), queue.jobs(bot.store, "done")
        assert [(j.attempts, j.permanent) for j in failed] == [(1, True)] and len(done) == 1
        assert pages.hits["/heavy.pdf"] == 1  # never retried
