"""YouTube from a server: transcripts through DESKBOT_YOUTUBE_PROXY, and a useful note without one (oEmbed and
the watch page's details, served on 127.0.0.1), which `deskbot retry` later remakes from the transcript."""

from __future__ import annotations

import base64
import functools
import threading
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from bot.capture.fetch import Allowlist
from bot.capture.pipeline import CaptureOptions, capture_url
from bot.capture.video_meta import chapters, proxy_config, video_metadata
from bot.capture.youtube import TranscriptUnavailable, fetch_transcript
from bot.cli import cli
from bot.slack import queue
from bot.slack.queue import JobSpec
from tests.capture.test_youtube import session_for
from tests.fakes.web import Page, loopback_server, serve_pages

YT = Path(__file__).resolve().parents[1] / "fixtures" / "youtube"
NOW = datetime(2026, 11, 24, 10, 30)
WATCH_VIDEO, OEMBED_VIDEO = "GJLlxj_dtq8", "2nLsvPBqeZ8"
VIDEO = f"https://www.youtube.com/watch?v={WATCH_VIDEO}"


def test_transcript_requests_go_through_the_configured_proxy_with_its_credentials():
    seen: list[tuple[str, str | None]] = []
    lock = threading.Lock()

    class Proxy(BaseHTTPRequestHandler):
        def do_CONNECT(self) -> None:  # noqa: N802 - http.server naming
            with lock:
                seen.append((self.path, self.headers.get("Proxy-Authorization")))
            self.send_response(403)  # a proxy that refuses: the request must still end in a readable reason
            self.end_headers()

    with loopback_server(Proxy) as base:
        proxy = proxy_config(base.replace("http://", "http://deskbot:s3cret@"))
        with pytest.raises(TranscriptUnavailable) as caught:
            fetch_transcript("GJLlxj_dtq8", proxy=proxy)
    assert seen and seen[0][0] == "www.youtube.com:443"
    assert seen[0][1] == "Basic " + base64.b64encode(b"deskbot:s3cret").decode()
    assert "network error while reaching YouTube" in caught.value.reason
    rotating = proxy_config("http://p.example:80", rotating=True)
    assert rotating.prevent_keeping_connections_alive and rotating.retries_when_blocked == 10
    assert proxy_config(None) is None


def test_chapters_follow_youtubes_rules():
    text = "Intro words\n0:00 Intro\n1:05 - The method\n(12:30) Results\n1:02:03 Q&A"
    assert chapters(text) == [(0, "Intro"), (65, "The method"), (750, "Results"), (3723, "Q&A")]
    assert chapters("0:00 a\n1:00 b") == []  # fewer than three
    assert chapters("0:10 a\n1:00 b\n2:00 c") == []  # does not start at 0:00
    assert chapters("0:00 a\n2:00 b\n1:00 c") == []  # not increasing


def oembed_path(video_id: str) -> str:
    return "/oembed?" + urlencode({"url": f"https://www.youtube.com/watch?v={video_id}", "format": "json"})


@pytest.fixture
def youtube_site():
    """Each captured answer for its own video only: oEmbed's for 2nLsvPBqeZ8, the watch page's for GJLlxj_dtq8
    (no capture of the other answer exists for either; YouTube's 404 stands for it)."""
    pages = {
        oembed_path(OEMBED_VIDEO): Page((YT / f"oembed-{OEMBED_VIDEO}.json").read_bytes(), "application/json"),
        f"/watch?v={WATCH_VIDEO}": Page((YT / "watch-metadata.html").read_bytes()),
    }
    with serve_pages(pages) as site:
        yield site


def options_for(site, session) -> CaptureOptions:
    allow = Allowlist.from_env("127.0.0.1")
    return CaptureOptions(allow=allow, youtube_http=session,
                          youtube_meta=functools.partial(video_metadata, base=site.base, allow=allow))


def test_no_transcript_still_makes_a_useful_note_from_public_details(store, youtube_site):
    blocked = session_for(player=(200, "innertube-request-blocked.json"))
    result = capture_url(store, VIDEO, channel="C1", user="U1", ts="1.1", now=NOW,
                         options=options_for(youtube_site, blocked))
    assert result.status == "captured", result.error
    note = result.note
    assert note.title == "Surface Go Review - It’s Awesome" and note.author == "Dave2D"
    assert note.published == date(2018, 8, 2) and note.extra["duration"] == 316
    assert note.extra["upload_date"] == "2018-08-02" and note.extra["transcript"] == "missing"
    assert "best 2 in 1 laptop from Microsoft" in note.body  # the description
    assert "no-transcript" in note.flags
    reason = " ".join(result.notices)
    assert "YouTube is blocking transcript requests" in reason and "`deskbot retry`" in reason
    assert youtube_site.hits == {"/oembed": 1, "/watch": 1}  # oEmbed has no answer for it: the watch page's


def test_no_transcript_note_takes_title_and_channel_from_oembed(store, youtube_site):
    blocked = session_for(player=(200, "innertube-request-blocked.json"))
    url = f"https://www.youtube.com/watch?v={OEMBED_VIDEO}"
    result = capture_url(store, url, channel="C1", user="U1", ts="1.1", now=NOW,
                         options=options_for(youtube_site, blocked))
    assert result.status == "captured", result.error
    note = result.note
    assert note.title == 'Vespas Mandarinas em "Antes que você conte até dez" no Estúdio Showlivre 2013'
    assert note.author == "Showlivre"  # oEmbed's author_name: the channel
    assert note.extra["transcript"] == "missing" and "no-transcript" in note.flags
    assert "`deskbot retry`" in " ".join(result.notices)
    assert youtube_site.hits == {"/oembed": 1, "/watch": 1}  # no watch page for it: oEmbed's details alone


def test_deskbot_retry_requeues_the_video_and_the_transcript_remakes_the_note(store, youtube_site, tmp_path):
    blocked = session_for(player=(200, "innertube-request-blocked.json"))
    first = capture_url(store, VIDEO, channel="C1", user="U1", ts="1.1", now=NOW,
                        options=options_for(youtube_site, blocked))
    queue.enqueue(store, [JobSpec(kind="url", channel="C1", ts="1.1", thread_ts="1.1", user="U1", url=VIDEO,
                                  canonical_url=VIDEO)])
    [job] = queue.jobs(store)
    queue.mark_done(store, job.id, note_id=first.note.id, reply_ts="1.2")
    out = CliRunner().invoke(cli, ["retry", "--db", store.path])
    assert out.exit_code == 0, out.output
    assert "re-queued 1 video clipped without a transcript" in out.output
    assert queue.jobs(store)[0].status == "pending"

    again = capture_url(store, VIDEO, channel="C1", user="U1", ts="1.1", now=NOW,
                        options=options_for(youtube_site, session_for()))  # YouTube answers this time
    assert again.status == "captured" and again.note.id == first.note.id
    assert "no-transcript" not in again.note.flags
    assert again.note.body.startswith("[0:00](https://www.youtube.com/watch?v=GJLlxj_dtq8&t=0s) Hey, this is")
    assert again.note.clipped == NOW and again.note.owner == "U1"
    assert again.notices[0].startswith("🎬")
