"""What each deskbot page shows, as plain JSON-ready data (the HTML templates and ``.json`` share it).

Every figure comes from the functions Slack and the CLI already use: ``answers.claim_lookup`` (the /claim
ranking), ``digest.collect_digest`` (the weekly digest's choice and grouping), ``Store.get_note`` and
friends. Each function takes the store and ``today`` (the injected clock) and returns dicts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from bot.clock.digest import DUE_CLAIMS_TITLE, GROUP_TITLES, collect_digest, count_line, owner_of
from bot.kb import decay
from bot.kb.answers import claim_due_phrase, claim_lookup
from bot.kb.render import claim_link, stamp
from bot.kb.store import NoteRow, Store
from bot.web.markdown import render_markdown

CLAIM_LIMIT = 20
MAX_CLAIMS = 100
STALE_LIMIT = 50
MAX_STALE = 500
RECENT = 10


@dataclass(frozen=True)
class Links:
    """URLs of deskbot's own pages and of Slack threads (the plugin knows the base path)."""

    base: str = "/"
    slack_url: str | None = None  # the workspace, e.g. https://acme.slack.com: thread links when set

    def note(self, note_id: str) -> str:
        return f"{self.base}note/{quote(note_id, safe='')}"

    def tag(self, tag: str) -> str:
        return f"{self.base}kb/notes_browse?_facet_array=tags&tags__arraycontains={quote(tag)}"

    def thread(self, channel: str | None, ts: str | None) -> str | None:
        """A Slack message permalink (``/archives/C…/p<ts without dot>``) when the workspace is known."""
        if not (self.slack_url and channel and ts):
            return None
        return f"{self.slack_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _freshness(f: decay.Freshness) -> dict[str, Any]:
    return {"state": f.state, "badge": f.badge, "due": _iso(f.due), "days_overdue": f.days_overdue}


def _note_summary(row: NoteRow, today: date, links: Links) -> dict[str, Any]:
    return {
        "id": row.id, "title": row.title, "kind": row.kind, "url": row.url, "owner": row.owner,
        "channel": row.channel, "decay_rate": row.decay_rate, "claim_count": row.claim_count,
        "last_validated": _iso(row.last_validated), "summary": row.summary,
        "freshness": _freshness(decay.freshness(row.due, today)), "page": links.note(row.id),
    }


_counted = threading.local()


def counts(store: Store) -> dict[str, int]:
    """``Store.counts`` (23 ms at 1M claims), again only after someone committed: SQLite bumps this
    connection's ``PRAGMA data_version`` when another connection writes the file."""
    version = store.conn.execute("PRAGMA data_version").fetchone()[0]
    key = (store.path, version)
    if getattr(_counted, "key", None) != key:
        _counted.key, _counted.value = key, store.counts()
    return dict(_counted.value)


def recent(store: Store, today: date, limit: int = RECENT) -> list[NoteRow]:
    """The newest clips by clipping time, through migration 013's partial index (``lookups.recent_clips``
    walks rowids backwards, which reads every note of a store that holds few clips)."""
    ids = [r[0] for r in store.conn.execute(
        "SELECT id FROM notes WHERE clipped IS NOT NULL AND covered_by IS NULL ORDER BY clipped DESC LIMIT ?",
        (limit,))]
    return [row for row in map(store.note_row, ids) if row is not None]


def home(store: Store, today: date, links: Links) -> dict[str, Any]:
    """Counts, the stale count and the newest clips: what the front page shows."""
    return {
        "today": today.isoformat(),
        "counts": {**counts(store), "stale": store.count_stale(today)},
        "recent_clips": [_note_summary(row, today, links) for row in recent(store, today)],
    }


def claims(store: Store, topic: str, today: date, links: Links, limit: int = CLAIM_LIMIT) -> dict[str, Any]:
    """The /claim answer: the store's ranking, each claim with its note, place link, badge and owner."""
    answers = claim_lookup(store, topic, today, limit=max(1, min(limit, MAX_CLAIMS))) if topic.strip() else []
    owners: dict[str, str | None] = {}
    out = []
    for a in answers:
        hit = a.hit
        if hit.note_id not in owners:
            row = store.note_row(hit.note_id)
            owners[hit.note_id] = owner_of(store, row) if row else None
        out.append({
            "claim": hit.position, "text": hit.text, "label": hit.label, "quote": hit.quote,
            "t": hit.t, "page": hit.page, "place": a.link, "place_label": _place_label(hit.t, hit.page, hit.quote),
            "freshness": _freshness(a.freshness), "owner": owners[hit.note_id],
            "note": {"id": hit.note_id, "title": hit.note_title, "kind": hit.note_kind, "url": hit.note_url,
                     "page": links.note(hit.note_id)},
        })
    return {"topic": topic, "today": today.isoformat(), "claims": out}


def _place_label(t: int | None, page: int | None, quote: str | None) -> str:
    if t is not None:
        return f"at {stamp(t)}"
    if page is not None:
        return f"page {page}"
    return "the quoted passage" if quote else "the source"


def stale(store: Store, today: date, links: Links, limit: int = STALE_LIMIT) -> dict[str, Any]:
    """The weekly digest as a page: the same notes, counts and groups, more of them, and its claims due
    before their note (``due_claims``, worded as ``/stale`` words them)."""
    digest = collect_digest(store, today, limit=max(1, min(limit, MAX_STALE)))
    groups = []
    for group, members in digest.grouped():
        groups.append({
            "group": group, "title": GROUP_TITLES[group], "count": digest.counts.get(group, len(members)),
            "notes": [{
                **_note_summary(item.row, today, links),
                "owner": item.owner, "validated_by": item.validated_by,
                "days_overdue": item.days_overdue, "rate_days": _rate_days(store, item.row.decay_rate),
                "source_check": item.check.label if item.check else None,
            } for item in members],
        })
    due_claims = [{
        "note": {"id": c.note_id, "title": c.title, "url": c.url, "page": links.note(c.note_id),
                 "due": _iso(c.note_due)},
        "claim": c.position, "text": c.text, "why": c.why, "due": _iso(c.due),
        "line": claim_due_phrase(c, today),
    } for c in digest.due_claims]
    return {"today": today.isoformat(), "total": digest.total, "shown": len(digest.items), "more": digest.more,
            "summary": count_line(digest) if digest.total else "Nothing is due for re-validation.",
            "groups": groups, "due_claims_title": DUE_CLAIMS_TITLE, "due_claims": due_claims,
            "due_claim_notes": digest.due_claim_notes,
            "due_claim_more": digest.due_claim_notes - len({c.note_id for c in digest.due_claims})}


def _rate_days(store: Store, rate: str | None) -> int | None:
    try:
        return decay.rate_days(rate, store.decay_table)
    except decay.DecayError:
        return None


def note(store: Store, note_id: str, today: date, links: Links) -> dict[str, Any] | None:
    """Everything about one note; the body as sanitised HTML (``body_html``) beside its markdown."""
    found = store.get_note(note_id)
    row = store.note_row(note_id)
    if found is None or row is None:
        return None
    base = row.base_date
    claims_out = []
    for number, claim in enumerate(found.claims, start=1):
        fresh = decay.claim_freshness(base, claim.last_validated, claim.outdated, found.decay_rate, today,
                                      store.decay_table, text=claim.text)  # per-claim decay, as /claim shows it
        claims_out.append({
            "claim": number, "text": claim.text, "label": claim.label, "quote": claim.quote, "t": claim.t,
            "page": claim.page, "place": claim_link(row.url, claim) if row.url else None,  # a summary: its clip's
            "place_label": _place_label(claim.t, claim.page, claim.quote),
            "last_validated": _iso(claim.last_validated), "freshness": _freshness(fresh),
        })
    mentions = [{
        "user": m.user, "channel": m.channel, "ts": m.ts, "at": _iso(m.at), "url": m.url,
        "thread": links.thread(m.channel, m.ts),
    } for m in store.mentions(note_id)]
    return {
        "id": found.id, "title": found.title, "kind": found.kind, "url": row.url, "site": found.site,
        "author": found.author, "published": _iso(found.published), "clipped": _iso(found.clipped),
        "owner": owner_of(store, row), "channel": row.channel, "summary": found.summary,
        "decay_rate": found.decay_rate, "rate_days": _rate_days(store, found.decay_rate),
        "decay_reason": found.decay_reason, "last_validated": _iso(found.last_validated),
        "freshness": _freshness(decay.freshness(row.due, today)),
        "tags": [{"tag": t, "page": links.tag(t)} for t in found.tags],
        "claims": claims_out,
        "mentions": mentions,
        "related": [{"id": i, "title": t, "page": links.note(i)} for i, t in store.related_titles(note_id)],
        "same_work": [{"id": i, "title": t, "kind": k, "page": links.note(i)}
                      for i, t, k in _same_work(store, note_id)],
        "validations": [{"at": _iso(v.at), "by": v.by, "verdict": v.verdict, "claim": v.claim}
                        for v in found.validations],
        "body": found.body,
        "body_html": render_markdown(found.body),
        "today": today.isoformat(),
    }


def _same_work(store: Store, note_id: str) -> list[tuple[str, str, str]]:
    """The clip a summary summarises, or the summary of a clip (``links`` rel ``source``, both ways)."""
    rows = store.conn.execute(
        "SELECT n.id, n.title, n.kind FROM links l JOIN notes n ON n.id = CASE WHEN l.src_id = ?1 THEN l.dst_id"
        " ELSE l.src_id END WHERE l.rel = 'source' AND (l.src_id = ?1 OR l.dst_id = ?1) ORDER BY n.title",
        (note_id,),
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]
