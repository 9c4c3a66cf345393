"""deskbot's pages over real HTTP from a real Datasette: what each shows, and the same as JSON."""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime
from urllib.parse import quote

import pytest

from bot.clock.digest import GROUP_TITLES, collect_digest
from bot.kb.answers import claim_lookup
from tests.fakes.http import get
from tests.web.site import CHANNEL, CLIP_ID, HOSTILE_ID, SLACK_URL, TODAY, TS, build_kb, serve


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "kb.db"
    store = build_kb(path)
    with serve(path) as url:
        yield url, store, path
    store.close()


def page(url: str) -> str:
    status, headers, body = get(url)
    assert status == 200, (url, status, body[:300])
    assert headers["content-type"].startswith("text/html")
    return body.decode()


def as_json(url: str) -> dict:
    status, headers, body = get(url)
    assert status == 200, (url, status, body[:300])
    return json.loads(body)


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def test_home_shows_counts_stale_and_recent_clips(kb):
    url, store, _ = kb
    data = as_json(url + ".json")
    counts = store.counts()
    assert data["counts"] == {**counts, "stale": store.count_stale(TODAY)}
    assert [n["id"] for n in data["recent_clips"]][:2] == [HOSTILE_ID, CLIP_ID]
    shown = text_of(page(url))
    assert f"{counts['notes']} notes · {counts['claims']} claims · {store.count_stale(TODAY)} stale as of 2026-11-30" in shown
    body = page(url)
    assert f'href="/note/{CLIP_ID}"' in body and 'href="/stale"' in body and 'href="/kb/notes_browse"' in body


def test_claims_page_ranks_like_slash_claim_and_links_each_claim(kb):
    url, store, _ = kb
    expected = claim_lookup(store, "sepsis prediction", TODAY, limit=20)
    data = as_json(url + "claims.json?q=sepsis+prediction")
    assert [(c["note"]["id"], c["claim"]) for c in data["claims"]] == [(a.hit.note_id, a.hit.position) for a in expected]
    first = data["claims"][0]
    assert first["note"]["id"] == CLIP_ID and first["claim"] == 1
    assert first["place"] == "https://journal.example/sepsis-icu#:~:text=alert%20hours%20before"
    assert first["owner"] == "U0ANN"
    assert first["freshness"]["state"] == "fresh"
    body = page(url + "claims?q=sepsis+prediction")
    assert 'href="https://journal.example/sepsis-icu#:~:text=alert%20hours%20before"' in body
    assert f'href="/note/{CLIP_ID}"' in body
    assert 'class="badge badge-outdated"' in body  # claim 2 of the clip was marked outdated


def test_claims_page_keeps_video_timestamps_and_says_when_nothing_matches(kb):
    url, _, _ = kb
    data = as_json(url + "claims.json?q=rlvr")
    assert any("&t=508s" in (c["place"] or "") and c["place_label"] == "at 8:28" for c in data["claims"])
    assert "No claims found for “zzzqqq”" in text_of(page(url + "claims?q=zzzqqq"))
    assert as_json(url + "claims.json?q=" + quote('"NOT* ('))["claims"] is not None  # FTS syntax is plain text


def test_stale_page_is_the_digest_grouped_the_same_way(kb):
    url, store, _ = kb
    digest = collect_digest(store, TODAY, limit=50)
    data = as_json(url + "stale.json")
    assert data["total"] == digest.total
    assert [(g["group"], [n["id"] for n in g["notes"]]) for g in data["groups"]] == [
        (group, [i.row.id for i in members]) for group, members in digest.grouped()]
    shown = text_of(page(url + "stale"))
    for group, _ in digest.grouped():
        assert GROUP_TITLES[group] in shown
    assert "What are we scaling?" in shown and "days overdue" in shown


def test_note_page_shows_everything_about_a_note(kb):
    url, store, _ = kb
    data = as_json(url + f"note/{CLIP_ID}.json")
    assert data["title"] == "Sepsis prediction in the ICU"
    assert data["mentions"] == [{"user": "U0ANN", "channel": CHANNEL, "ts": TS, "at": "2026-11-25T09:30:00",
                                 "url": "https://journal.example/sepsis-icu",
                                 "thread": f"{SLACK_URL}/archives/{CHANNEL}/p{TS.replace('.', '')}"}]
    assert [c["claim"] for c in data["claims"]] == [1, 2]
    assert [c["freshness"]["state"] for c in data["claims"]] == ["fresh", "outdated"]
    assert [v["verdict"] for v in data["validations"]] == ["valid", "outdated"]
    assert data["tags"][0] == {"tag": "sepsis", "page": "/kb/notes_browse?_facet_array=tags&tags__arraycontains=sepsis"}
    body = page(url + f"note/{CLIP_ID}")
    shown = text_of(body)
    assert "Sepsis prediction in the ICU" in shown and "by U0ANN in C0RESEARCH on 2026-11-25" in shown
    assert f'href="{SLACK_URL}/archives/{CHANNEL}/p1764000000000100"' in body
    assert "<em>help</em>" in body  # the body is rendered markdown
    assert 'id="claim-2"' in body and "validated" in shown


def test_summary_note_links_its_clip_related_notes_and_tags(kb):
    url, store, _ = kb
    summary_id = store.find_note_ids("Thoughts on AI Progress (Dec 2025)")[0]
    data = as_json(url + f"note/{summary_id}.json")
    assert data["kind"] == "summary"
    assert [n["kind"] for n in data["same_work"]] == ["article"]
    assert [n["title"] for n in data["related"]] == [t for _, t in store.related_titles(summary_id)]
    assert data["related"], "the seeds relate the summary to the video"
    assert len(data["claims"]) == len(store.get_note(summary_id).claims)
    source = "https://www.dwarkesh.com/p/thoughts-on-ai-progress-dec-2025"
    assert data["url"] == source and {c["place"] for c in data["claims"]} == {source}  # via its clip's URL
    body = page(url + f"note/{summary_id}")
    assert 'href="/kb/notes_browse?_facet_array=tags&amp;tags__arraycontains=rlvr"' in body


def test_hostile_clip_is_shown_as_text_with_nothing_that_runs(kb):
    url, _, _ = kb
    status, headers, raw = get(url + f"note/{HOSTILE_ID}")
    assert status == 200
    body = raw.decode()
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none': no script at all
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"  # following a source link does not tell it our URL
    lowered = body.lower()
    assert "<script" not in lowered
    assert not re.search(r"""(href|src|action|data|formaction)\s*=\s*["']?\s*(javascript|data|vbscript):""", lowered)
    assert not re.search(r"<[^>]+\son\w+\s*=", lowered), "an inline event handler survived"
    rendered = lowered.split('<div class="rendered">', 1)[1].split("</section>", 1)[0]
    for tag in ("<iframe", "<svg", "<object", "<form", "<img", "<math", "<style", " style="):
        assert tag not in rendered, tag
    assert "Real text survives: sepsis alerts fire too late in most wards." in text_of(body)
    assert 'href="https://example.org/paper"' in body
    assert "&lt;img src=x onerror=alert(&#39;title&#39;)&gt;" in body  # the title is text


def test_browse_facets_by_tag_kind_decay_freshness_owner_channel(kb):
    url, store, _ = kb
    data = as_json(url + "kb/notes_browse.json?_facet_array=tags&_facet=kind&_facet=decay_rate&_facet=freshness"
                   "&_facet=owner&_facet=channel&_size=100")
    facets = data["facet_results"]
    facets = facets.get("results", facets)
    assert {"tags", "kind", "decay_rate", "freshness", "owner", "channel"} <= set(facets)
    tags = {v["value"]: v["count"] for v in facets["tags"]["results"]}
    in_db = store.conn.execute("SELECT count(*) FROM tags t JOIN notes n ON n.id = t.note_id"
                               " WHERE t.tag = 'sepsis' AND n.covered_by IS NULL").fetchone()[0]
    assert tags["sepsis"] == in_db == 2
    today = date.today()  # the view's freshness is SQLite's clock, not the injected one
    due = {r[0]: r[1] for r in store.conn.execute("SELECT id, due FROM notes WHERE covered_by IS NULL")}
    states = {row[0]: row[5] for row in data["rows"]}
    for note_id, state in states.items():
        d = date.fromisoformat(due[note_id])
        assert state == ("stale" if d <= today else "due soon" if (d - today).days <= 7 else "fresh")
    filtered = as_json(url + "kb/notes_browse.json?_facet_array=tags&tags__arraycontains=icu&_shape=array")
    assert [r["id"] for r in filtered] == [CLIP_ID]
    browse = page(url + "kb/notes_browse?_facet_array=tags&tags__arraycontains=sepsis")
    assert f'href="/note/{CLIP_ID}"' in browse
    recent = as_json(url + "kb/recent_clips.json?_shape=array")
    assert [r["id"] for r in recent][:2] == [HOSTILE_ID, CLIP_ID]


def test_every_page_has_its_json(kb):
    url, _, _ = kb
    for path in ("", "claims?q=rlvr", "stale", f"note/{CLIP_ID}"):
        body = page(url + path)
        link = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', body).group(1)
        assert isinstance(as_json(url.rstrip("/") + html.unescape(link)), dict)


def test_unknown_note_is_a_clear_404(kb):
    url, _, _ = kb
    status, _, body = get(url + "note/0123456789abcdef")
    assert status == 404 and "No note with id 0123456789abcdef" in body.decode()
    status, _, body = get(url + "note/0123456789abcdef.json")
    assert status == 404 and json.loads(body)["error"] == "No note with id 0123456789abcdef"


def test_pages_follow_what_the_running_bot_writes(kb, tmp_path):
    url, store, _ = kb
    before = as_json(url + f"note/{CLIP_ID}.json")["validations"]
    store.validate(CLIP_ID, by="cat", at=datetime(2026, 11, 29, 8, 0))
    after = as_json(url + f"note/{CLIP_ID}.json")["validations"]
    assert len(after) == len(before) + 1 and after[-1]["by"] == "cat"
    from bot.kb.notes import Claim, Note

    notes = as_json(url + ".json")["counts"]["notes"]
    assert as_json(url + ".json")["counts"]["notes"] == notes  # counted once, then remembered
    store.upsert_note(Note(id="cafe0000cafe0000", title="Late arrival", claims=[Claim(text="a claim")]), today=TODAY)
    counted = as_json(url + ".json")["counts"]
    assert (counted["notes"], counted["claims"]) == (notes + 1, store.counts()["claims"])


def test_a_note_id_with_dots_and_spaces_has_a_page(kb):
    from bot.kb.notes import Note

    url, store, _ = kb
    store.upsert_note(Note(id="paper.v2 draft", title="An oddly named note"), today=TODAY)
    data = as_json(url + "note/paper.v2%20draft.json")
    assert data["title"] == "An oddly named note" and data["id"] == "paper.v2 draft"
    assert "An oddly named note" in text_of(page(url + "note/paper.v2%20draft"))
