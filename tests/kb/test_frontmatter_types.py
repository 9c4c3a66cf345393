"""Frontmatter of every wrong type: a ``NoteError`` naming the file and the field, or a note the store and the
renderer take as it is — never a TypeError/AttributeError/OverflowError (issue 13, rows 4 and 6)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.kb.noteformats import NoteError, parse_text
from bot.kb.render import render_note
from bot.kb.store import Store
from tests.fixtures.hostile import WRONG_TYPES, billion_laughs_note, wrong_type_note

DESKBOT_FIELDS = [
    "id", "title", "kind", "url", "clipped", "slack_channel", "owner", "author", "site", "published", "tags",
    "summary", "claims", "highlights", "quotes", "sections", "related", "source_id", "last_validated",
    "decay_rate", "decay_reason", "validations", "extra", "flags",
]
MARKDOWN_FIELDS = [
    "title", "url", "source", "video_id", "clipped", "created", "published", "upload_date", "date", "last_validated",
    "decay_rate", "tags", "author", "authors", "channel", "slack_channel", "owner", "slack_user", "site",
    "site_name", "description", "related",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "https://example.org/x", "slow", "1:02"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["text", "quote", "t", "page", "label", "outdated", "supported", "last_validated", "at", "by", "verdict",
         "claim", "heading", "speaker", "x"]), inner, max_size=4),
    max_leaves=8,
)


def _document(meta: dict) -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n\n# Heading\n\nBody text.\n"


def _accepts_or_names_the_field(text: str, fields: set[str], tmp_path_factory) -> None:
    try:
        note = parse_text(text, source="wrong.md")
    except NoteError as exc:
        message = str(exc)
        assert message.startswith("wrong.md: "), message
        return
    render_note(note)
    store = _store(tmp_path_factory)
    store.upsert_note(note)
    assert store.get_note(note.id) is not None


_STORES: dict[str, Store] = {}


def _store(tmp_path_factory) -> Store:
    if "s" not in _STORES:
        _STORES["s"] = Store.open(str(tmp_path_factory.mktemp("types") / "deskbot.db"))
    return _STORES["s"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(DESKBOT_FIELDS), values, min_size=1, max_size=6))
def test_deskbot_format_with_wrong_types(tmp_path_factory, meta):
    meta = {"deskbot": 1, "id": "n1", "title": "A note", **meta}
    _accepts_or_names_the_field(_document(meta), set(meta), tmp_path_factory)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(MARKDOWN_FIELDS), values, min_size=1, max_size=6))
def test_markdown_clip_with_wrong_types(tmp_path_factory, meta):
    _accepts_or_names_the_field(_document({"title": "A clip", **meta}), set(meta), tmp_path_factory)


@pytest.mark.parametrize("field", sorted(WRONG_TYPES))
def test_the_red_team_shapes_are_note_errors_naming_the_field(field):
    with pytest.raises(NoteError) as caught:
        parse_text(wrong_type_note(field, WRONG_TYPES[field]), source="team/note.md")
    assert str(caught.value).startswith(f"team/note.md: {field}: ")


def test_yaml_aliases_are_refused_before_anything_walks_them():
    with pytest.raises(NoteError) as caught:
        parse_text(billion_laughs_note(9).decode(), source="laughs.md")
    assert str(caught.value).startswith("laughs.md: l0: ") and "alias" in str(caught.value)


def test_an_asterisk_or_ampersand_in_text_is_not_an_alias():
    note = parse_text("---\ntitle: R&D at *scale* & more\ntags: [a&b]\n---\n\nBody *x* & y.\n", source="ok.md")
    assert note.title == "R&D at *scale* & more"


def test_a_note_file_over_5_mb_is_refused_before_it_is_read(store, tmp_path):
    from bot.kb.importer import import_paths
    from tests.fixtures.hostile import claims_first_note

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "big.md").write_bytes(claims_first_note(6 * 1024 * 1024))
    (tmp_path / "notes" / "ok.md").write_text("---\ntitle: Fine\n---\n\nBody.\n", encoding="utf-8")
    report = import_paths(store, [tmp_path / "notes"])
    assert report.imported == 1
    [(path, why)] = report.failed
    assert path.endswith("big.md") and "the note is too large (6.0 MB; notes are limited to 5 MB)" in why


def test_a_note_with_more_than_1000_claims_is_refused_naming_the_field():
    bullets = "".join(f"- claim number {i} here\n" for i in range(1_001))
    with pytest.raises(NoteError) as caught:
        parse_text(f"---\ntitle: Many\n---\n\n## Key Claims\n\n{bullets}", source="many.md")
    assert str(caught.value) == "many.md: claims: 1,001 of them; a note holds at most 1,000"
    note = parse_text(f"---\ntitle: Many\n---\n\n## Key Claims\n\n{bullets.rsplit('- ', 1)[0]}", source="ok.md")
    assert len(note.claims) == 1_000
