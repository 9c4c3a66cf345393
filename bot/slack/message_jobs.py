"""Which Slack messages are clipped, and the capture jobs a message makes (one per link or file).

Two halves, on purpose: :func:`is_clippable` is all the ``message`` listener checks before the ack
(a few dict lookups), while :func:`job_specs` — finding and canonicalising links, which costs ~10×
more — runs later, where the inbox journal is moved into the ``jobs`` table (``bot.queue.Inbox``),
off the ack path and, in production, in a capture process.
"""

from __future__ import annotations

from typing import Any

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
    from bot.kb.links import canonical_url, find_links

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
