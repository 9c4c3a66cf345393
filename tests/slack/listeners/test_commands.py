"""Slash commands over real HTTP: answers travel in the ack, ephemerally; no input is ever an error."""

from __future__ import annotations

import json

import pytest

from bot.kb.importer import import_paths
from bot.kb.notes import Note
from tests.conftest import SEEDS


@pytest.fixture
def seeded_bot(bot):
    import_paths(bot.store, [SEEDS])
    return bot


def texts(value):
    """Every text object Slack would render (button values are opaque to Slack, so not these)."""
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text"):
            yield value
        for key, child in value.items():
            if key != "value":
                yield from texts(child)
    elif isinstance(value, list):
        for child in value:
            yield from texts(child)


def answer(reply) -> dict:
    assert reply.status == 200 and reply.seconds < 3
    body = reply.json
    assert body["response_type"] == "ephemeral"
    assert len(body["blocks"]) <= 50
    return body


def test_claim_without_text_gives_usage(seeded_bot):
    for text in ("", "   ", "!!! ???"):
        body = answer(seeded_bot.command("/claim", text))
        assert "Usage: `/claim TOPIC`" in body["text"]


@pytest.mark.parametrize("text", ['"', '"rlvr', "NOT", "rlvr NOT scaling", "-rlvr*", "NEAR(rlvr", "rlvr " * 1000,
                                  "x" * 5000, "<!channel> rlvr", "🦜 rlvr"])
def test_claim_is_quote_proof(seeded_bot, text):
    body = answer(seeded_bot.command("/claim", text))
    assert body["blocks"]
    rendered = json.dumps(body)
    shown = [body["text"], *(t["text"] for t in texts(body["blocks"]))]
    assert "Traceback" not in rendered and not any("<!channel>" in t for t in shown)
    assert ("Claims on" in body["text"]) or ("No claims found" in rendered) or ("Usage" in body["text"])


def test_claim_answer_shows_source_place_and_freshness(seeded_bot):
    body = answer(seeded_bot.command("/claim", "RL scaling"))
    claims = [b for b in body["blocks"] if b.get("block_id", "").startswith("claim:")]
    assert 1 <= len(claims) <= 10
    for block in claims:
        text = block["text"]["text"]
        assert "<https://" in text and ("stale since" in text or "fresh" in text or "due" in text)
        values = [json.loads(o["value"]) for o in block["accessory"]["options"]]
        assert [v["a"] for v in values] == ["claim_valid", "claim_outdated"]
        for value in values:
            assert value["k"] == "claim" and value["q"] == "RL scaling" and isinstance(value["c"], int)


def test_note_finds_notes_with_buttons(seeded_bot):
    body = answer(seeded_bot.command("/note", "what are we scaling"))
    sections = [b for b in body["blocks"] if b.get("block_id", "").startswith("note:")]
    assert sections and "What are we scaling?" in sections[0]["text"]["text"]
    note_id = sections[0]["block_id"].split(":", 1)[1]
    actions = next(b for b in body["blocks"] if b.get("block_id") == f"actions:{note_id}")
    assert {e["action_id"] for e in actions["elements"]} >= {"note_valid", "note_decay"}
    assert "Usage" in answer(seeded_bot.command("/note", ""))["text"]
    assert "No notes match" in json.dumps(answer(seeded_bot.command("/note", "zzzyyyxxx")))


def test_stale_lists_everyones_and_mine(seeded_bot):
    everyone = answer(seeded_bot.command("/stale"))
    assert "Stale notes" in everyone["blocks"][0]["text"]["text"]
    assert any(b.get("block_id", "").startswith("note:") for b in everyone["blocks"])
    snooze = [e for b in everyone["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e["action_id"] == "note_snooze"]
    assert snooze
    mine = answer(seeded_bot.command("/stale", "mine", user_id="U0NOBODY"))
    assert "Nothing of yours is stale" in mine["blocks"][0]["text"]["text"]
    seeded_bot.store.upsert_note(Note(id="mine1", title="My old note", url="https://example.org/old",
                                      owner="U0ME", last_validated=__import__("datetime").date(2025, 1, 1)))
    mine = answer(seeded_bot.command("/stale", "mine", user_id="U0ME"))
    assert "My old note" in json.dumps(mine) and "Your stale notes" in mine["blocks"][0]["text"]["text"]
    assert "Usage" in answer(seeded_bot.command("/stale", "everything please"))["text"]


def test_stale_mine_also_finds_notes_that_name_me_by_handle_or_name(seeded_bot):
    from datetime import date

    seeded_bot.fake.add_user("U0ANN", "ann", real_name="Ann Lee")
    for n, owner in enumerate(["U0ANN", "@ann", "ANN LEE", "ann", "annabel", "U0BOB"]):
        seeded_bot.store.upsert_note(Note(id=f"own{n}", title=f"Owned note {n} by {owner}", owner=owner,
                                          url=f"https://example.org/own/{n}", last_validated=date(2025, 1, 1)))
    mine = answer(seeded_bot.command("/stale", "mine", user_id="U0ANN"))
    text = json.dumps(mine)
    assert all(f"Owned note {n} by" in text for n in range(4))
    assert "Owned note 4" not in text and "Owned note 5" not in text
    assert ": 4" in mine["blocks"][0]["text"]["text"]
    answer(seeded_bot.command("/stale", "mine", user_id="U0ANN"))
    assert len(seeded_bot.fake.calls("users.info")) == 1  # the names are looked up once


def test_stale_mine_answers_at_once_when_slack_cannot_name_the_user(seeded_bot):
    from datetime import date

    seeded_bot.fake.rate_limit("users.info", retry_after=30)  # the shared client would wait this out
    seeded_bot.store.upsert_note(Note(id="mine1", title="My old note", url="https://example.org/old",
                                      owner="U0ME", last_validated=date(2025, 1, 1)))
    reply = seeded_bot.command("/stale", "mine", user_id="U0ME")
    assert reply.status == 200 and reply.seconds < 3
    assert "My old note" in json.dumps(answer(reply))  # by user id, the names unknown for now
    answer(seeded_bot.command("/stale", "mine", user_id="U0ME"))
    assert len(seeded_bot.fake.calls("users.info")) == 1  # the failure is remembered for a minute


def test_commands_on_an_empty_store_say_so(bot):
    assert "No claims found" in json.dumps(answer(bot.command("/claim", "rlvr")))
    assert "All fresh" in json.dumps(answer(bot.command("/stale")))
