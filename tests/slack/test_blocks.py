"""Block Kit builders: Slack's limits always hold and page text can never ping anyone."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.kb import decay
from bot.kb.answers import ClaimAnswer, NoteAnswer
from bot.kb.notes import Claim, Note
from bot.kb.render import place_url
from bot.kb.store import ClaimHit, NoteRow
from bot.slack import blocks

TODAY = date(2026, 11, 30)
EVIL = "<!channel> <@U123> <https://evil.example|click> & *bold*"


def walk(value: Any):
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child)


def assert_within_limits(payload: dict[str, Any]) -> None:
    """Every limit Slack enforces on the parts we build."""
    assert len(payload["blocks"]) <= blocks.MAX_BLOCKS
    ids = [b["block_id"] for b in payload["blocks"] if "block_id" in b]
    assert len(ids) == len(set(ids)), "block ids must be unique in a message"
    for node in walk(payload["blocks"]):
        if node.get("type") == "section" and "text" in node:
            assert len(node["text"]["text"]) <= blocks.MAX_SECTION_TEXT
        if node.get("type") == "button":
            assert len(node["text"]["text"]) <= blocks.MAX_BUTTON_TEXT
            if "value" in node:
                assert len(node["value"]) <= blocks.MAX_ACTION_VALUE
                json.loads(node["value"])
        if node.get("type") == "actions":
            assert len(node["elements"]) <= 25
        if "block_id" in node:
            assert len(node["block_id"]) <= blocks.MAX_BLOCK_ID
        if node.get("type") in ("static_select", "overflow"):
            for option in node["options"]:
                assert len(option["value"]) <= blocks.MAX_OPTION_VALUE
                json.loads(option["value"])


def rendered_texts(payload: dict[str, Any]) -> list[str]:
    return [n["text"] for n in walk(payload) if n.get("type") in ("mrkdwn", "plain_text")]


def evil_note(claims: int = 5, text: str = EVIL) -> Note:
    return Note(
        id="abcdef0123456789", title=f"Title {text}", url="https://example.org/a?x=1&y=<2>", site=text, author=text,
        summary=f"Summary {text} " * 50, tags=["rlvr", "<!here>"], decay_rate="slow", decay_reason=f"because {text}",
        claims=[Claim(text=f"Claim {i} {text}", quote=f"quote {i}") for i in range(claims)],
    )


def test_page_text_is_escaped_everywhere():
    note = evil_note()
    payload = blocks.capture_reply(note, decay.freshness(None, TODAY), place_url=place_url)
    assert_within_limits(payload)
    for text in rendered_texts(payload) + [payload["text"]]:
        assert "<!channel>" not in text and "<@U123>" not in text and "<!here>" not in text
        assert "<https://evil.example" not in text
    assert "&lt;!channel&gt;" in json.dumps(payload)
    assert "<https://example.org/a?x=1&amp;y=&lt;2&gt;|Title" in payload["blocks"][0]["text"]["text"]


def test_only_http_links_become_links():
    assert blocks.link("javascript:alert(1)", "x") == "x"
    assert blocks.link("https://a.example/p|q", "x") == "<https://a.example/p%7Cq|x>"
    assert blocks.link(None, "<b>") == "&lt;b&gt;"


def test_clip_never_cuts_inside_an_entity():
    text = blocks.esc("a" * 9 + "&")  # "aaaaaaaaa&amp;"
    assert blocks.clip(text, 12) == "a" * 9 + "…"
    assert len(blocks.clip("x" * 5000, 3000)) == 3000


def test_huge_note_stays_within_every_limit():
    note = evil_note(claims=200, text="word " * 2000)
    note.title = "T" * 10_000
    payload = blocks.capture_reply(note, decay.freshness(date(2026, 1, 1), TODAY), place_url=place_url,
                                   notices=["n" * 5000] * 10)
    assert_within_limits(payload)


def test_thread_reply_shape():
    note = evil_note(claims=8, text="fine")
    payload = blocks.capture_reply(note, decay.freshness(date(2027, 1, 1), TODAY), place_url=place_url)
    ids = [b.get("block_id") for b in payload["blocks"]]
    assert ids[0] == "note:abcdef0123456789" and ids[-1] == "actions:abcdef0123456789"
    assert [i for i in ids if i and i.startswith("claim:")] == [f"claim:abcdef0123456789:{n}" for n in range(1, 6)]
    actions = payload["blocks"][-1]["elements"]
    assert [e["action_id"] for e in actions] == ["note_valid", "note_decay", "note_open"]
    assert actions[1]["initial_option"]["text"]["text"] == "slow"
    assert "#:~:text=quote%200" in payload["blocks"][3]["text"]["text"]


def test_action_values_are_the_contract():
    assert blocks.action_value("n1") == '{"n":"n1","c":null}'
    assert blocks.action_value("n1", 3, q="rl") == '{"n":"n1","c":3,"q":"rl"}'
    assert blocks.parse_value('{"n":"n1","c":3,"q":"rl","k":"claim"}') == {"n": "n1", "c": 3, "q": "rl", "k": "claim"}
    long = blocks.action_value("n1", None, q="é" * 5000)
    assert len(long) <= blocks.MAX_ACTION_VALUE and json.loads(long)["q"] == "é" * blocks.QUERY_IN_VALUE


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_value_never_raises(raw):
    out = blocks.parse_value(raw)
    assert set(out) >= {"n", "c"} or out == {}


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=3000), st.text(max_size=600))
def test_any_title_and_text_stays_valid_and_escaped(title, text):
    note = Note(id="n1", title=title or "t", url="https://e.example/", summary=text, claims=[Claim(text=text or "c")])
    payload = blocks.capture_reply(note, decay.freshness(None, TODAY), place_url=place_url)
    assert_within_limits(payload)
    for shown in rendered_texts(payload):
        assert "<!" not in shown.replace("<https://e.example/", "")


def test_mark_note_replaces_only_that_note():
    rows = [NoteRow(id=f"n{i}", title=f"Note {i}", kind="article", url=None, owner="U1", channel="C1",
                    decay_rate="fast", base_date=TODAY, due=TODAY, last_validated=None, summary="", claim_count=2)
            for i in range(3)]
    message = [b for r in rows for b in (blocks.note_section(r, decay.freshness(r.due, TODAY)),
                                         blocks.note_actions(r.id, buttons=blocks.REVIEW_BUTTONS))]
    status = blocks.status_line("valid", "U9", TODAY)
    new = blocks.mark_note(message, "n1", None, status)
    assert new[0] == message[0] and new[1] == message[1] and new[4] == message[4]
    assert new[2]["text"]["text"].endswith("✅ validated by <@U9> on 2026-11-30")
    assert new[3] == {"type": "context", "block_id": "actions:n1", "elements": [{"type": "mrkdwn", "text": status}]}
    assert message[2]["text"]["text"] != new[2]["text"]["text"]  # the input is not mutated


def test_echo_offer_escapes_the_echoes_and_keeps_slacks_limits():
    from bot.kb.echoes import Echo

    echoes = [Echo(claim_id=1, other_id=10 + i, score=0.9, method="rules", note_id=f"note{i:012d}", note_title=EVIL * 9,
                   note_kind="article", note_url="https://e.example/a", position=i + 1, text=EVIL * 40, label=None,
                   quote=None, t=None, page=None, owner="U1") for i in range(7)]
    payload = blocks.echo_offer("abcdef0123456789", 3, echoes)
    assert_within_limits(payload)
    for text in rendered_texts(payload) + [payload["text"]]:
        assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil.example" not in text
    [button] = payload["blocks"][1]["elements"]
    assert button["text"]["text"] == "Validate its 7 echoes too"
    assert json.loads(button["value"])["e"] == [[e.note_id, e.position] for e in echoes]
    assert "+2 more" in payload["blocks"][0]["text"]["text"]
    done = blocks.echoes_validated(3, echoes[:1], "U9", TODAY, gone=1)
    assert done.startswith("✅ 1 echo of claim 3 validated by <@U9> on 2026-11-30:") and "<!channel>" not in done
    assert "1 of the echoes shown no longer echoes claim 3" in done


def test_mark_claim_drops_its_button():
    note = evil_note(claims=3, text="ok")
    message = blocks.capture_reply(note, None, place_url=place_url)["blocks"]
    new = blocks.mark_claim(message, note.id, 2, "⚪ claim 2 marked outdated")
    claim2 = next(b for b in new if b.get("block_id") == f"claim:{note.id}:2")
    assert "accessory" not in claim2 and claim2["text"]["text"].endswith("marked outdated")
    assert all("accessory" in b for b in new if b.get("block_id") in (f"claim:{note.id}:1", f"claim:{note.id}:3"))


def test_claim_answer_limits_and_share_button():
    hits = [
        ClaimAnswer(
            hit=ClaimHit(claim_id=i, position=i, text=EVIL * 20, label=EVIL, quote=None, t=None, page=None,
                         claim_validated=None, outdated=False, note_id="n1", note_title=EVIL,
                         note_url="https://e.example/", note_kind="article", base_date=TODAY, decay_rate="fast",
                         score=-1.0),
            link="https://e.example/#:~:text=x",
            freshness=decay.freshness(TODAY, TODAY),
        )
        for i in range(1, 40)
    ]
    payload = blocks.claim_answer('"<!channel>"' * 100, hits)
    assert_within_limits(payload)
    assert payload["blocks"][-1]["elements"][0]["action_id"] == "share_claims"
    assert not any("<!channel>" in t for t in rendered_texts(payload))
    shared = blocks.claim_answer("rlvr", hits[:3], shared_by="U1", interactive=False)
    assert "shared by <@U1>" in shared["blocks"][0]["text"]["text"]
    assert not any(b["type"] == "actions" or "accessory" in b for b in shared["blocks"])


def test_home_view_limits():
    row = NoteRow(id="n1", title=EVIL, kind="article", url="https://e.example/", owner="U1", channel="C1",
                  decay_rate="slow", base_date=TODAY, due=TODAY, last_validated=None, summary=EVIL, claim_count=1)
    answers = [NoteAnswer(row, decay.freshness(TODAY, TODAY))] * 40
    view = blocks.home_view({"notes": 1_000_000, "claims": 10_000_000, "stale": 5}, answers, answers)
    assert view["type"] == "home"
    assert_within_limits(view)
    assert "*1,000,000* notes" in view["blocks"][1]["text"]["text"]


def test_duplicate_and_failure_replies():
    dup = blocks.duplicate_reply(EVIL, "https://e.example/", first_day=date(2026, 11, 2), first_user="U0ANN",
                                 permalink="https://t.slack.com/archives/C1/p1")
    text = dup["blocks"][0]["text"]["text"]
    assert text.startswith("📎 Already clipped on 2026-11-02 by <@U0ANN>: <https://e.example/|")
    assert "<https://t.slack.com/archives/C1/p1|first thread>" in text and "<!channel>" not in text
    fail = blocks.failure_reply("https://e.example/x", "HTTP 404 <Not Found>")
    assert "HTTP 404 &lt;Not Found&gt;" in fail["blocks"][0]["text"]["text"]


def test_note_section_takes_notes_rows_and_mappings():
    for note in (evil_note(), {"id": "n2", "title": "T", "url": None, "decay_rate": None},
                 NoteRow(id="n3", title="R", kind="video", url=None, owner=None, channel=None, decay_rate=None,
                         base_date=None, due=None, last_validated=None, summary="", claim_count=0)):
        block = blocks.note_section(note, None, status="✅ done")
        assert block["block_id"].startswith("note:") and block["text"]["text"].endswith("✅ done")
    assert blocks.mention("U0ANN") == "<@U0ANN>" and blocks.mention("<!channel>") == "&lt;!channel&gt;"
