"""With DESKBOT_WEB_URL set, Slack's Open note button, /claim answers and the digest link to the note pages;
unset, they stay as they were (Open note → the source)."""

from __future__ import annotations

from datetime import date

from bot.clock.digest import collect_digest, digest_message, render_digest_text
from bot.kb.answers import claim_lookup
from bot.slack import blocks

TODAY = date(2026, 11, 30)


def _buttons(message):
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
            if e.get("action_id") == "note_open"]


def test_unset_open_note_goes_to_the_source(seeded, monkeypatch):
    monkeypatch.delenv(blocks.WEB_URL_ENV, raising=False)
    digest = collect_digest(seeded, TODAY)
    urls = {b["url"] for b in _buttons(digest_message(digest))}
    assert urls == {i.row.url for i in digest.items if i.row.url}
    answer = blocks.claim_answer("rlvr", claim_lookup(seeded, "rlvr", TODAY))
    assert "/note/" not in str(answer)
    assert "note page" not in render_digest_text(digest)


def test_set_every_surface_links_the_note_page(seeded, monkeypatch):
    monkeypatch.setenv(blocks.WEB_URL_ENV, "https://kb.example.org/")
    digest = collect_digest(seeded, TODAY)
    urls = [b["url"] for b in _buttons(digest_message(digest))]
    assert urls == [f"https://kb.example.org/note/{i.row.id}" for i in digest.items]
    answers = claim_lookup(seeded, "rlvr", TODAY)
    answer = blocks.claim_answer("rlvr", answers)
    first = next(b for b in answer["blocks"] if b.get("block_id", "").startswith("claim:"))
    assert f"<https://kb.example.org/note/{answers[0].hit.note_id}|note>" in first["text"]["text"]
    assert f"note page https://kb.example.org/note/{digest.items[0].row.id}" in render_digest_text(digest)
    reply = blocks.note_actions("abc123", url=None, buttons=blocks.NOTE_BUTTONS)
    assert [e["url"] for e in reply["elements"] if e.get("action_id") == "note_open"] == [
        "https://kb.example.org/note/abc123"]


def test_a_value_that_is_not_a_web_url_is_ignored(seeded, monkeypatch):
    monkeypatch.setenv(blocks.WEB_URL_ENV, "javascript:alert(1)")
    assert blocks.note_page("abc") is None
    assert _buttons({"blocks": [blocks.note_actions("abc", url="https://src.example/x")]})[0]["url"] == (
        "https://src.example/x")
