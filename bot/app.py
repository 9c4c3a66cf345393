"""The Slack face of deskbot: ``create_app(settings, store)`` builds the Bolt app (nothing at import).

Listeners are registered by type from ``bot.listeners`` (messages, files, commands, actions, home);
each is thin — parse, call the same plain function the CLI calls, render blocks from ``bot.blocks``.
Slow work never runs before the ack: links go to the durable queue (``bot.queue``) that the
:class:`~bot.worker.Worker` drains; Slack calls after a click run as Bolt *lazy* listeners.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from slack_bolt import App

from bot.config import ConfigError

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.capture.pipeline import CaptureOptions
    from bot.config import Settings
    from bot.store import Store
    from bot.worker import Backoff, Worker

log = logging.getLogger(__name__)

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def wall_clock() -> datetime:
    """The bot's default clock: naive UTC, whole seconds."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


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


class DeskbotApp(App):
    """A Bolt ``App`` that also carries deskbot's dependencies and worker (``app.deps``)."""

    deps: Deps

    @property
    def worker(self) -> Worker:
        return self.deps.worker


class _NoClientTokenWarning(logging.Filter):
    """Bolt warns "token will be unused" whenever SLACK_BOT_TOKEN is in the environment and a client is
    given — which is always the case here (the client carries that very token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("deskbot.bolt")
    if not any(isinstance(f, _NoClientTokenWarning) for f in logger.filters):
        logger.addFilter(_NoClientTokenWarning())
    return logger


def check_tokens(settings: Settings, *, socket_mode: bool = False) -> None:
    """Refuse to start with a missing or malformed secret, naming the variable and its expected shape."""
    token = settings.bot_token
    if not token:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your app's "
            "OAuth & Permissions page into the environment or .env"
        )
    if not token.startswith("xoxb-"):
        kind = "an app-level token (xapp-…)" if token.startswith("xapp-") else (
            "a user token (xoxp-…)" if token.startswith("xoxp-") else "not a Slack bot token")
        raise ConfigError(f"SLACK_BOT_TOKEN should be the bot token starting with xoxb-; this value is {kind}")
    secret = settings.signing_secret
    if socket_mode:
        app_token = settings.app_token
        if not app_token:
            raise ConfigError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) with the "
                "connections:write scope (Basic Information → App-Level Tokens)"
            )
        if not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN should be an app-level token starting with xapp-")
    elif not secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your app's Basic Information page "
            "(HTTP mode verifies every request with it)"
        )
    if secret is not None and (secret.startswith(("xoxb-", "xoxp-", "xapp-")) or not re.fullmatch(r"\S{8,}", secret)):
        raise ConfigError(
            "SLACK_SIGNING_SECRET does not look like a signing secret (a 32-character hex string from "
            "Basic Information → App Credentials), not a token"
        )


def build_client(settings: Settings, *, rate_limit_retries: int = 2) -> WebClient:
    """The Web API client: ``SLACK_API_URL`` as base, retrying on 429 (honouring Retry-After) and on
    connection errors. 5xx are not retried: Slack may have acted, and a second post would double it.
    A backfill waits out many 429s in a row (``rate_limit_retries``): reading history is its whole job."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

    return WebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=30,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
                        ConnectionErrorRetryHandler(max_retry_count=2)],
    )


def trusted_file_host(settings: Settings) -> Callable[[str], bool]:
    """Hosts that may receive the bot token with a file download: Slack's, or the configured API host."""
    api = urlsplit(settings.slack_api_url).netloc.lower()

    def trusted(netloc: str) -> bool:
        netloc = netloc.lower()
        host = netloc.split(":")[0]
        return netloc == api or host == "slack.com" or host.endswith(".slack.com")

    return trusted


def create_app(
    settings: Settings,
    store: Store,
    client: WebClient | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    capture_options: CaptureOptions | None = None,
    socket_mode: bool = False,
    worker_threads: int = 4,
    backoff: Backoff | None = None,
    capture_processes: bool | None = None,
) -> DeskbotApp:
    """Build the Bolt app and its (not yet started) worker. Bolt calls ``auth.test`` once here (the token
    check, and the bot's own ids for every request); any token problem is a readable ``ConfigError``.

    ``capture_processes``: run jobs (clip + reply) in separate processes — the default when
    ``capture_options`` is not given, i.e. in production — or in the worker threads themselves (tests
    inject options and use threads; the ``deskbot serve`` process tests cover the processes).
    """
    from slack_bolt.error import BoltError

    from bot.listeners import actions, commands, files, home, messages
    from bot.worker import Backoff, CaptureProcesses, Worker

    check_tokens(settings, socket_mode=socket_mode)
    client = client or build_client(settings)
    backoff = backoff or Backoff()
    if capture_processes is None:  # production (options from settings): jobs run outside the ack process
        capture_processes = capture_options is None and store.path != ":memory:"
    processes = None
    if capture_processes:
        processes = CaptureProcesses(store.path, store.decay_table, settings, worker_threads, backoff=backoff)
    if capture_options is None:
        from bot.capture.pipeline import options_from_settings

        capture_options = options_from_settings(settings)
    clock = clock or wall_clock
    try:
        app = DeskbotApp(
            client=client,
            signing_secret=settings.signing_secret or "",
            process_before_response=True,
            token_verification_enabled=True,
            request_verification_enabled=bool(settings.signing_secret) or not socket_mode,
            ignoring_self_events_enabled=True,
            # Not used by deskbot (no `say`/assistant threads/custom functions); each would run on every
            # request: together ~10% of the in-process dispatch of a link message (0.105 → 0.095 ms).
            attaching_conversation_kwargs_enabled=False,
            ignoring_self_assistant_message_events_enabled=False,
            attaching_function_token_enabled=False,
            logger=_bolt_logger(),
        )
    except BoltError as exc:
        found = re.search(r"'error': '(\w+)'", str(exc))
        raise ConfigError(
            f"Slack rejected SLACK_BOT_TOKEN ({found.group(1) if found else 'auth.test failed'}); "
            "reinstall the app and copy a fresh xoxb- token"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot reach the Slack API at {settings.slack_api_url} ({type(exc).__name__})") from None
    worker = Worker(
        store, client, capture_options=capture_options, clock=clock, threads=worker_threads, backoff=backoff,
        trusted_file_host=trusted_file_host(settings), processes=processes,
    )
    deps = Deps(
        settings=settings, store=store, client=client, clock=clock, capture_options=capture_options,
        channels=ChannelFilter(settings.channels, client), worker=worker, users=UserAliases(client),
    )
    app.deps = deps
    for module in (messages, files, commands, actions, home):
        module.register(app, deps)
    return app
