"""Plain functions behind every lookup: the CLI prints them, Slack renders them as blocks.

Each takes the store and ``today`` (the injected clock) and returns data, never text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot import decay
from bot.render import claim_link
from bot.store import ClaimHit, NoteRow, Store


@dataclass(frozen=True)
class ClaimAnswer:
    hit: ClaimHit
    link: str | None  # the claim's place in its source (or the source itself)
    freshness: decay.Freshness


@dataclass(frozen=True)
class NoteAnswer:
    row: NoteRow
    freshness: decay.Freshness


def claim_lookup(store: Store, topic: str, today: date, limit: int = 10) -> list[ClaimAnswer]:
    """Top claims on a topic, each with its source place and per-claim freshness."""
    answers = []
    for hit in store.search_claims(topic, limit=limit):
        fresh = decay.claim_freshness(
            hit.base_date, hit.claim_validated, hit.outdated, hit.decay_rate, today, store.decay_table,
            text=hit.text,
        )
        link = claim_link(hit.note_url, hit.as_claim()) if hit.note_url else None
        answers.append(ClaimAnswer(hit=hit, link=link, freshness=fresh))
    return answers


def note_lookup(store: Store, query: str, today: date, limit: int = 10) -> list[NoteAnswer]:
    return [NoteAnswer(r, decay.freshness(r.due, today)) for r in store.search_notes(query, limit=limit)]


def stale_list(store: Store, today: date, limit: int | None = 50) -> list[NoteAnswer]:
    """Stale knowledge items, most overdue first."""
    return [NoteAnswer(r, decay.freshness(r.due, today)) for r in store.stale_notes(today, limit=limit)]
