"""Uploads cannot rewrite other people's notes (issue 13, row 7). Any channel member can upload a file;
one whose id or URL matches a stored note becomes one more mention of it — its claims, owner, dates and
validation history stay as they were — and an upload never brings validation records of its own.
`deskbot import` (the vault owner's own files) still updates notes: see test_cli / docs/decisions.md."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from bot.capture.pipeline import UPLOAD_MATCHES_NOTE, capture_upload
from bot.kb.notes import Claim, Note, Validation
from bot.kb.render import render_note
from bot.slack import queue
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import (
    DEFAULT_CHANNEL_ID,
    envelope,
    link_event,
    load,
    running_bot,
    serve_articles,
    wait_idle,
)

NOW = datetime(2026, 11, 24, 10, 30)
PDFS = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"


def _victim(store) -> Note:
    note = Note(id="victim-1", title="Sparse retrieval works", url="https://example.org/paper", owner="U0ANN",
                decay_rate="slow", last_validated=date(2026, 6, 1),
                claims=[Claim(text="BM25 beats dense retrieval on rare terms.")],
                validations=[Validation(at=datetime(2026, 6, 1, 9, 0), by="U0ANN")])
    store.upsert_note(note)
    store.add_mention(note.id, url=note.url, channel="C0FIRST", ts="1.0", user="U0ANN", at=datetime(2026, 5, 1))
    return note


def _forgery(**changes) -> bytes:
    """A deskbot-format note that claims what only actions may record: an owner, a validation date far
    ahead (never due), validations "by" someone else."""
    fields = {"id": "victim-1", "title": "Dense retrieval is all you need", "url": "https://example.org/paper",
              "owner": "U0MALLORY", "decay_rate": "slow", "last_validated": date(2099, 12, 31),
              "claims": [Claim(text="Forged claim.", last_validated=date(2099, 12, 31))],
              "validations": [Validation(at=datetime(2026, 11, 1, 9, 0), by="U0BOSS")]}
    fields.update(changes)
    return render_note(Note(**fields)).encode("utf-8")


def _snapshot(store, note_id: str) -> tuple:
    row = store.note_row(note_id)
    note = store.get_note(note_id)
    return (note.title, note.owner, [c.text for c in note.claims], note.last_validated, row.due,
            [(v.by, v.verdict, v.at) for v in store.validations(note_id)])


def test_an_upload_with_another_notes_id_becomes_a_mention_and_changes_nothing(store):
    _victim(store)
    before = _snapshot(store, "victim-1")
    mentions = [(m.channel, m.user) for m in store.mentions("victim-1")]
    result = capture_upload(store, _forgery(), "evil.md", "text/markdown", channel="C0ELSE", user="U0MALLORY",
                            ts="2.0", now=NOW)
    assert result.status == "duplicate" and result.notices == [UPLOAD_MATCHES_NOTE]
    assert result.first is not None and result.first.user == "U0ANN"  # the reply points at the first posting
    assert _snapshot(store, "victim-1") == before
    assert [(m.channel, m.user) for m in store.mentions("victim-1")] == [*mentions, ("C0ELSE", "U0MALLORY")]
    assert store.counts()["notes"] == 1


def test_an_upload_reusing_a_clipped_notes_url_under_another_id_changes_nothing(store):
    from bot.kb.links import canonical_url
    from bot.kb.notes import url_note_id

    clipped = url_note_id(canonical_url("https://example.org/clipped"))
    store.upsert_note(Note(id=clipped, title="The clip", url="https://example.org/clipped", owner="U0ANN",
                           claims=[Claim(text="Original claim.")]))
    before = _snapshot(store, clipped)
    plain = b"---\nurl: https://example.org/clipped?utm_source=x\ntitle: Hijack\nowner: U0MALLORY\n---\n# Hijack\n"
    result = capture_upload(store, plain, "hijack.md", "text/markdown", channel="C0ELSE", user="U0MALLORY",
                            ts="2.0", now=NOW)
    assert result.status == "duplicate" and result.note.id == clipped
    assert _snapshot(store, clipped) == before and store.counts()["notes"] == 1


def test_a_new_upload_brings_no_validations_no_future_dates_and_is_owned_by_the_uploader(store):
    result = capture_upload(store, _forgery(id="fresh-1", url="https://example.org/new"), "new.md",
                            "text/markdown", channel="C0ELSE", user="U0MALLORY", ts="2.0", now=NOW)
    assert result.status == "captured"
    assert store.validations("fresh-1") == []
    note = store.get_note("fresh-1")
    assert note.last_validated is None and all(c.last_validated is None for c in note.claims)
    assert note.owner == "U0MALLORY" and note.clipped == NOW
    assert store.note_row("fresh-1").due < date(2030, 1, 1)  # comes due like any new clip, not in 2099


def test_the_same_pdf_shared_again_is_a_mention_not_a_new_clip_by_someone_else(store):
    data = (PDFS / "sparse-retrieval.pdf").read_bytes()
    link = "https://deskbot-test.slack.com/files/U0ANN/F0PDF/paper.pdf"
    first = capture_upload(store, data, "paper.pdf", "application/pdf", channel="C1", user="U0ANN", ts="1.0",
                           url=link, now=NOW)
    assert first.status == "captured"
    again = capture_upload(store, data, "paper.pdf", "application/pdf", channel="C2", user="U0MALLORY", ts="2.0",
                           url=link, now=NOW)
    assert again.status == "duplicate" and again.note.id == first.note.id
    assert store.get_note(first.note.id).owner == "U0ANN" and len(store.mentions(first.note.id)) == 2


def test_in_slack_the_forged_upload_is_answered_as_a_mention_and_the_clip_is_untouched(tmp_path):
    """End to end: a link is clipped; another member uploads a .md with that note's id and URL."""
    with serve_articles() as site, FakeSlackAPI() as fake, running_bot(fake, tmp_path) as bot:
        event = link_event(site.url(1))
        bot.event(envelope(event))
        assert wait_idle(bot.app, 15)
        [job] = queue.jobs(bot.store)
        before = _snapshot(bot.store, job.note_id)
        forged = _forgery(id=job.note_id, url=site.url(1))
        file = fake.add_file("evil.md", forged, "text/markdown")
        payload = load("event_message_file_share.json")
        upload = payload["event"]
        upload.update(channel=DEFAULT_CHANNEL_ID, channel_type="channel", user="U0MALLORY",
                      files=[{**upload["files"][0], **file}])
        bot.event(payload)
        assert wait_idle(bot.app, 15)
        assert _snapshot(bot.store, job.note_id) == before
        assert bot.store.counts()["notes"] == 1
        reply = [c.decoded for c in fake.calls("chat.postMessage") if c.ok][-1]
        assert reply["thread_ts"] == upload["ts"]
        text = json.dumps(reply["blocks"])
        assert "Already clipped" in text and "was not changed" in text


def test_deskbot_import_by_the_vault_owner_still_updates_the_note(store, tmp_path):
    """The contrast, by decision: `deskbot import` runs with the database owner's own rights on their own
    vault (export → edit → import round trip), so the same file *does* update the note; validation
    history merges (deduped by time and claim) and last_validated never moves backwards."""
    from bot.kb.importer import import_paths

    _victim(store)
    path = tmp_path / "vault" / "victim.md"
    path.parent.mkdir()
    path.write_bytes(_forgery())
    report = import_paths(store, [path.parent])
    assert report.updated == 1
    note = store.get_note("victim-1")
    assert (note.title, note.owner) == ("Dense retrieval is all you need", "U0MALLORY")
    assert {v.by for v in store.validations("victim-1")} == {"U0ANN", "U0BOSS"}


def test_an_upload_cannot_assert_echo_links_into_other_notes(store):
    """``also_in`` in an uploaded note would write echo links onto other people's claims (and count as
    corroboration in /claim): an upload's links are found by echo detection, never asserted."""
    _victim(store)
    hostile = Note(id="upload-1", title="Hostile upload", url="https://example.org/elsewhere",
                   claims=[Claim(text=f"Unrelated statement number {n} about tides.",
                                 also_in=[{"note": "victim-1", "claim": 0}]) for n in range(12)])
    result = capture_upload(store, render_note(hostile).encode("utf-8"), "h.md", "text/markdown",
                            channel="C0ELSE", user="U0MALLORY", ts="3.0", now=NOW)
    assert result.status == "captured"
    links = store.conn.execute(
        "SELECT count(*) FROM echoes e JOIN claims c ON c.id = e.claim_id WHERE c.note_id = 'victim-1'").fetchone()[0]
    assert links == 0
