"""Issue 14, item 3: a video note in seed 004's shape, made offline from the saved YouTube responses.

youtube-transcript-api runs for real against the saved player response and transcript (served by the
same transport adapter as ``test_youtube``), then the extractive summarizer writes the note.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.capture.summarize import ExtractiveSummarizer, note_from
from bot.capture.video_notes import SnippetClock, mentions
from bot.capture.youtube import caption_text, extract_video
from bot.kb.noteformats import parse_file, parse_text
from bot.kb.render import render_note
from tests.capture.test_youtube import no_sockets, session_for  # noqa: F401  (no_sockets: autouse fixture)

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "what-are-we-scaling-video.md"
FIXTURES = ROOT / "tests" / "fixtures" / "youtube"


def sections(rendered: str) -> list[str]:
    view = rendered.split("<!-- deskbot:body -->")[0].split("\n---\n", 1)[1]
    return re.findall(r"^## (.+)$", view, re.M)


@pytest.fixture(scope="module")
def talk():
    session = session_for("scaling.innertube.json", "scaling.transcript.xml")
    extracted = extract_video("https://youtu.be/_zgnSbu5GqE", http_client=session)
    return extracted, note_from(extracted, ExtractiveSummarizer().summarize(extracted), channel="C1", owner="U1")


@pytest.fixture(scope="module")
def snippets() -> list[tuple[float, str]]:
    root = ET.parse(FIXTURES / "scaling.transcript.xml").getroot()
    return [(float(n.get("start", "0")), n.text or "") for n in root.iter("text")]


def test_seed_004_and_a_note_from_the_transcript_render_with_the_same_sections(talk):
    _, ours = talk
    seed = parse_file(SEED)
    expected = ["Summary", "Key Points", "Highlights", "Surprising Quotes", "Mentions", "Tags", "Transcript"]
    assert sections(render_note(seed)) == expected
    assert sections(render_note(ours)) == expected
    again = parse_text(render_note(ours))  # and the note reads back as it was written
    assert [c.label for c in again.claims] == [c.label for c in ours.claims]
    assert [h.heading for h in again.highlights] == [h.heading for h in ours.highlights]
    assert again.sections["Mentions"] == ours.sections["Mentions"]


def test_video_frontmatter_keeps_channel_and_duration_like_the_seed(talk):
    _, ours = talk
    seed = parse_file(SEED)
    for key in ("channel", "duration", "duration_formatted"):
        assert ours.extra[key] == seed.extra[key], key
    assert ours.author == seed.author == "Dwarkesh Patel"


def test_key_points_are_labelled_timed_and_spread_over_the_talk(talk):
    extracted, ours = talk
    duration = extracted.meta["duration"]
    assert 5 <= len(ours.claims) <= 12
    quarters = [0, 0, 0, 0]
    for claim in ours.claims:
        assert claim.label and claim.t is not None
        quarters[min(3, 4 * claim.t // duration)] += 1
    assert max(quarters) <= 0.4 * len(ours.claims), quarters
    view = render_note(ours)
    assert f"**{ours.claims[0].label}** ([" in view and "&t=" in view


def test_each_claim_is_timed_at_the_caption_snippet_where_its_sentence_starts(talk, snippets):
    extracted, ours = talk
    paragraph_starts = {int(start) for start, _ in extracted.segments}
    texts = [(start, caption_text(raw)) for start, raw in snippets]
    moved = 0
    for claim in ours.claims:
        at = [i for i, (start, _) in enumerate(texts) if int(start) == claim.t]
        assert at, claim.t
        window = " ".join(text for _, text in texts[at[0] : at[0] + 3])
        start_words = " ".join(claim.text.split()[:3])
        assert start_words in window, (claim.t, claim.text)
        here = texts[at[0]][1]
        assert claim.text.split()[0] in here  # it starts in this snippet, not the one before
        moved += claim.t not in paragraph_starts
    assert moved, "some claims start inside a paragraph and are timed there, not at its start"


def test_highlights_and_quotes_are_verbatim_and_timed(talk):
    extracted, ours = talk
    speech = " ".join(text for _, text in extracted.segments)
    assert 3 <= len(ours.highlights) <= 5 and 3 <= len(ours.quotes) <= 5
    for q in [*ours.highlights, *ours.quotes]:
        assert q.text in speech and q.t is not None
    assert all(h.heading and h.speaker == "Dwarkesh Patel" for h in ours.highlights)
    claims = " ".join(c.text for c in ours.claims)
    assert not any(q.text in claims for q in ours.quotes)


def test_mentions_name_the_people_and_works_of_the_talk(talk):
    _, ours = talk
    names = re.findall(r"^- \*\*(.+?)\*\* \(\[\d+:\d\d\]\(https://www\.youtube\.com/watch\?v=_zgnSbu5GqE&t=\d+s\)\)$",
                       ours.sections["Mentions"], re.M)  # fmt: skip
    assert {"Toby Ord", "Beren Millidge", "Sam Altman", "GPT-3"} <= set(names)
    assert not {"I", "And", "So", "AI"} & set(names)


def test_mentions_keep_the_longer_name_and_need_two_words_or_two_sayings():
    said = [
        ("We talked to Toby Ord about it.", 10),
        ("Then Toby said no to the plan.", 20),
        ("The plan came from Lisbon once.", 30),
        ("Later the NHS and the NHS board agreed.", 40),
    ]
    assert mentions(said, "vid") == [("NHS", 40), ("Toby Ord", 10)]


def test_the_snippet_clock_finds_a_sentence_that_starts_mid_snippet(snippets):
    clock = SnippetClock(snippets)
    target = [(s, caption_text(t)) for s, t in snippets if ". " in caption_text(t)][0]
    start, text = target
    tail = text.split(". ", 1)[1]
    assert clock.time_of(tail, start) == int(start)
    assert clock.time_of("words that were never said in this talk", 0) is None
