"""Slash commands ``/claim``, ``/note``, ``/stale``: answered in the ack itself, ephemerally.

Why in the ack: the lookups take milliseconds even at a million claims (see ``bench/``), so the
answer travels with the HTTP response (or the Socket Mode ack) — no second request, no response_url.
User text is passed to the same functions the CLI uses; the store quotes every word for FTS, so
``"``, ``NOT`` or 5 kB of text is an answer or the usage line, never an error.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.slack import blocks
from bot.slack.replies import claim_reply, note_reply, stale_reply

if TYPE_CHECKING:

    from slack_bolt import Ack, App

    from bot.slack.deps import Deps

log = logging.getLogger(__name__)

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
