"""``create_app(settings, store)`` wires the Bolt app: client, deps, worker, listeners (nothing at import).

Listeners live in ``bot.slack.listeners`` (one module per type, each with ``register(app, deps)``); the
plumbing they share is in ``bot.slack.deps`` and ``bot.slack.runtime``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from slack_bolt import App

from bot.config import ConfigError
from bot.slack.deps import ChannelFilter, Deps, UserAliases
from bot.slack.runtime import build_client, check_reachable, check_tokens, trusted_file_host, wall_clock

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.capture.pipeline import CaptureOptions
    from bot.config import Settings
    from bot.kb.store import Store
    from bot.slack.runner import Backoff
    from bot.slack.worker import Bell, Worker

log = logging.getLogger(__name__)


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
    bell: Bell | None = None,
) -> DeskbotApp:
    """Build the Bolt app and its (not yet started) worker. Bolt calls ``auth.test`` once here (the token
    check, and the bot's own ids for every request); any token problem is a readable ``ConfigError``.

    ``capture_processes``: run jobs (clip + reply) in separate processes — the default when
    ``capture_options`` is not given, i.e. in production — or in the worker threads themselves (tests
    inject options and use threads; the ``deskbot serve`` process tests cover the processes).
    ``bell`` wakes the consumer threads (capture processes bring their own); by default a new one.

    The inbox journal lives beside the database file, so ``:memory:`` and ``file:`` URIs are refused.
    """
    from slack_bolt.error import BoltError

    from bot.slack.listeners import actions, commands, files, home, messages
    from bot.slack.processes import CaptureProcesses
    from bot.slack.runner import Backoff
    from bot.slack.worker import Worker

    if store.path == ":memory:" or store.path.startswith("file:"):
        raise ConfigError("the bot needs a database file path (DESKBOT_DB or --db), not :memory: or a file: URI")
    check_tokens(settings, socket_mode=socket_mode)
    client = client or build_client(settings)
    check_reachable(client)
    backoff = backoff or Backoff()
    if capture_processes is None:  # production (options from settings): jobs run outside the ack process
        capture_processes = capture_options is None
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
        trusted_file_host=trusted_file_host(settings), processes=processes, bell=bell,
    )
    deps = Deps(
        settings=settings, store=store, client=client, clock=clock, capture_options=capture_options,
        channels=ChannelFilter(settings.channels, client), worker=worker, users=UserAliases(client),
    )
    app.deps = deps
    for module in (messages, files, commands, actions, home):
        module.register(app, deps)
    return app
