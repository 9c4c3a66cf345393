"""Fixtures for the Slack wing's tests: the Slack stand-in, the article site, the bot over HTTP (as the
listener tests use it), and the deskbot command run in-process with an environment pointing at both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.kb.store import Store
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.conftest import bot  # noqa: F401 - the bot over HTTP, on this folder's fake
from tests.slack.listeners.harness import ArticleSite, serve_articles


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(ts_base=1_764_000_000) as api:  # the bot posts today, after the fixture's history
        yield api


@pytest.fixture
def site() -> Iterator[ArticleSite]:
    with serve_articles() as articles:
        yield articles


@dataclass
class Deskbot:
    """``deskbot …`` as a user runs it, on one database, against the stand-in and the local site."""

    db: Path
    env: dict[str, str]
    invoke: Callable[..., Result]

    def store(self) -> Store:
        return Store.open(str(self.db))


@pytest.fixture
def deskbot(tmp_path: Path, fake: FakeSlackAPI, monkeypatch: pytest.MonkeyPatch) -> Deskbot:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    env = {"DESKBOT_DB": str(tmp_path / "deskbot.db"), "DESKBOT_FETCH_ALLOW": "127.0.0.1",
           "SLACK_API_URL": fake.base_url, "SLACK_BOT_TOKEN": "xoxb-test", "DESKBOT_CHANNELS": "",
           "DESKBOT_SUMMARIZER": "extractive"}
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return Deskbot(tmp_path / "deskbot.db", env, invoke)
