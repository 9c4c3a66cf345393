"""Buttons over real HTTP: each click is recorded once, answered at once, and shown where it happened."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.kb import decay
from bot.kb.importer import import_paths
from bot.slack import blocks
from tests.conftest import SEEDS
from tests.fakes.signing import DEFAULT_CHANNEL_ID
from tests.fakes.slack_api import RESPONSE_URL
from tests.slack.listeners.harness import envelope, link_event, menu_choice, wait_idle

VIDEO = "What are we scaling?"


@pytest.fixture
def clipped(bot, site):
    """A thread reply for a fresh clip: (bot, the posted message as Slack stores it)."""
    bot.event(envelope(link_event(site.url(1))))
    [call] = bot.fake.wait_for("chat.postMessage", ok_only=True)
    assert wait_idle(bot.app, 5)
    return bot, call.response["message"]


def element(message: dict, action_id: str) -> dict:
    for block in message["blocks"]:
        for candidate in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if candidate.get("action_id") == action_id:
                return {**candidate, "block_id": block.get("block_id")}
    raise AssertionError(f"no {action_id} in the message")


def click(bot, message: dict, action: dict, **kwargs):
    reply = bot.click([action], message=message, message_ts=message["ts"], **kwargs)
    assert reply.status == 200 and reply.seconds < 3
    return reply


def test_still_valid_is_idempotent(clipped):
    bot, message = clipped
    valid = element(message, "note_valid")
    note_id = json.loads(valid["value"])["n"]
    click(bot, message, valid, user_id="U0ANN")
    click(bot, message, valid, user_id="U0ANN")
    bot.fake.wait_for("chat.update", 2, ok_only=True)
    assert [v.by for v in bot.store.validations(note_id)] == ["U0ANN"]
    assert bot.store.note_row(note_id).last_validated == date(2026, 11, 30)


def test_change_decay_from_the_select(clipped):
    bot, message = clipped
    select = element(message, "note_decay")
    fast = next(o for o in select["options"] if o["text"]["text"] == "fast")
    click(bot, message, {"type": "static_select", "action_id": "note_decay", "block_id": select["block_id"],
                         "selected_option": fast})
    [update] = bot.fake.wait_for("chat.update", ok_only=True)
    note_id = json.loads(fast["value"])["n"]
    row = bot.store.note_row(note_id)
    assert row.decay_rate == "fast" and row.due == date(2026, 12, 30)
    section = next(b for b in update.decoded["blocks"] if b.get("block_id") == f"note:{note_id}")
    assert "decay set to fast by <@U0USER>" in section["text"]["text"]
    assert "decay fast" in section["text"]["text"]  # re-rendered from the store


def test_decay_buttons_are_accepted_too(clipped):
    bot, message = clipped
    note_id = json.loads(element(message, "note_valid")["value"])["n"]
    click(bot, message, {"type": "button", "action_id": "note_decay_medium", "block_id": f"actions:{note_id}",
                         "value": blocks.action_value(note_id)})
    bot.fake.wait_for("chat.update", ok_only=True)
    assert bot.store.note_row(note_id).decay_rate == "medium"


def choose(message: dict, label: str, nth: int = 0) -> dict:
    """The action Slack sends when ``label`` is chosen in the ``nth`` claim menu of ``message``."""
    menus = [b for b in message["blocks"] if (b.get("accessory") or {}).get("action_id") == "claim_menu"]
    return menu_choice(menus[nth]["accessory"], label, menus[nth]["block_id"])


def test_outdated_claim_marks_only_that_claim(clipped):
    bot, message = clipped
    outdated = choose(message, "Outdated")
    value = json.loads(outdated["selected_option"]["value"])
    click(bot, message, outdated, user_id="U0BOB")
    [update] = bot.fake.wait_for("chat.update", ok_only=True)
    claim = bot.store.get_note(value["n"]).claims[value["c"] - 1]
    assert claim.outdated
    block = next(b for b in update.decoded["blocks"] if b.get("block_id") == outdated["block_id"])
    assert "marked outdated by <@U0BOB>" in block["text"]["text"] and "accessory" not in block
    others = [b for b in update.decoded["blocks"] if b.get("block_id", "").startswith("claim:")
              and b["block_id"] != outdated["block_id"]]
    assert others and all("accessory" in b for b in others)


def test_a_digest_message_is_updated_in_place_only_for_the_clicked_note(bot):
    """The digest engineer builds with note_section + note_actions; a click updates that note only."""
    import_paths(bot.store, [SEEDS])
    today = date(2026, 11, 30)
    rows = bot.store.stale_notes(today)
    assert len(rows) >= 2
    digest = [blocks.section("*Weekly digest*")]
    for row in rows:
        digest += [blocks.note_section(row, decay.freshness(row.due, today)),
                   blocks.note_actions(row.id, url=row.url, rate=row.decay_rate, buttons=blocks.REVIEW_BUTTONS)]
    posted = bot.app.client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="digest", blocks=digest)["message"]
    snooze = element(posted, "note_snooze")
    target = json.loads(snooze["value"])["n"]
    click(bot, posted, snooze, user_id="U0ANN")
    [update] = bot.fake.wait_for("chat.update", ok_only=True)
    assert update.decoded["ts"] == posted["ts"]
    new = {b.get("block_id"): b for b in update.decoded["blocks"]}
    assert "snoozed until 2026-12-14 by <@U0ANN>" in new[f"note:{target}"]["text"]["text"]
    assert new[f"actions:{target}"]["type"] == "context"
    for row in rows:
        if row.id != target:
            assert new[f"actions:{row.id}"]["type"] == "actions"
    assert bot.store.note_row(target).due == date(2026, 12, 14)


def test_ephemeral_claim_answer_is_rebuilt_after_outdated(bot):
    import_paths(bot.store, [SEEDS])
    answer = bot.command("/claim", "rlvr").json
    outdated = choose(answer, "Outdated")
    reply = bot.click([outdated], response_url=bot.fake.hook_url("actions/T0TEAM/1/x"))
    assert reply.status == 200
    [hook] = bot.fake.wait_for(RESPONSE_URL)
    sent = json.loads(hook.body)
    assert sent["replace_original"] is True and sent["response_type"] == "ephemeral"
    value = json.loads(outdated["selected_option"]["value"])
    block = next(b for b in sent["blocks"] if b.get("block_id") == f"claim:{value['n']}:{value['c']}")
    assert "outdated" in block["text"]["text"] and "accessory" not in block
    assert bot.store.get_note(value["n"]).claims[value["c"] - 1].outdated


def test_share_in_channel_posts_the_answer_publicly(bot):
    import_paths(bot.store, [SEEDS])
    answer = bot.command("/claim", "rlvr").json
    share = element(answer, "share_claims")
    bot.click([share], user_id="U0ANN")
    [hook] = bot.fake.wait_for(RESPONSE_URL)
    sent = json.loads(hook.body)
    assert sent["response_type"] == "in_channel" and sent["replace_original"] is False
    text = json.dumps(sent["blocks"])
    assert "shared by <@U0ANN>" in text and "prestige of pre-training" in text
    assert '"claim_menu"' not in text and '"share_claims"' not in text


def test_still_valid_in_an_ephemeral_stale_list(bot):
    import_paths(bot.store, [SEEDS])
    answer = bot.command("/stale").json
    valid = element(answer, "note_valid")
    note_id = json.loads(valid["value"])["n"]
    bot.click([valid], user_id="U0ANN")
    [hook] = bot.fake.wait_for(RESPONSE_URL)
    sent = json.loads(hook.body)
    assert sent["replace_original"] is True
    assert bot.store.note_row(note_id).last_validated == date(2026, 11, 30)
    assert "validated by <@U0ANN>" in json.dumps(sent["blocks"])


def test_open_note_is_only_acknowledged(clipped):
    bot, message = clipped
    before = len(bot.fake.calls())
    click(bot, message, element(message, "note_open"))
    assert len(bot.fake.calls()) == before


def test_click_on_a_note_that_is_gone_says_so(bot):
    action = {"type": "button", "action_id": "note_valid", "block_id": "actions:0000000000000000",
              "value": blocks.action_value("0000000000000000")}
    bot.click([action])
    [hook] = bot.fake.wait_for(RESPONSE_URL)
    assert "no longer in the knowledge base" in json.loads(hook.body)["text"]


@pytest.mark.parametrize("value", ["", "not json", "[1, 2]", '{"n": 5, "c": "x"}', '{"c": 1}'])
def test_malformed_values_are_acknowledged_and_ignored(bot, value):
    reply = bot.click([{"type": "button", "action_id": "note_valid", "block_id": "actions:x", "value": value}])
    assert reply.status == 200
    assert [c.method for c in bot.fake.calls()] == ["auth.test"]


def test_clicks_in_app_home_republish_it(bot):
    import_paths(bot.store, [SEEDS])
    note_id = bot.store.find_note_ids(VIDEO)[0]
    payload_action = {"type": "button", "action_id": "note_valid", "block_id": f"actions:{note_id}",
                      "value": blocks.action_value(note_id, k="home")}
    bot.click([payload_action], user_id="U0ANN")
    [publish] = bot.fake.wait_for("views.publish", ok_only=True)
    assert publish.decoded["user_id"] == "U0ANN"
    assert bot.store.note_row(note_id).last_validated == date(2026, 11, 30)


def test_still_valid_on_a_clip_validates_the_work_as_shown(bot):
    """Seed 001's clip is covered by seed 000's summary: the stale list shows the summary under the clip's
    URL, so a click on the clip's own reply must restart the summary's clock (the same-work rule)."""
    import_paths(bot.store, [SEEDS])
    today = date(2026, 11, 30)
    [clip_id] = [r[0] for r in bot.store.conn.execute("SELECT id FROM notes WHERE covered_by IS NOT NULL")]
    summary_id = bot.store.shown_ids([clip_id])[0]
    assert summary_id != clip_id and summary_id in [r.id for r in bot.store.stale_notes(today)]
    reply = [blocks.section("reply"), blocks.note_actions(clip_id, url=None, rate="slow", buttons=blocks.NOTE_BUTTONS)]
    posted = bot.app.client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="reply", blocks=reply)["message"]
    click(bot, posted, element(posted, "note_valid"), user_id="U0ANN")
    bot.fake.wait_for("chat.update", ok_only=True)
    assert [v.by for v in bot.store.validations(summary_id)] == ["U0ANN"]
    assert summary_id not in [r.id for r in bot.store.stale_notes(today)]
