"""App Home (``app_home_opened`` → ``views.publish``): counts, the viewer's stale notes, recent clips.

The ack goes back at once; publishing (a Slack call) runs as a Bolt lazy listener after it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.slack.replies import publish_home

if TYPE_CHECKING:
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.slack.deps import Deps

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    def acknowledge_home(ack: Ack) -> None:
        ack()

    def publish_home_tab(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        try:
            publish_home(deps, client, str(event["user"]))
        except Exception:  # noqa: BLE001 - the user just sees the previous Home; we log why
            log.exception("publishing App Home failed")

    app.event("app_home_opened")(ack=acknowledge_home, lazy=[publish_home_tab])
