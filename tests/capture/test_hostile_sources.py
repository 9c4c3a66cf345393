"""Hostile papers and transcripts end within the capture budget (issue 18): PubMed Central's JATS XML and a
YouTube transcript are parsed in the budgeted child, as pages and PDFs are. Each case is a permanent failure that
says why, with the child's usage, and the process that asked carries on; the JATS is served by the scholarly
stand-in on 127.0.0.1, the transcript by the saved-YouTube session the other video tests use.

Sizes are such that parsing in the capture process itself would take minutes or most of a gigabyte; the tests
give the budget a few seconds and 64-96 MB so they answer quickly."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.capture.budget import MB, Budget
from bot.capture.pipeline import CaptureOptions, capture_url
from tests.capture.test_papers import NOW, apis, options  # noqa: F401 - apis is a fixture
from tests.capture.test_youtube import session_for
from tests.fixtures.hostile import (
    angle_bracket_transcript,
    billion_laughs_xml,
    deep_sections_jats,
    many_captions_transcript,
    nested_paragraphs_jats,
)

TOO_COMPLEX = "this page is too large / too complex to clip: "
TIGHT = Budget(cpu_seconds=2, memory_bytes=96 * MB, wall_seconds=120)
ROOMY_CPU = Budget(cpu_seconds=60, memory_bytes=64 * MB, wall_seconds=120)  # memory runs out first
PMC = "https://pmc.ncbi.nlm.nih.gov/articles/PMC7000001/"
VIDEO = "https://www.youtube.com/watch?v=GJLlxj_dtq8"


def clip_pmc(store, fake, papers, body: bytes, budget: Budget = TIGHT):
    fake.pmc["7000001"] = body
    return capture_url(store, PMC, channel="C1", user="U1", ts="1.1", now=NOW,
                       options=replace(options(papers), budget=budget))


def test_jats_nested_paragraphs_run_out_of_cpu_in_the_child(store, apis):  # noqa: F811
    fake, papers, _ = apis
    result = clip_pmc(store, fake, papers, nested_paragraphs_jats(20_000))
    assert result.status == "failed" and result.permanent
    assert result.error == TOO_COMPLEX + "PubMed Central's XML: it needs more than 2 s of CPU time"
    assert result.usage is not None and result.usage.cpu_seconds > 1  # the child's time, not ours
    assert store.counts()["notes"] == 0


def test_jats_a_deep_tree_runs_out_of_memory_in_the_child(store, apis):  # noqa: F811
    fake, papers, _ = apis
    # 16.5 MB: under the 20 MB fetch cap; CPU to spare, so memory is what runs out even on a loaded machine
    result = clip_pmc(store, fake, papers, deep_sections_jats(1_500_000), budget=ROOMY_CPU)
    assert result.status == "failed" and result.permanent
    assert result.error == TOO_COMPLEX + "PubMed Central's XML: it needs more than 64 MB of memory"
    assert store.counts()["notes"] == 0


def test_jats_billion_laughs_is_refused_by_the_parser_in_words(store, apis):  # noqa: F811
    fake, papers, _ = apis
    result = clip_pmc(store, fake, papers, billion_laughs_xml())
    assert result.status == "failed" and result.permanent  # the same XML will be refused the same way
    assert result.error.startswith("PubMed Central answered XML that cannot be read (limit on input amplification")
    assert store.counts()["notes"] == 0


def test_the_pmc_text_behind_a_pubmed_link_is_budgeted_too(store, apis):  # noqa: F811
    """A PubMed record with a PMC id: its full text is read from PMC, in the child as well."""
    fake, papers, _ = apis
    fake.pmc["10769841"] = nested_paragraphs_jats(20_000)  # served as the PMC text of PMID 38147649
    result = capture_url(store, "https://pubmed.ncbi.nlm.nih.gov/38147649/", now=NOW,
                         options=replace(options(papers), budget=TIGHT))
    assert result.status == "failed" and result.permanent
    assert result.error == TOO_COMPLEX + "PubMed Central's XML: it needs more than 2 s of CPU time"


def video_options(timedtext: bytes) -> CaptureOptions:
    return CaptureOptions(youtube_http=session_for(timedtext=(200, timedtext)), budget=TIGHT)


def test_a_transcript_whose_tag_stripping_is_quadratic_runs_out_of_cpu_in_the_child(store):
    result = capture_url(store, VIDEO, channel="C1", user="U1", ts="1.1", now=NOW,
                         options=video_options(angle_bracket_transcript(200_000)))
    assert result.status == "failed" and result.permanent
    assert result.error == TOO_COMPLEX + "the video's transcript: it needs more than 2 s of CPU time"
    assert store.counts()["notes"] == 0


def test_a_huge_transcript_runs_out_of_memory_in_the_child(store):
    options = replace(video_options(many_captions_transcript(600_000)), budget=ROOMY_CPU)
    result = capture_url(store, VIDEO, now=NOW, options=options)
    assert result.status == "failed" and result.permanent
    assert result.error == TOO_COMPLEX + "the video's transcript: it needs more than 64 MB of memory"


def test_a_transcript_with_entities_makes_a_note_that_says_why_it_has_no_transcript(store):
    result = capture_url(store, VIDEO, now=NOW, options=video_options(billion_laughs_xml(b"transcript")))
    assert result.status == "captured", result.error
    assert "no-transcript" in result.note.flags
    assert "declares XML entities, which are not expanded" in " ".join(result.notices)


@pytest.mark.parametrize("hostile", ["pmc", "video"])
def test_the_next_capture_works_after_a_hostile_one(store, apis, hostile):  # noqa: F811
    fake, papers, _ = apis
    if hostile == "pmc":
        assert clip_pmc(store, fake, papers, nested_paragraphs_jats(20_000)).status == "failed"
    else:
        assert capture_url(store, VIDEO, now=NOW, options=video_options(angle_bracket_transcript())).status == \
            "failed"
    fine = capture_url(store, "https://pmc.ncbi.nlm.nih.gov/articles/PMC8435807/", now=NOW, options=options(papers))
    assert fine.status == "captured", fine.error
    assert fine.note.extra["full_text"] == "pmc"
