"""Fixtures for the Slack app tests: the fake Web API, the article site, the bot over HTTP or Socket Mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import ArticleSite, HttpBot, running_bot, serve_articles


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        yield api


@pytest.fixture
def site() -> Iterator[ArticleSite]:
    with serve_articles() as articles:
        yield articles


@pytest.fixture
def bot(fake: FakeSlackAPI, tmp_path) -> Iterator[HttpBot]:
    with running_bot(fake, tmp_path) as running:
        yield running
