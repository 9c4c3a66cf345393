"""Named, versioned schema migrations. Append new ones; never edit an applied one.

Each migration runs once per database inside ``BEGIN IMMEDIATE``; ``_migrations`` records its
name and ``PRAGMA user_version`` its count, so a reader can tell in one cheap query whether the
schema is current (and skip importing sqlite-utils on the read path).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from bot.kb.now import utc_now

FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"


# Claims of a new note are inserted before the note row, and notes_ai indexes them in one
# statement: FTS5 flushes pending index data at statement boundaries inside triggers, so
# indexing claim by claim is ~2x slower. Claims added to an existing note index themselves.
_FTS_SCHEMA = [
    f"""
CREATE VIRTUAL TABLE claims_fts USING fts5(text, title, tags, tokenize='{FTS_TOKENIZE}');
""",
    f"""
CREATE VIRTUAL TABLE notes_fts USING fts5(title, summary, tags, tokenize='{FTS_TOKENIZE}');
""",
    """
CREATE TRIGGER claims_ai AFTER INSERT ON claims WHEN EXISTS (SELECT 1 FROM notes WHERE id = new.note_id) BEGIN
  INSERT INTO claims_fts(rowid, text, title, tags)
    SELECT new.id, coalesce(new.label || ': ', '') || new.text, n.title, n.tags_text
    FROM notes n WHERE n.id = new.note_id;
END;
""",
    """
CREATE TRIGGER claims_ad AFTER DELETE ON claims BEGIN
  DELETE FROM claims_fts WHERE rowid = old.id;
END;
""",
    """
CREATE TRIGGER claims_au AFTER UPDATE OF text, label ON claims BEGIN
  UPDATE claims_fts SET text = coalesce(new.label || ': ', '') || new.text WHERE rowid = new.id;
END;
""",
    """
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
  INSERT INTO notes_fts(rowid, title, summary, tags)
    VALUES (new.rowid, new.title, new.summary, new.tags_text);
  INSERT INTO claims_fts(rowid, text, title, tags)
    SELECT c.id, coalesce(c.label || ': ', '') || c.text, new.title, new.tags_text
    FROM claims c WHERE c.note_id = new.id;
END;
""",
    """
CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
  DELETE FROM notes_fts WHERE rowid = old.rowid;
  DELETE FROM claims WHERE note_id = old.id;
END;
""",
    """
CREATE TRIGGER notes_au AFTER UPDATE OF title, summary, tags_text ON notes BEGIN
  UPDATE notes_fts SET title = new.title, summary = new.summary, tags = new.tags_text
    WHERE rowid = new.rowid;
  UPDATE claims_fts SET title = new.title, tags = new.tags_text
    WHERE rowid IN (SELECT id FROM claims WHERE note_id = new.id)
      AND (old.title IS NOT new.title OR old.tags_text IS NOT new.tags_text);
END;
""",
]


def _initial(conn: sqlite3.Connection) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db["notes"].create(
        {
            "id": str,
            "title": str,
            "title_key": str,
            "kind": str,
            "url": str,
            "clipped": str,
            "channel": str,
            "owner": str,
            "author": str,
            "site": str,
            "published": str,
            "summary": str,
            "body": str,
            "tags_text": str,
            "source_id": str,
            "covered_by": str,
            "last_validated": str,
            "decay_rate": str,
            "decay_reason": str,
            "base_date": str,
            "due": str,
            "snoozed_until": str,
            "highlights": str,
            "quotes": str,
            "sections": str,
            "related": str,
            "extra": str,
            "flags": str,
            "content_hash": str,
            "source_path": str,
            "imported_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"title", "kind"},
    )
    db["notes"].create_index(["title_key"])
    db["notes"].create_index(["url"])
    db["notes"].create_index(["source_id"])
    conn.execute("CREATE INDEX idx_notes_due_open ON notes(due) WHERE covered_by IS NULL")
    db["claims"].create(
        {
            "id": int,
            "note_id": str,
            "position": int,
            "text": str,
            "label": str,
            "quote": str,
            "t": int,
            "page": int,
            "last_validated": str,
            "outdated": int,
            "supported": int,
        },
        pk="id",
        foreign_keys=[("note_id", "notes", "id")],
        not_null={"note_id", "position", "text"},
    )
    db["claims"].create_index(["note_id", "position"], unique=True)
    db["tags"].create({"note_id": str, "tag": str}, pk=("note_id", "tag"))
    db["tags"].create_index(["tag"])
    db["headings"].create({"note_id": str, "key": str}, pk=("note_id", "key"))
    db["headings"].create_index(["key"])
    db["links"].create({"src_id": str, "dst_id": str, "rel": str}, pk=("src_id", "dst_id", "rel"))
    db["links"].create_index(["dst_id"])
    db["mentions"].create(
        {"id": int, "note_id": str, "url": str, "channel": str, "ts": str, "user": str, "at": str},
        pk="id",
    )
    conn.execute(
        "CREATE UNIQUE INDEX idx_mentions_key ON mentions(note_id, coalesce(channel,''), "
        "coalesce(ts,''), coalesce(user,''))"
    )
    db["validations"].create(
        {"id": int, "note_id": str, "claim": int, "by": str, "at": str, "verdict": str},
        pk="id",
    )
    db["validations"].create_index(["note_id", "at"])
    db["meta"].create({"key": str, "value": str}, pk="key")

    for statement in _FTS_SCHEMA:
        conn.execute(statement)


def _ingest_queue(conn: sqlite3.Connection) -> None:
    """Durable capture jobs (one per channel, message ts and canonical URL) and seen Slack events."""
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db["jobs"].create(
        {
            "id": int,
            "key": str,  # channel|ts|canonical_url (or file id): Slack retries never make a second job
            "kind": str,  # url | file
            "url": str,
            "canonical_url": str,
            "file_id": str,
            "channel": str,
            "ts": str,
            "thread_ts": str,
            "user": str,
            "status": str,  # pending | running | done | failed
            "attempts": int,
            "next_at": str,
            "last_error": str,
            "permanent": int,
            "note_id": str,
            "reply_ts": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"key", "kind", "status"},
        defaults={"status": "pending", "attempts": 0, "permanent": 0},
    )
    db["jobs"].create_index(["key"], unique=True)
    db["jobs"].create_index(["status", "next_at"])
    db["seen_events"].create({"event_id": str, "at": str}, pk="event_id")


def _clock(conn: sqlite3.Connection) -> None:
    """The clock's memory: claimed periods (exactly-once runs), reminders sent, source checks."""
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db["clock_runs"].create(
        {"job": str, "period": str, "claimed_at": str, "claimed_by": str, "finished_at": str, "result": str},
        pk=("job", "period"),
    )
    db["reminders"].create(
        {"note_id": str, "due": str, "sent_at": str, "channel": str, "ts": str},
        pk=("note_id", "due"),
    )
    db["digest_posts"].create(
        {"period": str, "channel": str, "ts": str, "posted_at": str, "note_ids": str},
        pk=("period", "channel"),
    )
    db["source_checks"].create(
        {"id": int, "note_id": str, "checked_at": str, "status": str, "similarity": float, "detail": str},
        pk="id",
    )
    db["source_checks"].create_index(["note_id", "checked_at"])


def _due_counts(conn: sqlite3.Connection) -> None:
    """Stale notes per due date, kept by triggers: the digest's counts read ~1,000 rows instead of walking
    the due index over every stale note (30 ms at 1M notes, 600k of them stale; see bench/digest.py)."""
    conn.execute("CREATE TABLE due_counts (due TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
    conn.execute(
        "INSERT INTO due_counts(due, n) SELECT due, count(*) FROM notes"
        " WHERE covered_by IS NULL AND due IS NOT NULL GROUP BY due"
    )
    conn.execute("""
CREATE TRIGGER due_counts_ai AFTER INSERT ON notes WHEN new.covered_by IS NULL AND new.due IS NOT NULL BEGIN
  INSERT INTO due_counts(due, n) VALUES (new.due, 1) ON CONFLICT(due) DO UPDATE SET n = n + 1;
END""")
    conn.execute("""
CREATE TRIGGER due_counts_ad AFTER DELETE ON notes WHEN old.covered_by IS NULL AND old.due IS NOT NULL BEGIN
  UPDATE due_counts SET n = n - 1 WHERE due = old.due;
END""")
    conn.execute("""
CREATE TRIGGER due_counts_au AFTER UPDATE OF due, covered_by ON notes
WHEN old.due IS NOT new.due OR (old.covered_by IS NULL) != (new.covered_by IS NULL) BEGIN
  UPDATE due_counts SET n = n - 1 WHERE due = old.due AND old.covered_by IS NULL;
  INSERT INTO due_counts(due, n) SELECT new.due, 1 WHERE new.covered_by IS NULL AND new.due IS NOT NULL
    ON CONFLICT(due) DO UPDATE SET n = n + 1;
END""")


def _jobs_claimed_by(conn: sqlite3.Connection) -> None:
    """Which capture process claimed a running job: when that process dies, its job is retried at once
    instead of waiting for the next restart."""
    conn.execute("ALTER TABLE jobs ADD COLUMN claimed_by INTEGER")


def _owner_index(conn: sqlite3.Connection) -> None:
    """A user's stale notes (``/stale mine``, App Home) by owner, case-insensitively, then due date: the
    due index alone walked every stale note (1.1 s at 1M notes, 600k of them stale)."""
    conn.execute("CREATE INDEX idx_notes_owner_due ON notes(owner COLLATE NOCASE, due) WHERE covered_by IS NULL")


def _backfills(conn: sqlite3.Connection) -> None:
    """A channel's past (``deskbot backfill``, ``deskbot import-slack-export``): jobs carry the backfill they
    belong to (``batch``; NULL = posted live), so they are clipped quietly and counted per run, and each
    run's reading position (history cursor / export day file) and threads still to read survive a
    ``kill -9``. Live jobs are claimed first through their own partial index."""
    conn.execute("ALTER TABLE jobs ADD COLUMN batch TEXT")
    conn.execute("CREATE INDEX idx_jobs_live_due ON jobs(status, next_at) WHERE batch IS NULL")
    conn.execute("CREATE INDEX idx_jobs_batch_due ON jobs(batch, status, next_at) WHERE batch IS NOT NULL")
    conn.execute(
        "CREATE TABLE backfills (id TEXT PRIMARY KEY, source TEXT NOT NULL, channel TEXT NOT NULL, label TEXT,"
        " latest TEXT, cursor TEXT, position TEXT, read_done INTEGER NOT NULL DEFAULT 0, announced_ts TEXT,"
        " messages INTEGER NOT NULL DEFAULT 0, links INTEGER NOT NULL DEFAULT 0,"
        " started_at TEXT NOT NULL, updated_at TEXT NOT NULL, finished_at TEXT)"
    )
    conn.execute(
        "CREATE TABLE backfill_threads (backfill TEXT NOT NULL, thread_ts TEXT NOT NULL, cursor TEXT,"
        " done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (backfill, thread_ts)) WITHOUT ROWID"
    )


def _notes_browse_view(conn: sqlite3.Connection) -> None:
    """One row per work (a clip covered by its summary is left out) with what ``deskbot web`` facets on:
    tags as a JSON array (Datasette's array facet), freshness against SQLite's clock (``decay.freshness``:
    stale from the due date on, due soon within 7 days before it), and the channel/owner of the source.
    The partial index finds the newest clips in a few rows even when most notes were imported unclipped
    (walking rowids backwards read all 100k notes of bench/kb.py's store: 66 ms)."""
    conn.execute("""
CREATE VIEW notes_browse AS
SELECT n.id, n.title, n.kind,
  (SELECT json_group_array(t.tag) FROM tags t WHERE t.note_id = n.id) AS tags,
  n.decay_rate,
  CASE WHEN n.due IS NULL OR n.due > date('now', '+7 days') THEN 'fresh'
       WHEN n.due > date('now') THEN 'due soon' ELSE 'stale' END AS freshness,
  coalesce(n.owner, src.owner) AS owner, coalesce(n.channel, src.channel) AS channel,
  coalesce(n.clipped, src.clipped) AS clipped, n.due, n.last_validated, coalesce(n.url, src.url) AS url
FROM notes n LEFT JOIN notes src ON src.id = n.source_id
WHERE n.covered_by IS NULL""")
    conn.execute("CREATE INDEX idx_notes_recent_clips ON notes(clipped)"
                 " WHERE clipped IS NOT NULL AND covered_by IS NULL")


def _decay_labels(conn: sqlite3.Connection) -> None:
    """The team's decay decisions as labels (one per note, the latest wins): every *Change decay* click and
    ``deskbot validate --decay``. Keyed by site and channel so a capture can ask "what did this channel set
    for earlier notes from this site?" with one indexed lookup; ``suggested`` is what deskbot had proposed,
    so ``deskbot decay-stats`` can tell how often the suggestion was accepted."""
    conn.execute(
        "CREATE TABLE decay_labels (note_id TEXT PRIMARY KEY, channel TEXT, site TEXT, tags_text TEXT,"
        " suggested TEXT, chosen TEXT NOT NULL, by TEXT, at TEXT NOT NULL, source TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX idx_decay_labels_site ON decay_labels(site, channel)")


def _paper_updates(conn: sqlite3.Connection) -> None:
    """Papers: what the scholarly APIs said about a clipped work (retraction, expression of concern, correction,
    newer or published version), each announced at most once per place (thread, owner's DM, digest); when each
    paper note was last checked; and a per-claim flag that follows a retraction even when the note is re-imported."""
    conn.execute("""
CREATE TABLE paper_updates (
  id INTEGER PRIMARY KEY, note_id TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL DEFAULT '',
  on_date TEXT, source TEXT, label TEXT, found_at TEXT NOT NULL,
  thread_state TEXT, thread_ts TEXT, dm_state TEXT, dm_ts TEXT, digest_period TEXT,
  UNIQUE(note_id, kind, ref))""")
    conn.execute("CREATE INDEX idx_paper_updates_thread ON paper_updates(thread_state)")
    conn.execute("CREATE TABLE paper_checks (note_id TEXT PRIMARY KEY, checked_at TEXT NOT NULL, result TEXT)")
    conn.execute("ALTER TABLE claims ADD COLUMN flag TEXT")
    conn.execute("""
CREATE TRIGGER claims_paper_flag AFTER INSERT ON claims
WHEN EXISTS (SELECT 1 FROM paper_updates WHERE note_id = new.note_id
             AND kind IN ('retraction', 'expression_of_concern')) BEGIN
  UPDATE claims SET flag = CASE WHEN EXISTS (SELECT 1 FROM paper_updates WHERE note_id = new.note_id
    AND kind = 'retraction') THEN 'retracted' ELSE 'expression-of-concern' END WHERE id = new.id;
END""")


def _echoes(conn: sqlite3.Connection) -> None:
    """Claims across sources (issue 17): echoes stored both ways with score and method, the index's
    per-column vocabulary (document counts for rare-term candidates), learned aliases, and echoes of
    outdated claims awaiting review. Echoes go with their claims (a re-import rewrites a note's claims)."""
    conn.execute(
        "CREATE TABLE echoes (claim_id INTEGER NOT NULL, other_id INTEGER NOT NULL, score REAL NOT NULL,"
        " method TEXT NOT NULL, PRIMARY KEY (claim_id, other_id)) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX idx_echoes_other ON echoes(other_id)")
    conn.execute("""
CREATE TRIGGER echoes_claims_ad AFTER DELETE ON claims BEGIN
  DELETE FROM echoes WHERE claim_id = old.id;
  DELETE FROM echoes WHERE other_id = old.id;
END""")
    conn.execute("CREATE VIRTUAL TABLE claims_vocab USING fts5vocab(claims_fts, 'col')")
    conn.execute(
        "CREATE TABLE aliases (short TEXT NOT NULL, long TEXT NOT NULL, long_key TEXT NOT NULL,"
        " origin TEXT NOT NULL, note_id TEXT, removed INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (short, long_key)) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX idx_aliases_long ON aliases(long_key)")
    conn.execute(
        "CREATE TABLE echo_reviews (note_id TEXT NOT NULL, position INTEGER NOT NULL,"
        " outdated_note_id TEXT NOT NULL, outdated_position INTEGER NOT NULL, flagged_at TEXT NOT NULL,"
        " resolved_at TEXT, PRIMARY KEY (note_id, position, outdated_note_id, outdated_position)) WITHOUT ROWID"
    )


def _claim_due(conn: sqlite3.Connection) -> None:
    """A claim's own due date (a price, version, ranking or "as of" ages faster than its note, issue 19), kept
    on the claim and, as the earliest of them, on its note with its lead over the note's own due date
    (``claim_lead`` days). "Due before its note" is ``claim_due <= today < claim_due + claim_lead``: for each
    lead that range is exact in ``(claim_lead, claim_due)``, so the digest walks only the claims it reports, not
    every past claim date of notes already stale. Filled by ``Store`` on its next open (the meta key is dropped
    so the decay table is re-applied), since the dates need the rate table."""
    conn.execute("ALTER TABLE claims ADD COLUMN due TEXT")
    conn.execute("ALTER TABLE claims ADD COLUMN due_why TEXT")
    conn.execute("ALTER TABLE notes ADD COLUMN claim_due TEXT")
    conn.execute("ALTER TABLE notes ADD COLUMN claim_lead INTEGER")
    conn.execute("CREATE INDEX idx_notes_claim_lead ON notes(claim_lead, claim_due, id)"  # id: covering for the
                 " WHERE covered_by IS NULL AND claim_due IS NOT NULL")  # reminder sweep (5.1 -> 1.4 ms at 1M)
    conn.execute("DELETE FROM meta WHERE key = 'decay_table'")


def _owner_claim_due(conn: sqlite3.Connection) -> None:
    """A user's notes due for a claim (``/stale mine``, App Home): by owner, case-insensitively, then the
    earliest claim due date, carrying the note's own due date and id so the check "the note is still fresh"
    needs no table row. ``idx_notes_owner_due`` walked every note of the owner (5.8 ms at 1M notes)."""
    conn.execute("CREATE INDEX idx_notes_owner_claim_due ON notes(owner COLLATE NOCASE, claim_due, due, id)"
                 " WHERE covered_by IS NULL AND claim_due IS NOT NULL")


def _echo_verdicts(conn: sqlite3.Connection) -> None:
    """A model's verdict on a borderline echo (issue 17): one row per pair (``claim_id < other_id``), so
    ``relink`` neither restores a rejected link nor replaces a confirmed one, and a pair is never asked
    twice. Verdicts go with their claims, like echoes."""
    conn.execute(
        "CREATE TABLE echo_verdicts (claim_id INTEGER NOT NULL, other_id INTEGER NOT NULL, same INTEGER NOT NULL,"
        " method TEXT NOT NULL, PRIMARY KEY (claim_id, other_id)) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX idx_echo_verdicts_other ON echo_verdicts(other_id)")
    conn.execute("""
CREATE TRIGGER echo_verdicts_claims_ad AFTER DELETE ON claims BEGIN
  DELETE FROM echo_verdicts WHERE claim_id = old.id;
  DELETE FROM echo_verdicts WHERE other_id = old.id;
END""")


def _reclips(conn: sqlite3.Connection) -> None:
    """Re-clipping a paper's newer version (issue 18): the job that re-clips names the note it supersedes; the
    finding (a ``paper_updates`` row) records the note that answered it; and the claims of a superseded note
    carry the flag ``superseded`` even after a re-import (unless a retraction's flag is already there). Newer
    versions found before this upgrade are not DMed to their owners now (they were offered in the thread)."""
    conn.execute("ALTER TABLE jobs ADD COLUMN supersedes TEXT")
    conn.execute("ALTER TABLE paper_updates ADD COLUMN reclip_note_id TEXT")
    # newer versions are now offered in the owner's DM too: not for those found before this upgrade
    conn.execute("UPDATE paper_updates SET dm_state = 'skipped' WHERE dm_state IS NULL"
                 " AND kind IN ('new_version', 'published_version')")
    conn.execute("""
CREATE TRIGGER claims_superseded_flag AFTER INSERT ON claims
WHEN EXISTS (SELECT 1 FROM paper_updates WHERE note_id = new.note_id AND reclip_note_id IS NOT NULL) BEGIN
  UPDATE claims SET flag = 'superseded' WHERE id = new.id AND flag IS NULL;
END""")


def _claim_changes(conn: sqlite3.Connection) -> None:
    """Every change of a claim's indexed text, in order: ``sign`` 1 for a text that came (insert, the new side
    of a rewrite), -1 for one that went (delete, the old side). A process that keeps term counts of this base
    (``bot.kb.echoes.Weights``) moves exactly the counts those texts reach, whichever process made the
    change. ``stamp`` tells a row from one that reused its number after a rollback. Pruned to the last
    ``echoes.CHANGES_KEPT`` rows."""
    conn.execute("CREATE TABLE claim_changes (seq INTEGER PRIMARY KEY, stamp INTEGER NOT NULL DEFAULT (random()),"
                 " sign INTEGER NOT NULL, text TEXT NOT NULL)")
    text = "coalesce({row}.label || ': ', '') || coalesce({row}.text, '')"  # what claims_fts indexes
    went = f"INSERT INTO claim_changes(sign, text) VALUES (-1, {text.format(row='old')});"
    came = f"INSERT INTO claim_changes(sign, text) VALUES (1, {text.format(row='new')});"
    conn.execute(f"CREATE TRIGGER claim_changes_ai AFTER INSERT ON claims BEGIN {came} END")
    conn.execute(f"CREATE TRIGGER claim_changes_ad AFTER DELETE ON claims BEGIN {went} END")
    conn.execute(f"CREATE TRIGGER claim_changes_au AFTER UPDATE OF text, label ON claims BEGIN {went} {came} END")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("001_initial_notes_claims_fts", _initial),
    ("002_ingest_queue_and_seen_events", _ingest_queue),
    ("003_clock_runs_reminders_digests_checks", _clock),
    ("005_due_counts_for_the_digest", _due_counts),
    ("006_jobs_claimed_by", _jobs_claimed_by),
    ("007_notes_owner_due_index", _owner_index),
    ("012_backfills_and_quiet_jobs", _backfills),
    ("013_notes_browse_view", _notes_browse_view),
    ("014_echoes_aliases_reviews", _echoes),
    ("015_paper_updates_and_checks", _paper_updates),
    ("016_decay_labels", _decay_labels),
    ("017_claim_due_dates", _claim_due),
    ("018_notes_owner_claim_due_index", _owner_claim_due),
    ("019_echo_verdicts", _echo_verdicts),
    ("020_paper_reclips", _reclips),
    ("021_claim_changes", _claim_changes),
]


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations; safe when two processes race (the loser sees them applied)."""
    if current_version(conn) >= len(MIGRATIONS):
        return []
    applied: list[str] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
        for name, step in MIGRATIONS:
            if name in done:
                continue
            step(conn)
            conn.execute(
                "INSERT INTO _migrations(name, applied_at) VALUES (?, ?)",
                (name, utc_now().isoformat(timespec="seconds")),
            )
            applied.append(name)
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied
