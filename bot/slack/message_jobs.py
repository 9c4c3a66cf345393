"""Which Slack messages are clipped, and the capture jobs a message makes (one per link or file).

Two halves, on purpose: :func:`is_clippable` is all the ``message`` listener checks before the ack
(a few dict lookups), while :func:`job_specs` — finding and canonicalising links, which costs ~10×
more — runs later, where the inbox journal is moved into the ``jobs`` table (``bot.slack.inbox.Inbox``),
off the ack path and, in production, in a capture process.

``find_links`` reads the message's own ``text`` and ``rich_text`` blocks only. Attachments are Slack's
unfurls or shared messages, not something the user posted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.kb.doi import find_text_dois
from bot.kb.links import canonical_url, is_capturable_url
from bot.slack.queue import JobSpec

MAX_JOBS_PER_MESSAGE = 10
CAPTURED_SUBTYPES = frozenset({None, "file_share"})
CAPTURABLE_SUFFIXES = (".pdf", ".md", ".markdown", ".txt")
CAPTURABLE_TYPES = ("application/pdf", "application/x-pdf", "text/plain", "text/markdown", "text/x-markdown")


def is_clippable(event: dict[str, Any], *, bot_user_id: str | None = None) -> bool:
    """Is this a person's post in a channel (not a bot, an edit, a deletion, a join, a DM)?"""
    if not isinstance(event, dict):
        return False
    if event.get("type") != "message" or event.get("subtype") not in CAPTURED_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return False
    user = event.get("user")
    if not user or not isinstance(user, str) or (bot_user_id and user == bot_user_id):
        return False
    if event.get("channel_type") in ("im", "mpim"):
        return False
    channel, ts = event.get("channel"), event.get("ts")
    return bool(channel and ts and isinstance(channel, str) and isinstance(ts, str))


def is_capturable_file(file: dict[str, Any]) -> bool:
    """PDFs and text/markdown notes; images, videos and external (Drive…) files are not clipped."""
    if not isinstance(file, dict) or file.get("is_external") or file.get("mode") in ("external", "tombstone"):
        return False
    name = str(file.get("name") or "").lower()
    mimetype = str(file.get("mimetype") or "").split(";")[0].strip().lower()
    return name.endswith(CAPTURABLE_SUFFIXES) or mimetype in CAPTURABLE_TYPES


def file_specs(event: dict[str, Any]) -> list[JobSpec]:
    """Capture jobs for the capturable files of a message event (images and the like are skipped)."""
    channel, ts, user = str(event["channel"]), str(event["ts"]), event.get("user")
    thread_ts = str(event.get("thread_ts") or ts)
    files = event.get("files")
    specs = []
    for file in files if isinstance(files, list) else []:
        if is_capturable_file(file) and file.get("id"):
            specs.append(JobSpec(kind="file", channel=channel, ts=ts, thread_ts=thread_ts, user=user,
                                 file_id=str(file["id"]), url=file.get("permalink")))
    return specs


def job_specs(event: dict[str, Any]) -> list[JobSpec]:
    """One job per distinct link (canonical URL) and per capturable file; [] for a message not to clip."""
    if not is_clippable(event):
        return []
    channel, ts, user = str(event["channel"]), str(event["ts"]), event.get("user")
    thread_ts = str(event.get("thread_ts") or ts)
    specs = [
        JobSpec(kind="url", channel=channel, ts=ts, thread_ts=thread_ts, user=user, url=url,
                canonical_url=canonical_url(url))
        for url in find_links(event)
    ]
    specs += file_specs(event)
    return specs[:MAX_JOBS_PER_MESSAGE]


# --------------------------------------------------------------------------- finding links

# Slack wraps every link, mention and special in <...>; the part after | is only a label.
_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
# Bare URLs only appear in text posted through the API without Slack's link parsing.
_BARE_URL = re.compile(r"https?://[^\s<>|\"]+", re.IGNORECASE)
_TRAILING_PUNCT = ".,;:!?*_~'"
_MAX_BLOCK_DEPTH = 32
_DONE = object()


def find_links(event: dict[str, Any]) -> list[str]:
    """Every http(s) URL a Slack message event carries, first-seen order, one per canonical form.

    Reads mrkdwn ``text`` (``<url|label>`` tokens, unescaping ``&amp; &lt; &gt;``) and ``link`` elements of
    ``rich_text`` blocks; an ``event_callback`` envelope is unwrapped. Mentions, specials, ``mailto:`` and
    Slack's own file links are skipped. Never raises on malformed input: a payload is untrusted data.
    """
    if not isinstance(event, dict):
        return []
    inner = event.get("event")
    if event.get("type") == "event_callback" and isinstance(inner, dict):
        event = inner
    text = event.get("text")
    found: list[str] = []
    seen: set[str] = set()
    candidates = [
        *(_text_links(text) if isinstance(text, str) else ()),
        *_block_links(event.get("blocks")),
        *(find_text_dois(_unescape(_SLACK_TOKEN.sub(" ", text))) if isinstance(text, str) else ()),  # doi:10.…
    ]
    for url in candidates:
        if not is_capturable_url(url):
            continue
        key = canonical_url(url)
        if key not in seen:
            seen.add(key)
            found.append(url)
    return found


def _text_links(text: str) -> Iterator[str]:
    pos = 0
    for match in _SLACK_TOKEN.finditer(text):
        yield from _bare_links(text[pos : match.start()])
        target = match.group(1).split("|", 1)[0].strip()
        if target and target[0] not in "@#!":
            yield _unescape(target)
        pos = match.end()
    yield from _bare_links(text[pos:])


def _unescape(text: str) -> str:
    """Slack escapes exactly these three; html.unescape would also eat ``&copy=1`` in a query string."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _bare_links(text: str) -> Iterator[str]:
    for match in _BARE_URL.finditer(text):
        url = re.split(r"&(?:lt|gt);", match.group(0), maxsplit=1)[0]
        url = _unescape(url)
        while url:
            unbalanced = url[-1] == ")" and url.count("(") < url.count(")")
            if url[-1] in _TRAILING_PUNCT or unbalanced:
                url = url[:-1]
            else:
                break
        yield url


def _block_links(blocks: Any) -> Iterator[str]:
    """``link`` elements anywhere inside ``rich_text`` blocks (sections, quotes, lists, preformatted)."""
    if not isinstance(blocks, list):
        return
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "rich_text":
            continue
        stack: list[Iterator[Any]] = [iter([block])]
        while stack:
            element = next(stack[-1], _DONE)
            if element is _DONE:
                stack.pop()
                continue
            if not isinstance(element, dict):
                continue
            url = element.get("url")
            if element.get("type") == "link" and isinstance(url, str):
                yield url
            children = element.get("elements")
            if isinstance(children, list) and len(stack) < _MAX_BLOCK_DEPTH:
                stack.append(iter(children))
