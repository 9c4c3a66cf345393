"""Shared fixtures: a real SQLite store in a temp dir, the seed folder, a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def store(tmp_path):
    from bot.kb.store import Store

    s = Store.open(str(tmp_path / "deskbot.db"))
    yield s
    s.close()


@pytest.fixture
def seeded(store, seeds_dir):
    from bot.kb.importer import import_paths

    report = import_paths(store, [seeds_dir])
    assert report.failed == []
    return store
