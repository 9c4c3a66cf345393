"""Freshness across echoes: what validating or outdating one claim means for the same claim elsewhere.

Why never silent: an echo is a scorer's judgement, and a claim that went stale in one source may still
hold as another source words it. So validating a claim only *offers* its echoes (the caller shows them,
and validates them on request), and marking a claim outdated *flags* its echoes for review: they are
listed under "echoes of outdated claims" in the digest until someone validates or outdates them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.kb.echoes import Echo, note_echoes

if TYPE_CHECKING:
    from bot.kb.store import Store


@dataclass(frozen=True)
class Review:
    """An echo to look at because the claim it echoes was marked outdated."""

    note_id: str
    note_title: str
    position: int
    text: str
    owner: str | None
    url: str | None
    outdated_note_id: str
    outdated_title: str
    outdated_position: int
    outdated_text: str
    flagged_at: str


def echoes_of_claim(store: Store, note_id: str, position: int) -> list[Echo]:
    """The echoes of claim ``position`` (1-based) of a note, best first."""
    return note_echoes(store.conn, note_id).get(position, [])


def flag_echoes(store: Store, note_id: str, position: int, at: datetime) -> list[Echo]:
    """Claim ``position`` of ``note_id`` was marked outdated: put its echoes up for review (and close
    any review of the claim itself: someone just looked at it). Returns the echoes flagged."""
    found = [e for e in echoes_of_claim(store, note_id, position) if not _outdated(store, e)]
    with store.write() as conn:
        _resolve(conn, note_id, position, at)
        conn.executemany(
            "INSERT INTO echo_reviews(note_id, position, outdated_note_id, outdated_position, flagged_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET resolved_at = NULL, flagged_at = excluded.flagged_at",
            [(e.note_id, e.position, note_id, position, at.isoformat(timespec="seconds")) for e in found],
        )
    return found


def validate_claim(store: Store, note_id: str, position: int, *, by: str | None, at: datetime) -> list[Echo]:
    """Claim ``position`` of ``note_id`` still holds: its own clock restarts (the note's does not) and its
    review closes. Returns its echoes, to *offer* (never validated here). KeyError / IndexError: no such
    note / claim. The CLI (``validate --claim``) and Slack (*Still valid* on a claim) both call this."""
    store.validate(note_id, by=by, at=at, claim=position)
    return claim_validated(store, note_id, position, at)


def outdate_claim(store: Store, note_id: str, position: int, *, by: str | None, at: datetime) -> list[Echo]:
    """Claim ``position`` of ``note_id`` no longer holds: mark it and flag (never change) its echoes.
    Returns the echoes flagged. KeyError / IndexError: no such note / claim."""
    store.validate(note_id, by=by, at=at, claim=position, verdict="outdated")
    return flag_echoes(store, note_id, position, at)


def validate_echoes(store: Store, echoes: Sequence[Echo], *, by: str | None, at: datetime) -> list[Echo]:
    """Validate each of ``echoes`` (the ones a user was shown and asked for), each as its own claim."""
    for e in echoes:
        validate_claim(store, e.note_id, e.position, by=by, at=at)
    return list(echoes)


def offered_echoes(store: Store, note_id: str, position: int, offered: Iterable[tuple[str, int]]) -> list[Echo]:
    """Of the echoes a user was offered (note id, claim number), those that still echo the claim: a click on
    an old offer validates no claim the scorer has since unlinked, or that a re-import renumbered."""
    wanted = set(offered)
    return [e for e in echoes_of_claim(store, note_id, position) if (e.note_id, e.position) in wanted]


def claim_validated(store: Store, note_id: str, position: int, at: datetime) -> list[Echo]:
    """Claim ``position`` was validated: its own review (if any) is done; returns its echoes to offer."""
    with store.write() as conn:
        _resolve(conn, note_id, position, at)
    return echoes_of_claim(store, note_id, position)


def _resolve(conn: object, note_id: str, position: int, at: datetime) -> None:
    conn.execute(  # type: ignore[attr-defined]
        "UPDATE echo_reviews SET resolved_at = ? WHERE note_id = ? AND position = ? AND resolved_at IS NULL",
        (at.isoformat(timespec="seconds"), note_id, position),
    )


def _outdated(store: Store, echo: Echo) -> bool:
    row = store.conn.execute("SELECT outdated FROM claims WHERE id = ?", (echo.other_id,)).fetchone()
    return bool(row and row[0])


def open_reviews(store: Store, limit: int = 50) -> list[Review]:
    """Echoes of outdated claims nobody has looked at since, oldest flag first. The few open reviews drive the
    join (``CROSS JOIN`` fixes the order): left to itself SQLite scanned every claim (26 ms at 1M notes
    whose digest bench has 133k claims, bench/digest.py)."""
    rows = store.conn.execute(
        "SELECT r.note_id, n.title, r.position, c.text, coalesce(n.owner, src.owner), coalesce(n.url, src.url),"
        " r.outdated_note_id, o.title, r.outdated_position, oc.text, r.flagged_at"
        " FROM echo_reviews r CROSS JOIN notes n ON n.id = r.note_id"  # CROSS: reviews first, not every claim
        " CROSS JOIN claims c ON c.note_id = r.note_id AND c.position = r.position"
        " LEFT JOIN notes src ON src.id = n.source_id"
        " CROSS JOIN notes o ON o.id = r.outdated_note_id"
        " CROSS JOIN claims oc ON oc.note_id = r.outdated_note_id AND oc.position = r.outdated_position"
        " WHERE r.resolved_at IS NULL AND c.outdated = 0 ORDER BY r.flagged_at, r.note_id, r.position LIMIT ?",
        (limit,),
    ).fetchall()
    return [Review(*r) for r in rows]
