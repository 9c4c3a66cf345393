"""``message`` events: links (and uploaded files) posted in a research channel become capture jobs.

Thin by design, and lean: the ack path checks that the message is a person's post in a captured
channel and appends the event to the inbox journal (``bot.slack.inbox.Inbox``), then acks. Finding the
links and making one durable job per link or file (``bot.slack.message_jobs.job_specs``) happens when the
journal is moved into the ``jobs`` table, off the ack path. If recording fails the listener raises,
Bolt answers 500 and Slack delivers the event again (nothing is lost).

Ignored (no job, no Slack call): bot posts (``bot_message`` subtype or any ``bot_id``), the bot's own
posts, every subtype except ``file_share`` (``message_changed`` — e.g. Slack's own unfurl edits —,
``message_deleted``, ``channel_join``, ``thread_broadcast``…), hidden messages, direct messages, and
channels outside ``DESKBOT_CHANNELS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.slack.message_jobs import is_clippable

if TYPE_CHECKING:
    from slack_bolt import Ack, App, BoltContext

    from bot.slack.deps import Deps


def handle_message(deps: Deps, body: dict[str, Any], *, bot_user_id: str | None) -> bool:
    """Journal a person's post in a captured channel (its links become jobs later); False if ignored."""
    event = body.get("event") or {}
    if not is_clippable(event, bot_user_id=bot_user_id) or not deps.channels.allows(str(event["channel"])):
        return False
    deps.worker.inbox.put(event, body.get("event_id"))
    return True


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def capture_posted_links(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        handle_message(deps, body, bot_user_id=context.bot_user_id)
        ack()
