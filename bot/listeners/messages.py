"""``message`` events: links (and uploaded files) posted in a research channel become capture jobs.

Thin by design: decide whether the message is one to clip, record one durable job per link or file
(``bot.queue``: an inbox journal line, moved into the ``jobs`` table at once), ack. Nothing slow runs
before the ack; if recording fails the listener raises, Bolt answers 500 and Slack delivers the event
again (nothing is lost).

Ignored (no job, no Slack call): bot posts (``bot_message`` subtype or any ``bot_id``), the bot's own
posts, every subtype except ``file_share`` (``message_changed`` — e.g. Slack's own unfurl edits —,
``message_deleted``, ``channel_join``, ``thread_broadcast``…), hidden messages, direct messages, and
channels outside ``DESKBOT_CHANNELS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import queue
from bot.listeners.files import file_specs

if TYPE_CHECKING:
    from slack_bolt import Ack, App, BoltContext

    from bot.app import Deps

MAX_JOBS_PER_MESSAGE = 10
CAPTURED_SUBTYPES = frozenset({None, "file_share"})


def is_clippable(event: dict[str, Any], *, bot_user_id: str | None = None) -> bool:
    """Is this a person's post in a channel (not a bot, an edit, a deletion, a join, a DM)?"""
    if event.get("type") != "message" or event.get("subtype") not in CAPTURED_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return False
    user = event.get("user")
    if not user or (bot_user_id and user == bot_user_id):
        return False
    if event.get("channel_type") in ("im", "mpim"):
        return False
    return bool(event.get("channel") and event.get("ts"))


def job_specs(event: dict[str, Any]) -> list[queue.JobSpec]:
    """One job per distinct link (canonical URL) and per capturable file of the message."""
    from bot.capture.links import canonical_url, find_links

    channel, ts, user = str(event["channel"]), str(event["ts"]), event.get("user")
    thread_ts = str(event.get("thread_ts") or ts)
    specs = [
        queue.JobSpec(kind="url", channel=channel, ts=ts, thread_ts=thread_ts, user=user, url=url,
                      canonical_url=canonical_url(url))
        for url in find_links(event)
    ]
    specs += file_specs(event)
    return specs[:MAX_JOBS_PER_MESSAGE]


def handle_message(deps: Deps, body: dict[str, Any], *, bot_user_id: str | None) -> list[queue.JobSpec]:
    """Record the message's links and files as jobs (via the inbox journal); [] when not one to clip."""
    event = body.get("event") or {}
    if not is_clippable(event, bot_user_id=bot_user_id):
        return []
    specs = job_specs(event)
    if not specs or not deps.channels.allows(str(event["channel"])):
        return []
    deps.worker.inbox.put(specs, body.get("event_id"))
    return specs


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def capture_posted_links(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        handle_message(deps, body, bot_user_id=context.bot_user_id)
        ack()
