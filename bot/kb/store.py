"""The knowledge store: SQLite (WAL) with one connection per thread and writes in BEGIN IMMEDIATE.

Read paths use the plain ``sqlite3`` connection so a one-shot ``deskbot claim`` stays fast;
sqlite-utils is loaded only to build the schema (see ``bot.kb.migrations``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.kb import decay
from bot.kb.migrations import migrate
from bot.kb.notes import Claim, Note, Quote, Validation, title_key
from bot.kb.now import utc_now

if TYPE_CHECKING:
    from bot.kb.echoes import Borderline, Judge

BUSY_TIMEOUT_MS = 10_000
BUSY_POLL_SECONDS = 0.0003
BIG_MATCH = 2_000  # above this many matches, rank a bounded window instead of every match
WINDOW = 2_000
_WORD = re.compile(r"\w+", re.UNICODE)
_HEADING = re.compile(r"^#{1,3}\s+(.+?)\s*#*\s*$", re.M)
CLAIM_WEIGHTS = (4.0, 2.0, 1.0)  # bm25 weights: claim text, note title, tags
CLAIM_COLUMNS = (
    "note_id", "position", "text", "label", "quote", "t", "page", "last_validated", "outdated", "supported"
)


def fts_query(text: str, *, any_term: bool = False) -> str | None:
    """Quote every word of user input so FTS operators (``"``, NOT, ``-``, ``*``) are plain text."""
    words = _WORD.findall(text or "")[:32]
    if not words:
        return None
    joiner = " OR " if any_term else " "
    return joiner.join(f'"{w}"' for w in words)


def site_of(url: str | None) -> str | None:
    """The site a note's URL belongs to, as decay labels group it (``www.`` dropped, lowercase; None for the
    DOI resolver)."""
    try:
        parts = urlsplit(url or "")
        host = parts.hostname or ""
    except ValueError:
        return None
    host = host.lower().removeprefix("www.").removeprefix("m.")
    # a DOI resolver is no site: every journal and preprint server lives behind it (one paper's label would
    # teach every other paper's suggestion)
    if host in ("doi.org", "dx.doi.org"):
        return None
    if host in _SHARED_HOSTS:  # many authors under one host: the author (channel, account, subreddit) is the site
        return _author_site(host, parts.path)
    return host or None


# Hosts where every creator publishes: a label for one creator's note says nothing about another's.
_SHARED_HOSTS = frozenset({"medium.com", "substack.com", "github.com", "gitlab.com", "x.com", "twitter.com",
                           "youtube.com", "youtu.be", "linkedin.com", "reddit.com", "tiktok.com", "instagram.com"})
_ACCOUNT_HOSTS = frozenset({"github.com", "gitlab.com", "x.com", "twitter.com", "medium.com", "tiktok.com",
                            "instagram.com"})  # the first path segment is the account (or publication)


def _author_site(host: str, path: str) -> str | None:
    """``youtube.com/@channel``, ``medium.com/@writer``, ``github.com/owner``, ``reddit.com/r/sub``; None when
    the address names no author (a ``youtube.com/watch?v=…`` or ``youtu.be`` link)."""
    parts = [p for p in path.lower().split("/") if p]
    if not parts:
        return None
    if parts[0].startswith("@"):
        return f"{host}/{parts[0]}"
    if host in ("youtube.com", "reddit.com", "linkedin.com") and len(parts) > 1 and parts[0] in (
            "channel", "c", "user", "r", "in", "company"):
        return f"{host}/{parts[0]}/{parts[1]}"
    if host in _ACCOUNT_HOSTS and parts[0] not in ("p", "status", "i", "watch", "search", "explore"):
        return f"{host}/{parts[0]}"
    return None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    return value.isoformat()


def _latest(a: str | None, b: str | None) -> str | None:
    """The later of two ISO dates (claim state kept across re-imports)."""
    return max(x for x in (a, b) if x) if (a or b) else None


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def _datetime(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class ClaimHit:
    """One ranked claim with what a reader needs: source, place and freshness inputs."""

    claim_id: int
    position: int
    text: str
    label: str | None
    quote: str | None
    t: int | None
    page: int | None
    claim_validated: date | None
    outdated: bool
    note_id: str
    note_title: str
    note_url: str | None
    note_kind: str
    base_date: date | None
    decay_rate: str | None
    score: float
    flag: str | None = None  # "retracted" / "expression-of-concern": the paper behind it (migration 015)
    tier: int = 0  # search_claims' tier: 0 the claim says it, 1 its note does, 2 some of the words match

    def as_claim(self) -> Claim:
        return Claim(text=self.text, label=self.label, quote=self.quote, t=self.t, page=self.page)


@dataclass(frozen=True)
class DueClaim:
    """A claim past its own due date (a price, version, ranking or "as of") while its note is still fresh."""

    note_id: str
    title: str
    url: str | None
    note_due: date | None
    rate: str | None
    owner: str | None
    position: int
    text: str
    due: date | None
    why: str


NO_NOTE_DUE_LEAD = 36_500  # a note with no due date (nothing to count from) never goes stale before its claims
_DUE_CLAIM_COLUMNS = "n.id, n.title, n.url, n.due, n.decay_rate, n.owner, c.position, c.text, c.due, c.due_why"


def _due_claim(r: Sequence[Any]) -> DueClaim:
    return DueClaim(r[0], r[1] or "", r[2], _date(r[3]), r[4], r[5], r[6], r[7], _date(r[8]), r[9] or "")


@dataclass(frozen=True)
class NoteRow:
    """A note as listings show it (no body): for stale lists, /note results and digests."""

    id: str
    title: str
    kind: str
    url: str | None
    owner: str | None
    channel: str | None
    decay_rate: str | None
    base_date: date | None
    due: date | None
    last_validated: date | None
    summary: str
    claim_count: int
    decay_reason: str | None = None  # the suggestion's evidence line, shown beside the rate
    flags: tuple[str, ...] = ()  # e.g. "retracted", "little-text": what every listing must say about the note


@dataclass(frozen=True)
class Mention:
    """One posting of a link: the first one answers "already clipped on DATE by @user"."""

    note_id: str
    url: str | None
    channel: str | None
    ts: str | None
    user: str | None
    at: datetime | None


@dataclass
class ImportOutcome:
    """What ``upsert_note`` did: 'imported', 'updated' or 'unchanged'."""

    status: str
    note_id: str


class Store:
    """All persistence. Build with ``Store.open(path)``; safe to share across threads."""

    def __init__(
        self, path: str, decay_table: Mapping[str, int] | None = None, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        echo_judge: Judge | None = None,
    ) -> None:
        self.path = path
        self.echo_judge = echo_judge  # a model that confirms borderline echoes (optional, bot.capture.echo_judge)
        self.busy_timeout_ms = busy_timeout_ms
        self.decay_table = dict(decay_table or decay.DEFAULT_TABLE)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()

    @classmethod
    def open(
        cls, path: str, decay_table: Mapping[str, int] | None = None, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        echo_judge: Judge | None = None,
    ) -> Store:
        """Open (creating and migrating when needed) and re-derive due dates if the table changed."""
        if path != ":memory:" and not path.startswith("file:"):
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        store = cls(path, decay_table, busy_timeout_ms=busy_timeout_ms, echo_judge=echo_judge)
        migrate(store.conn)
        store._sync_decay_table()
        return store

    # ------------------------------------------------------------ connections

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not cross threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None,
                                   check_same_thread=True, uri=self.path.startswith("file:"))
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with suppress(sqlite3.ProgrammingError):  # closed from its own thread already
                    conn.close()
            self._all.clear()
        self._local = threading.local()

    @contextmanager
    def write(self, *, prompt: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (BEGIN IMMEDIATE) so concurrent writers queue instead of
        deadlocking. Threads of this process queue on a lock, handed over at once. ``prompt`` (the Slack
        ack path's queue writes) waits for another *process* holding the write lock by polling every
        0.3 ms instead of SQLite's busy handler, whose sleeps grow 1, 2, 5, 10… ms."""
        conn = self.conn
        if conn.in_transaction:  # nested: join the outer transaction
            yield conn
            return
        with self._write_lock:
            if prompt:
                self._begin_polling(conn)
            else:
                conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _begin_polling(self, conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(BUSY_POLL_SECONDS)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")

    def backup(self, target: str | Path) -> Path:
        """A consistent copy while others keep writing (``VACUUM INTO`` reads one snapshot)."""
        target = Path(target)
        if target.exists():
            raise FileExistsError(f"{target} already exists; choose a new file name")
        if not target.parent.is_dir():
            raise FileNotFoundError(f"the folder {target.parent} does not exist; create it first")
        self.conn.execute("VACUUM INTO ?", (str(target),))
        return target

    def integrity_problems(self) -> list[str]:
        """Empty when SQLite and both FTS indexes check out."""
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        for table in ("claims_fts", "notes_fts"):
            try:
                self.conn.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
            except sqlite3.DatabaseError as exc:
                problems.append(f"{table}: {exc}")
        return problems

    # ------------------------------------------------------------ meta / settings

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def _sync_decay_table(self) -> None:
        wanted = json.dumps(self.decay_table, sort_keys=True)
        if self.get_meta("decay_table") == wanted:
            return
        with self.write() as conn:
            rows = conn.execute("SELECT id, base_date, decay_rate, snoozed_until FROM notes").fetchall()
            conn.executemany(
                "UPDATE notes SET due = ? WHERE id = ?",
                [(self._due(_date(b), r, _date(s)), i) for i, b, r, s in rows],
            )
            self._refresh_claim_dues(conn, None)
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('decay_table', ?)", (wanted,))

    def _refresh_claim_dues(self, conn: sqlite3.Connection, note_ids: Sequence[str] | None) -> None:
        """Re-derive claims' own due dates (``decay.claim_due``: only those before their note's) and each
        note's earliest one, for ``note_ids`` (None = every note). Run wherever a claim, a note's dates or
        rate, or the decay table change; only rows whose value moves are written."""
        sql = ("SELECT n.id, n.base_date, n.decay_rate, n.snoozed_until, n.due, c.id, c.text, c.last_validated,"
               " c.outdated, c.due, c.due_why FROM notes n JOIN claims c ON c.note_id = n.id")
        if note_ids is None:
            batches: list[Iterable[Any]] = [conn.execute(sql)]  # streamed: every claim of every note
            earlier = {r[0]: (r[1], r[2]) for r in conn.execute(
                "SELECT id, claim_due, claim_lead FROM notes WHERE claim_due IS NOT NULL")}
        else:
            ids = list(dict.fromkeys(note_ids))
            batches, earlier = [], {}
            for start in range(0, len(ids), 500):
                chunk = json.dumps(ids[start:start + 500])
                batches.append(conn.execute(f"{sql} WHERE n.id IN (SELECT value FROM json_each(?))",
                                            (chunk,)).fetchall())
                earlier.update({r[0]: (r[1], r[2]) for r in conn.execute(
                    "SELECT id, claim_due, claim_lead FROM notes WHERE id IN (SELECT value FROM json_each(?))",
                    (chunk,))})
        claim_updates: list[tuple[str | None, str | None, int]] = []
        earliest: dict[str, str | None] = dict.fromkeys(earlier)
        note_due: dict[str, str | None] = {}
        for rows in batches:
            for note_id, base, rate, snoozed, of_note, claim_id, text, validated, outdated, old_due, old_why in rows:
                note_due[note_id] = of_note
                own = decay.claim_due(_date(base), _date(validated), bool(outdated), rate, text, self.decay_table,
                                      snoozed_until=_date(snoozed), note_due=_date(of_note))
                due, why = (own[0].isoformat(), own[1]) if own else (None, None)
                if (due, why) != (old_due, old_why):
                    claim_updates.append((due, why, claim_id))
                current = earliest.get(note_id)
                earliest[note_id] = min(d for d in (current, due) if d) if (current or due) else None
        if claim_updates:
            conn.executemany("UPDATE claims SET due = ?, due_why = ? WHERE id = ?", claim_updates)
        changed = []
        for note_id, due in earliest.items():
            lead = None if due is None else (
                (_date(note_due[note_id]) - _date(due)).days if note_due.get(note_id)  # type: ignore[operator]
                else NO_NOTE_DUE_LEAD)
            if earlier.get(note_id, (None, None)) != (due, lead):
                changed.append((due, lead, note_id))
        if changed:
            conn.executemany("UPDATE notes SET claim_due = ?, claim_lead = ? WHERE id = ?", changed)

    def _due(self, base: date | None, rate: str | None, snoozed_until: date | None = None) -> str | None:
        due = decay.due_date(base, rate, self.decay_table)
        if due and snoozed_until and snoozed_until > due:
            due = snoozed_until
        return _iso(due)

    # ------------------------------------------------------------ writing notes

    def upsert_note(self, note: Note, *, source_path: str | None = None, today: date | None = None) -> ImportOutcome:
        """Insert or update a note and link it to the same work / related notes. Idempotent."""
        return self.upsert_notes([(note, source_path)], today=today)[0]

    def upsert_notes(
        self, items: list[tuple[Note, str | None]], *, today: date | None = None
    ) -> list[ImportOutcome]:
        """Upsert many notes in one transaction; new notes go in with one statement per table.

        FTS5 pays a fixed cost per statement that indexes rows, so inserting a batch of new notes
        (and their claims) as two statements is ~3x faster than note by note. Changed notes take
        the row-by-row path, which keeps their validations and per-claim state.
        """
        today = today or utc_now().date()
        outcomes: list[ImportOutcome | None] = [None] * len(items)
        with self.write() as conn:
            existing = self._existing(conn, [n.id for n, _ in items])
            fresh: list[tuple[int, Note, dict[str, Any], list[tuple[Any, ...]]]] = []
            seen: set[str] = set()
            for index, (note, path) in enumerate(items):
                content_hash = hashlib.sha256(repr(note).encode("utf-8")).hexdigest()
                old = existing.get(note.id)
                if old is None and note.id in seen:  # same id twice in one batch: the later one updates
                    old = self._existing(conn, [note.id]).get(note.id)
                if old is not None and old[0] == content_hash:
                    outcomes[index] = ImportOutcome("unchanged", note.id)
                    continue
                row = self._row(note, old, content_hash, path, today)
                if old is None and note.id not in seen:
                    seen.add(note.id)
                    fresh.append((index, note, row, self._claim_rows(note, {})))
                    continue
                if old is None:  # duplicate id inside the batch: flush what is pending first
                    self._bulk_insert(conn, fresh)
                    fresh = []
                    old = self._existing(conn, [note.id])[note.id]
                    row = self._row(note, old, content_hash, path, today)
                self._update(conn, note, row)
                outcomes[index] = ImportOutcome("updated", note.id)
            self._bulk_insert(conn, fresh)
            for index, _, _, _ in fresh:
                outcomes[index] = ImportOutcome("imported", items[index][0].id)
            written = []
            for (note, _), outcome in zip(items, outcomes, strict=True):
                if outcome is not None and outcome.status != "unchanged":
                    self._link_same_work(conn, note, self._heading_keys(note))
                    written.append(note)
            self._refresh_claim_dues(conn, [n.id for n in written])
            borderline = self._link_echoes(conn, written)
        if borderline:
            self._judge_echoes(borderline)
        return [o for o in outcomes if o is not None]

    def _link_echoes(self, conn: sqlite3.Connection, notes: list[Note]) -> list[Borderline]:
        """Echoes of the written notes' claims and the aliases their text defines (``bot.kb``); the
        borderline pairs, when a model is there to judge them."""
        from bot.kb import aliases
        from bot.kb.echoes import link_notes

        for note in notes:
            aliases.learn(conn, note.id, [note.summary, *(c.text for c in note.claims), note.body])
        borderline: list[Borderline] | None = [] if self.echo_judge is not None else None
        link_notes(conn, notes, borderline)
        return borderline or []

    def _judge_echoes(self, borderline: list[Borderline]) -> None:
        """The model's verdicts on borderline echoes, asked after the notes' transaction (a model may take
        seconds; the write lock is not held meanwhile) and written in a short one of their own."""
        from bot.kb.echoes import apply_verdicts, ask

        judge = self.echo_judge
        if judge is None:
            return
        verdicts = ask(judge, borderline)
        if verdicts:
            with self.write() as conn:
                apply_verdicts(conn, verdicts, judge.method)

    @staticmethod
    def _existing(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[Any, ...]]:
        found: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                "SELECT id, content_hash, last_validated, imported_at, snoozed_until FROM notes"
                f" WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = row[1:]
        return found

    def _row(
        self, note: Note, old: tuple[Any, ...] | None, content_hash: str, path: str | None, today: date
    ) -> dict[str, Any]:
        """The notes row; a re-import never moves last_validated backwards and keeps a snooze."""
        last_validated = note.last_validated
        if old and old[1]:
            kept = _date(old[1])
            last_validated = max(d for d in (last_validated, kept) if d)
        now = _iso(utc_now().replace(microsecond=0, tzinfo=None))
        imported_at = old[2] if old else now
        base = last_validated or (note.clipped.date() if note.clipped else None) or note.published
        base = base or _date(imported_at) or today
        snoozed = _date(old[3]) if old else None
        return {
            "id": note.id,
            "title": note.title,
            "title_key": title_key(note.title),
            "kind": note.kind,
            "url": note.url,
            "clipped": _iso(note.clipped),
            "channel": note.channel,
            "owner": note.owner,
            "author": note.author,
            "site": note.site,
            "published": _iso(note.published),
            "summary": note.summary,
            "body": note.body,
            "tags_text": " ".join(note.tags),
            "source_id": note.source_id,
            "last_validated": _iso(last_validated),
            "decay_rate": note.decay_rate,
            "decay_reason": note.decay_reason,
            "base_date": _iso(base),
            "due": self._due(base, note.decay_rate, snoozed),
            "highlights": json.dumps([q.__dict__ for q in note.highlights], ensure_ascii=False),
            "quotes": json.dumps([q.__dict__ for q in note.quotes], ensure_ascii=False),
            "sections": json.dumps(note.sections, ensure_ascii=False),
            "related": json.dumps(note.related, ensure_ascii=False),
            "extra": json.dumps(note.extra, ensure_ascii=False, default=str),
            "flags": json.dumps(note.flags),
            "content_hash": content_hash,
            "source_path": path,
            "imported_at": imported_at,
            "updated_at": now,
        }

    @staticmethod
    def _claim_rows(note: Note, kept: dict[str, tuple[str | None, int]]) -> list[tuple[Any, ...]]:
        """Claim rows; per-claim validation and outdated marks survive a re-import (matched by text)."""
        return [
            (note.id, i, c.text, c.label, c.quote, c.t, c.page,
             _latest(_iso(c.last_validated), kept.get(c.text, (None, 0))[0]),
             int(c.outdated or bool(kept.get(c.text, (None, 0))[1])),
             None if c.supported is None else int(c.supported))
            for i, c in enumerate(note.claims, start=1)
        ]

    @staticmethod
    def _heading_keys(note: Note) -> set[str]:
        return {title_key(h) for h in _HEADING.findall(note.body)} - {"", title_key(note.title)}

    def _bulk_insert(
        self, conn: sqlite3.Connection, fresh: list[tuple[int, Note, dict[str, Any], list[tuple[Any, ...]]]]
    ) -> None:
        """Claims first (their trigger skips notes not yet stored), then the notes in one statement,
        whose notes_ai trigger indexes every claim and note in that single statement."""
        if not fresh:
            return
        claims = [c for _, _, _, rows in fresh for c in rows]
        if claims:
            conn.execute(
                f"INSERT INTO claims({', '.join(CLAIM_COLUMNS)}) SELECT "
                + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(CLAIM_COLUMNS)))
                + " FROM json_each(?)",
                (json.dumps(claims, ensure_ascii=False),),
            )
        columns = list(fresh[0][2])
        conn.execute(
            f"INSERT INTO notes({', '.join(columns)}) SELECT "
            + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
            + " FROM json_each(?)",
            (json.dumps([[row[c] for c in columns] for _, _, row, _ in fresh], ensure_ascii=False),),
        )
        self._note_children(conn, [note for _, note, _, _ in fresh])

    def _update(self, conn: sqlite3.Connection, note: Note, row: dict[str, Any]) -> None:
        kept = {
            r[0]: (r[1], r[2]) for r in conn.execute(
                "SELECT text, last_validated, outdated FROM claims WHERE note_id = ?", (note.id,))
        }
        sets = ", ".join(f"{k} = :{k}" for k in row if k != "id")
        conn.execute(f"UPDATE notes SET {sets} WHERE id = :id", row)
        conn.execute("DELETE FROM claims WHERE note_id = ?", (note.id,))
        conn.execute("DELETE FROM tags WHERE note_id = ?", (note.id,))
        conn.execute("DELETE FROM headings WHERE note_id = ?", (note.id,))
        conn.executemany(
            f"INSERT INTO claims({', '.join(CLAIM_COLUMNS)}) VALUES ({', '.join('?' * len(CLAIM_COLUMNS))})",
            self._claim_rows(note, kept),
        )
        self._note_children(conn, [note])

    def _note_children(self, conn: sqlite3.Connection, notes: list[Note]) -> None:
        """Tags, headings, validations and the posting (mention) of freshly written notes."""
        conn.executemany("INSERT OR IGNORE INTO tags(note_id, tag) VALUES (?, ?)",
                         [(n.id, t) for n in notes for t in n.tags])
        conn.executemany("INSERT OR IGNORE INTO headings(note_id, key) VALUES (?, ?)",
                         [(n.id, k) for n in notes for k in self._heading_keys(n)])
        for note in notes:
            if note.validations:
                self._record_validations(conn, note)
        conn.executemany(
            "INSERT OR IGNORE INTO mentions(note_id, url, channel, ts, user, at) VALUES (?,?,?,?,?,?)",
            [(n.id, n.url, n.channel, n.extra.get("slack_ts"), n.owner, _iso(n.clipped))
             for n in notes if n.channel or n.owner],
        )

    def _record_validations(self, conn: sqlite3.Connection, note: Note) -> None:
        for v in note.validations:
            exists = conn.execute(
                "SELECT 1 FROM validations WHERE note_id = ? AND at = ? AND coalesce(claim, 0) = ?"
                " AND coalesce(by, '') = ? AND verdict = ?",
                (note.id, _iso(v.at), v.claim or 0, v.by or "", v.verdict),
            ).fetchone()
            if not exists:
                conn.execute(
                    "INSERT INTO validations(note_id, claim, by, at, verdict) VALUES (?,?,?,?,?)",
                    (note.id, v.claim, v.by, _iso(v.at), v.verdict),
                )

    def _link_same_work(self, conn: sqlite3.Connection, note: Note, heading_keys: set[str]) -> None:
        """Matching rule (see docs/decisions.md): same title key or URL → same work; a note whose
        title is a heading inside another's body → related. Summaries attach to their source clip."""
        key = title_key(note.title)
        conn.execute("DELETE FROM links WHERE src_id = ? OR dst_id = ?", (note.id, note.id))
        if note.kind == "summary":
            source_id = note.source_id
            if source_id is None:
                row = conn.execute(
                    "SELECT id FROM notes WHERE title_key = ? AND kind != 'summary' AND id != ?"
                    " ORDER BY clipped LIMIT 1",
                    (key, note.id),
                ).fetchone()
                source_id = row[0] if row else None
            if source_id:
                conn.execute("UPDATE notes SET source_id = ? WHERE id = ?", (source_id, note.id))
                conn.execute("UPDATE notes SET covered_by = ? WHERE id = ?", (note.id, source_id))
                conn.execute("INSERT OR IGNORE INTO links VALUES (?, ?, 'source')", (note.id, source_id))
        else:
            for (summary_id,) in conn.execute(
                "SELECT id FROM notes WHERE title_key = ? AND kind = 'summary' AND"
                " (source_id IS NULL OR source_id = ?)",
                (key, note.id),
            ).fetchall():
                conn.execute("UPDATE notes SET source_id = ? WHERE id = ?", (note.id, summary_id))
                conn.execute("UPDATE notes SET covered_by = ? WHERE id = ?", (summary_id, note.id))
                conn.execute("INSERT OR IGNORE INTO links VALUES (?, ?, 'source')", (summary_id, note.id))
        related: set[str] = set()
        if heading_keys:
            marks = ",".join("?" * len(heading_keys))
            related |= {r[0] for r in conn.execute(
                f"SELECT id FROM notes WHERE title_key IN ({marks}) AND id != ?", (*heading_keys, note.id))}
        related |= {r[0] for r in conn.execute(
            "SELECT note_id FROM headings WHERE key = ? AND note_id != ?", (key, note.id))}
        for ref in note.related:
            row = conn.execute(
                "SELECT id FROM notes WHERE id = ? OR url = ? OR title_key = ? LIMIT 1",
                (ref, ref, title_key(ref)),
            ).fetchone()
            if row and row[0] != note.id:
                related.add(row[0])
        same_work = {r[0] for r in conn.execute(
            "SELECT dst_id FROM links WHERE src_id = ? AND rel = 'source'"
            " UNION SELECT src_id FROM links WHERE dst_id = ? AND rel = 'source'", (note.id, note.id))}
        for other in sorted(related - same_work):
            conn.execute("INSERT OR IGNORE INTO links VALUES (?, ?, 'related')", (note.id, other))
            conn.execute("INSERT OR IGNORE INTO links VALUES (?, ?, 'related')", (other, note.id))

    # ------------------------------------------------------------ validation

    def validate(
        self,
        note_id: str,
        *,
        by: str | None,
        at: datetime,
        claim: int | None = None,
        verdict: str = "valid",
    ) -> None:
        """Record a validation; 'valid' resets the note's (or one claim's) clock, 'outdated' flags a claim."""
        with self.write() as conn:
            row = conn.execute(
                "SELECT decay_rate, last_validated FROM notes WHERE id = ?", (note_id,)
            ).fetchone()
            if row is None:
                raise KeyError(note_id)
            if claim is not None:
                found = conn.execute(
                    "SELECT 1 FROM claims WHERE note_id = ? AND position = ?", (note_id, claim)
                ).fetchone()
                if not found:
                    raise IndexError(claim)
            conn.execute(
                "INSERT INTO validations(note_id, claim, by, at, verdict) VALUES (?,?,?,?,?)",
                (note_id, claim, by, _iso(at), verdict),
            )
            if verdict == "valid":  # someone looked: the echo reviews waiting on this note (or claim) are done
                conn.execute(
                    "UPDATE echo_reviews SET resolved_at = ?1 WHERE note_id = ?2 AND (?3 IS NULL OR position = ?3)"
                    " AND resolved_at IS NULL", (at.isoformat(timespec="seconds"), note_id, claim),
                )
            if verdict == "valid" and claim is not None:  # the claim once marked outdated holds after all: the
                conn.execute(  # reviews its mark put on its echoes have no reason left
                    "UPDATE echo_reviews SET resolved_at = ?1 WHERE outdated_note_id = ?2 AND outdated_position = ?3"
                    " AND resolved_at IS NULL", (at.isoformat(timespec="seconds"), note_id, claim),
                )
            day = at.date()
            if claim is not None:
                if verdict == "valid":
                    conn.execute(
                        "UPDATE claims SET last_validated = ?, outdated = 0 WHERE note_id = ? AND position = ?",
                        (day.isoformat(), note_id, claim),
                    )
                elif verdict == "outdated":
                    conn.execute(
                        "UPDATE claims SET outdated = 1 WHERE note_id = ? AND position = ?", (note_id, claim)
                    )
            elif verdict == "valid":
                current = _date(row[1])
                if current is None or day > current:
                    conn.execute(
                        "UPDATE notes SET last_validated = ?, base_date = ?, due = ?, snoozed_until = NULL"
                        " WHERE id = ?",
                        (day.isoformat(), day.isoformat(), self._due(day, row[0]), note_id),
                    )
            self._refresh_claim_dues(conn, [note_id])

    def set_decay(
        self, note_id: str, rate: str, *, by: str | None, at: datetime, source: str = "slack"
    ) -> str:
        """Change a note's decay rate (recorded in its history and as a label the suggestions learn from);
        returns the canonical rate. ``source`` says where the label came from (slack / cli)."""
        canonical = decay.normalize_rate(rate, self.decay_table)
        if canonical is None:
            raise decay.DecayError("a decay rate is needed")
        with self.write() as conn:
            row = conn.execute("SELECT base_date, snoozed_until FROM notes WHERE id = ?", (note_id,)).fetchone()
            if row is None:
                raise KeyError(note_id)
            self._record_decay_label(conn, note_id, canonical, by=by, at=at, source=source)
            conn.execute(
                "UPDATE notes SET decay_rate = ?, decay_reason = ?, due = ? WHERE id = ?",
                (canonical, f"set by {by or 'someone'} on {at.date().isoformat()}",
                 self._due(_date(row[0]), canonical, _date(row[1])), note_id),
            )
            conn.execute(
                "INSERT INTO validations(note_id, claim, by, at, verdict) VALUES (?, NULL, ?, ?, ?)",
                (note_id, by, _iso(at), f"decay:{canonical}"),
            )
            self._refresh_claim_dues(conn, [note_id])
        return canonical

    @staticmethod
    def _record_decay_label(
        conn: sqlite3.Connection, note_id: str, chosen: str, *, by: str | None, at: datetime, source: str
    ) -> None:
        row = conn.execute(
            "SELECT url, channel, tags_text, json_extract(extra, '$.decay_suggested') FROM notes WHERE id = ?",
            (note_id,),
        ).fetchone()
        conn.execute(
            "INSERT OR REPLACE INTO decay_labels(note_id, channel, site, tags_text, suggested, chosen, by, at,"
            " source) VALUES (?,?,?,?,?,?,?,?,?)",
            (note_id, row[1], site_of(row[0]), row[2], row[3], chosen, by, _iso(at), source),
        )

    def decay_label_counts(
        self, *, site: str | None, tags: Iterable[str] = (), channel: str | None = None
    ) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
        """Earlier labels of this site and of each tag (in ``channel`` when given): key → rate → count."""
        where, args = ("", []) if channel is None else (" AND channel = ?", [channel])
        sites: dict[str, dict[str, int]] = {}
        if site:
            rows = self.conn.execute(
                "SELECT chosen, count(*) FROM decay_labels WHERE site = ?" + where + " GROUP BY chosen",
                [site, *args],
            ).fetchall()
            if rows:
                sites[site] = {r[0]: r[1] for r in rows}
        by_tag: dict[str, dict[str, int]] = {}
        for tag in list(dict.fromkeys(t for t in tags if t))[:8]:
            rows = self.conn.execute(
                "SELECT chosen, count(*) FROM decay_labels WHERE (' ' || tags_text || ' ') LIKE ? ESCAPE '\\'"
                + where + " GROUP BY chosen",
                [f"% {_like(tag)} %", *args],
            ).fetchall()
            if rows:
                by_tag[tag] = {r[0]: r[1] for r in rows}
        return sites, by_tag

    def decay_stats(self) -> dict[str, Any]:
        """What the team's labels say: per-site and per-tag counts, and how often the suggestion was kept."""
        labels = self.conn.execute(
            "SELECT site, tags_text, suggested, chosen, source FROM decay_labels"
        ).fetchall()
        suggested = self.conn.execute(
            "SELECT count(*) FROM notes WHERE json_extract(extra, '$.decay_suggested') IS NOT NULL"
        ).fetchone()[0]
        # Reviewed: someone validated the whole note or re-rated it (a snooze or one claim's check is not a
        # verdict on the note's rate); accepted: its rate is still the suggested one after that.
        reviewed, accepted = self.conn.execute(
            "SELECT count(*), coalesce(sum(n.decay_rate = json_extract(n.extra, '$.decay_suggested')), 0)"
            " FROM notes n WHERE json_extract(n.extra, '$.decay_suggested') IS NOT NULL AND EXISTS ("
            "  SELECT 1 FROM validations v WHERE v.note_id = n.id AND coalesce(v.claim, 0) = 0"
            "  AND (v.verdict = 'valid' OR v.verdict LIKE 'decay:%'))"
        ).fetchone()
        sites: dict[str, dict[str, int]] = {}
        tags: dict[str, dict[str, int]] = {}
        for site, tags_text, _, chosen, _ in labels:
            if site:
                sites.setdefault(site, {}).setdefault(chosen, 0)
                sites[site][chosen] += 1
            for tag in (tags_text or "").split():
                tags.setdefault(tag, {}).setdefault(chosen, 0)
                tags[tag][chosen] += 1
        changed = sum(1 for r in labels if r[2] and r[2] != r[3])
        return {
            "labels": len(labels),
            "changed": changed,
            "kept": sum(1 for r in labels if r[2] and r[2] == r[3]),
            "suggested_notes": suggested,
            "reviewed_notes": reviewed,
            "accepted_notes": accepted,
            "sources": {s: sum(1 for r in labels if r[4] == s) for s in sorted({r[4] for r in labels})},
            "sites": sites,
            "tags": tags,
        }

    def snooze(self, note_id: str, until: date, *, by: str | None, at: datetime) -> None:
        """Push a note's due date to ``until`` without validating it (recorded in its history)."""
        with self.write() as conn:
            row = conn.execute("SELECT base_date, decay_rate FROM notes WHERE id = ?", (note_id,)).fetchone()
            if row is None:
                raise KeyError(note_id)
            conn.execute(
                "UPDATE notes SET snoozed_until = ?, due = ? WHERE id = ?",
                (until.isoformat(), self._due(_date(row[0]), row[1], until), note_id),
            )
            self._refresh_claim_dues(conn, [note_id])
            conn.execute(
                "INSERT INTO validations(note_id, claim, by, at, verdict) VALUES (?, NULL, ?, ?, 'snoozed')",
                (note_id, by, _iso(at)),
            )

    def add_mention(
        self, note_id: str, *, url: str | None, channel: str | None, ts: str | None, user: str | None, at: datetime
    ) -> None:
        """Who posted which link where and when (idempotent per channel, ts and user)."""
        with self.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO mentions(note_id, url, channel, ts, user, at) VALUES (?,?,?,?,?,?)",
                (note_id, url, channel, ts, user, _iso(at)),
            )

    def first_mention(self, note_id: str) -> Mention | None:
        row = self.conn.execute(
            "SELECT note_id, url, channel, ts, user, at FROM mentions WHERE note_id = ?"
            " ORDER BY coalesce(at, '9999'), id LIMIT 1",
            (note_id,),
        ).fetchone()
        return Mention(row[0], row[1], row[2], row[3], row[4], _datetime(row[5])) if row else None

    def mentions(self, note_id: str) -> list[Mention]:
        rows = self.conn.execute(
            "SELECT note_id, url, channel, ts, user, at FROM mentions WHERE note_id = ? ORDER BY at, id",
            (note_id,),
        ).fetchall()
        return [Mention(r[0], r[1], r[2], r[3], r[4], _datetime(r[5])) for r in rows]

    def note_row(self, note_id: str) -> NoteRow | None:
        row = self.conn.execute(f"{self._NOTE_ROW} WHERE n.id = ?", (note_id,)).fetchone()
        return self._note_row(row) if row else None

    def validations(self, note_id: str) -> list[Validation]:
        rows = self.conn.execute(
            "SELECT at, by, verdict, claim FROM validations WHERE note_id = ? ORDER BY at, id", (note_id,)
        ).fetchall()
        return [Validation(at=_datetime(a) or datetime(1970, 1, 1), by=b, verdict=v, claim=c) for a, b, v, c in rows]

    # ------------------------------------------------------------ reading

    def find_note_ids(self, ref: str) -> list[str]:
        """Resolve what a user typed (id, id prefix, URL in any form, exact title, or words) to the ids of the
        notes as shown: a clip that a summary covers is the summary (one work, one note in every list)."""
        found = self.named_note_ids(ref)
        if found or not ref.strip():
            return found
        return self.shown_ids([r.id for r in self.search_notes(ref, limit=10, fallback_any=False)])

    def named_note_ids(self, ref: str) -> list[str]:
        """Notes named exactly (id, id prefix of 4+ hex digits, URL in any form, title), as shown."""
        from bot.kb.links import canonical_url
        from bot.kb.notes import url_note_id

        ref = ref.strip()
        if not ref:
            return []
        conn = self.conn
        url_id = url_note_id(canonical_url(ref)) if re.match(r"(?i)https?://", ref) else None
        exact = conn.execute(
            "SELECT id FROM notes WHERE id = ? OR id = ? OR url = ? OR title_key = ? ORDER BY kind = 'summary' DESC",
            (ref, url_id, ref, title_key(ref)),
        ).fetchall()
        if exact:
            return self.shown_ids([r[0] for r in exact])
        if re.fullmatch(r"[0-9a-f]{4,16}", ref):
            prefixed = conn.execute("SELECT id FROM notes WHERE id LIKE ? ORDER BY id", (ref + "%",)).fetchall()
            if prefixed:
                return self.shown_ids([r[0] for r in prefixed])
        return []

    def shown_ids(self, ids: list[str]) -> list[str]:
        """Each id replaced by the note that represents its work (``covered_by``), duplicates dropped."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        cover = dict(self.conn.execute(
            f"SELECT id, covered_by FROM notes WHERE id IN ({marks}) AND covered_by IS NOT NULL", ids))
        return list(dict.fromkeys(cover.get(i, i) for i in ids))

    def get_note(self, note_id: str) -> Note | None:
        """Rebuild the full Note (with validations and claim state) for export and display."""
        conn = self.conn
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute("SELECT * FROM notes WHERE id = ?", (note_id,)).fetchone()
            if row is None:
                return None
            claims = conn.execute(
                "SELECT * FROM claims WHERE note_id = ? ORDER BY position", (note_id,)
            ).fetchall()
            related = [r[0] for r in conn.execute(
                "SELECT dst_id FROM links WHERE src_id = ? AND rel = 'related' ORDER BY dst_id", (note_id,))]
        finally:
            conn.row_factory = None
        stored_related = json.loads(row["related"] or "[]")
        from bot.kb.echoes import also_in

        echoes = also_in(conn, note_id)
        return Note(
            id=row["id"],
            title=row["title"],
            kind=row["kind"],
            url=row["url"],
            clipped=_datetime(row["clipped"]),
            channel=row["channel"],
            owner=row["owner"],
            author=row["author"],
            site=row["site"],
            published=_date(row["published"]),
            tags=(row["tags_text"] or "").split(),
            summary=row["summary"] or "",
            claims=[
                Claim(
                    text=c["text"], label=c["label"], quote=c["quote"], t=c["t"], page=c["page"],
                    last_validated=_date(c["last_validated"]), outdated=bool(c["outdated"]),
                    supported=None if c["supported"] is None else bool(c["supported"]),
                    also_in=echoes.get(c["position"], []),
                )
                for c in claims
            ],
            highlights=[Quote(**q) for q in json.loads(row["highlights"] or "[]")],
            quotes=[Quote(**q) for q in json.loads(row["quotes"] or "[]")],
            sections=json.loads(row["sections"] or "{}"),
            body=row["body"] or "",
            related=stored_related + [r for r in related if r not in stored_related],
            source_id=row["source_id"],
            last_validated=_date(row["last_validated"]),
            decay_rate=row["decay_rate"],
            decay_reason=row["decay_reason"],
            validations=self.validations(note_id),
            extra=json.loads(row["extra"] or "{}"),
            flags=json.loads(row["flags"] or "[]"),
        )

    def note_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM notes ORDER BY id")]

    def counts(self) -> dict[str, int]:
        conn = self.conn
        return {
            "notes": conn.execute("SELECT count(*) FROM notes").fetchone()[0],
            "claims": conn.execute("SELECT count(*) FROM claims").fetchone()[0],
        }

    def related_titles(self, note_id: str) -> list[tuple[str, str]]:
        """(id, title) of notes related to this one or to the work it belongs to."""
        rows = self.conn.execute(
            "SELECT DISTINCT n.id, n.title FROM links l JOIN notes n ON n.id = l.dst_id"
            " WHERE l.rel = 'related' AND (l.src_id = ?1 OR l.src_id IN"
            " (SELECT source_id FROM notes WHERE id = ?1) OR l.src_id IN"
            " (SELECT covered_by FROM notes WHERE id = ?1)) ORDER BY n.title",
            (note_id,),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    # ------------------------------------------------------------ claim search

    def search_claims(self, topic: str, limit: int = 10) -> list[ClaimHit]:
        """Rank claims for a topic in tiers, bm25 inside each tier.

        Tiers: (1) every word in the claim's own text, (2) every word anywhere (claim text, note
        title, tags), (3) any word anywhere. A claim that *says* the thing beats a claim that
        merely sits in a note tagged with it — bm25 alone cannot tell them apart when a tag is on
        most notes (its idf collapses to ~0 in a small team's store).
        """
        words = _WORD.findall(topic or "")
        if not words:
            return []
        both = fts_query(topic)
        tiers = [f"text : ({both})", both]
        if len(words) > 1:
            tiers.append(fts_query(topic, any_term=True))
        hits: list[ClaimHit] = []
        seen: set[int] = set()
        for tier, query in enumerate(tiers):
            ranked = [r for r in self._rank_claims(query, limit + len(seen)) if r[0] not in seen]
            ranked = ranked[: limit - len(hits)]
            seen.update(r[0] for r in ranked)
            hits += [dataclasses.replace(h, tier=tier) if tier else h for h in self._claim_hits(ranked)]
            if len(hits) >= limit:
                break
        return hits

    def _rank_claims(self, query: str, limit: int) -> list[tuple[int, float]]:
        conn = self.conn
        weights = ", ".join(str(w) for w in CLAIM_WEIGHTS)
        try:
            matches = conn.execute(
                "SELECT count(*) FROM (SELECT rowid FROM claims_fts WHERE claims_fts MATCH ? LIMIT ?)",
                (query, BIG_MATCH + 1),
            ).fetchone()[0]
            if matches <= BIG_MATCH:
                sql = (f"SELECT rowid, bm25(claims_fts, {weights}) AS s FROM claims_fts"
                       " WHERE claims_fts MATCH ? ORDER BY s LIMIT ?")
                return [(r[0], r[1]) for r in conn.execute(sql, (query, limit))]
            sql = (f"SELECT rowid, bm25(claims_fts, {weights}) FROM claims_fts WHERE claims_fts MATCH ?"
                   " ORDER BY rowid DESC LIMIT ?")
            window = conn.execute(sql, (query, WINDOW)).fetchall()
        except sqlite3.OperationalError:
            return []  # the quoting above makes this unreachable in practice; never surface FTS syntax
        window.sort(key=lambda r: (r[1], -r[0]))
        return [(r[0], r[1]) for r in window[:limit]]

    def _claim_hits(self, ranked: list[tuple[int, float]]) -> list[ClaimHit]:
        if not ranked:
            return []
        scores = dict(ranked)
        marks = ",".join("?" * len(ranked))
        rows = self.conn.execute(
            "SELECT c.id, c.position, c.text, c.label, c.quote, c.t, c.page, c.last_validated, c.outdated,"
            " n.id, n.title, coalesce(n.url, src.url), n.kind, n.base_date, n.decay_rate, c.flag"
            " FROM claims c JOIN notes n ON n.id = c.note_id LEFT JOIN notes src ON src.id = n.source_id"
            f" WHERE c.id IN ({marks})",
            [r[0] for r in ranked],
        ).fetchall()
        hits = [
            ClaimHit(
                claim_id=r[0], position=r[1], text=r[2], label=r[3], quote=r[4], t=r[5], page=r[6],
                claim_validated=_date(r[7]), outdated=bool(r[8]), note_id=r[9], note_title=r[10],
                note_url=r[11], note_kind=r[12], base_date=_date(r[13]), decay_rate=r[14],
                score=scores[r[0]], flag=r[15],
            )
            for r in rows
        ]
        order = {cid: i for i, (cid, _) in enumerate(ranked)}
        return sorted(hits, key=lambda h: order[h.claim_id])

    # ------------------------------------------------------------ note listings

    _NOTE_ROW = (
        "SELECT n.id, n.title, n.kind, coalesce(n.url, src.url), n.owner, coalesce(n.channel, src.channel),"
        " n.decay_rate, n.base_date, n.due, n.last_validated, n.summary,"
        " (SELECT count(*) FROM claims c WHERE c.note_id = n.id), n.decay_reason, n.flags"
        " FROM notes n LEFT JOIN notes src ON src.id = n.source_id"
    )

    @staticmethod
    def _note_row(r: tuple[Any, ...]) -> NoteRow:
        return NoteRow(
            id=r[0], title=r[1], kind=r[2], url=r[3], owner=r[4], channel=r[5], decay_rate=r[6],
            base_date=_date(r[7]), due=_date(r[8]), last_validated=_date(r[9]), summary=r[10] or "",
            claim_count=r[11], decay_reason=r[12], flags=tuple(json.loads(r[13] or "[]")),
        )

    def search_notes(self, query: str, limit: int = 10, *, fallback_any: bool = True) -> list[NoteRow]:
        """Notes whose title, summary or tags match (all words, else any word)."""
        for any_term in (False, True) if fallback_any else (False,):
            fts = fts_query(query, any_term=any_term)
            if fts is None:
                return []
            try:
                rows = self.conn.execute(
                    f"{self._NOTE_ROW} JOIN (SELECT rowid AS r, bm25(notes_fts, 4.0, 1.0, 2.0) AS s"
                    " FROM notes_fts WHERE notes_fts MATCH ? ORDER BY s LIMIT ?) m ON m.r = n.rowid"
                    " ORDER BY m.s",
                    (fts, limit),
                ).fetchall()
            except sqlite3.OperationalError:
                rows = []
            if rows:
                return [self._note_row(r) for r in rows]
        return []

    def stale_notes(self, today: date, limit: int | None = 50) -> list[NoteRow]:
        """Knowledge items due on or before ``today``, most overdue first.

        A clip that has a summary attached is represented by that summary (``covered_by``).
        """
        rows = self.conn.execute(
            f"{self._NOTE_ROW} WHERE n.covered_by IS NULL AND n.due <= ? ORDER BY n.due, n.id LIMIT ?",
            (today.isoformat(), -1 if limit is None else limit),
        ).fetchall()
        return [self._note_row(r) for r in rows]

    def count_stale(self, today: date) -> int:
        """From ``due_counts`` (kept by triggers): ~1,000 rows instead of every stale note."""
        return self.conn.execute(
            "SELECT coalesce(sum(n), 0) FROM due_counts WHERE due <= ?", (today.isoformat(),)
        ).fetchone()[0]

    # "Due before its note": claim_due <= today < claim_due + claim_lead (the note's due). For each distinct lead
    # (a recursive CTE seeks them in the index, one step per value) the range of claim_due is exact, so only the
    # notes reported are walked, not the past claim dates of notes already stale (see migration 017). One
    # statement per lead: SQLite's plan for the join with the lead list was ~30x slower than these seeks.
    _LEADS = ("WITH RECURSIVE lead(x) AS (SELECT min(claim_lead) FROM notes WHERE covered_by IS NULL"
              " AND claim_due IS NOT NULL UNION ALL SELECT (SELECT min(claim_lead) FROM notes WHERE covered_by IS NULL"
              " AND claim_due IS NOT NULL AND claim_lead > x) FROM lead WHERE x IS NOT NULL) SELECT x FROM lead"
              " WHERE x IS NOT NULL")
    _EARLY = ("FROM notes WHERE covered_by IS NULL AND claim_due IS NOT NULL AND claim_lead = ? AND claim_due > ?"
              " AND claim_due <= ?")

    def _early_ranges(self, today: date, since: str | None = None) -> list[tuple[int, str, str]]:
        """(lead, lower bound exclusive, today) per distinct lead: the exact ranges of notes due before their note."""
        day = today.isoformat()
        out = []
        for (lead,) in self.conn.execute(self._LEADS).fetchall():
            low = (today - timedelta(days=lead)).isoformat() if lead < NO_NOTE_DUE_LEAD else ""
            if since and since > low:
                low = (date.fromisoformat(since) - timedelta(days=1)).isoformat()
            out.append((lead, low, day))
        return out

    def _early_notes(self, today: date, limit: int | None, *, since: str | None = None,
                     unreminded: bool = False) -> list[tuple[str, str]]:
        """(note id, claim due) of notes due before their note, earliest claim date first."""
        extra = (" AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.note_id = notes.id AND r.due = notes.claim_due)"
                 if unreminded else "")
        found: list[tuple[str, str]] = []
        for lead, low, day in self._early_ranges(today, since):
            found += self.conn.execute(f"SELECT id, claim_due {self._EARLY}{extra} ORDER BY claim_due, id LIMIT ?",
                                       (lead, low, day, -1 if limit is None else limit)).fetchall()
        found.sort(key=lambda r: (r[1], r[0]))
        return found if limit is None else found[:limit]

    def claims_due_before_note(self, today: date, limit: int | None = 20) -> list[DueClaim]:
        """Claims past their own due date while their note is not yet stale (``decay.claim_due``), earliest
        first: the notes come from ``idx_notes_claim_lead`` (migration 017), then their few claims."""
        ids = [note_id for note_id, _ in self._early_notes(today, limit)]
        if not ids:
            return []
        rows = self.conn.execute(
            f"SELECT {_DUE_CLAIM_COLUMNS} FROM notes n JOIN claims c ON c.note_id = n.id AND c.due <= ?"
            " WHERE n.id IN (SELECT value FROM json_each(?)) ORDER BY n.claim_due, n.id, c.position",
            (today.isoformat(), json.dumps(ids)),
        ).fetchall()
        return [_due_claim(r) for r in rows]

    def claims_due_early(self, note_id: str) -> dict[int, tuple[date, str]]:
        """Position (1-based) → (own due date, why) of a note's claims due before the note, past or not."""
        rows = self.conn.execute(
            "SELECT position, due, due_why FROM claims WHERE note_id = ? AND due IS NOT NULL", (note_id,))
        return {position: (day, why or "") for position, due, why in rows if (day := _date(due))}

    def note_due_claims(self, note_id: str, today: date) -> list[DueClaim]:
        """One note's claims past their own due date on ``today`` (its note still fresh), by position."""
        day = today.isoformat()
        rows = self.conn.execute(
            f"SELECT {_DUE_CLAIM_COLUMNS}"
            " FROM notes n JOIN claims c ON c.note_id = n.id AND c.due <= ?"
            " WHERE n.id = ? AND n.claim_due <= ? AND (n.due IS NULL OR n.due > ?) ORDER BY c.position",
            (day, note_id, day, day),
        ).fetchall()
        return [_due_claim(r) for r in rows]

    def claims_due_unreminded(self, today: date, since: str, limit: int) -> list[tuple[str, str]]:
        """(note id, claim due) of notes due before their note whose claim date is in ``[since, today]`` and
        has no reminder yet (the reminder sweep's second half; reminders are keyed by that date)."""
        return self._early_notes(today, limit, since=since, unreminded=True)

    def count_claims_due_before_note(self, today: date, owners: Sequence[str] | None = None) -> int:
        """Notes with a claim past its own due date whose note is not yet stale (one index range per lead);
        with ``owners``, only theirs (see :meth:`claims_due_note_ids`)."""
        if owners is not None:
            return self.conn.execute(f"SELECT count(*) {self._owner_early(owners)}",
                                     (today.isoformat(), *owners)).fetchone()[0]
        return sum(self.conn.execute(f"SELECT count(*) {self._EARLY}", r).fetchone()[0]
                   for r in self._early_ranges(today))

    @staticmethod
    def _owner_early(owners: Sequence[str]) -> str:
        return ("FROM notes WHERE covered_by IS NULL AND claim_due IS NOT NULL"
                " AND claim_due <= ?1 AND (due IS NULL OR due > ?1)"
                f" AND owner COLLATE NOCASE IN ({','.join('?' * len(owners))})")

    def claims_due_note_ids(self, today: date, limit: int | None,
                            owners: Sequence[str] | None = None) -> list[tuple[str, str]]:
        """(note id, claim due) of notes with a claim past its own due date while the note is not yet stale,
        earliest claim date first. For ``owners`` (names of one person, case-insensitive) the owner's own
        notes are read from ``idx_notes_owner_claim_due`` (migration 018) alone, not every note's lead ranges."""
        if owners is None:
            return self._early_notes(today, limit)
        rows = self.conn.execute(f"SELECT id, claim_due {self._owner_early(owners)} ORDER BY claim_due, id LIMIT ?",
                                 (today.isoformat(), *owners, -1 if limit is None else limit)).fetchall()
        return [(r[0], r[1]) for r in rows]

    def due_soon(self, today: date, days: int = decay.DUE_SOON_DAYS) -> list[NoteRow]:
        from datetime import timedelta

        rows = self.conn.execute(
            f"{self._NOTE_ROW} WHERE n.covered_by IS NULL AND n.due > ? AND n.due <= ? ORDER BY n.due",
            (today.isoformat(), (today + timedelta(days=days)).isoformat()),
        ).fetchall()
        return [self._note_row(r) for r in rows]
