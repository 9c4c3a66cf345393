"""Plain functions behind every lookup: the CLI prints them, Slack and the web render them.

Each takes the store and ``today`` (the injected clock) and returns data, never text (but for
:func:`claim_due_phrase`, the one wording every face uses for a claim due before its note). Note answers
come through ``Store.note_row`` so their fields stay the store's.

What is *due* has one rule, here (:func:`due_list`, :func:`count_due`, :func:`note_due_claims`) and used by
``/stale``, ``/stale mine``, App Home, ``deskbot stale``, the weekly digest and the owner reminders: a note is
due when its own due date has come, or, while it is still fresh, when one of its claims is past its own
due date (``decay.claim_due``: a price, a version, a ranking, an "as of").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.kb import decay
from bot.kb.render import claim_link
from bot.kb.store import ClaimHit, DueClaim, NoteRow, Store

CORROBORATION = 0.5  # ranking: each further source moves a claim up as if it ranked that much better
FOLD_POOL = 2  # look at this many times the claims asked for, so folded echoes do not shorten the answer


@dataclass(frozen=True)
class EchoSource:
    """Another note that states the same claim ("also in: …"), with the link to its place there."""

    note_id: str
    title: str
    kind: str
    position: int
    link: str | None


@dataclass(frozen=True)
class ClaimAnswer:
    hit: ClaimHit
    link: str | None  # the claim's place in its source (or the source itself)
    freshness: decay.Freshness
    also_in: tuple[EchoSource, ...] = ()  # echoes in other notes, one per note, best first

    @property
    def sources(self) -> int:
        return 1 + len(self.also_in)


@dataclass(frozen=True)
class ClaimSearch:
    answers: list[ClaimAnswer] = field(default_factory=list)
    expanded: str | None = None  # the alias also searched ("RLVR" for its long form, and back)


@dataclass(frozen=True)
class NoteAnswer:
    row: NoteRow
    freshness: decay.Freshness
    due_claims: tuple[DueClaim, ...] = ()  # claims past their own due date while the note is still fresh

    @property
    def due_on(self) -> date | None:
        """The day it fell due: the note's own, or (the note still fresh) its earliest due claim's."""
        if self.due_claims and self.freshness.state != decay.STALE:
            return min((c.due for c in self.due_claims if c.due), default=self.row.due)
        return self.row.due


@dataclass(frozen=True)
class DueCount:
    """How many notes are due: by their own date (``stale``) and, still fresh, by a claim (``for_claims``)."""

    stale: int
    for_claims: int

    @property
    def total(self) -> int:
        return self.stale + self.for_claims


def claim_lookup(store: Store, topic: str, today: date, limit: int = 10) -> list[ClaimAnswer]:
    """Top claims on a topic, each with its source place, per-claim freshness and echoes folded in."""
    return claim_search(store, topic, today, limit).answers


def claim_search(store: Store, topic: str, today: date, limit: int = 10) -> ClaimSearch:
    """``claim_lookup`` that also says which alias it searched: an acronym's claims are found by its long
    form and the other way round. Echoes fold into one answer: the best-ranked wording, then the other
    notes that say it; a claim several sources state ranks higher."""
    from bot.kb import aliases
    from bot.kb.claimterms import analyze
    from bot.kb.echoes import echoes_of

    pool = limit * FOLD_POOL
    hits = store.search_claims(topic, limit=pool)
    expanded = aliases.expansion(store.conn, topic)
    if expanded:
        wanted = analyze(expanded).terms  # the alias itself, not claims that share one of its words
        extra = [h for h in store.search_claims(expanded, limit=pool)
                 if wanted <= analyze(f"{h.label or ''} {h.text}").terms]
        short_first = len(expanded) < len(topic)  # the acronym is the sharper query
        merged = extra + hits if short_first else hits + extra
        seen: set[int] = set()
        hits = [h for h in merged if not (h.claim_id in seen or seen.add(h.claim_id))][:pool]
    echoes = echoes_of(store.conn, [h.claim_id for h in hits])
    folded: set[int] = set()
    ranked: list[tuple[tuple[int, float], ClaimAnswer]] = []
    for index, hit in enumerate(hits):
        if hit.claim_id in folded:
            continue
        sources: dict[str, EchoSource] = {}
        # an outdated or retracted claim folds nothing: the other notes' wording stays its own answer, with
        # its own freshness, rather than hiding behind the stale one as "also in"
        for e in [] if hit.outdated or hit.flag else echoes.get(hit.claim_id, []):
            folded.add(e.other_id)
            if e.note_id != hit.note_id and e.note_id not in sources:
                sources[e.note_id] = EchoSource(e.note_id, e.note_title, e.note_kind, e.position, e.place())
        fresh = decay.claim_freshness(
            hit.base_date, hit.claim_validated, hit.outdated, hit.decay_rate, today, store.decay_table,
            text=hit.text,
        )
        link = claim_link(hit.note_url, hit.as_claim()) if hit.note_url else None
        answer = ClaimAnswer(hit=hit, link=link, freshness=fresh, also_in=tuple(sources.values()))
        # corroboration lifts a claim within its tier, never past claims that say the topic when it does not
        ranked.append(((hit.tier, index / (1 + CORROBORATION * math.log2(answer.sources))), answer))
    ranked.sort(key=lambda pair: pair[0])
    return ClaimSearch([a for _, a in ranked[:limit]], expanded)


def note_lookup(store: Store, query: str, today: date, limit: int = 10) -> list[NoteAnswer]:
    """The note a query names (an id or id prefix that a list printed, a URL, a title), else a search."""
    named = store.named_note_ids(query)
    if named:
        return _answers(store, named[:limit], today)
    return [NoteAnswer(r, decay.freshness(r.due, today)) for r in store.search_notes(query, limit=limit)]


def note_due_claims(store: Store, row: NoteRow, today: date) -> tuple[DueClaim, ...]:
    """The note's claims past their own due date, by number — none once the note itself is stale (the note
    is listed then; its claims are not listed again)."""
    if row.due is not None and row.due <= today:
        return ()
    return tuple(store.note_due_claims(row.id, today))


def due_list(store: Store, today: date, *, owners: str | Sequence[str] | None = None,
             limit: int | None = 50, stale: bool = True) -> list[NoteAnswer]:
    """Notes due for re-validation, the longest due first: stale notes and, merged by the day they fell due,
    fresh notes with a claim due (each with those claims). ``owners``: only notes whose owner is any of
    these names of one person (case-insensitive: a Slack user id, a handle or a name in imported notes).
    ``stale=False``: only the notes due for a claim (the digest's "claims due before their note")."""
    names = None if owners is None else _owners(owners)
    day = today.isoformat()
    found: list[tuple[str, str]] = []
    rows: dict[str, NoteRow] = {}
    if stale:
        if names is None:
            rows = {r.id: r for r in store.stale_notes(today, limit)}
            found += [(r.id, r.due.isoformat() if r.due else day) for r in rows.values()]
        else:
            found += store.conn.execute(
                f"SELECT id, due FROM notes WHERE covered_by IS NULL AND owner COLLATE NOCASE IN ({_marks(names)})"
                " AND due <= ? ORDER BY due, id LIMIT ?", (*names, day, -1 if limit is None else limit),
            ).fetchall()
    found += store.claims_due_note_ids(today, limit, names)
    found.sort(key=lambda pair: (pair[1], pair[0]))
    out = []
    for note_id, _ in found if limit is None else found[:limit]:
        row = rows.get(note_id) or store.note_row(note_id)
        if row is not None:
            out.append(NoteAnswer(row, decay.freshness(row.due, today), note_due_claims(store, row, today)))
    return out


def count_due(store: Store, today: date, *, owners: str | Sequence[str] | None = None) -> DueCount:
    """The counts behind :func:`due_list` (all of them, not only those listed)."""
    if owners is None:
        return DueCount(store.count_stale(today), store.count_claims_due_before_note(today))
    names = _owners(owners)
    stale = store.conn.execute(
        f"SELECT count(*) FROM notes WHERE covered_by IS NULL AND owner COLLATE NOCASE IN ({_marks(names)})"
        " AND due <= ?", (*names, today.isoformat()),
    ).fetchone()[0]
    return DueCount(stale, store.count_claims_due_before_note(today, names))


def claim_due_phrase(claim: DueClaim, today: date | None = None) -> str:
    """``claim 2 states a price: due 2026-01-31 (2 days ago), before its note (2026-06-30)``; the number is
    the one ``deskbot note`` prints and ``deskbot validate --claim`` takes. Without ``today``, no "ago"."""
    when = claim.due.isoformat() if claim.due else "?"
    if today is not None and claim.due is not None:
        days = (today - claim.due).days
        when += " (today)" if days == 0 else f" ({days} day{'s' if days != 1 else ''} ago)"
    note = claim.note_due.isoformat() if claim.note_due else "—"
    return f"claim {claim.position} {claim.why}: due {when}, before its note ({note})"


def _answers(store: Store, ids: list[str], today: date) -> list[NoteAnswer]:
    out = []
    for note_id in ids:
        row = store.note_row(note_id)
        if row is not None:
            out.append(NoteAnswer(row, decay.freshness(row.due, today)))
    return out


def _owners(owner: str | Sequence[str]) -> list[str]:
    return [owner] if isinstance(owner, str) else list(dict.fromkeys(owner)) or [""]


def _marks(names: Sequence[str]) -> str:
    return ",".join("?" * len(names))


def recent_clips(store: Store, today: date, limit: int = 10) -> list[NoteAnswer]:
    """The newest notes that were clipped (newest row first: walks the rowid index backwards, no sort)."""
    ids = [r[0] for r in store.conn.execute(
        "SELECT id FROM notes WHERE clipped IS NOT NULL AND covered_by IS NULL ORDER BY rowid DESC LIMIT ?",
        (limit,),
    )]
    return _answers(store, ids, today)
