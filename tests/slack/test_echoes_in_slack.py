"""Echoes where Slack users meet them, over real HTTP: the clip's thread reply, /claim, a claim's menu."""

from __future__ import annotations

import json

from bot.kb.importer import import_paths
from tests.conftest import SEEDS
from tests.fakes.slack_api import RESPONSE_URL
from tests.slack.listeners.harness import envelope, link_event, menu_choice, wait_idle

SUMMARY, VIDEO = "20d2ec800f95fb01", "904f2657af3b42e6"


def _posts(bot):
    return [c.decoded for c in bot.fake.calls("chat.postMessage") if c.ok]


def _echo_block(post):
    return next((b for b in post["blocks"] if str(b.get("block_id", "")).startswith("echoes:")), None)


def test_a_clip_says_which_claims_we_already_had_with_links_and_who_posted_them(bot, site):
    bot.event(envelope(link_event(site.url("one"), user="U0FIRST")))
    bot.fake.wait_for("chat.postMessage", 1, ok_only=True, timeout=30)
    assert wait_idle(bot.app, 20)
    assert _echo_block(_posts(bot)[0]) is None  # nothing to echo yet
    bot.event(envelope(link_event(site.url("two"), user="U0SECOND")))
    bot.fake.wait_for("chat.postMessage", 2, ok_only=True, timeout=30)
    assert wait_idle(bot.app, 20)
    block = _echo_block(_posts(bot)[1])
    assert block is not None
    text = block["text"]["text"]
    first = bot.store.find_note_ids("The case for slow notes, part one")[0]
    count = len(bot.store.get_note(first).claims)
    assert f"{count} claims echo what we already had:" in text
    assert "The case for slow notes, part one" in text and "posted by <@U0FIRST>" in text
    assert "/a/one#:~:text=" in text  # each echo links to its place in the earlier source


def test_claim_answer_folds_echoes_into_also_in(bot):
    import_paths(bot.store, [SEEDS])
    reply = bot.command("/claim", "robotics algorithms problem")
    body = reply.json
    sections = [b["text"]["text"] for b in body["blocks"] if b.get("block_id", "").startswith("claim:")]
    folded = [s for s in sections if "also in:" in s]
    assert folded and "(2 sources)" in folded[0]
    # the echo is folded, not listed again as its own answer
    ids = [b["block_id"] for b in body["blocks"] if b.get("block_id", "").startswith("claim:")]
    assert not ({f"claim:{SUMMARY}:3", f"claim:{VIDEO}:3"} <= set(ids))


def test_claim_answer_says_it_expanded_an_alias(bot):
    import_paths(bot.store, [SEEDS])
    body = bot.command("/claim", "reinforcement learning from verifiable rewards").json
    assert "also searched _RLVR_" in body["blocks"][0]["text"]["text"]
    assert any("RLVR" in b["text"]["text"] for b in body["blocks"][1:] if b.get("type") == "section")


def test_outdated_click_flags_the_echoes_for_the_digest_and_changes_none(bot):
    import_paths(bot.store, [SEEDS])
    answer = bot.command("/claim", "robotics algorithms problem").json
    block = next(b for b in answer["blocks"]
                 if b.get("block_id") in (f"claim:{VIDEO}:3", f"claim:{SUMMARY}:3") and "accessory" in b)
    outdated = menu_choice(block["accessory"], "Outdated", block["block_id"])
    value = json.loads(outdated["selected_option"]["value"])
    reply = bot.click([outdated], response_url=bot.fake.hook_url("actions/T0TEAM/1/x"))
    assert reply.status == 200
    [hook] = bot.fake.wait_for(RESPONSE_URL)
    assert "echo in other notes flagged for review" in json.dumps(json.loads(hook.body))
    other = (SUMMARY, 3) if value["n"] == VIDEO else (VIDEO, 3)
    assert not bot.store.get_note(other[0]).claims[2].outdated  # never changed silently
    from bot.kb.reviews import open_reviews

    [review] = open_reviews(bot.store)
    assert (review.note_id, review.position) == other
