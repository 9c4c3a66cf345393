"""What deskbot answers in Slack, as Block Kit payloads: ``/claim``, ``/note``, ``/stale`` and App Home.

Built from the same lookups the CLI prints (``bot.kb.answers``); used by the command listeners, and again by
the action listeners when a click re-renders an answer in place.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.kb import answers
from bot.slack import blocks

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from slack_sdk import WebClient

    from bot.kb.store import Store
    from bot.slack.deps import Deps

MAX_TOPIC = 500  # characters of a topic looked up (the store also stops at 32 words)
CLAIM_LIMIT = 10
NOTE_LIMIT = 10
STALE_LIMIT = 10


def _words(text: str) -> str:
    return " ".join((text or "").split())[:MAX_TOPIC]


def claim_reply(store: Store, text: str, today: date, *, statuses: dict[tuple[str, int], str] | None = None,
                shared_by: str | None = None) -> dict[str, Any]:
    """The ``/claim TOPIC`` answer (also re-rendered after a click, and shared in channel)."""
    topic = _words(text)
    if not any(ch.isalnum() for ch in topic):
        return blocks.usage("/claim")
    found = answers.claim_search(store, topic, today, limit=CLAIM_LIMIT)
    return blocks.claim_answer(topic, found.answers, statuses=statuses, shared_by=shared_by,
                               interactive=shared_by is None, expanded=found.expanded)


def note_reply(store: Store, text: str, today: date, *, statuses: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``/note QUERY`` answer."""
    query = _words(text)
    if not any(ch.isalnum() for ch in query):
        return blocks.usage("/note")
    found = answers.note_lookup(store, query, today, limit=NOTE_LIMIT)
    return blocks.notes_answer(
        f"*Notes matching “{blocks.plain(query, 100)}”* ({len(found)})", found,
        empty=f"No notes match *{blocks.plain(query, 100)}*. Try other words, or `/claim {blocks.plain(query, 100)}`.",
        kind="note", query=query, statuses=statuses,
    )


def stale_reply(store: Store, text: str, today: date, user_id: str | None, *,
                aliases: Callable[[str], Sequence[str]] = lambda user_id: (user_id,),
                statuses: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``/stale`` (everyone's) or ``/stale mine`` (the caller's: notes whose owner is any of
    ``aliases(user_id)``) answer: what is due by the digest's rule (``answers.due_list``), a note due for a
    claim saying which claim and why."""
    arg = _words(text).lower()
    if arg not in ("", "mine", "all"):
        return blocks.usage("/stale")
    mine = arg == "mine"
    owners = aliases(user_id) if mine and user_id else None
    found = answers.due_list(store, today, owners=owners, limit=STALE_LIMIT)
    count = answers.count_due(store, today, owners=owners)
    early = f" ({count.for_claims} for a claim due before its note)" if count.for_claims else ""
    if owners is not None:
        heading = f"*Your stale notes* as of {today.isoformat()}: {count.total}{early}"
        empty = f"Nothing of yours is stale as of {today.isoformat()} 🎉"
    else:
        heading = f"*Stale notes* as of {today.isoformat()}: {count.total}{early}"
        empty = f"All fresh as of {today.isoformat()}: nothing is due for re-validation."
    return blocks.notes_answer(heading, found, empty=empty, buttons=blocks.REVIEW_BUTTONS, kind="stale",
                               query="mine" if mine else "", more=count.total - len(found), statuses=statuses,
                               today=today)


def home_payload(deps: Deps, user_id: str, *, statuses: dict[str, str] | None = None) -> dict[str, Any]:
    """The Home view for ``user_id`` from the store (the same lookups the CLI uses)."""
    store, today = deps.store, deps.today()
    due = answers.count_due(store, today)
    counts = {**store.counts(), "stale": due.stale, "claims_due": due.for_claims}
    mine = answers.due_list(store, today, owners=deps.users.of(user_id), limit=8)
    recent = answers.recent_clips(store, today, limit=10)
    return blocks.home_view(counts, mine, recent, statuses=statuses, today=today)


def publish_home(deps: Deps, client: WebClient, user_id: str, *, statuses: dict[str, str] | None = None) -> None:
    client.views_publish(user_id=user_id, view=home_payload(deps, user_id, statuses=statuses))
