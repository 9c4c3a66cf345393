"""Exactly-once posts through lost connections.

The hard case: Slack accepts ``chat.postMessage`` and the connection drops before the answer arrives.
slack_sdk's ``ConnectionErrorRetryHandler`` then sends the same post again — two thread replies, two
digests. So calls that post are never retried by the client (:func:`retry_handlers`); instead every
post carries message metadata naming what it is (a job's key, a digest's period, a reminder's notes),
and whoever posts again first looks for that metadata where the post would be (:func:`find_post`: a
thread, the digest channel, the DM). Reads stay retried: a second read changes nothing.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from slack_sdk.http_retry.handler import RetryHandler
    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.response import HttpResponse
    from slack_sdk.http_retry.state import RetryState
    from slack_sdk.webhook import WebhookClient

POSTING_METHODS = frozenset({
    "chat.postMessage", "chat.postEphemeral", "chat.meMessage", "chat.scheduleMessage", "files.upload",
    "files.completeUploadExternal",
})
"""Calls a repeat would double. (``chat.update``, ``views.publish``, ``reactions.add`` repeat harmlessly.)"""
_USER = re.compile(r"[UW][A-Z0-9]{2,}")
_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,}")


class ReadRetryHandler(ConnectionErrorRetryHandler):
    """Retries a broken connection, except for calls that post: Slack may have acted already."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if urlsplit(request.url).path.rsplit("/", 1)[-1] in POSTING_METHODS:
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def retry_handlers(rate_limit_retries: int = 2) -> list[RetryHandler]:
    """Every deskbot WebClient's: 429 waited out (Slack did nothing), connections retried for reads only.
    5xx never retried on the spot (Slack may have acted): the caller decides."""
    return [RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries), ReadRetryHandler(max_retry_count=2)]


def webhook(url: str) -> WebhookClient:
    """A ``response_url`` client that never re-sends (Bolt's ``respond`` retries a broken connection,
    and a response_url post cannot be looked up afterwards): for posts others see (*Share in channel*)."""
    from slack_sdk.webhook import WebhookClient

    return WebhookClient(url=url, timeout=15, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])


def may_have_posted(exc: BaseException) -> bool:
    """Whether a failed post may still have been posted: the connection broke after sending, or Slack
    answered 5xx. An explicit Slack error (``ok: false``, 429) means nothing was posted."""
    if isinstance(exc, SlackApiError):
        return int(getattr(exc.response, "status_code", 200) or 200) >= 500
    reason = getattr(exc, "reason", None) if isinstance(exc, URLError) else exc
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):  # never connected: nothing was sent
        return False
    return isinstance(exc, (OSError, SlackClientError))


class Unreadable(Exception):
    """The place a post would be could not be read: whether it was posted is unknown."""


def tagged(message: dict[str, Any], event_type: str) -> dict[str, Any] | None:
    """The metadata payload of ``message`` if its event type is ``event_type``."""
    meta = message.get("metadata") or {}
    if meta.get("event_type") != event_type:
        return None
    payload = meta.get("event_payload")
    return payload if isinstance(payload, dict) else {}


def find_post(client: WebClient, channel: str, event_type: str, match: Callable[[dict[str, Any], dict[str, Any]], bool],
              *, thread_ts: str | None = None, oldest: str | None = None, pages: int = 5) -> dict[str, Any] | None:
    """The first message (in the thread ``thread_ts``, else the channel's history since ``oldest``) whose
    metadata is ``event_type`` and for which ``match(payload, message)`` holds; None if there is none in
    ``pages`` pages of 200. Raises :class:`Unreadable` if Slack cannot be read."""
    cursor = None
    try:
        for _page in range(pages):
            if thread_ts is not None:
                page = client.conversations_replies(channel=channel, ts=thread_ts, limit=200,
                                                    include_all_metadata=True, cursor=cursor)
            else:
                page = client.conversations_history(channel=channel, limit=200, include_all_metadata=True,
                                                    cursor=cursor, oldest=oldest)
            for message in page.get("messages") or []:
                payload = tagged(message, event_type)
                if payload is not None and match(payload, message):
                    return dict(message)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
    except (SlackApiError, SlackClientError, OSError) as exc:
        detail = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        raise Unreadable(f"cannot read {channel} ({detail})") from None
    return None


def channel_id(client: WebClient, where: str) -> str:
    """The channel a post to ``where`` lands in: a user id's DM with the app (``conversations.open``,
    scope ``im:write``), a channel name's id (``conversations.list``), or the channel id itself.
    Raises :class:`Unreadable`."""
    try:
        if _USER.fullmatch(where):
            return str(client.conversations_open(users=where)["channel"]["id"])
        if _CHANNEL.fullmatch(where):
            return where
        name, cursor = where.lstrip("#").lower(), None
        for _page in range(20):
            page = client.conversations_list(types="public_channel,private_channel", limit=1000, cursor=cursor,
                                             exclude_archived=True)
            for channel in page.get("channels") or []:
                if str(channel.get("name") or "").lower() == name:
                    return str(channel["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except (SlackApiError, SlackClientError, OSError, KeyError, TypeError) as exc:
        raise Unreadable(f"cannot find the channel {where} ({type(exc).__name__})") from None
    raise Unreadable(f"no channel named {where}")
