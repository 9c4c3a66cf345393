"""App Home over real HTTP: app_home_opened is acked at once and the view published after."""

from __future__ import annotations

import json
from datetime import date

from bot.kb.importer import import_paths
from bot.kb.notes import Note
from tests.conftest import SEEDS
from tests.slack.listeners.harness import envelope, link_event


def home_opened(user: str, tab: str = "home") -> dict:
    """``app_home_opened`` as the Events API docs show it."""
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab,
            "event_ts": "1790000000.000100", "view": {"id": "V0HOME", "type": "home"}}


def test_home_shows_counts_my_stale_notes_and_recent_clips(bot, site):
    import_paths(bot.store, [SEEDS])
    bot.store.upsert_note(Note(id="old1", title="My <!channel> note", url="https://example.org/o", owner="U0ANN",
                               last_validated=date(2025, 1, 1)))
    bot.event(envelope(link_event(site.url(1))))
    bot.fake.wait_for("chat.postMessage", ok_only=True)
    ack = bot.event(envelope(home_opened("U0ANN")))
    assert ack.status == 200 and ack.seconds < 3
    [publish] = bot.fake.wait_for("views.publish", ok_only=True)
    view = publish.decoded["view"]
    assert publish.decoded["user_id"] == "U0ANN" and view["type"] == "home" and len(view["blocks"]) <= 50
    text = json.dumps(view)
    counts = bot.store.counts()
    assert f"*{counts['notes']:,}* notes" in text and f"*{counts['claims']:,}* claims" in text and "stale" in text
    assert "My &lt;!channel&gt; note" in text and "<!channel>" not in text
    assert '"note_snooze"' in text and '"actions:old1"' in text
    assert "The case for slow notes, part 1" in text  # recent clips


def test_messages_tab_is_not_published(bot):
    assert bot.event(envelope(home_opened("U0ANN", tab="messages"))).status == 200
    assert bot.event(envelope(home_opened("U0BOB"))).status == 200
    [publish] = bot.fake.wait_for("views.publish", ok_only=True)  # Bob's, after Ann's event was handled
    assert publish.decoded["user_id"] == "U0BOB"
