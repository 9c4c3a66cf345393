"""The Slack export fixture (``tests/fixtures/slack/export/``) zipped for a test, its links pointing at a
local site; and what the live rules make of it (the answers the tests check against).

The fixture's messages are built from the captured payloads in ``tests/fixtures/slack/`` (links in
``text`` and in ``rich_text`` blocks, a thread, bot posts, a join, an edit, a ``message_changed`` and a
``message_deleted`` event, a thread broadcast, a file share), shaped as an export stores them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "slack" / "export"
SITE = "https://site.example"
RESEARCH = "C07RSRCH01"
ANA, BEN, CHO = "U07ANA0001", "U07BEN0002", "U07CHO0003"

# (site path, message ts, poster) for every link the live rules clip in #research, in posting order
CLIPPED = [
    ("/a/1", "1741000000.000100", ANA),
    ("/a/2", "1741003600.000200", BEN),
    ("/a/3", "1741090000.000100", ANA),
    ("/a/4", "1741091800.000200", BEN),
    ("/a/1", "1741093600.000300", CHO),
    ("/a/5", "1741097200.000500", BEN),
    ("/a/6", "1741183600.000200", CHO),
    ("/a/6", "1741187200.000300", ANA),
    ("/a/2", "1741187200.000300", ANA),
]
NEVER_FETCHED = ["/a/96", "/a/97", "/a/98", "/a/99", "/a/7"]  # broadcast, edit event, bots, another channel


def build_export(target: Path, site_base: str, *, extra: dict[str, bytes] | None = None,
                 drop: tuple[str, ...] = ()) -> Path:
    """Zip the fixture as Slack does (members relative to the export's root), links on ``site_base``."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(EXPORT.rglob("*.json")):
            name = path.relative_to(EXPORT).as_posix()
            if name not in drop:
                zf.writestr(name, path.read_text(encoding="utf-8").replace(SITE, site_base))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return target


def channel_messages(site_base: str, folder: str = "research") -> list[dict]:
    """The channel's messages as ``conversations.history`` holds them (the export's day files, merged)."""
    import json

    messages: list[dict] = []
    for day in sorted((EXPORT / folder).glob("*.json")):
        messages += json.loads(day.read_text(encoding="utf-8").replace(SITE, site_base))
    return messages


def link_messages(site_base: str, paths: list[str], *, start_ts: int, users: tuple[str, ...] = (ANA, BEN, CHO)
                  ) -> list[dict]:
    """More user posts shaped like the fixture's first message, one link each (for bigger runs)."""
    import copy
    import json

    template = json.loads((EXPORT / "research" / "2025-03-03.json").read_text(encoding="utf-8"))[0]
    out = []
    for n, path in enumerate(paths):
        message = copy.deepcopy(template)
        url = f"{site_base}{path}"
        message.update(ts=f"{start_ts + 60 * n}.000100", user=users[n % len(users)], text=f"<{url}>")
        message["blocks"][0]["elements"][0]["elements"] = [{"type": "link", "url": url}]
        out.append(message)
    return out
