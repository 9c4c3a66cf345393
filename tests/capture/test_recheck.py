"""Source re-check against real HTTP servers on 127.0.0.1 (allow-listed), through the SSRF-safe fetcher:
unchanged / changed / gone / unreachable (timeout, 5xx), bounded by notes and seconds, shown in the digest."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager as ContextManager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from bot.capture.fetch import Allowlist
from bot.capture.recheck import (
    CHANGED,
    GONE,
    REACHABLE,
    UNCHANGED,
    UNREACHABLE,
    classify,
    default_fetcher,
    latest_checks,
    recheck,
    similarity,
)
from bot.kb.notes import Note
from tests.fakes.web import Page, Site, serve_pages

pytest_plugins = ["tests.fakes.fixtures"]  # fake_slack

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
PARAGRAPHS = [
    " ".join(f"Sentence {p}-{i} says that topic{p} improves result{i} in carefully measured ways." for i in range(6))
    for p in range(8)
]


def article(paragraphs: list[str], title: str = "An essay on measured results") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title></head><body><nav>Home · About</nav><article><h1>{title}</h1>"
            f"{body}</article><footer>© 2026</footer></body></html>").encode()


def serve(pages: dict[str, tuple[int, bytes]], slow: Iterable[str] = ()) -> ContextManager[Site]:
    """The shared local site (tests/fakes/web.py); ``slow`` paths answer only at teardown."""
    hold = threading.Event()
    served = {path: Page(body, status=status) for path, (status, body) in pages.items()}
    served.update({path: Page(b"late", gate=hold) for path in slow})
    return serve_pages(served)


@pytest.fixture
def fetcher():
    return default_fetcher(Allowlist.from_env("127.0.0.1"))


def clip(store, note_id: str, url: str, *, body: str = "\n\n".join(PARAGRAPHS), kind: str = "article") -> None:
    store.upsert_note(Note(id=note_id, title=f"Clip {note_id}", kind=kind, url=url, body=body, decay_rate="fast",
                           last_validated=NOW.date() - timedelta(days=40)))


def test_similarity_is_containment_of_the_clipped_shingles():
    text = " ".join(PARAGRAPHS)
    assert similarity(text, text) == 1.0
    assert similarity(PARAGRAPHS[0], text) == 1.0  # a truncated clip of an unchanged page
    assert similarity(text.upper().replace(".", " ,"), text) == 1.0  # case and punctuation do not count
    assert classify(text, " ".join(PARAGRAPHS[:4]))[0] == CHANGED
    assert 0.45 < similarity(text, " ".join(PARAGRAPHS[:4])) < 0.55
    assert similarity("", "") == 1.0 and similarity("a b", "") == 0.0


def test_unchanged_changed_gone_and_unreachable(store, fetcher):
    rewritten = PARAGRAPHS[:3] + [p.replace("improves", "degrades") for p in PARAGRAPHS[3:]]
    pages = {
        "/same": (200, article(PARAGRAPHS + ["A new comment section paragraph appended later by the site."])),
        "/edited": (200, article(rewritten)),
        "/gone410": (410, b"gone"),
        "/broken": (503, b"down"),
    }
    with serve(pages, slow=["/slow"]) as site:
        for name in ("same", "edited", "missing", "gone410", "broken", "slow"):
            clip(store, name, site.url(f"/{name}"))
        started = time.monotonic()
        results = recheck(store, ["same", "edited", "missing", "gone410", "broken", "slow"], now=NOW,
                          fetcher=fetcher, fetch_deadline=0.5, budget=5)
        elapsed = time.monotonic() - started
    assert results["same"].status == UNCHANGED and results["same"].similarity == 1.0
    assert results["edited"].status == CHANGED and 0.5 < results["edited"].similarity < 0.8
    assert "% similar" in results["edited"].label
    assert (results["missing"].status, results["missing"].detail) == (GONE, "HTTP 404")
    assert (results["gone410"].status, results["gone410"].detail) == (GONE, "HTTP 410")
    assert (results["broken"].status, results["broken"].detail) == (UNREACHABLE, "HTTP 503")
    assert results["slow"].status == UNREACHABLE and "timed out" in results["slow"].detail
    assert elapsed < 3  # the timeout cost one short deadline, concurrently with the rest
    stored = latest_checks(store, results)
    assert {k: v.status for k, v in stored.items()} == {k: v.status for k, v in results.items()}


def test_bounded_by_notes_and_seconds_never_blocking(store, fetcher):
    with serve({}, slow=[f"/slow{n}" for n in range(12)]) as site:
        for n in range(12):
            clip(store, f"s{n}", site.url(f"/slow{n}"))
        started = time.monotonic()
        results = recheck(store, [f"s{n}" for n in range(12)], now=NOW, fetcher=fetcher, max_notes=6,
                          budget=0.4, fetch_deadline=5, workers=3)
        elapsed = time.monotonic() - started
        hits = dict(site.hits)
    assert elapsed < 1.5
    assert len(hits) <= 6  # at most max_notes sources were even asked
    assert all(r.status == UNREACHABLE for r in results.values())


def test_recent_checks_are_reused_and_targets_are_chosen_sensibly(store, fetcher):
    with serve({"/same": (200, article(PARAGRAPHS))}) as site:
        clip(store, "a", site.url("/same"))
        clip(store, "video", site.url("/same"), kind="video", body="0:00 a transcript, not the page")
        store.upsert_note(Note(id="nourl", title="No link", body="text"))
        first = recheck(store, ["a", "video", "nourl"], now=NOW, fetcher=fetcher, fetch_deadline=2)
        again = recheck(store, ["a"], now=NOW + timedelta(days=1), fetcher=fetcher, fetch_deadline=2)
        week = recheck(store, ["a"], now=NOW + timedelta(days=7), fetcher=fetcher, fetch_deadline=2)
        hits = site.hits["/same"]
    assert set(first) == {"a", "video"} and first["video"].status == REACHABLE
    assert again == {} and week["a"].status == UNCHANGED and hits == 3


def test_a_summary_note_is_checked_against_its_source_clip(seeded, fetcher):
    """Seed 000 (a summary, no URL) stands for the work; the clip (seed 001) gives the URL and the text."""
    summary_id = next(r.id for r in seeded.stale_notes(NOW.date()) if r.kind == "summary")
    clip_body = seeded.conn.execute("SELECT body FROM notes WHERE covered_by = ?", (summary_id,)).fetchone()[0]
    from bot.capture.extract import plain_text

    page = article(plain_text(clip_body).split("\n"), title="Thoughts on AI progress (Dec 2025)")
    with serve({"/p/thoughts-on-ai-progress-dec-2025": (200, page)}) as site:

        def local(url: str, **kwargs):  # the seed's real URL, answered by the local copy of the page
            return fetcher(site.url(urlsplit(url).path), **kwargs)

        [check] = recheck(seeded, [summary_id], now=NOW, fetcher=local, fetch_deadline=2).values()
    assert check.status == UNCHANGED and check.similarity >= 0.8


def test_digest_shows_each_notes_source_check(store, fake_slack, fetcher):
    from bot.clock.digest import render_digest_text
    from bot.clock.runs import ClockDeps, build_digest, run_digest
    from tests.clock.test_runs import make_settings

    edited = [p.replace("improves", "worsens") for p in PARAGRAPHS]
    with serve({"/same": (200, article(PARAGRAPHS)), "/edited": (200, article(edited))}) as site:
        for name in ("same", "edited", "missing"):
            clip(store, name, site.url(f"/{name}"))
        deps = ClockDeps(store=store, client=fake_slack.client(), fetcher=fetcher, fetch_deadline=2,
                         now=lambda: NOW)
        outcome = run_digest(deps, make_settings(), NOW)
    assert outcome.status == "posted"
    blocks = fake_slack.calls("chat.postMessage")[0].decoded["blocks"]
    by_note = {b["block_id"]: b["text"]["text"] for b in blocks if b.get("block_id", "").startswith("note:")}
    assert "source unchanged (100% similar), checked 2026-11-30" in by_note["note:same"]
    assert "source changed (" in by_note["note:edited"]
    assert "source gone (HTTP 404" in by_note["note:missing"]
    text = render_digest_text(build_digest(deps, make_settings(), NOW, period=None, recheck=False))
    assert "source gone (HTTP 404), checked 2026-11-30" in text


def test_a_source_that_turned_hostile_is_read_within_a_capture_budget(store, fetcher):
    from tests.fixtures.hostile import many_attributes_html

    with serve({"/turned": (200, many_attributes_html(200_000))}) as site:
        clip(store, "turned", site.url("/turned"))
        [check] = recheck(store, ["turned"], now=NOW, fetcher=fetcher, fetch_deadline=5).values()
    assert check.status == CHANGED
    assert check.detail == ("page could not be read: this page is too large / too complex to clip: "
                            "a tag has more than 1,000 attributes")
