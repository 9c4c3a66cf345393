"""Decay labels (migration 016): one per note, grouped by site and tag, scoped by channel."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from bot.kb.migrations import MIGRATIONS, migrate
from bot.kb.notes import Note
from bot.kb.store import Store, site_of

AT = datetime(2026, 11, 30, 12)


def note(store: Store, n: int, *, url: str, tags: list[str], channel: str = "C1", suggested: str = "slow") -> str:
    store.upsert_note(Note(id=f"n{n}", title=f"Note {n}", url=url, tags=tags, channel=channel, body="",
                           decay_rate=suggested, extra={"decay_suggested": suggested}))
    return f"n{n}"


def test_labels_count_per_site_and_tag_and_the_latest_choice_wins(tmp_path):
    store = Store.open(str(tmp_path / "kb.db"))
    a = note(store, 1, url="https://www.Example.org/a", tags=["100%_sure", "pricing"])
    b = note(store, 2, url="https://example.org/b", tags=["pricing"])
    c = note(store, 3, url="https://example.org/c", tags=["100xsure"], channel="C2")
    store.set_decay(a, "medium", by="ann", at=AT)
    store.set_decay(a, "fast", by="ann", at=AT)  # a change of mind replaces the label
    store.set_decay(b, "fast", by="bob", at=AT, source="cli")
    store.set_decay(c, "slow", by="cy", at=AT)

    sites, tags = store.decay_label_counts(site="example.org", tags=["100%_sure", "pricing"], channel="C1")
    assert sites == {"example.org": {"fast": 2}}
    assert tags == {"100%_sure": {"fast": 1}, "pricing": {"fast": 2}}  # '%' and '_' match only themselves
    everywhere, _ = store.decay_label_counts(site="example.org", channel=None)
    assert everywhere == {"example.org": {"fast": 2, "slow": 1}}

    stats = store.decay_stats()
    assert (stats["labels"], stats["changed"], stats["kept"]) == (3, 2, 1)
    assert stats["sources"] == {"cli": 1, "slack": 2}
    assert [v.verdict for v in store.validations(a)] == ["decay:medium", "decay:fast"], "history keeps both"


def test_site_of_is_lowercase_without_www():
    assert site_of("https://WWW.Example.org:8080/x") == "example.org"
    assert site_of("not a url") is None and site_of(None) is None and site_of("http://[bad") is None


@pytest.mark.parametrize(("url", "site"), [
    ("https://medium.com/@karpathy/software-2-0-a64152b37c35", "medium.com/@karpathy"),
    ("https://towardsdatascience.com/some-post-1234", "towardsdatascience.com"),
    ("https://github.com/simonw/llm/releases", "github.com/simonw"),
    ("https://www.youtube.com/@dwarkeshpatel/videos", "youtube.com/@dwarkeshpatel"),
    ("https://m.youtube.com/channel/UC123/videos", "youtube.com/channel/uc123"),
    ("https://www.reddit.com/r/MachineLearning/comments/abc/", "reddit.com/r/machinelearning"),
    ("https://x.com/karpathy/status/1", "x.com/karpathy"),
    ("https://www.youtube.com/watch?v=_zgnSbu5GqE", None),  # a video link names no channel: no site to learn
    ("https://youtu.be/_zgnSbu5GqE", None),
])
def test_on_hosts_every_creator_shares_the_creator_is_the_site(url, site):
    """One creator's labels must not teach every other creator's notes on YouTube, Medium or GitHub."""
    assert site_of(url) == site


def test_016_applies_to_a_database_made_before_it(tmp_path):
    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path, isolation_level=None)
    old = [m for m in MIGRATIONS if not m[0].startswith("016")]
    for _name, step in old:
        step(conn)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    conn.executemany("INSERT INTO _migrations VALUES (?, 'then')", [(n,) for n, _ in old])
    conn.execute(f"PRAGMA user_version = {len(old)}")
    assert migrate(conn) == ["016_decay_labels"]
    assert conn.execute("SELECT count(*) FROM decay_labels").fetchone()[0] == 0
