"""The Slack wing's tests reuse the app harness: the fake Web API, the article site, the bot over HTTP."""

from tests.listeners.conftest import bot, fake, site  # noqa: F401 - pytest fixtures
