"""Plain functions behind every lookup: the CLI prints them, Slack and the web render them.

Each takes the store and ``today`` (the injected clock) and returns data, never text. Note answers come
through ``Store.note_row`` so their fields stay the store's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.kb import decay
from bot.kb.render import claim_link
from bot.kb.store import ClaimHit, NoteRow, Store


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
    """The note a query names (an id or id prefix that a list printed, a URL, a title), else a search."""
    named = store.named_note_ids(query)
    if named:
        return _answers(store, named[:limit], today)
    return [NoteAnswer(r, decay.freshness(r.due, today)) for r in store.search_notes(query, limit=limit)]


def stale_list(store: Store, today: date, limit: int | None = 50) -> list[NoteAnswer]:
    """Stale knowledge items, most overdue first."""
    return [NoteAnswer(r, decay.freshness(r.due, today)) for r in store.stale_notes(today, limit=limit)]


def _answers(store: Store, ids: list[str], today: date) -> list[NoteAnswer]:
    out = []
    for note_id in ids:
        row = store.note_row(note_id)
        if row is not None:
            out.append(NoteAnswer(row, decay.freshness(row.due, today)))
    return out


def _owners(owner: str | Sequence[str]) -> list[str]:
    return [owner] if isinstance(owner, str) else list(dict.fromkeys(owner)) or [""]


def stale_for_owner(store: Store, owner: str | Sequence[str], today: date, limit: int = 50) -> list[NoteAnswer]:
    """Stale notes whose owner is ``owner`` (or any of several names for one person: a Slack user id for
    clips, a handle or name in imported notes; case-insensitive), most overdue first."""
    names = _owners(owner)
    ids = [r[0] for r in store.conn.execute(
        f"SELECT id FROM notes WHERE covered_by IS NULL AND owner COLLATE NOCASE IN ({','.join('?' * len(names))})"
        " AND due <= ? ORDER BY due, id LIMIT ?",
        (*names, today.isoformat(), limit),
    )]
    return _answers(store, ids, today)


def count_stale_for_owner(store: Store, owner: str | Sequence[str], today: date) -> int:
    names = _owners(owner)
    return store.conn.execute(
        "SELECT count(*) FROM notes WHERE covered_by IS NULL"
        f" AND owner COLLATE NOCASE IN ({','.join('?' * len(names))}) AND due <= ?",
        (*names, today.isoformat()),
    ).fetchone()[0]


def recent_clips(store: Store, today: date, limit: int = 10) -> list[NoteAnswer]:
    """The newest notes that were clipped (newest row first: walks the rowid index backwards, no sort)."""
    ids = [r[0] for r in store.conn.execute(
        "SELECT id FROM notes WHERE clipped IS NOT NULL AND covered_by IS NULL ORDER BY rowid DESC LIMIT ?",
        (limit,),
    )]
    return _answers(store, ids, today)
