"""App Home (``app_home_opened`` → ``views.publish``): counts, the viewer's stale notes, recent clips.

The ack goes back at once; publishing (a Slack call) runs as a Bolt lazy listener after it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.slack import blocks

if TYPE_CHECKING:
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.slack.app import Deps

log = logging.getLogger(__name__)


def home_payload(deps: Deps, user_id: str, *, statuses: dict[str, str] | None = None) -> dict[str, Any]:
    """The Home view for ``user_id`` from the store (the same lookups the CLI uses)."""
    from bot.kb import answers as lookups

    store, today = deps.store, deps.today()
    counts = {**store.counts(), "stale": store.count_stale(today)}
    mine = lookups.stale_for_owner(store, deps.users.of(user_id), today, limit=8)
    recent = lookups.recent_clips(store, today, limit=10)
    return blocks.home_view(counts, mine, recent, statuses=statuses)


def publish_home(deps: Deps, client: WebClient, user_id: str, *, statuses: dict[str, str] | None = None) -> None:
    client.views_publish(user_id=user_id, view=home_payload(deps, user_id, statuses=statuses))


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
