"""The seed formats, Obsidian clips and bad input, parsed as a user would bring them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.kb.noteformats import NoteError, parse_file, parse_text


def test_seed_000_plain_text_summary(seeds_dir):
    note = parse_file(seeds_dir / "thoughts-on-ai-progress-summary.txt")
    assert note.title == "Thoughts on AI Progress (Dec 2025)"
    assert note.kind == "summary"
    assert note.last_validated == date(2026, 4, 6)
    assert note.decay_rate == "slow"
    assert len(note.claims) == 11
    assert note.claims[0].text.startswith("There's a tension between short AGI timelines and bullishness on RLVR")
    assert any("laundering the prestige of pretraining scaling" in c.text for c in note.claims)
    assert note.summary.startswith("Dwarkesh Patel argues")
    assert note.tags[:3] == ["scaling", "agi-timelines", "reinforcement-learning"]
    assert "rlvr" in note.tags and len(note.tags) == 10


def test_seed_001_clip_keeps_body_and_slack_fields(seeds_dir):
    note = parse_file(seeds_dir / "thoughts-on-ai-progress-clip.md")
    assert note.title == "Thoughts on AI progress (Dec 2025)"
    assert note.url == "https://www.dwarkesh.com/p/thoughts-on-ai-progress-dec-2025"
    assert note.clipped == datetime(2025, 12, 23, 13, 0)
    assert note.channel == "healthcare-aiml-deskresearch"
    assert note.kind == "article"
    assert note.extra == {"source": "slack"}
    assert "### What are we scaling?" in note.body
    assert note.body.rstrip().endswith("[... truncated ...]")
    assert note.claims == []


def test_seed_004_video_key_points_become_timed_claims(seeds_dir):
    note = parse_file(seeds_dir / "what-are-we-scaling-video.md")
    assert note.kind == "video"
    assert note.title == "What are we scaling?"
    assert note.published == date(2025, 12, 23)
    assert note.author == "Dwarkesh Patel"
    assert note.extra["video_id"] == "_zgnSbu5GqE"
    assert len(note.claims) == 16
    first, lacking = note.claims[0], note.claims[10]
    assert (first.label, first.t) == ("RL scaling contradiction", 0)
    assert lacking.label == "RL scaling lacks public evidence" and lacking.t == 508
    assert "RLVR" in lacking.text
    assert note.key_points == note.claims
    assert len(note.highlights) == 5
    h = note.highlights[2]
    assert (h.heading, h.speaker, h.t) == ("Diffusion lag is cope", "Dwarkesh Patel", 309)
    assert h.text.startswith("Sometimes people will say")
    assert [q.t for q in note.quotes] == [112, 280, 498, 526, 301]
    assert "Mentions" in note.sections and "Toby Ord" in note.sections["Mentions"]
    assert note.body.startswith("[0:00](https://www.youtube.com/watch?v=_zgnSbu5GqE&t=0s) I'm confused")
    assert "RLVR" in note.tags or "rlvr" in note.tags


def test_obsidian_web_clipper_format():
    text = """---
title: "Scaling laws for reward models"
source: "https://example.org/posts/reward-scaling?utm_source=x"
author:
  - "[[Ada Lovelace]]"
  - "[[Alan Turing]]"
published: 2025-11-02
created: 2026-01-15
description: "How reward model quality scales with data."
tags:
  - "clippings"
  - "RLHF"
---
The body of the article, as the clipper saved it.

## A heading inside the article
More text.
"""
    note = parse_text(text)
    assert note.title == "Scaling laws for reward models"
    assert note.url == "https://example.org/posts/reward-scaling?utm_source=x"
    assert note.author == "Ada Lovelace, Alan Turing"
    assert note.published == date(2025, 11, 2)
    assert note.clipped == datetime(2026, 1, 15)
    assert note.summary == "How reward model quality scales with data."
    assert note.tags == ["clippings", "rlhf"]
    assert "## A heading inside the article" in note.body


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\ntitle: [unclosed\n---\nbody\n", "malformed YAML frontmatter"),
        ("---\ntitle: x\nbody without end\n", "no closing '---'"),
        ("Title\n\nlast_validated: 2026-04-06 decay_rate: sometimes\n\nSummary\n\nx\n", "unknown decay_rate 'sometimes'"),
        ("Title\n\nlast_validated: 2026-13-45 decay_rate: slow\n\nSummary\n\nx\n", "last_validated: '2026-13-45' is not a date"),
        ("---\ntitle: t\nclipped: yesterday-ish\n---\nbody\n", "clipped: 'yesterday-ish' is not a date/time"),
        ("---\ntitle: t\nurl: not a url\n---\nbody\n", "is not an http(s) URL"),
        ("", "empty note"),
        ("  \n\n", "empty note"),
    ],
)
def test_bad_input_names_the_problem(text, problem):
    with pytest.raises(NoteError) as err:
        parse_text(text, source="notes/bad.md")
    assert str(err.value).startswith("notes/bad.md: ")
    assert problem in str(err.value)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("---\ntags: [x]\n---\nIntro line.\n\n# The real title\n\nBody text.\n", "The real title"),
        ("# An Obsidian note\n\nNo frontmatter at all, and no deskbot sections.\n", "An Obsidian note"),
        ("```\n# not a heading (code)\n```\n\n# Heading after code\n", "Heading after code"),
        ("just some words\nwith no structure\n", "Weekly reading list"),
        ("---\nurl: https://a.example/x\n---\nno heading here\n", "Weekly reading list"),
    ],
)
def test_ordinary_markdown_is_a_note_titled_by_its_heading_or_file_name(text, title):
    note = parse_text(text, source="vault/Weekly reading list.md")
    assert note.title == title
    assert note.body.strip()


def test_explicit_decay_rates_and_crlf():
    note = parse_text("Title\r\n\r\nlast_validated: 2026-01-01 decay_rate: 2W\r\n\r\nSummary\r\n\r\nHello.\r\n")
    assert note.decay_rate == "2w" and note.summary == "Hello."


def test_impossible_yaml_date_is_a_note_error():
    with pytest.raises(NoteError, match="a value cannot be read"):
        parse_text("---\ntitle: t\nlast_validated: 2026-13-01\n---\nbody\n", source="x.md")
