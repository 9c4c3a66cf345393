"""Uploaded files: PDFs and markdown / text notes shared in a channel are clipped like links.

Files arrive inside the ``message`` event (subtype ``file_share``, ``files: [...]``), which carries
the channel and ts a thread reply needs, so they are journaled with the message and become jobs
through ``bot.slack.message_jobs.file_specs``. The separate ``file_shared`` event has no message ts:
``manifest.json`` does not subscribe to it, and one that arrives anyway (an older app setup) is
acknowledged and ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import Ack, App

    from bot.slack.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.event("file_shared")
    def acknowledge_file_shared(ack: Ack) -> None:
        ack()
