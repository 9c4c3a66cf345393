"""Pytest plugin with the fakes' fixtures; enable with ``pytest_plugins = ["tests.fakes.fixtures"]``.

Why a plugin module: fixtures defined here reach any test module (or a future root conftest) that lists
it, without importing fixture names into test modules (which ruff flags as redefinitions).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from tests.fakes.slack_api import FakeSlackAPI


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackAPI]:
    """A running :class:`FakeSlackAPI` on 127.0.0.1, stopped after the test."""
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def slack_client(fake_slack: FakeSlackAPI) -> WebClient:
    """A real ``WebClient`` (bot token ``xoxb-test``) talking to :func:`fake_slack`."""
    return fake_slack.client()
