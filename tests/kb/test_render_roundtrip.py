"""Round trip: render any note to markdown + frontmatter, parse it back, get an equal note."""

from __future__ import annotations

import string
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.kb.noteformats import parse_file, parse_text
from bot.kb.notes import Claim, Note, Quote, Validation
from bot.kb.render import render_note

WORDS = st.text(alphabet=string.ascii_letters + string.digits + " '\"-:,.é—#*[]()&", min_size=1, max_size=40)
LINE = WORDS.map(lambda s: " ".join(s.split())).filter(bool)
TEXT = st.text(min_size=0, max_size=200).filter(lambda s: "\x00" not in s)
DAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1))
MOMENT = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)).map(
    lambda d: d.replace(microsecond=0)
)
SMALL = st.integers(min_value=0, max_value=50_000)

claims = st.builds(
    Claim,
    text=LINE,
    label=st.none() | LINE,
    quote=st.none() | LINE,
    t=st.none() | SMALL,
    page=st.none() | st.integers(1, 999),
    last_validated=st.none() | DAY,
    outdated=st.booleans(),
    supported=st.none() | st.booleans(),
)
quotes = st.builds(Quote, text=LINE, heading=st.none() | LINE, speaker=st.none() | LINE, t=st.none() | SMALL)
validations = st.builds(
    Validation,
    at=MOMENT,
    by=st.none() | LINE,
    verdict=st.sampled_from(["valid", "outdated", "needs-update"]),
    claim=st.none() | st.integers(1, 10),
)
notes = st.builds(
    Note,
    id=st.text(alphabet="0123456789abcdef", min_size=16, max_size=16),
    title=LINE,
    kind=st.sampled_from(["article", "video", "paper", "summary"]),
    url=st.none() | LINE.map(lambda s: "https://example.org/" + s.replace(" ", "-")),
    clipped=st.none() | MOMENT,
    channel=st.none() | LINE,
    owner=st.none() | LINE,
    author=st.none() | LINE,
    site=st.none() | LINE,
    published=st.none() | DAY,
    tags=st.lists(st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=12), max_size=6),
    summary=TEXT.map(str.strip),
    claims=st.lists(claims, max_size=6),
    highlights=st.lists(quotes, max_size=3),
    quotes=st.lists(quotes, max_size=3),
    sections=st.dictionaries(LINE, TEXT, max_size=2),
    body=TEXT,
    related=st.lists(LINE, max_size=3),
    source_id=st.none() | st.text(alphabet="0123456789abcdef", min_size=16, max_size=16),
    last_validated=st.none() | DAY,
    decay_rate=st.none() | st.sampled_from(["slow", "medium", "fast", "14d", "3w"]),
    decay_reason=st.none() | LINE,
    validations=st.lists(validations, max_size=3),
    extra=st.dictionaries(st.sampled_from(["video_id", "view_count", "thumbnail"]), st.integers() | LINE, max_size=3),
    flags=st.lists(st.sampled_from(["little-text", "failed"]), max_size=1, unique=True),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes)
def test_render_then_parse_gives_an_equal_note(note):
    assert parse_text(render_note(note)) == note


def test_seeds_round_trip(seeds_dir):
    for path in sorted(seeds_dir.iterdir()):
        note = parse_file(path)
        assert parse_text(render_note(note)) == note, path.name
