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
    from bot.store import Store


def _answers(store: Store, ids: list[str], today: date) -> list[NoteAnswer]:
    out = []
    for note_id in ids:
        row = store.note_row(note_id)
        if row is not None:
            out.append(NoteAnswer(row, decay.freshness(row.due, today)))
    return out


def stale_for_owner(store: Store, owner: str, today: date, limit: int = 50) -> list[NoteAnswer]:
    """Stale notes owned by ``owner`` (a Slack user id for clips), most overdue first."""
    ids = [r[0] for r in store.conn.execute(
        "SELECT id FROM notes WHERE covered_by IS NULL AND due <= ? AND owner = ? ORDER BY due, id LIMIT ?",
        (today.isoformat(), owner, limit),
    )]
    return _answers(store, ids, today)


def count_stale_for_owner(store: Store, owner: str, today: date) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM notes WHERE covered_by IS NULL AND due <= ? AND owner = ?", (today.isoformat(), owner)
    ).fetchone()[0]


def recent_clips(store: Store, today: date, limit: int = 10) -> list[NoteAnswer]:
    """The newest notes that were clipped (newest row first: walks the rowid index backwards, no sort)."""
    ids = [r[0] for r in store.conn.execute(
        "SELECT id FROM notes WHERE clipped IS NOT NULL AND covered_by IS NULL ORDER BY rowid DESC LIMIT ?",
        (limit,),
    )]
    return _answers(store, ids, today)
