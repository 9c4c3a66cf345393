"""Re-checks that know papers: was a clipped work retracted, corrected, given an expression of concern, or
superseded (a newer arXiv/bioRxiv/medRxiv version, a preprint later published in a journal)?

Batched so a weekly sweep of every paper note stays inside the APIs' published limits: Crossref answers up to
``CROSSREF_BATCH`` DOIs per request (``filter=doi:A,doi:B,…`` ORs them; ``select`` keeps the answer small),
PubMed's efetch ``NCBI_BATCH`` PMIDs, arXiv's ``id_list`` ``ARXIV_BATCH`` ids; the bioRxiv API has no batch
form, so preprints are asked one by one. The requests are paced by ``PaperAPIs`` (Crossref ≤ 10/s polite pool).

Each finding is one ``paper_updates`` row (unique per note, kind and notice), so a second sweep finds nothing
new and nothing is announced twice. A retraction or expression of concern also flags the note and every
claim of it (the claims' ``flag`` follows a re-import through a trigger, migration 015).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.capture.papers import records as rec
from bot.capture.papers.apis import ApiError, PaperAPIs

if TYPE_CHECKING:
    from bot.kb.notes import Note
    from bot.kb.store import Store

log = logging.getLogger(__name__)

CROSSREF_BATCH = 100
NCBI_BATCH = 200
ARXIV_BATCH = 100
CHECK_EVERY = timedelta(days=6)  # a paper checked more recently is skipped by the sweep
CROSSREF_SELECT = "DOI,updated-by,relation,type"
FLAGS = {rec.RETRACTION: "retracted", rec.CONCERN: "expression-of-concern"}
AT_CAPTURE = "capture"  # announcement state of what the capture reply already said
KNOWN = "known"  # the same kind of event already recorded for the note, from another source


@dataclass(frozen=True)
class Found:
    """A new finding about one note (what gets announced)."""

    id: int
    note_id: str
    update: rec.Update


@dataclass(frozen=True)
class PaperKey:
    """What identifies a paper note to the APIs."""

    note_id: str
    doi: str | None
    pmid: str | None
    arxiv_id: str | None
    version: int | None
    server: str | None  # biorxiv / medrxiv for 10.1101 preprints
    pending: str | None  # "kind:value" when the capture could not read the metadata


@dataclass
class SweepResult:
    checked: int = 0
    found: list[Found] = field(default_factory=list)
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _key(note_id: str, extra: dict[str, Any]) -> PaperKey:
    archive = str(extra.get("archiveID") or "")
    doi = extra.get("DOI")
    server = None
    if doi and str(doi).startswith("10.1101/"):
        server = str(extra.get("repository") or "biorxiv").lower()
    return PaperKey(note_id, doi if not archive else None, extra.get("PMID"),
                    archive.removeprefix("arXiv:") or None, extra.get("version"),
                    server if server in ("biorxiv", "medrxiv") else None, extra.get("metadata_pending"))


def paper_keys(store: Store, note_ids: Iterable[str] | None = None) -> list[PaperKey]:
    """Paper notes (all, or of ``note_ids``) with their identifiers."""
    if note_ids is None:
        rows = store.conn.execute("SELECT id, extra FROM notes WHERE kind = 'paper' ORDER BY id").fetchall()
    else:
        ids = list(dict.fromkeys(note_ids))
        rows = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows += store.conn.execute(
                f"SELECT id, extra FROM notes WHERE kind = 'paper' AND id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
    return [_key(r[0], json.loads(r[1] or "{}")) for r in rows]


# --------------------------------------------------------------------------- asking the APIs


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def updates_for(keys: Sequence[PaperKey], apis: PaperAPIs, result: SweepResult) -> dict[str, list[rec.Update]]:
    """What the APIs say now about each note, batched per API; an API that fails is reported, not fatal."""
    out: dict[str, list[rec.Update]] = {k.note_id: [] for k in keys}
    by_doi: dict[str, list[PaperKey]] = {}
    for key in keys:
        if key.doi and not key.server:
            by_doi.setdefault(key.doi.lower(), []).append(key)
    for batch in _chunks(sorted(by_doi), CROSSREF_BATCH):
        try:
            result.requests += 1
            try:
                payload = apis.get_json("crossref", apis.crossref_batch_url(list(batch), CROSSREF_SELECT))
            except ApiError as exc:
                if exc.status != 400:
                    raise
                result.requests += 1  # a field list the API no longer accepts: ask for whole records
                payload = apis.get_json("crossref", apis.crossref_batch_url(list(batch), ""))
        except ApiError as exc:
            result.errors.append(f"Crossref: {exc}")
            continue
        for item in (payload.get("message") or {}).get("items") or []:
            for key in by_doi.get(str(item.get("DOI", "")).lower(), []):
                out[key.note_id] += rec.crossref_updates(item)
    pmid_keys = [k for k in keys if k.pmid and not k.doi]
    for batch in _chunks(pmid_keys, NCBI_BATCH):
        try:
            result.requests += 1
            found = rec.pubmed_articles(apis.get_xml("ncbi", apis.ncbi_url_for(
                "efetch", db="pubmed", id=",".join(str(k.pmid) for k in batch), retmode="xml")))
        except (ApiError, ValueError) as exc:
            result.errors.append(f"PubMed: {exc}")
            continue
        for key in batch:
            if paper := found.get(str(key.pmid)):
                out[key.note_id] += paper.updates
    arxiv_keys = [k for k in keys if k.arxiv_id]
    for batch in _chunks(arxiv_keys, ARXIV_BATCH):
        try:
            result.requests += 1
            found = rec.arxiv_entries(apis.get_xml("arxiv", apis.arxiv_query_url([str(k.arxiv_id) for k in batch])))
        except (ApiError, ValueError) as exc:
            result.errors.append(f"arXiv: {exc}")
            continue
        for key in batch:
            if paper := found.get(str(key.arxiv_id)):
                out[key.note_id] += _versions(key, paper)
    for key in (k for k in keys if k.server):
        try:
            result.requests += 1
            paper = rec.biorxiv_details(apis.get_json("biorxiv", apis.biorxiv_details_url(str(key.server),
                                                                                          str(key.doi))))
        except (ApiError, LookupError) as exc:
            result.errors.append(f"{key.server}: {exc}")
            continue
        out[key.note_id] += _versions(key, paper)
    return out


def _versions(key: PaperKey, paper: rec.Paper) -> list[rec.Update]:
    found = [u for u in paper.updates if u.kind == rec.PUBLISHED]
    if paper.version and key.version and paper.version > key.version:
        ident = f"{key.arxiv_id}v{paper.version}" if key.arxiv_id else f"{key.doi}v{paper.version}"
        found.append(rec.Update(rec.NEW_VERSION, ident, paper.published.isoformat() if paper.published else None,
                                paper.source, f"v{paper.version}"))
    return found


# --------------------------------------------------------------------------- recording


def _naive_utc(when: datetime) -> datetime:
    """Stored times are naive UTC (as the notes' clipping times), so they compare as text."""
    from datetime import UTC

    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def record(store: Store, note_id: str, updates: Iterable[rec.Update], now: datetime, *,
           state: str | None = None) -> list[Found]:
    """Store findings; the new ones come back (a finding already recorded is not news). Serious ones flag
    the note and its claims."""
    new: list[Found] = []
    now = _naive_utc(now)
    with store.write() as conn:
        known = {r[0] for r in conn.execute("SELECT kind FROM paper_updates WHERE note_id = ?", (note_id,))}
        for update in updates:
            # the same event seen by another source (PubMed's notice PMID, then Crossref's notice DOI) is no news;
            # only a newer version is news again
            repeat = update.kind in known and update.kind != rec.NEW_VERSION
            mark = state if state is not None else (KNOWN if repeat else None)
            cursor = conn.execute(
                "INSERT OR IGNORE INTO paper_updates(note_id, kind, ref, on_date, source, label, found_at,"
                " thread_state, dm_state, digest_period) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (note_id, update.kind, update.ref or "", update.on, update.source, update.label, now.isoformat(),
                 mark, mark, mark),
            )
            known.add(update.kind)
            if cursor.rowcount == 1 and not repeat:
                new.append(Found(int(cursor.lastrowid or 0), note_id, update))
        serious = [f.update.kind for f in new if f.update.kind in FLAGS]
        if serious:
            _flag(conn, note_id, serious)
    if serious:
        _flag_echoes(store, note_id, now)
    return new


def _flag_echoes(store: Store, note_id: str, now: datetime) -> None:
    """The same claims stated by other notes go up for review, as when a claim is marked outdated (the
    digest's "echoes of outdated claims"): the retracted paper no longer backs them; nothing is changed."""
    from bot.kb import reviews

    for (position,) in store.conn.execute("SELECT position FROM claims WHERE note_id = ?", (note_id,)).fetchall():
        reviews.flag_echoes(store, note_id, position, now)


def _flag(conn: Any, note_id: str, kinds: list[str]) -> None:
    row = conn.execute("SELECT flags FROM notes WHERE id = ?", (note_id,)).fetchone()
    flags = json.loads(row[0] or "[]") if row else []
    for kind in kinds:
        if FLAGS[kind] not in flags:
            flags.append(FLAGS[kind])
    conn.execute("UPDATE notes SET flags = ? WHERE id = ?", (json.dumps(flags), note_id))
    worst = "retracted" if "retracted" in flags else "expression-of-concern"
    conn.execute("UPDATE claims SET flag = ? WHERE note_id = ?", (worst, note_id))


def record_at_capture(store: Store, note: Note, now: datetime) -> None:
    """What the capture already knew (and its reply already said): recorded so no later check announces it."""
    updates = [rec.Update(**u) for u in note.extra.get("paper_updates") or [] if isinstance(u, dict)]
    record(store, note.id, updates, now, state=AT_CAPTURE)
    with store.write() as conn:
        conn.execute("INSERT OR REPLACE INTO paper_checks(note_id, checked_at, result) VALUES (?,?,?)",
                     (note.id, now.isoformat(), "capture"))


# --------------------------------------------------------------------------- the re-check and the sweep


def check(store: Store, note_ids: Iterable[str] | None, apis: PaperAPIs, now: datetime, *,
          skip_recent: bool = True, budget: float | None = None) -> SweepResult:
    """Re-check paper notes (all of them when ``note_ids`` is None: the weekly sweep); record what is new."""
    started = time.monotonic()
    now = _naive_utc(now)
    result = SweepResult()
    keys = paper_keys(store, note_ids)
    if skip_recent and keys:
        since = (now - CHECK_EVERY).isoformat()
        recent = {r[0] for r in store.conn.execute("SELECT note_id FROM paper_checks WHERE checked_at > ?", (since,))}
        keys = [k for k in keys if k.note_id not in recent or k.pending]
    pending = [k for k in keys if k.pending]
    for key in pending:
        if budget is not None and time.monotonic() - started > budget:
            break
        _fill_pending(store, key, apis, now, result)
    keys = [k for k in paper_keys(store, [k.note_id for k in keys]) if not k.pending]
    found = updates_for(keys, apis, result)
    for key in keys:
        result.found += record(store, key.note_id, found.get(key.note_id, []), now)
    with store.write() as conn:
        conn.executemany("INSERT OR REPLACE INTO paper_checks(note_id, checked_at, result) VALUES (?,?,?)",
                         [(k.note_id, now.isoformat(), "ok") for k in keys])
    result.checked = len(keys)
    result.seconds = time.monotonic() - started
    return result


def _fill_pending(store: Store, key: PaperKey, apis: PaperAPIs, now: datetime, result: SweepResult) -> None:
    """A note clipped while the APIs were down: read its metadata now and merge it into the note."""
    from bot.capture.papers.capture import describe
    from bot.capture.papers.refs import PaperRef

    kind, _, value = str(key.pending).partition(":")
    try:
        result.requests += 1
        paper = describe(PaperRef(kind, value), apis).paper
    except Exception as exc:  # noqa: BLE001 - still pending; the next check tries again
        result.errors.append(f"metadata of {key.note_id}: {exc}")
        return
    note = store.get_note(key.note_id)
    if note is None:
        return
    note.extra.pop("metadata_pending", None)
    note.extra.pop("capture_problem", None)
    note.extra.update(paper.zotero())
    note.extra["paper_updates"] = [u.__dict__ for u in paper.updates]
    note.title = paper.title or note.title
    note.author = paper.byline or note.author
    note.site = paper.container or note.site
    note.published = paper.published or note.published
    store.upsert_note(note)
    result.found += record(store, key.note_id, paper.updates, now)
