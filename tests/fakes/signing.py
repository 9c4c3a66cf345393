"""Build and sign requests exactly as Slack sends them to the bot.

Why: Bolt verifies ``X-Slack-Signature`` over the *raw* body bytes, so tests must produce the same
bytes and the same headers Slack would, not a dict handed to the app in-process.
See https://docs.slack.dev/authentication/verifying-requests-from-slack/.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import quote, urlencode

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

DEFAULT_TEAM_ID = "T0TEAM"
DEFAULT_APP_ID = "A0APP"
DEFAULT_BOT_USER_ID = "U0BOT"
DEFAULT_USER_ID = "U0USER"
DEFAULT_CHANNEL_ID = "C0CHANNEL"
UNSET_RESPONSE_URL = "http://127.0.0.1:9/hooks/unset"
"""Default ``response_url``: loopback and refused, so a forgotten override can never reach Slack.
Pass ``FakeSlackAPI.hook_url()`` to capture what the bot sends there."""

_event_seq = itertools.count(1)


def sign(secret: str, timestamp: str | int, body: bytes | str) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256(secret, ``v0:{timestamp}:{body}``)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + raw
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    body: bytes | str,
    timestamp: str | int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
    content_type: str | None = None,
) -> dict[str, str]:
    """Headers Slack sends with ``body``: timestamp (default now), signature, content type, retries.

    ``content_type`` defaults to JSON for bodies starting with ``{`` and to a urlencoded form otherwise,
    which is what Slack uses for events vs. slash commands / interactivity.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    ts = str(int(time.time()) if timestamp is None else timestamp)
    if content_type is None:
        content_type = JSON if raw.lstrip().startswith(b"{") else FORM
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(secret, ts, raw),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    elif retry_reason is not None:
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


def json_body(payload: dict[str, Any]) -> bytes:
    """Serialise a JSON payload (events, url_verification) to the bytes that get signed and sent."""
    return json.dumps(payload).encode("utf-8")


def url_verification(challenge: str = "fake-challenge", token: str = "verification_token") -> dict[str, Any]:
    """The handshake Slack posts when the Events API request URL is configured."""
    return {"token": token, "challenge": challenge, "type": "url_verification"}


def event_envelope(
    event: dict[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    authorizations: list[dict[str, Any]] | None = None,
    token: str = "verification_token",
) -> dict[str, Any]:
    """Wrap ``event`` in an ``event_callback`` envelope shaped like the captured real ones.

    ``event_id`` is unique per call unless given, because the bot may dedupe on it.
    """
    if authorizations is None:
        authorizations = [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ]
    return {
        "token": token,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev0FAKE{next(_event_seq):06d}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": authorizations,
        "is_ext_shared_channel": False,
        "event_context": "4-fake-event-context",
    }


def form_body(fields: dict[str, Any]) -> bytes:
    """Urlencode ``fields`` the way Slack does for slash commands (``/`` → ``%2F``, space → ``+``)."""
    return urlencode(fields).encode("utf-8")


def slash_command_body(
    command: str,
    text: str = "",
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "tester",
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = "deskbot-test",
    api_app_id: str = DEFAULT_APP_ID,
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str = "1111.2222.fake",
    token: str = "verification_token",
    **extra: str,
) -> bytes:
    """A slash-command POST body, same fields and order as Slack's (``slash_command.body.txt``)."""
    fields = {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    fields.update(extra)
    return form_body(fields)


def interactive_body(payload: dict[str, Any]) -> bytes:
    """Interactivity POST body: one form field ``payload`` holding JSON (see ``block_actions.body.txt``)."""
    return ("payload=" + quote(json.dumps(payload))).encode("ascii")


def block_actions_payload(
    actions: list[dict[str, Any]],
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "tester",
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    message_ts: str = "1700000000.000100",
    message: dict[str, Any] | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = "deskbot-test",
    api_app_id: str = DEFAULT_APP_ID,
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str = "1111.2222.fake",
    token: str = "verification_token",
) -> dict[str, Any]:
    """A ``block_actions`` payload (button click in a message), shaped like ``block_actions.payload.json``.

    Each action gets an ``action_ts`` if it lacks one. ``message`` (the clicked message) is included
    when given, as Slack does for non-ephemeral messages.
    """
    now = f"{time.time():.6f}"
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": message is None,
        },
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": team_domain},
        "channel": {"id": channel_id, "name": channel_name},
        "response_url": response_url,
        "actions": [{"action_ts": now, **a} for a in actions],
    }
    if message is not None:
        payload["message"] = message
    return payload


def block_actions_body(actions: list[dict[str, Any]], **kwargs: Any) -> bytes:
    """:func:`block_actions_payload` encoded by :func:`interactive_body`."""
    return interactive_body(block_actions_payload(actions, **kwargs))
