"""YouTube capture, offline: youtube-transcript-api runs for real against saved YouTube responses.

A ``requests`` transport adapter mounted for http and https serves the files of tests/fixtures/youtube
by URL pattern (watch page, innertube player, timedtext), so the library's own parsing and error
detection run while nothing can reach the network: an unexpected URL fails the test.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from bot.capture.extract import split_sentences
from bot.capture.summarize import ExtractiveSummarizer, note_from
from bot.capture.youtube import (
    TranscriptUnavailable,
    extract_video,
    fetch_transcript,
    group_snippets,
    stamp,
    transcript_body,
    video_id_of,
)
from bot.kb.notes import one_line
from bot.kb.render import claim_link as place_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "youtube"
SEED = Path(__file__).resolve().parents[2] / "seeds" / "what-are-we-scaling-video.md"


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch):
    """Belt and braces: any real connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("tests never use the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


class SavedYouTube(BaseAdapter):
    """Answers the three kinds of request the library makes from saved files; records every URL."""

    def __init__(self, routes: dict[str, tuple[int, str | bytes]]):
        super().__init__()
        self.routes = routes
        self.seen: list[str] = []

    def send(self, request, **kwargs):
        self.seen.append(request.url)
        matches = [route for pattern, route in self.routes.items() if re.search(pattern, request.url)]
        if not matches:
            raise AssertionError(f"unexpected request (tests never use the network): {request.url}")
        status, name = matches[0]  # a file of tests/fixtures/youtube, or the bytes to answer (hostile answers)
        if isinstance(name, bytes):
            body, name = name, ".xml"
        else:
            body = (FIXTURES / name).read_bytes() if name else b""
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        kind = "application/json" if name.endswith(".json") else "text/html"
        response.headers = CaseInsensitiveDict({"Content-Type": f"{kind}; charset=utf-8"})
        return response

    def close(self) -> None:
        pass


Route = tuple[int, str | bytes] | str


def session_for(
    player: Route = "innertube-ok.json", timedtext: Route = "transcript.xml", watch: Route = "watch.html"
) -> requests.Session:
    """A session whose every request is answered from fixtures (a str route means status 200)."""

    def route(value: Route) -> tuple[int, str | bytes]:
        return (200, value) if isinstance(value, str) else value

    adapter = SavedYouTube(
        {
            r"youtube\.com/watch": route(watch),
            r"youtube\.com/youtubei/v1/player": route(player),
            r"youtube\.com/api/timedtext": route(timedtext),
        }
    )
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.adapter = adapter  # type: ignore[attr-defined]
    return session


def test_fetch_transcript_parses_the_real_response():
    session = session_for()
    transcript = fetch_transcript("GJLlxj_dtq8", http_client=session)
    assert transcript.snippets == [
        (0.0, "Hey, this is just a test"),
        (1.54, "this is not the original transcript"),
        (5.7, "just something shorter, I made up for testing"),
    ]
    assert transcript.language == "en"
    assert transcript.details == {
        "title": "Surface Go Review - It’s Awesome",
        "channel": "Dave2D",
        "duration": 316,
    }
    assert all("youtube.com" in url for url in session.adapter.seen)
    assert not session.hooks["response"], "the metadata hook is removed after the call"


def test_long_transcript_becomes_a_video_note_like_seed_004():
    session = session_for("scaling.innertube.json", "scaling.transcript.xml")
    extracted = extract_video("https://youtu.be/_zgnSbu5GqE", http_client=session)
    assert extracted.kind == "video"
    assert extracted.title == "What are we scaling?"
    assert extracted.author == "Dwarkesh Patel"
    assert extracted.url == "https://www.youtube.com/watch?v=_zgnSbu5GqE"
    assert extracted.meta["duration"] == 754
    assert not extracted.little_text and extracted.problem is None

    # ~30 s paragraphs that end on a sentence end, each linked like the seed transcript
    starts = [start for start, _ in extracted.segments]
    assert starts == sorted(starts) and starts[0] == 0.0
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(25 <= gap <= 75 for gap in gaps), gaps
    assert all(re.search(r"[.!?\"”]$", text) for _, text in extracted.segments[:-1])
    first = extracted.text.split("\n\n")[0]
    assert first.startswith("[0:00](https://www.youtube.com/watch?v=_zgnSbu5GqE&t=0s) I'm confused why")
    body_links = re.findall(
        r"^\[(\d+:\d\d)\]\(https://www\.youtube\.com/watch\?v=_zgnSbu5GqE&t=(\d+)s\) ", extracted.text, re.M
    )
    assert len(body_links) == len(extracted.segments)
    assert all(stamp(int(t)) == shown for shown, t in body_links)

    # every word of the seed transcript survives, in order
    seed_words = one_line(SEED.read_text("utf-8").split("## Transcript", 1)[1]).split()
    ours = one_line(" ".join(text for _, text in extracted.segments)).split()
    assert [w for w in seed_words if not w.startswith("[")][:200] == ours[:200]

    summary = ExtractiveSummarizer().summarize(extracted)
    assert 3 <= len(summary.claims) <= 10
    assert 2 <= len(split_sentences(summary.text)) <= 4
    for claim in summary.claims:
        assert claim.t is not None and claim.quote is None
        segment = [text for start, text in extracted.segments if int(start) <= claim.t][-1]
        sentences = split_sentences(segment)
        runs = set(sentences) | {f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False)}
        assert claim.text in runs, "a claim is a sentence (or one with its antecedent) of its paragraph"
    note = note_from(extracted, summary, channel="C123", owner="U42")
    assert note.kind == "video" and note.url == "https://www.youtube.com/watch?v=_zgnSbu5GqE"
    assert note.author == "Dwarkesh Patel" and note.flags == []
    assert note.extra["video_id"] == "_zgnSbu5GqE"
    link = place_url(note.url, note.claims[0])
    assert link == f"https://www.youtube.com/watch?v=_zgnSbu5GqE&t={note.claims[0].t}s"


@pytest.mark.parametrize(
    ("routes", "reason"),
    [
        ({"player": (200, "innertube-transcripts-disabled.json")}, "subtitles are disabled"),
        ({"player": (200, "innertube-video-unavailable.json")}, "unavailable"),
        ({"player": (200, "innertube-request-blocked.json")}, "blocking"),
        ({"player": (200, "innertube-age-restricted.json")}, "age-restricted"),
        ({"player": (200, "innertube-unplayable.json")}, "cannot be played here (Custom Reason)"),
        ({"watch": (200, "too-many-requests.html")}, "blocking"),
        ({"watch": (429, "")}, "blocking"),
        ({"player": (500, "")}, "request to YouTube failed"),
        ({"timedtext": (429, "")}, "blocking"),
    ],
)
def test_every_failure_is_one_readable_reason(routes, reason):
    with pytest.raises(TranscriptUnavailable) as caught:
        fetch_transcript("GJLlxj_dtq8", http_client=session_for(**routes))
    assert reason in caught.value.reason
    assert "\n" not in caught.value.reason and "github" not in caught.value.reason.lower()


def test_network_errors_are_reasons_too():
    class Down(BaseAdapter):
        def send(self, request, **kwargs):
            raise requests.ConnectionError("no route to host")

        def close(self) -> None:
            pass

    session = requests.Session()
    session.mount("https://", Down())
    session.mount("http://", Down())
    with pytest.raises(TranscriptUnavailable, match="network error"):
        fetch_transcript("GJLlxj_dtq8", http_client=session)


def test_missing_language_falls_back_to_another_transcript():
    transcript = fetch_transcript("GJLlxj_dtq8", http_client=session_for(), languages=("xx",))
    assert transcript.snippets, "any manual transcript beats none"


def test_transcripts_disabled_gives_a_note_with_what_is_known():
    session = session_for(player="innertube-transcripts-disabled.json")
    extracted = extract_video("https://www.youtube.com/watch?v=dsMFmonKDD4&t=42s", http_client=session)
    assert extracted.title == "Angèle - Eels x Richard Cocciante | A Take Away Show"
    assert extracted.author == "Blogothèque"
    assert extracted.problem == "subtitles are disabled for this video"
    assert extracted.little_text and extracted.segments == [] and extracted.text == ""
    summary = ExtractiveSummarizer().summarize(extracted)
    assert summary.text == "" and summary.claims == []
    note = note_from(extracted, summary)
    assert note.url == "https://www.youtube.com/watch?v=dsMFmonKDD4"
    assert note.title == extracted.title and note.summary == "" and note.claims == []
    assert "no-transcript" in note.flags
    assert note.extra["capture_problem"] == "subtitles are disabled for this video"


def test_unavailable_video_without_details_still_gets_a_titled_note():
    session = session_for(player="innertube-video-unavailable.json")
    extracted = extract_video("_zgnSbu5GqE", http_client=session)
    assert extracted.title == "YouTube video _zgnSbu5GqE"
    assert "unavailable" in (extracted.problem or "")
    assert extracted.url == "https://www.youtube.com/watch?v=_zgnSbu5GqE"


def test_a_non_video_url_is_a_problem_not_a_crash():
    extracted = extract_video("https://www.youtube.com/@somechannel")
    assert extracted.problem == "not a YouTube video URL" and extracted.little_text


def test_a_ready_api_object_is_used_as_is():
    from youtube_transcript_api import YouTubeTranscriptApi

    api = YouTubeTranscriptApi(http_client=session_for())
    transcript = fetch_transcript("GJLlxj_dtq8", api=api)
    assert len(transcript.snippets) == 3 and transcript.details == {}


def test_grouping_unpunctuated_auto_captions():
    snippets = [(i * 4.0, f"word{i} and some more spoken words") for i in range(40)]
    paragraphs = group_snippets(snippets)
    assert all(b[0] - a[0] <= 60 for a, b in zip(paragraphs, paragraphs[1:], strict=False))
    assert " ".join(text for _, text in paragraphs) == " ".join(text for _, text in snippets)
    body = transcript_body("abcdefghijk", paragraphs)
    assert body.startswith("[0:00](https://www.youtube.com/watch?v=abcdefghijk&t=0s) word0")


def test_sound_cues_are_dropped_and_empty_snippets_skipped():
    paragraphs = group_snippets([(0.0, "[Music]"), (2.0, ">> Hello there."), (3.0, "  ")])
    assert paragraphs == [(2.0, "Hello there.")]


def test_stamp_and_ids():
    assert stamp(0) == "0:00" and stamp(508) == "8:28" and stamp(3723) == "1:02:03"
    assert video_id_of("_zgnSbu5GqE") == "_zgnSbu5GqE"
    assert video_id_of("https://www.youtube.com/shorts/_zgnSbu5GqE") == "_zgnSbu5GqE"
    assert video_id_of("https://example.com/watch?v=_zgnSbu5GqE") is None
