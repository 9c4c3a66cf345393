"""The Slack wing's tests reuse the Slack harness: a real Bolt app over HTTP against the local Web API stand-in."""

from tests.slack.listeners.conftest import bot, fake, site  # noqa: F401 - pytest fixtures re-exported
