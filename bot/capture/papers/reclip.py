"""Re-clipping a paper's newer version: the re-check found "v3 exists" (or a preprint's journal version); one
click, or ``deskbot reclip NOTE``, clips that version as a note of its own, linked both ways to the note it
supersedes (``extra.superseded_by`` on the old one, ``extra.supersedes`` on the new one).

Why a new note and not an update in place: the old note's claims, validations and thread are what the team
read and relied on; a newer version can change them materially. So the old note stays, marked ``superseded``,
and its claims carry the flag ``superseded`` wherever they are listed (as a retraction's flag does, kept on
re-import by a trigger, migration 018), until someone reviews them against the new note.

Exactly once: the finding (a ``paper_updates`` row) records the note that answered it (``reclip_note_id``);
asking again returns that note instead of clipping twice. The Slack click goes through the jobs queue, whose
key is the note and the version (``bot.slack.queue``), and its job calls :func:`reclip` like the CLI does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.capture.papers import records as rec
from bot.kb.doi import doi_url

if TYPE_CHECKING:
    from bot.capture.pipeline import CaptureOptions, CaptureResult
    from bot.kb.store import Store

OFFERED = (rec.NEW_VERSION, rec.PUBLISHED)
SUPERSEDED = "superseded"  # the note's flag and its claims' flag


@dataclass(frozen=True)
class Offer:
    """A newer version of a note's work that can be re-clipped."""

    id: int  # the paper_updates row
    note_id: str
    kind: str  # new_version | published_version
    ref: str  # "2204.08348v3", "10.1101/…v2", or the journal version's DOI
    url: str  # what gets clipped
    identity: str | None  # the new note's URL when the link's own identity is the old note's (a preprint version)
    reclip_note_id: str | None  # the note that already answered it

    @property
    def label(self) -> str:
        if self.kind == rec.PUBLISHED:
            return "the published version"
        version = self.ref.rpartition("v")[2]
        return f"v{version}" if version.isdigit() else self.ref


def _target(extra: dict[str, Any], kind: str, ref: str) -> tuple[str, str | None] | None:
    """(URL to clip, identity override) of a finding, None when nothing can be clipped for it."""
    if not ref:
        return None
    if kind == rec.PUBLISHED:
        return doi_url(ref), None
    if extra.get("archiveID"):
        return f"https://arxiv.org/abs/{ref}", None
    server = str(extra.get("repository") or "").lower()
    if str(extra.get("DOI") or "").startswith("10.1101/") and server in ("biorxiv", "medrxiv"):
        # the version's own page: its DOI is the old note's (one DOI for every version), so it is the identity
        page = f"https://www.{server}.org/content/{ref}"
        return page, page
    return None


_SELECT = ("SELECT u.id, u.note_id, u.kind, u.ref, u.reclip_note_id, n.extra FROM paper_updates u"
           " JOIN notes n ON n.id = u.note_id")


def _offers(store: Store, where: str, args: tuple[Any, ...]) -> list[Offer]:
    kinds = ",".join(f"'{k}'" for k in OFFERED)
    rows = store.conn.execute(f"{_SELECT} WHERE u.kind IN ({kinds}) AND {where} ORDER BY u.id DESC", args).fetchall()
    found = []
    for update_id, note_id, kind, ref, done, extra in rows:
        target = _target(json.loads(extra or "{}"), kind, ref)
        if target is not None:
            found.append(Offer(update_id, note_id, kind, ref, target[0], target[1], done))
    return found


def offers(store: Store, note_id: str) -> list[Offer]:
    """Every newer version found for a note, the latest finding first."""
    return _offers(store, "u.note_id = ?", (note_id,))


def offer(store: Store, update_id: int) -> Offer | None:
    """The offer of one finding (a button carries its id), None if it is gone or cannot be clipped."""
    found = _offers(store, "u.id = ?", (update_id,))
    return found[0] if found else None


def choose(store: Store, note_id: str, want: str | int | None = None) -> Offer | None:
    """The offer to re-clip: the finding ``want`` (its id, ref, URL or label such as ``v3``), else the latest."""
    found = offers(store, note_id)
    if want is None:
        return found[0] if found else None
    for candidate in found:
        if want in (candidate.id, candidate.ref, candidate.url, candidate.label):
            return candidate
    return None


class NothingToReclip(Exception):
    """No newer version is known for the note (or the one asked for is not among them)."""


def reclip(store: Store, note_id: str, *, want: str | int | None = None, options: CaptureOptions | None = None,
           now: datetime | None = None, channel: str | None = None, user: str | None = None,
           ts: str | None = None) -> CaptureResult:
    """Clip the newer version of ``note_id`` and link the two notes (at most once per version).

    The result is the capture's; a version re-clipped before comes back as ``duplicate`` with that note.
    Raises :class:`NothingToReclip` when no such version was found by a re-check."""
    from bot.capture.pipeline import CaptureResult, capture_url

    chosen = choose(store, note_id, want)
    if chosen is None:
        known = ", ".join(o.label for o in offers(store, note_id))
        raise NothingToReclip(f"the version asked for is not among those found ({known})" if known and want else
                              "no newer version of this paper is known (`deskbot papers` re-checks it)")
    if chosen.reclip_note_id and (done := store.get_note(chosen.reclip_note_id)) is not None:
        return CaptureResult("duplicate", url=done.url, note=done, first=store.first_mention(done.id),
                             notices=[f"{chosen.label} was re-clipped already: note {done.id}"])
    result = capture_url(store, chosen.url, channel=channel, user=user, ts=ts, now=now, options=options,
                         identity=chosen.identity)
    if result.status == "failed" or result.note is None or result.note.id == note_id:
        return result
    supersede(store, chosen, result.note.id, options=options)
    result.note = store.get_note(result.note.id)
    old = store.note_row(note_id)
    title = old.title if old else note_id
    result.notices.insert(0, f"♻️ Re-clipped {chosen.label} of “{title}”: that note is marked superseded and its "
                             "claims are flagged for review against this one.")
    return result


def supersede(store: Store, chosen: Offer, new_id: str, *, options: CaptureOptions | None = None) -> None:
    """Link the notes both ways and flag the old note and its claims ``superseded`` (idempotent)."""
    with store.write() as conn:
        conn.execute("UPDATE paper_updates SET reclip_note_id = ? WHERE id = ?", (new_id, chosen.id))
    old, new = store.get_note(chosen.note_id), store.get_note(new_id)
    if old is None or new is None:
        return
    old.extra["superseded_by"] = new_id
    if SUPERSEDED not in old.flags:
        old.flags.append(SUPERSEDED)
    new.extra["supersedes"] = old.id
    store.upsert_note(old)
    store.upsert_note(new)
    with store.write() as conn:
        conn.execute("UPDATE claims SET flag = ? WHERE note_id = ? AND flag IS NULL", (SUPERSEDED, old.id))
    vault = getattr(options, "vault", None)
    if vault:
        from bot.capture.pipeline import write_to_vault

        write_to_vault(store, old.id, vault)
        write_to_vault(store, new_id, vault)
