"""A claim's overflow menu over real HTTP: *Still valid* on one claim (and its echoes offered, validated only
on request), *Outdated* through the menu, and what a stale click gets. Every click is acked within 3 s."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.kb.importer import import_paths
from bot.slack import blocks
from tests.conftest import SEEDS
from tests.fakes.signing import DEFAULT_CHANNEL_ID
from tests.fakes.slack_api import RESPONSE_URL
from tests.slack.listeners.harness import envelope, link_event, menu_choice, wait_idle

SUMMARY, VIDEO = "20d2ec800f95fb01", "904f2657af3b42e6"  # seeds 000 and 004: their claims 3 echo each other
TODAY = date(2026, 11, 30)  # the harness clock


def click(bot, actions: list[dict], **kwargs):
    reply = bot.click(actions, **kwargs)
    assert reply.status == 200 and reply.seconds < 3  # acked at once: the store write is milliseconds
    return reply


def choose(message: dict, label: str, block_id: str) -> dict:
    [block] = [b for b in message["blocks"] if b.get("block_id") == block_id]
    return menu_choice(block["accessory"], label, block_id)


def claim_dates(store, note_id: str) -> list[date | None]:
    rows = store.conn.execute("SELECT last_validated FROM claims WHERE note_id = ? ORDER BY position", (note_id,))
    return [date.fromisoformat(r[0]) if r[0] else None for r in rows]


def posted_claims(bot, note_id: str, numbers: list[int]) -> dict:
    """A message with claim sections and their menus (as the reminder DM builds them), posted in Slack."""
    note = bot.store.get_note(note_id)
    sections = [blocks.section(f"{n}. {blocks.plain(note.claims[n - 1].text, 300)}", block_id=f"claim:{note_id}:{n}",
                               accessory=blocks.claim_menu(note_id, n)) for n in numbers]
    return bot.app.client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text="claims", blocks=sections)["message"]


def offers(bot) -> list[dict]:
    return [json.loads(c.body) for c in bot.fake.calls(RESPONSE_URL)
            if any(str(b.get("block_id", "")).startswith("echo-offer") for b in json.loads(c.body).get("blocks", []))]


@pytest.fixture
def seeded(bot):
    import_paths(bot.store, [SEEDS])
    return bot


def test_still_valid_on_one_claim_of_a_clip_moves_that_claims_date_only(bot, site):
    bot.event(envelope(link_event(site.url(1))))
    [call] = bot.fake.wait_for("chat.postMessage", ok_only=True)
    assert wait_idle(bot.app, 5)
    message = call.response["message"]
    menus = [b for b in message["blocks"] if (b.get("accessory") or {}).get("type") == "overflow"]
    assert len(menus) >= 2 and all(b["accessory"]["action_id"] == "claim_menu" for b in menus)
    note_id = menus[0]["block_id"].split(":")[1]
    before = claim_dates(bot.store, note_id)
    note_before = bot.store.note_row(note_id).last_validated

    valid = menu_choice(menus[1]["accessory"], "Still valid", menus[1]["block_id"])
    click(bot, [valid], message=message, message_ts=message["ts"], user_id="U0ANN")
    [update] = bot.fake.wait_for("chat.update", ok_only=True)

    after = claim_dates(bot.store, note_id)
    assert after[1] == TODAY and after[:1] + after[2:] == before[:1] + before[2:]
    assert bot.store.note_row(note_id).last_validated == note_before  # the note's own clock did not move
    new = {b.get("block_id"): b for b in update.decoded["blocks"]}
    clicked = new[menus[1]["block_id"]]
    assert "✅ claim 2 validated by <@U0ANN> on 2026-11-30" in clicked["text"]["text"] and "accessory" not in clicked
    assert new[menus[0]["block_id"]]["accessory"]["action_id"] == "claim_menu"  # the others keep their menu
    assert bot.fake.calls(RESPONSE_URL) == []  # no echoes: nothing offered (the offer is decided before the update)


def test_still_valid_offers_the_echoes_and_only_its_button_validates_them(seeded):
    bot = seeded
    message = posted_claims(bot, SUMMARY, [2, 3])
    video_before, summary_before = claim_dates(bot.store, VIDEO), claim_dates(bot.store, SUMMARY)
    hook = bot.fake.hook_url("actions/T0TEAM/1/menu")
    click(bot, [choose(message, "Still valid", f"claim:{SUMMARY}:3")], message=message, message_ts=message["ts"],
          user_id="U0ANN", response_url=hook)
    bot.fake.wait_for("chat.update", ok_only=True)
    [offer] = [json.loads(c.body) for c in bot.fake.wait_for(RESPONSE_URL)]

    assert claim_dates(bot.store, SUMMARY) == [*summary_before[:2], TODAY, *summary_before[3:]]
    assert claim_dates(bot.store, VIDEO) == video_before  # offered, never validated silently
    assert offer["response_type"] == "ephemeral" and offer["replace_original"] is False
    section = offer["blocks"][0]["text"]["text"]
    assert "Claim 3 is also in 1 other note" in section and "What are we scaling?" in section
    [button] = offer["blocks"][1]["elements"]
    assert button["text"]["text"] == "Validate its 1 echo too" and button["action_id"] == "claim_echoes_valid"
    assert json.loads(button["value"])["e"] == [[VIDEO, 3]]

    echo_hook = bot.fake.hook_url("actions/T0TEAM/2/offer")  # the ephemeral offer's own response_url
    click(bot, [{**button, "block_id": offer["blocks"][1]["block_id"]}], user_id="U0ANN", response_url=echo_hook)
    [done] = [json.loads(c.body) for c in bot.fake.wait_for(RESPONSE_URL, 2) if c.path.endswith("/2/offer")]
    assert claim_dates(bot.store, VIDEO) == [*video_before[:2], TODAY, *video_before[3:]]  # exactly that echo
    assert claim_dates(bot.store, SUMMARY) == [*summary_before[:2], TODAY, *summary_before[3:]]
    assert bot.store.note_row(VIDEO).last_validated is None  # a claim's date, not its note's
    assert done["replace_original"] is True
    assert "✅ 1 echo of claim 3 validated by <@U0ANN> on 2026-11-30" in done["text"]


def test_the_echo_offer_validates_no_claim_that_no_longer_echoes(seeded):
    """An old offer naming a claim that is not (or no longer) an echo: only the real echoes are validated."""
    bot = seeded
    video_before = claim_dates(bot.store, VIDEO)
    button = {"type": "button", "action_id": "claim_echoes_valid", "block_id": f"echo-offer-actions:{SUMMARY}:3",
              "value": blocks.action_value(SUMMARY, 3, e=[[VIDEO, 3], [VIDEO, 1], ["0000000000000000", 2]])}
    click(bot, [button], user_id="U0ANN")
    [done] = [json.loads(c.body) for c in bot.fake.wait_for(RESPONSE_URL)]
    assert claim_dates(bot.store, VIDEO) == [*video_before[:2], TODAY, *video_before[3:]]
    assert "1 echo of claim 3 validated" in done["text"]
    assert "2 of the echoes shown no longer echo claim 3" in done["text"]


def test_still_valid_in_a_claim_answer_rebuilds_it_then_offers_the_echoes(seeded):
    bot = seeded
    answer = bot.command("/claim", "robotics algorithms problem").json
    [block] = [b for b in answer["blocks"] if b.get("block_id") in (f"claim:{VIDEO}:3", f"claim:{SUMMARY}:3")]
    note_id = block["block_id"].split(":")[1]
    click(bot, [menu_choice(block["accessory"], "Still valid", block["block_id"])], user_id="U0ANN")
    rebuilt, offer = [json.loads(c.body) for c in bot.fake.wait_for(RESPONSE_URL, 2)]
    assert rebuilt["replace_original"] is True
    shown = next(b for b in rebuilt["blocks"] if b.get("block_id") == block["block_id"])
    assert "claim 3 validated by <@U0ANN>" in shown["text"]["text"] and "accessory" not in shown
    assert offer["replace_original"] is False and "Validate its 1 echo too" in json.dumps(offer["blocks"])
    assert claim_dates(bot.store, note_id)[2] == TODAY


def test_no_offer_when_the_claim_has_no_echoes(seeded):
    bot = seeded
    [lonely] = [n for n in range(1, 20) if not bot.store.conn.execute(
        "SELECT 1 FROM echoes e JOIN claims c ON c.id = e.claim_id WHERE c.note_id = ? AND c.position = ?",
        (VIDEO, n)).fetchone()][:1]
    message = posted_claims(bot, VIDEO, [lonely])
    click(bot, [choose(message, "Still valid", f"claim:{VIDEO}:{lonely}")], message=message,
          message_ts=message["ts"], user_id="U0ANN")
    bot.fake.wait_for("chat.update", ok_only=True)
    assert claim_dates(bot.store, VIDEO)[lonely - 1] == TODAY
    assert offers(bot) == [] and bot.fake.calls(RESPONSE_URL) == []


def test_outdated_through_the_menu_flags_the_echoes_and_changes_none(seeded):
    bot = seeded
    message = posted_claims(bot, VIDEO, [3])
    click(bot, [choose(message, "Outdated", f"claim:{VIDEO}:3")], message=message, message_ts=message["ts"],
          user_id="U0BOB")
    [update] = bot.fake.wait_for("chat.update", ok_only=True)
    text = update.decoded["blocks"][0]["text"]["text"]
    assert "⚪ claim 3 marked outdated by <@U0BOB>" in text and "1 echo in other notes flagged for review" in text
    assert bot.store.get_note(VIDEO).claims[2].outdated and not bot.store.get_note(SUMMARY).claims[2].outdated
    from bot.kb.reviews import open_reviews

    assert [(r.note_id, r.position) for r in open_reviews(bot.store)] == [(SUMMARY, 3)]
    assert bot.fake.calls(RESPONSE_URL) == []  # outdated offers nothing: its echoes wait in the digest


def test_an_outdated_button_of_an_older_message_still_works(seeded):
    bot = seeded
    legacy = {"type": "button", "action_id": "claim_outdated", "block_id": f"claim:{VIDEO}:3",
              "value": blocks.action_value(VIDEO, 3), "text": {"type": "plain_text", "text": "Outdated"}}
    click(bot, [legacy], user_id="U0BOB")
    [hook] = [json.loads(c.body) for c in bot.fake.wait_for(RESPONSE_URL)]
    assert "marked outdated" in hook["text"] and bot.store.get_note(VIDEO).claims[2].outdated


@pytest.mark.parametrize("label", ["Still valid", "Outdated"])
def test_a_claim_the_note_no_longer_has_gets_a_clear_message(seeded, label):
    bot = seeded
    count = len(bot.store.get_note(VIDEO).claims)
    menu = blocks.claim_menu(VIDEO, count + 1)  # a message posted before a re-import shortened the note
    before = bot.store.conn.execute("SELECT count(*) FROM validations").fetchone()[0]
    click(bot, [menu_choice(menu, label, f"claim:{VIDEO}:{count + 1}")], user_id="U0ANN")
    [hook] = [json.loads(c.body) for c in bot.fake.wait_for(RESPONSE_URL)]
    assert hook["text"] == "⚠️ that claim is no longer part of the note" and "Traceback" not in hook["text"]
    assert bot.store.conn.execute("SELECT count(*) FROM validations").fetchone()[0] == before


def test_a_claim_of_a_note_that_is_gone_gets_a_clear_message(bot):
    menu = blocks.claim_menu("0000000000000000", 2)
    click(bot, [menu_choice(menu, "Still valid", "claim:0000000000000000:2")])
    [hook] = [json.loads(c.body) for c in bot.fake.wait_for(RESPONSE_URL)]
    assert "no longer in the knowledge base" in hook["text"]


@pytest.mark.parametrize("value", ['{"n": "20d2ec800f95fb01", "c": 3, "a": "note_valid"}',
                                   '{"n": "20d2ec800f95fb01", "c": 3}', "not json"])
def test_a_menu_option_naming_no_claim_action_is_acknowledged_and_ignored(seeded, value):
    bot = seeded
    action = {"type": "overflow", "action_id": "claim_menu", "block_id": f"claim:{SUMMARY}:3",
              "selected_option": {"text": {"type": "plain_text", "text": "?"}, "value": value}}
    click(bot, [action])
    assert [c.method for c in bot.fake.calls()] == ["auth.test"]
    assert bot.store.conn.execute("SELECT count(*) FROM validations WHERE claim IS NOT NULL").fetchone()[0] == 0


def test_menu_option_values_fit_slacks_limit_with_a_long_topic():
    menu = blocks.claim_menu("20d2ec800f95fb01", 12, kind="claim", query="reinforcement learning " * 20)
    values = [o["value"] for o in menu["options"]]
    assert all(len(v) <= 150 for v in values)
    assert [json.loads(v)["a"] for v in values] == ["claim_valid", "claim_outdated"]
    assert all(json.loads(v)["q"].startswith("reinforcement learning") for v in values)
