"""What the listeners need, built once by ``create_app``: the store, the client, the clock, which
channels are captured, and the names a Slack user goes by."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.capture.pipeline import CaptureOptions
    from bot.config import Settings
    from bot.kb.store import Store
    from bot.slack.worker import Worker

log = logging.getLogger(__name__)

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class ChannelFilter:
    """Which channels are captured: ``DESKBOT_CHANNELS`` ids or names; empty = every channel the bot is in.

    Names are resolved with ``conversations.info`` the first time a channel id carries a link, then
    cached, so messages without links and channels already known cost no Slack call.
    """

    def __init__(self, configured: tuple[str, ...], client: WebClient) -> None:
        self.ids = {c for c in configured if _CHANNEL_ID.match(c)}
        self.names = {c.lower() for c in configured if not _CHANNEL_ID.match(c)}
        self.client = client
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def allows(self, channel_id: str) -> bool:
        if not self.ids and not self.names:
            return True
        if channel_id in self.ids:
            return True
        if not self.names:
            return False
        with self._lock:
            if channel_id in self._known:
                return self._known[channel_id]
        try:
            name = str(self.client.conversations_info(channel=channel_id)["channel"].get("name") or "")
        except Exception as exc:  # noqa: BLE001 - an unknown channel is simply not captured
            log.warning("could not look up channel %s (%s); not capturing there", channel_id, type(exc).__name__)
            return False
        allowed = name.lower() in self.names
        with self._lock:
            self._known[channel_id] = allowed
        return allowed


class UserAliases:
    """The names a note's ``owner`` may use for one Slack user: the user id (clips record it), ``<@U…>``,
    and — in notes imported from a vault — the handle, display name or real name, with or without ``@``
    (matched case-insensitively). Looked up with ``users.info`` once per user and kept for an hour; if
    Slack cannot answer, the id alone."""

    LOOKUP_TIMEOUT_SECONDS = 2.0  # on the ack path of /stale mine: never near Slack's 3 s
    RETRY_AFTER_FAILURE_SECONDS = 60.0

    def __init__(self, client: WebClient, ttl_seconds: float = 3600.0) -> None:
        from slack_sdk import WebClient

        # Its own client: a short timeout and no retry handlers (the shared one waits out 429s and
        # retries connections — fine for a thread reply, not before an ack).
        self.client = WebClient(token=client.token, base_url=client.base_url, timeout=self.LOOKUP_TIMEOUT_SECONDS,
                                retry_handlers=[])
        self.ttl = ttl_seconds
        self._known: dict[str, tuple[float, tuple[str, ...]]] = {}  # user -> (valid until, names)
        self._lock = threading.Lock()

    def of(self, user_id: str) -> tuple[str, ...]:
        with self._lock:
            found = self._known.get(user_id)
        if found and time.monotonic() < found[0]:
            return found[1]
        names = [user_id, f"<@{user_id}>"]
        try:
            user = self.client.users_info(user=user_id)["user"] or {}
        except Exception as exc:  # noqa: BLE001 - the id alone still finds clipped notes
            log.info("no names for %s (%s); matching owners by id only", user_id, type(exc).__name__)
            with self._lock:  # do not pay for the failure on every command while Slack is down
                self._known[user_id] = (time.monotonic() + self.RETRY_AFTER_FAILURE_SECONDS, tuple(names))
            return tuple(names)
        profile = user.get("profile") or {}
        for name in (user.get("name"), profile.get("display_name"), profile.get("real_name"), user.get("real_name")):
            if isinstance(name, str) and name.strip():
                names += [name.strip(), "@" + name.strip()]
        aliases = tuple(dict.fromkeys(names))
        with self._lock:
            self._known[user_id] = (time.monotonic() + self.ttl, aliases)
        return aliases


@dataclass
class Deps:
    """What listeners need, built once by :func:`create_app` (and handed to the clock)."""

    settings: Settings
    store: Store
    client: WebClient
    clock: Callable[[], datetime]
    capture_options: CaptureOptions | None
    channels: ChannelFilter
    worker: Worker
    users: UserAliases

    def today(self) -> date:
        return self.clock().date()
