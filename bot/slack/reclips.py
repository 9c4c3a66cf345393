"""The *Re-clip* button's durable part, on the ack path: one capture job per note and version.

Why a job and not the work in the click's lazy listener: a re-clip fetches and summarises a paper (seconds, in
a budgeted child), so it belongs with the other captures — in a capture process, retried with backoff when an
API is down, answered in the thread when it fails, resumed after a crash, listed by ``deskbot retry``. The
job's key is the note and the version (``queue.JobSpec.key``), so a double click, a click in the thread and
another in the owner's DM, or Slack delivering a click twice all make one job; the job itself calls
``bot.capture.papers.reclip.reclip``, the function ``deskbot reclip`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.slack import queue

if TYPE_CHECKING:
    from bot.capture.papers.reclip import Offer
    from bot.kb.store import Store

QUEUED, ASKED, DONE, GONE = "queued", "asked", "done", "gone"


@dataclass(frozen=True)
class Asked:
    """What a click did: ``queued`` (a new job), ``asked`` (one was queued before), ``done`` (re-clipped
    already), ``gone`` (no such note or version)."""

    status: str
    offer: Offer | None = None


def ask(store: Store, note_id: str | None, update_id: int | None, *, by: str | None, channel: str | None,
        message_ts: str | None) -> Asked:
    """Queue the re-clip of finding ``update_id`` of ``note_id``, at most once. The new clip is answered in
    the thread of the note's first posting (else under the clicked message) and owned by the note's owner."""
    from bot.capture.papers.reclip import offer
    from bot.kb.links import canonical_url

    found = offer(store, update_id) if update_id else None
    if found is None or found.note_id != note_id:
        return Asked(GONE)
    if found.reclip_note_id:
        return Asked(DONE, found)
    first = store.first_mention(found.note_id)
    where, ts = (first.channel, first.ts) if first and first.channel and first.ts else (channel, message_ts)
    if not where or not ts:
        return Asked(GONE, found)
    row = store.note_row(found.note_id)
    owner = row.owner if row and row.owner else by
    spec = queue.JobSpec(kind=queue.RECLIP, channel=where, ts=ts, thread_ts=ts, user=owner, url=found.url,
                         canonical_url=canonical_url(found.identity or found.url), supersedes=found.note_id)
    added = queue.enqueue(store, [spec])  # queue times are the wall clock's, as for every posted link
    return Asked(QUEUED if added.new else ASKED, found)
