"""The decay suggestion learns from the channel: Change decay clicks are labels that later clips follow."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import cli
from tests.slack.listeners.harness import envelope, link_event, wait_idle


def clip(bot, site, n: int) -> dict:
    """Post article ``n``; return the bot's thread reply as Slack stores it."""
    before = len(bot.fake.wait_for("chat.postMessage", 0))
    bot.event(envelope(link_event(site.url(n))))
    calls = bot.fake.wait_for("chat.postMessage", before + 1, ok_only=True)
    assert wait_idle(bot.app, 5)
    return calls[-1].response["message"]


def choose(bot, message: dict, rate: str) -> str:
    """Pick ``rate`` in the message's Change decay select, as a person would; returns the note id."""
    select = next(
        {**el, "block_id": block.get("block_id")}
        for block in message["blocks"] for el in [*(block.get("elements") or []), block.get("accessory") or {}]
        if el.get("action_id") == "note_decay"
    )
    option = next(o for o in select["options"] if o["text"]["text"] == rate)
    before = len(bot.fake.wait_for("chat.update", 0))
    reply = bot.click([{"type": "static_select", "action_id": "note_decay", "block_id": select["block_id"],
                        "selected_option": option}], message=message, message_ts=message["ts"])
    assert reply.status == 200 and reply.seconds < 3
    bot.fake.wait_for("chat.update", before + 1, ok_only=True)
    return json.loads(option["value"])["n"]


def still_valid(bot, message: dict) -> None:
    """Click the message's Still valid button, as a person would."""
    button = next({**el, "block_id": block.get("block_id")} for block in message["blocks"]
                  for el in block.get("elements") or [] if el.get("action_id") == "note_valid")
    before = len(bot.fake.wait_for("chat.update", 0))
    reply = bot.click([{"type": "button", "action_id": "note_valid", "block_id": button["block_id"],
                        "value": button["value"]}], message=message, message_ts=message["ts"])
    assert reply.status == 200 and reply.seconds < 3
    bot.fake.wait_for("chat.update", before + 1, ok_only=True)


def reply_text(message: dict) -> str:
    return " ".join(b.get("text", {}).get("text", "") for b in message["blocks"] if b.get("type") == "section")


def test_three_overrides_for_a_site_make_the_next_clip_follow_the_team(bot, site, tmp_path):
    first = clip(bot, site, 1)
    assert "decay slow" in reply_text(first)  # the saved page is an essay: evidence says slow
    choose(bot, first, "fast")
    for n in (2, 3):
        choose(bot, clip(bot, site, n), "fast")

    fourth = clip(bot, site, 4)

    assert "decay fast — this channel set 3 of 3 earlier notes from this site to fast" in reply_text(fourth)
    note = bot.store.get_note(json.loads(next(
        el["value"] for b in fourth["blocks"] for el in b.get("elements") or [] if el.get("action_id") == "note_valid"
    ))["n"])
    assert note.decay_rate == "fast" and note.extra["decay_suggested"] == "fast"
    assert any("[team-site]" in e for e in note.extra["decay_evidence"])
    still_valid(bot, fourth)  # the learned suggestion, accepted as it is
    stats = CliRunner().invoke(cli, ["decay-stats", "--db", str(bot.store.path)])
    assert stats.exit_code == 0, stats.output
    assert "3 decay labels (3 from slack)" in stats.output
    assert "suggestion kept 0 / changed 3 times" in stats.output
    assert "accepted: 1 of 4 reviewed notes (25 %) still have the suggested rate; 3 were changed" in stats.output
    assert "site 127.0.0.1: fast 3  → new notes follow: fast" in stats.output


def test_two_overrides_are_not_yet_a_policy(bot, site):
    for n in (1, 2):
        choose(bot, clip(bot, site, n), "fast")
    assert "decay slow" in reply_text(clip(bot, site, 3))


def test_the_thread_reply_says_the_rate_and_the_pages_own_evidence(bot, site):
    from tests.fixtures.decay_pages.corpus import page

    site.pages["/2013/11/27/travel/weather-thanksgiving/"] = page("cnn-thanksgiving-weather").html()
    bot.event(envelope(link_event(f"{site.base}/2013/11/27/travel/weather-thanksgiving/")))
    [call] = bot.fake.wait_for("chat.postMessage", ok_only=True)
    assert wait_idle(bot.app, 5)
    assert "decay fast — a news article (schema.org NewsArticle), a dated news-style URL (2013/11/27)" in (
        reply_text(call.response["message"]))


def photonics_page(n: int) -> bytes:
    """An article about photonics (the keyword becomes the note's tag); nothing on it argues for a rate."""
    paras = [f"Photonics labs report new waveguide results in study {n} from the {k}th run of the bench, where the"
             f" photonics group measured loss in silicon photonics chips made by foundry {k} and compared the"
             f" photonics packaging with earlier samples; researchers said the waveguide loss figures of batch {k}"
             " depend on the photonics process and on how carefully each wafer was cleaved and polished."
             for k in range(1, 9)]
    return (f"<html><head><title>Photonics waveguide study {n}</title></head><body><article>"
            f"<h1>Photonics waveguide study {n}</h1>" + "".join(f"<p>{p}</p>" for p in paras)
            + "</article></body></html>").encode()


def test_overrides_for_a_tag_make_the_next_clip_with_that_tag_follow_the_team(bot, site):
    for n in (1, 2, 3):  # the site's essays set to medium: the site alone is no policy (3 medium, 3 fast)
        choose(bot, clip(bot, site, n), "medium")
    for n in (1, 2, 3):
        before = len(bot.fake.wait_for("chat.postMessage", 0))
        site.pages[f"/p/{n}"] = photonics_page(n)
        bot.event(envelope(link_event(f"{site.base}/p/{n}")))
        message = bot.fake.wait_for("chat.postMessage", before + 1, ok_only=True)[-1].response["message"]
        assert wait_idle(bot.app, 5)
        choose(bot, message, "fast")

    site.pages["/p/4"] = photonics_page(4)
    before = len(bot.fake.wait_for("chat.postMessage", 0))
    bot.event(envelope(link_event(f"{site.base}/p/4")))
    fourth = bot.fake.wait_for("chat.postMessage", before + 1, ok_only=True)[-1].response["message"]
    assert wait_idle(bot.app, 5)

    assert "decay fast — this channel set 3 of 3 earlier notes tagged #photonics to fast" in reply_text(fourth)
    note_id = json.loads(next(el["value"] for b in fourth["blocks"] for el in b.get("elements") or []
                              if el.get("action_id") == "note_valid"))["n"]
    note = bot.store.get_note(note_id)
    assert note.decay_rate == "fast" and "photonics" in note.tags
    assert any("[team-tag]" in e for e in note.extra["decay_evidence"])
    assert not any("[team-site]" in e for e in note.extra["decay_evidence"])
