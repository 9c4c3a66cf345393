"""/stale, /stale mine and App Home list a fresh note whose own claim is due (issue 19, per-claim decay),
by the digest's rule, naming the claim and why; its buttons act on it. Real Bolt app, real HTTP, signed
requests, the Slack stand-in; the bot's clock is fixed at 2026-11-30."""

from __future__ import annotations

import json
from datetime import date

from bot.kb.notes import Claim, Note
from tests.fakes.slack_api import RESPONSE_URL
from tests.slack.listeners.test_actions import element
from tests.slack.listeners.test_commands import answer
from tests.slack.listeners.test_home import home_opened

# A slow note validated 2026-10-27 is due 2027-04-25; its price claim ages fast: due 2026-11-26, 4 days ago.
CLAIM_LINE = "claim 2 states a price: due 2026-11-26 (4 days ago), before its note (2027-04-25)"


def priced(store, note_id: str = "p1", owner: str = "U0ANN") -> None:
    store.upsert_note(Note(
        id=note_id, title=f"Vector DB pricing {note_id}", url=f"https://example.org/{note_id}", owner=owner,
        decay_rate="slow", last_validated=date(2026, 10, 27), body="",
        claims=[Claim(text="Vector search finds neighbours by distance."),
                Claim(text="The managed tier costs $70 per month.")],
    ))


def plain(store, note_id: str, owner: str, validated: date, rate: str = "fast") -> None:
    store.upsert_note(Note(id=note_id, title=f"Plain note {note_id}", url=f"https://example.org/{note_id}",
                           owner=owner, decay_rate=rate, last_validated=validated, body="",
                           claims=[Claim(text="Retrieval helps grounded answers.")]))


def sections(payload: dict) -> dict[str, str]:
    return {b["block_id"].split(":", 1)[1]: b["text"]["text"] for b in payload["blocks"]
            if str(b.get("block_id", "")).startswith("note:")}


def test_stale_mine_names_the_due_claim_and_still_valid_takes_the_note_off(bot):
    priced(bot.store)  # Ann's: fresh, its price claim due
    plain(bot.store, "f1", "U0ANN", date(2026, 11, 20))  # Ann's, fresh, nothing due
    plain(bot.store, "b1", "U0BOB", date(2026, 9, 1))  # Bob's, stale
    mine = answer(bot.command("/stale", "mine", user_id="U0ANN"))
    shown = sections(mine)
    assert list(shown) == ["p1"]
    assert CLAIM_LINE in shown["p1"] and "claim 1" not in shown["p1"]
    assert mine["blocks"][0]["text"]["text"].endswith(": 1 (1 for a claim due before its note)")

    valid = element(mine, "note_valid")
    assert json.loads(valid["value"]) == {"n": "p1", "c": None, "k": "stale", "q": "mine"}
    assert bot.click([valid], user_id="U0ANN").status == 200
    [hook] = bot.fake.wait_for(RESPONSE_URL)
    sent = json.loads(hook.body)
    assert sent["replace_original"] is True and "p1" not in sections(sent)
    assert "validated by <@U0ANN>" in json.dumps(sent["blocks"])
    # the note's clock and so its claims' restarted: the price claim is next due 30 days on
    assert bot.store.conn.execute("SELECT due FROM claims WHERE note_id = 'p1' AND position = 2").fetchone() == (
        "2026-12-30",)
    again = answer(bot.command("/stale", "mine", user_id="U0ANN"))
    assert "Nothing of yours is stale" in again["blocks"][0]["text"]["text"]


def test_stale_lists_it_among_stale_notes_by_the_day_it_fell_due(bot):
    plain(bot.store, "s1", "U0BOB", date(2026, 10, 21))  # stale since 2026-11-20
    priced(bot.store)  # due for its claim since 2026-11-26
    plain(bot.store, "s2", "U0BOB", date(2026, 10, 30))  # stale since 2026-11-29
    everyone = answer(bot.command("/stale"))
    shown = sections(everyone)
    assert list(shown) == ["s1", "p1", "s2"]
    assert CLAIM_LINE in shown["p1"] and "⏰" not in shown["s1"] + shown["s2"]
    assert "fresh (until 2027-04-25)" in shown["p1"]  # the note's own date is not misreported
    assert everyone["blocks"][0]["text"]["text"].endswith(": 3 (1 for a claim due before its note)")
    assert {e["action_id"] for b in everyone["blocks"] if b.get("block_id") == "actions:p1"
            for e in b["elements"]} >= {"note_valid", "note_snooze", "note_needs_update", "note_decay"}


def test_snooze_on_the_line_pushes_the_claim_too(bot):
    priced(bot.store)
    mine = answer(bot.command("/stale", "mine", user_id="U0ANN"))
    bot.click([element(mine, "note_snooze")], user_id="U0ANN")
    [hook] = bot.fake.wait_for(RESPONSE_URL)
    assert "p1" not in sections(json.loads(hook.body))
    assert bot.store.conn.execute("SELECT due FROM claims WHERE note_id = 'p1' AND position = 2").fetchone() == (
        "2026-12-14",)
    assert "Nothing of yours is stale" in json.dumps(answer(bot.command("/stale", "mine", user_id="U0ANN")))


def test_needs_update_keeps_the_line_as_it_does_for_a_stale_note(bot):
    priced(bot.store)
    mine = answer(bot.command("/stale", "mine", user_id="U0ANN"))
    bot.click([element(mine, "note_needs_update")], user_id="U0ANN")
    [hook] = bot.fake.wait_for(RESPONSE_URL)
    sent = json.loads(hook.body)
    assert "flagged as needing an update" in sections(sent)["p1"] and CLAIM_LINE in sections(sent)["p1"]


def test_app_home_lists_it_with_the_claim_and_still_valid_republishes_without_it(bot):
    priced(bot.store)
    plain(bot.store, "f1", "U0ANN", date(2026, 11, 20))
    assert bot.event(home_opened_envelope("U0ANN")).status == 200
    [publish] = bot.fake.wait_for("views.publish", ok_only=True)
    view = publish.decoded["view"]
    shown = sections(view)
    assert list(shown) == ["p1"] and CLAIM_LINE in shown["p1"]
    assert "*0* stale · *1* with a claim due" in json.dumps(view, ensure_ascii=False)

    valid = element(view, "note_valid")
    assert json.loads(valid["value"]) == {"n": "p1", "c": None, "k": "home"}
    assert bot.click([valid], user_id="U0ANN").status == 200
    first, second = bot.fake.wait_for("views.publish", 2, ok_only=True)
    after = second.decoded["view"]
    assert sections(after) == {} and "*Your stale notes*: none" in json.dumps(after, ensure_ascii=False)
    assert "with a claim due" not in json.dumps(after, ensure_ascii=False)
    assert [v.by for v in bot.store.validations("p1")] == ["U0ANN"]


def home_opened_envelope(user: str) -> dict:
    from tests.slack.listeners.harness import envelope

    return envelope(home_opened(user))
