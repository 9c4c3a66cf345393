"""Fuzz: the note parser, the link finder and slash-command text never raise a traceback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.kb.links import canonical_url
from bot.kb.noteformats import NoteError, parse_text
from bot.slack.message_jobs import find_links

FRAGMENTS = st.sampled_from([
    "---\n", "---", "title: x\n", "url: https://a.example/x\n", "tags: [a, b\n", "last_validated: 2026-13-01\n",
    "decay_rate: sometimes\n", "## Summary\n", "## Key Points\n", "- **L** ([1:02](https://youtu.be/abc&t=62s)) - x\n",
    "## Highlights\n", "### H\n", "> \"q\"\n", "> -- Speaker, [0:10](u)\n", "## Transcript\n", "Summary\n",
    "Key Claims\n", "  • claim\n", "#tag #other\n", "Related\n", "\ufeff", "\r\n", ": : :\n", "!!binary |\n",
    "<!-- deskbot:body -->\n", "deskbot: 1\nid: x\ntitle: t\nclaims: [1, 2]\n", "deskbot: 2\n", "clipped: nope\n",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS | st.text(max_size=30), max_size=25).map("".join))
def test_note_parser_raises_only_note_errors(text):
    try:
        note = parse_text(text, source="fuzz.md")
    except NoteError as exc:
        assert str(exc).startswith("fuzz.md: ")
    else:
        assert note.title and note.id


def _block(elements):
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}


ELEMENT = st.one_of(
    st.fixed_dictionaries({"type": st.just("link"), "url": st.text(max_size=40)}),
    st.fixed_dictionaries({"type": st.sampled_from(["text", "user", "channel", "emoji"]), "text": st.text(max_size=20)}),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5) | st.integers() | st.none(), max_size=3),
)
TEXT = st.lists(
    st.sampled_from(["<https://a.example/x?y=1&amp;z=2|label>", "<@U123>", "<#C1|general>", "<mailto:a@b.c>",
                     "<!here>", "http://", "https://youtu.be/", "<", ">", "|", "&amp;"]) | st.text(max_size=20),
    max_size=12,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(text=TEXT | st.none() | st.integers(), blocks=st.lists(st.builds(_block, st.lists(ELEMENT, max_size=4)), max_size=3)
       | st.none() | st.text(max_size=5))
def test_link_finder_never_raises(text, blocks):
    links = find_links({"type": "message", "text": text, "blocks": blocks})
    for link in links:
        assert link.startswith(("http://", "https://"))
        canonical_url(link)


_STORE = {}


def _seeded_store(tmp_path_factory):
    if "store" not in _STORE:
        from bot.kb.importer import import_paths
        from bot.kb.store import Store
        from tests.conftest import SEEDS

        store = Store.open(str(tmp_path_factory.mktemp("fuzz") / "kb.db"))
        import_paths(store, [SEEDS])
        _STORE["store"] = store
    return _STORE["store"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(topic=st.text(max_size=200) | st.sampled_from(['"', '"NOT', "NOT", "-x", "*", "a OR", "NEAR(", "x" * 5000]))
def test_claim_and_note_lookups_take_any_text(tmp_path_factory, topic):
    from datetime import date

    from bot.kb.answers import claim_lookup, note_lookup

    store = _seeded_store(tmp_path_factory)
    assert isinstance(claim_lookup(store, topic, date(2026, 11, 24)), list)
    assert isinstance(note_lookup(store, topic, date(2026, 11, 24)), list)


def _blocks_fit_slack(reply: dict) -> None:
    blocks = reply.get("blocks") or []
    assert len(blocks) <= 50
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= 3000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300) | st.sampled_from(['"', '"NOT', "mine", "MINE please", "<!channel>", "x" * 5000]))
def test_slash_command_text_always_gets_an_answer_within_slack_limits(tmp_path_factory, text):
    from datetime import date

    from bot.slack.replies import claim_reply, note_reply, stale_reply

    store = _seeded_store(tmp_path_factory)
    today = date(2026, 11, 24)
    for reply in (claim_reply(store, text, today), note_reply(store, text, today),
                  stale_reply(store, text, today, "U0USER")):
        assert reply.get("blocks") or reply.get("text")
        _blocks_fit_slack(reply)
        assert "<!channel>" not in str(reply)  # user text is escaped, never a broadcast
