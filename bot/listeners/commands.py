"""Slash commands ``/claim``, ``/note``, ``/stale``: answered in the ack itself, ephemerally.

Why in the ack: the lookups take milliseconds even at a million claims (see ``bench/``), so the
answer travels with the HTTP response (or the Socket Mode ack) — no second request, no response_url.
User text is passed to the same functions the CLI uses; the store quotes every word for FTS, so
``"``, ``NOT`` or 5 kB of text is an answer or the usage line, never an error.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from bot import blocks

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from slack_bolt import Ack, App

    from bot.app import Deps
    from bot.store import Store

log = logging.getLogger(__name__)

MAX_TOPIC = 500  # characters of a topic looked up (the store also stops at 32 words)
CLAIM_LIMIT = 10
NOTE_LIMIT = 10
STALE_LIMIT = 10


def _words(text: str) -> str:
    return " ".join((text or "").split())[:MAX_TOPIC]


def claim_reply(store: Store, text: str, today: date, *, statuses: dict[tuple[str, int], str] | None = None,
                shared_by: str | None = None) -> dict[str, Any]:
    """The ``/claim TOPIC`` answer (also re-rendered after a click, and shared in channel)."""
    from bot.answers import claim_search

    topic = _words(text)
    if not any(ch.isalnum() for ch in topic):
        return blocks.usage("/claim")
    found = claim_search(store, topic, today, limit=CLAIM_LIMIT)
    return blocks.claim_answer(topic, found.answers, statuses=statuses, shared_by=shared_by,
                               interactive=shared_by is None, expanded=found.expanded)


def note_reply(store: Store, text: str, today: date, *, statuses: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``/note QUERY`` answer."""
    from bot.answers import note_lookup

    query = _words(text)
    if not any(ch.isalnum() for ch in query):
        return blocks.usage("/note")
    found = note_lookup(store, query, today, limit=NOTE_LIMIT)
    return blocks.notes_answer(
        f"*Notes matching “{blocks.plain(query, 100)}”* ({len(found)})", found,
        empty=f"No notes match *{blocks.plain(query, 100)}*. Try other words, or `/claim {blocks.plain(query, 100)}`.",
        kind="note", query=query, statuses=statuses,
    )


def stale_reply(store: Store, text: str, today: date, user_id: str | None, *,
                aliases: Callable[[str], Sequence[str]] = lambda user_id: (user_id,),
                statuses: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``/stale`` (everyone's) or ``/stale mine`` (the caller's: notes whose owner is any of
    ``aliases(user_id)``) answer."""
    from bot import lookups
    from bot.answers import stale_list

    arg = _words(text).lower()
    if arg not in ("", "mine", "all"):
        return blocks.usage("/stale")
    mine = arg == "mine"
    if mine and user_id:
        owners = aliases(user_id)
        found = lookups.stale_for_owner(store, owners, today, limit=STALE_LIMIT)
        total = lookups.count_stale_for_owner(store, owners, today)
        heading = f"*Your stale notes* as of {today.isoformat()}: {total}"
        empty = f"Nothing of yours is stale as of {today.isoformat()} 🎉"
    else:
        found = stale_list(store, today, limit=STALE_LIMIT)
        total = store.count_stale(today)
        heading = f"*Stale notes* as of {today.isoformat()}: {total}"
        empty = f"All fresh as of {today.isoformat()}: nothing is due for re-validation."
    return blocks.notes_answer(heading, found, empty=empty, buttons=blocks.REVIEW_BUTTONS, kind="stale",
                               query="mine" if mine else "", more=total - len(found), statuses=statuses)


def _answer(ack: Ack, what: str, build: Any) -> None:
    """Ack with the built answer; any failure becomes a sentence for the user and a log line for us."""
    try:
        payload = build()
    except Exception:  # noqa: BLE001 - never a stack trace to a user
        log.exception("%s failed", what)
        payload = blocks.oops(what)
    ack(response_type="ephemeral", **payload)


def register(app: App, deps: Deps) -> None:
    @app.command("/claim")
    def answer_claim(ack: Ack, command: dict[str, Any]) -> None:
        _answer(ack, "/claim", lambda: claim_reply(deps.store, command.get("text", ""), deps.today()))

    @app.command("/note")
    def answer_note(ack: Ack, command: dict[str, Any]) -> None:
        _answer(ack, "/note", lambda: note_reply(deps.store, command.get("text", ""), deps.today()))

    @app.command("/stale")
    def answer_stale(ack: Ack, command: dict[str, Any]) -> None:
        _answer(ack, "/stale",
                lambda: stale_reply(deps.store, command.get("text", ""), deps.today(), command.get("user_id"),
                                    aliases=deps.users.of))
