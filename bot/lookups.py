"""Read queries the Slack faces need that ``Store`` does not offer (kept here, beside the store's own).

Each returns the same ``answers.NoteAnswer`` shape as ``bot.answers`` so blocks render them alike;
rows come through ``Store.note_row`` so their fields stay the store's.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot import decay
from bot.answers import NoteAnswer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bot.store import Store


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
