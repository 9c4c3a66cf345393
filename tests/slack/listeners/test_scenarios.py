"""The core scenarios, run twice: over HTTP (signed requests to waitress) and over Socket Mode (envelopes on
a local websocket, acks read back from it). Same app, same assertions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.kb.importer import import_paths
from bot.slack import queue
from tests.conftest import SEEDS
from tests.fakes.signing import DEFAULT_CHANNEL_ID
from tests.fakes.slack_api import RESPONSE_URL, FakeSlackAPI
from tests.slack.listeners.harness import envelope, link_event, load, running_bot, socket_bot, wait_idle


@pytest.fixture(params=["http", "socket"])
def any_bot(request: pytest.FixtureRequest, tmp_path) -> Iterator[Any]:
    if request.param == "http":
        with FakeSlackAPI() as fake, running_bot(fake, tmp_path) as bot:
            yield bot
    else:
        with socket_bot(tmp_path) as bot:
            yield bot


def replies(fake: FakeSlackAPI) -> list[dict[str, Any]]:
    return [c.decoded for c in fake.calls("chat.postMessage") if c.ok]


def test_link_is_acked_fast_and_answered_once_in_its_thread(any_bot, site):
    event = link_event(site.url(7))
    ack = any_bot.event(envelope(event))
    assert ack.status == 200 and ack.seconds < 3
    [post] = [c.decoded for c in any_bot.fake.wait_for("chat.postMessage", ok_only=True)]
    assert post["channel"] == DEFAULT_CHANNEL_ID and post["thread_ts"] == event["ts"]
    text = json.dumps(post["blocks"])
    assert "The case for slow notes, part 7" in text  # title
    assert "A slow note is one you write in your own words" in text  # summary (the anecdote that opens the essay is no claim)
    assert text.count('"claim_menu"') >= 3 and "#:~:text=" in text  # claims, each with its source place
    assert any(b.get("block_id", "").startswith("actions:") for b in post["blocks"])
    assert any_bot.fake.calls("reactions.add")[0].params["name"] == "eyes"


def test_slack_retries_make_no_second_note_or_reply(any_bot, site):
    payload = envelope(link_event(site.url(8)))
    first = any_bot.event(payload)
    assert first.status == 200
    any_bot.fake.wait_for("chat.postMessage", ok_only=True)
    for retry in (1, 2, 3):
        assert any_bot.event(payload, retry=retry).status == 200
    assert wait_idle(any_bot.app, 10)
    assert len(replies(any_bot.fake)) == 1
    assert any_bot.store.counts()["notes"] == 1
    assert site.total() == 1
    assert queue.counts(any_bot.store)["done"] == 1


def test_a_retry_whose_first_delivery_never_arrived_is_processed(any_bot, site):
    """Dedupe is by what was durably recorded, not by the retry header / retry_attempt."""
    any_bot.event(envelope(link_event(site.url(9))), retry=2)
    any_bot.fake.wait_for("chat.postMessage", ok_only=True)
    assert any_bot.store.counts()["notes"] == 1


def test_repeated_url_gets_already_clipped_with_a_permalink(any_bot, site):
    first = link_event(site.url(10), user="U0ANN")
    any_bot.event(envelope(first))
    any_bot.fake.wait_for("chat.postMessage", ok_only=True)
    any_bot.event(envelope(link_event(site.url(10) + "?utm_source=slack", user="U0BOB")))
    posts = [c.decoded for c in any_bot.fake.wait_for("chat.postMessage", 2, ok_only=True)]
    text = json.dumps(posts[1]["blocks"])
    assert "Already clipped on 2026-11-30 by <@U0ANN>" in text
    assert "The case for slow notes, part 10" in text
    [link] = any_bot.fake.calls("chat.getPermalink")
    assert (link.params["channel"], link.params["message_ts"]) == (DEFAULT_CHANNEL_ID, first["ts"])
    assert link.response["permalink"] in text
    assert site.total() == 1 and any_bot.store.counts()["notes"] == 1


IGNORED = [
    "ignore_bot_id_no_subtype.json", "ignore_bot_id_no_subtype_with_link.json", "ignore_bot_message_classic.json",
    "ignore_bot_message_modern.json", "ignore_bot_message_subtype.json", "ignore_channel_join.json",
    "ignore_message_changed_with_link.json", "ignore_message_deleted.json", "event_message_plain_no_link.json",
    "event_message_im.json",
]


def test_ignored_message_kinds_make_no_slack_call(any_bot):
    before = len(any_bot.fake.calls())
    for name in IGNORED:
        payload = load(name)
        payload["event"]["channel"] = DEFAULT_CHANNEL_ID  # a captured channel: only the kind may stop it
        if name == "event_message_im.json":
            payload["event"]["text"] = "<https://example.org/in-a-dm>"
        assert any_bot.event(payload).status == 200, name
        assert queue.counts(any_bot.store) == {"pending": 0, "running": 0, "done": 0, "failed": 0}, name
    assert wait_idle(any_bot.app, 5)
    assert len(any_bot.fake.calls()) == before


def test_claim_rlvr_answers_with_the_seed_claims(any_bot):
    import_paths(any_bot.store, [SEEDS])
    ack = any_bot.command("/claim", "rlvr")
    assert ack.status == 200 and ack.seconds < 3
    answer = ack.json
    assert answer["response_type"] == "ephemeral"
    text = json.dumps(answer["blocks"])
    assert "prestige of pre-training scaling laws" in text
    assert "https://www.youtube.com/watch?v=_zgnSbu5GqE&amp;t=508s" in text  # place link, & escaped for mrkdwn
    assert "stale since" in text
    assert any(e["action_id"] == "share_claims" for b in answer["blocks"] if b["type"] == "actions"
               for e in b["elements"])


def test_still_valid_click_updates_the_thread_reply_in_place(any_bot, site):
    any_bot.event(envelope(link_event(site.url(11))))
    [call] = any_bot.fake.wait_for("chat.postMessage", ok_only=True)
    posted = call.response["message"]
    actions = next(b for b in posted["blocks"] if b["type"] == "actions")
    valid = next(e for e in actions["elements"] if e["action_id"] == "note_valid")
    ack = any_bot.click([{**valid, "block_id": actions["block_id"], "type": "button"}], message=posted,
                        message_ts=posted["ts"], user_id="U0VAL")
    assert ack.status == 200 and ack.seconds < 3
    [update] = any_bot.fake.wait_for("chat.update", ok_only=True)
    assert update.decoded["ts"] == posted["ts"] and update.decoded["channel"] == DEFAULT_CHANNEL_ID
    text = json.dumps(update.decoded["blocks"])
    assert "validated by <@U0VAL> on 2026-11-30" in text
    assert '"note_valid"' not in text  # the buttons became a context line
    note_id = json.loads(valid["value"])["n"]
    assert [v.verdict for v in any_bot.store.validations(note_id)] == ["valid"]
    assert not any_bot.fake.calls(RESPONSE_URL)
