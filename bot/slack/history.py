"""Reading a channel's history from Slack: ``conversations.history`` pages, ``conversations.replies`` for
threads, and every refusal turned into one line that says what to do.

Rate limits are the client's business: the WebClient given here carries slack-sdk's
``RateLimitErrorRetryHandler``, which sleeps for the ``Retry-After`` of each 429 and tries again. The
same code therefore runs under both of Slack's regimes — an internal app's Tier 3 (~50 calls a minute,
pages of up to 1,000 messages; 200 asked for, as Slack recommends) and the 2025 limits for
commercially distributed non-Marketplace apps (1 call a minute, 15 messages a page) — only slower.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError, SlackClientError

if TYPE_CHECKING:
    from slack_sdk import WebClient

PAGE_SIZE = 200
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


class HistoryError(Exception):
    """Slack refused or could not be reached; the message is the one line the user sees."""


@dataclass(frozen=True)
class Channel:
    id: str
    name: str | None

    @property
    def label(self) -> str:
        return f"#{self.name}" if self.name else self.id


@dataclass(frozen=True)
class Page:
    messages: list[dict[str, Any]]
    next_cursor: str | None


def explain(exc: SlackApiError | SlackClientError | OSError, channel: str, api_url: str = "") -> str:
    """One line for a failed read: what happened and what to do."""
    if not isinstance(exc, SlackApiError):
        where = f" at {api_url}" if api_url else ""
        return f"cannot reach Slack{where} ({type(exc).__name__}); run the same command again: it resumes"
    response = exc.response
    error = str(response.get("error") or "slack_error")
    if error == "not_in_channel":
        return (f"deskbot is not a member of {channel}: type `/invite @deskbot` in {channel} (or add the app in the "
                "channel's Integrations tab), then run the same command again")
    if error == "channel_not_found":
        return (f"Slack knows no channel {channel} for this token: check the name or id (a private channel must "
                "have deskbot invited before the bot can see it)")
    if error == "missing_scope":
        needed = str(response.get("needed") or "channels:history (public channels) or groups:history (private)")
        return (f"the bot token lacks the {needed} scope: add it under oauth_config.scopes.bot in manifest.json "
                "(or OAuth & Permissions → Bot Token Scopes), reinstall the app, then run again")
    if error in ("invalid_auth", "not_authed", "token_revoked", "account_inactive"):
        return f"Slack rejected SLACK_BOT_TOKEN ({error}): copy a fresh xoxb- token from the app's OAuth page"
    if error == "ratelimited":
        return "Slack kept rate-limiting the history reads; run the same command again later: it resumes"
    return f"Slack refused to read {channel} ({error})"


class History:
    """A channel's messages through one ``WebClient`` (with its rate-limit retry handler)."""

    def __init__(self, client: WebClient, *, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.page_size = page_size

    def _call(self, label: str, method: str, **params: Any) -> Any:
        try:
            return getattr(self.client, method)(**params)
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise HistoryError(explain(exc, label, str(self.client.base_url))) from None

    def bot_user_id(self) -> str | None:
        """The bot's own user id (its posts are never clipped)."""
        return self._call("the workspace", "auth_test").get("user_id")

    def resolve(self, given: str) -> Channel:
        """A channel id as is; a name (``#research`` or ``research``) looked up with ``conversations.list``."""
        name = given.strip().lstrip("#")
        if _CHANNEL_ID.match(name):
            try:  # its name, for what the user reads; the history call says whether the id is right
                found = self.client.conversations_info(channel=name).get("channel") or {}
            except (SlackApiError, SlackClientError, OSError):
                found = {}
            return Channel(name, found.get("name") or None)
        cursor = None
        while True:
            page = self._call(f"#{name}", "conversations_list", types="public_channel,private_channel",
                              exclude_archived=False, limit=1000, cursor=cursor)
            for channel in page.get("channels") or []:
                if str(channel.get("name") or "").lower() == name.lower():
                    return Channel(str(channel["id"]), str(channel["name"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise HistoryError(f"no channel named #{name} in this workspace (for a private channel, invite "
                                   "deskbot first; or give the channel id, e.g. C0123ABCD)")

    def page(self, channel: Channel, *, cursor: str | None, oldest: str | None, latest: str | None) -> Page:
        """One page of the channel's top-level messages (and thread broadcasts), newest first."""
        params: dict[str, Any] = {"channel": channel.id, "limit": self.page_size, "inclusive": True}
        params.update({k: v for k, v in (("cursor", cursor), ("oldest", oldest), ("latest", latest)) if v})
        answer = self._call(channel.label, "conversations_history", **params)
        return Page(list(answer.get("messages") or []), _next(answer))

    def replies(self, channel: Channel, thread_ts: str, *, cursor: str | None) -> Page:
        """One page of a thread (its parent first, on the first page)."""
        params: dict[str, Any] = {"channel": channel.id, "ts": thread_ts, "limit": self.page_size}
        if cursor:
            params["cursor"] = cursor
        try:
            answer = self.client.conversations_replies(**params)
        except SlackApiError as exc:
            if exc.response.get("error") == "thread_not_found":  # deleted since the history page: nothing to read
                return Page([], None)
            raise HistoryError(explain(exc, channel.label, str(self.client.base_url))) from None
        except (SlackClientError, OSError) as exc:
            raise HistoryError(explain(exc, channel.label, str(self.client.base_url))) from None
        return Page(list(answer.get("messages") or []), _next(answer))

    def recent(self, channel: Channel, limit: int = 50) -> Iterator[dict[str, Any]]:
        """The channel's newest messages with their metadata (to find a post of ours before posting again)."""
        answer = self._call(channel.label, "conversations_history", channel=channel.id, limit=limit,
                            include_all_metadata=True)
        yield from answer.get("messages") or []


def _next(answer: Any) -> str | None:
    if not answer.get("has_more", True):
        return None
    return (answer.get("response_metadata") or {}).get("next_cursor") or None


def threads_in(messages: list[dict[str, Any]]) -> list[str]:
    """The ts of each thread parent in a page (a message with replies): their replies are read next."""
    return [str(m["ts"]) for m in messages
            if m.get("ts") and int(m.get("reply_count") or 0) > 0 and str(m.get("thread_ts") or m["ts"]) == m["ts"]]
