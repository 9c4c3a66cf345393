"""What YouTube says about a video without its transcript (oEmbed, the watch page's player response), and the
proxy settings for its transcript requests. Light to import: the capture processes build their options from it.

Used when no transcript can be had (YouTube blocks most cloud IPs, subtitles off…), so the note still has the
title, channel, upload date, duration, description and its chapters. Both requests go through the SSRF-safe
fetcher (a plain GET of public pages, no cookies); each is optional, and whatever one of them gives is kept.
Chapters follow YouTube's own rule: timestamps at line starts in the description, the first at 0:00, at
least three, in increasing order; anything else is just a description with times in it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from bot.kb.notes import one_line

log = logging.getLogger(__name__)

DEFAULT_BASE = "https://www.youtube.com/"
_PLAYER = re.compile(r"ytInitialPlayerResponse\s*=\s*")
_CHAPTER = re.compile(r"^\s*\(?((?:\d{1,2}:)?\d{1,2}:\d{2})\)?\s*[-–—:|]?\s*(.+?)\s*$")
JSON_TYPES = frozenset({"application/json", "text/json", "text/html", "text/plain"})


def proxy_config(url: str | None, *, rotating: bool = False) -> Any:
    """youtube-transcript-api's proxy settings for ``DESKBOT_YOUTUBE_PROXY`` (None: no proxy).

    A rotating residential proxy hands out a new exit IP per connection, so with ``rotating`` every request
    closes its connection and a blocked answer is retried (up to 10 times) through the next IP, as the
    library does for its Webshare configuration.
    """
    if not url:
        return None
    from youtube_transcript_api.proxies import GenericProxyConfig

    if not rotating:
        return GenericProxyConfig(http_url=url, https_url=url)

    class RotatingProxyConfig(GenericProxyConfig):
        @property
        def prevent_keeping_connections_alive(self) -> bool:
            return True

        @property
        def retries_when_blocked(self) -> int:
            return 10

    return RotatingProxyConfig(http_url=url, https_url=url)


def seconds_of(stamp: str) -> int:
    total = 0
    for part in stamp.split(":"):
        total = total * 60 + int(part)
    return total


def chapters(description: str) -> list[tuple[int, str]]:
    """``[(start seconds, title)]`` of a description's chapter list, or [] when it has none."""
    found = []
    for line in (description or "").splitlines():
        match = _CHAPTER.match(line)
        if match:
            found.append((seconds_of(match.group(1)), one_line(match.group(2))))
    if len(found) < 3 or found[0][0] != 0 or any(b[0] <= a[0] for a, b in zip(found, found[1:], strict=False)):
        return []
    return found


def player_response(html: str) -> dict[str, Any]:
    """The ``ytInitialPlayerResponse`` object of a watch page ({} when absent or unreadable)."""
    match = _PLAYER.search(html)
    if not match:
        return {}
    try:
        found, _ = json.JSONDecoder().raw_decode(html[match.end():])
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def video_metadata(video_id: str, *, base: str = DEFAULT_BASE, allow: Any = None,
                   fetcher: Callable[..., Any] | None = None) -> dict[str, Any]:
    """title, channel, upload_date, duration, description, chapters — whatever YouTube gives; never raises."""
    from bot.capture.fetch import FetchError, fetch

    get = fetcher or fetch
    base = base if base.endswith("/") else base + "/"
    watch = f"https://www.youtube.com/watch?v={video_id}"
    meta: dict[str, Any] = {}
    try:
        raw = get(f"{base}oembed?{urlencode({'url': watch, 'format': 'json'})}", allow=allow, deadline=8.0,
                  accept="application/json", types=JSON_TYPES)
        oembed = json.loads(raw.body.decode(raw.charset or "utf-8", errors="replace"))
        meta["title"] = one_line(oembed.get("title") or "") or None
        meta["channel"] = one_line(oembed.get("author_name") or "") or None
    except (FetchError, ValueError, AttributeError) as exc:
        log.info("no oEmbed for %s: %s", video_id, exc)
    try:
        page = get(f"{base}watch?{urlencode({'v': video_id})}", allow=allow, deadline=10.0)
        player = player_response(page.body.decode(page.charset or "utf-8", errors="replace"))
    except FetchError as exc:
        log.info("no watch page for %s: %s", video_id, exc)
        player = {}
    details = player.get("videoDetails") or {}
    micro = (player.get("microformat") or {}).get("playerMicroformatRenderer") or {}
    meta["title"] = meta.get("title") or one_line(details.get("title") or "") or None
    meta["channel"] = meta.get("channel") or one_line(details.get("author") or micro.get("ownerChannelName") or "") \
        or None
    length = str(details.get("lengthSeconds") or micro.get("lengthSeconds") or "")
    if length.isdigit():
        meta["duration"] = int(length)
    day = str(micro.get("uploadDate") or micro.get("publishDate") or "")[:10]
    if re.fullmatch(r"\d{4}-\d\d-\d\d", day):
        meta["upload_date"] = date.fromisoformat(day)
    description = str(details.get("shortDescription") or "").strip()
    if description:
        meta["description"] = description
        meta["chapters"] = chapters(description)
    return {k: v for k, v in meta.items() if v not in (None, "", [])}
