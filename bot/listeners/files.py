"""Uploaded files: PDFs and markdown / text notes shared in a channel are clipped like links.

Files arrive inside the ``message`` event (subtype ``file_share``, ``files: [...]``), which carries
the channel and ts a thread reply needs, so ``bot.listeners.messages`` enqueues them through
:func:`file_specs`. The separate ``file_shared`` event has no message ts; it is acknowledged and
otherwise ignored (subscribing to it keeps Slack from flagging the app's event setup as incomplete).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import queue
from bot.worker import is_capturable_file

if TYPE_CHECKING:
    from slack_bolt import Ack, App

    from bot.app import Deps


def file_specs(event: dict[str, Any]) -> list[queue.JobSpec]:
    """Capture jobs for the capturable files of a message event (images and the like are skipped)."""
    channel, ts, user = str(event["channel"]), str(event["ts"]), event.get("user")
    thread_ts = str(event.get("thread_ts") or ts)
    specs = []
    for file in event.get("files") or []:
        if is_capturable_file(file) and file.get("id"):
            specs.append(queue.JobSpec(kind="file", channel=channel, ts=ts, thread_ts=thread_ts, user=user,
                                       file_id=str(file["id"]), url=file.get("permalink")))
    return specs


def register(app: App, deps: Deps) -> None:
    @app.event("file_shared")
    def acknowledge_file_shared(ack: Ack) -> None:
        ack()
