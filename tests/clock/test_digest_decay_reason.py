"""The digest shows each note's decay rate with its evidence line, as the thread reply does."""

from __future__ import annotations

from datetime import date, datetime

from bot.clock.digest import collect_digest, digest_message
from bot.kb.notes import Claim, Note
from bot.kb.store import Store


def test_digest_shows_rate_and_evidence(tmp_path):
    store = Store.open(str(tmp_path / "kb.sqlite"))
    store.upsert_note(Note(
        id="n1", title="Storm forecast", url="https://news.example/2026/10/01/storm", body="",
        clipped=datetime(2026, 10, 2, 9), decay_rate="fast",
        decay_reason="a news article (schema.org NewsArticle) published yesterday",
        claims=[Claim(text="Forecasters expect smooth sailing.")],
    ))
    digest = collect_digest(store, date(2026, 12, 1))
    text = str(digest_message(digest))
    assert "decay fast — a news article (schema.org NewsArticle) published yesterday" in text
