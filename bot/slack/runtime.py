"""What every Slack-facing part shares at run time: the one Web API client factory, the token checks,
the hosts trusted with the token, and the wall clock (from ``bot.kb.now``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.config import ConfigError
from bot.kb.now import wall_clock

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.config import Settings

__all__ = ["build_client", "check_tokens", "is_slack_user", "trusted_file_host", "wall_clock"]

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")


def is_slack_user(value: str | None) -> bool:
    """A Slack user id (``U…``/``W…``): someone a DM can reach, not a name from an imported note."""
    return bool(value and _SLACK_USER.fullmatch(value))


def check_tokens(settings: Settings, *, socket_mode: bool = False) -> None:
    """Refuse to start with a missing or malformed secret: every problem at once, one line each, naming the
    variable and its expected shape (fixing one to meet the next is a slow loop on a deploy)."""
    problems = []
    token = settings.bot_token
    if not token:
        problems.append("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your app's "
                        "OAuth & Permissions page into the environment or .env")
    elif not token.startswith("xoxb-"):
        kind = "an app-level token (xapp-…)" if token.startswith("xapp-") else (
            "a user token (xoxp-…)" if token.startswith("xoxp-") else "not a Slack bot token")
        problems.append(f"SLACK_BOT_TOKEN should be the bot token starting with xoxb-; this value is {kind}")
    secret = settings.signing_secret
    if socket_mode:
        app_token = settings.app_token
        if not app_token:
            problems.append("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) with the "
                            "connections:write scope (Basic Information → App-Level Tokens)")
        elif not app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN should be an app-level token starting with xapp-")
    elif not secret:
        problems.append("SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your app's Basic Information "
                        "page (HTTP mode verifies every request with it)")
    if secret is not None and (secret.startswith(("xoxb-", "xoxp-", "xapp-")) or not re.fullmatch(r"\S{8,}", secret)):
        problems.append("SLACK_SIGNING_SECRET does not look like a signing secret (a 32-character hex string from "
                        "Basic Information → App Credentials), not a token")
    if problems:
        raise ConfigError("\n".join(problems))


def check_reachable(client: WebClient) -> None:
    """Open (and close) a TCP connection to ``SLACK_API_URL`` before Bolt's ``auth.test``, so an unreachable
    URL is one clear line at start, not the SDK's logged retries first. Skipped behind an HTTP(S) proxy,
    which the SDK would use and a direct connection would not."""
    import os
    import socket

    parts = urlsplit(client.base_url)
    if not parts.hostname or any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=10).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"cannot reach the Slack API at {client.base_url} ({reason}); check SLACK_API_URL "
                          "and the network") from None


def build_client(settings: Settings, *, rate_limit_retries: int = 2) -> WebClient:
    """The Web API client: ``SLACK_API_URL`` as base, retrying on 429 (honouring Retry-After) and, for
    calls that do not post, on connection errors (``bot.slack.post_once``). 5xx are not retried: Slack
    may have acted, and a second post would double it. A backfill waits out many 429s in a row
    (``rate_limit_retries``): reading history is its whole job."""
    from slack_sdk import WebClient

    from bot.slack.post_once import retry_handlers

    if not settings.bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set: the bot token (xoxb-…) from your app's OAuth & Permissions page")
    return WebClient(token=settings.bot_token, base_url=settings.slack_api_url, timeout=30,
                     retry_handlers=retry_handlers(rate_limit_retries))


def trusted_file_host(settings: Settings) -> Callable[[str], bool]:
    """Hosts that may receive the bot token with a file download: Slack's, or the configured API host."""
    api = urlsplit(settings.slack_api_url).netloc.lower()

    def trusted(netloc: str) -> bool:
        netloc = netloc.lower()
        host = netloc.split(":")[0]
        return netloc == api or host == "slack.com" or host.endswith(".slack.com")

    return trusted
