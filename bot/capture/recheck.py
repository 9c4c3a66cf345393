"""Source re-check: is the page a note was clipped from still there, and does it still say the same thing?

Run before a note is reminded or digested, so the owner sees "source changed (41%)" or "source gone"
next to the note. It never holds a digest up: at most ``max_notes`` notes and ``budget`` seconds per run,
fetched concurrently by a small thread pool through the SSRF-safe fetcher; whatever is not done in time
is simply not reported this run.

Similarity is *containment*: the share of the clipped text's 5-word shingles still found in the page.
Not Jaccard, because clips are often partial (the seed clip is truncated) and pages grow sidebars and
comments; containment stays high for both and drops when the clipped sentences are edited or removed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.capture.fetch import Allowlist, Fetched
    from bot.kb.store import Store

UNCHANGED, CHANGED, GONE, UNREACHABLE, REACHABLE = "unchanged", "changed", "gone", "unreachable", "reachable"
UNCHANGED_AT = 0.8  # containment at or above this reads as "unchanged" (extractors differ a little)
SHINGLE = 5
MAX_NOTES = 20
BUDGET_SECONDS = 20.0
FETCH_DEADLINE = 10.0
WORKERS = 4
RECHECK_AFTER = timedelta(days=6)  # a check younger than this is reused (the daily sweep, then the digest)

_WORD = re.compile(r"\w+", re.UNICODE)

Fetcher = Callable[..., "Fetched"]


@dataclass(frozen=True)
class SourceCheck:
    """One re-check of a note's source. ``similarity`` is 0..1 when text was compared."""

    note_id: str
    status: str
    similarity: float | None
    detail: str
    checked_at: datetime

    @property
    def label(self) -> str:
        """Short human text: 'source unchanged (97% similar)', 'source gone (HTTP 404)'."""
        if self.status in (UNCHANGED, CHANGED) and self.similarity is not None:
            return f"source {self.status} ({round(self.similarity * 100)}% similar)"
        if self.status == REACHABLE:
            return "source reachable"
        return f"source {self.status}" + (f" ({self.detail})" if self.detail else "")


def shingles(text: str, size: int = SHINGLE) -> set[tuple[str, ...]]:
    """Normalised word n-grams (case and punctuation ignored); short texts give one shorter shingle."""
    words = [w.casefold() for w in _WORD.findall(text or "")]
    if len(words) <= size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def similarity(clipped: str, current: str) -> float:
    """Share of the clipped text's shingles still present in the current text (1.0 = all of it)."""
    before = shingles(clipped)
    if not before:
        return 1.0 if not shingles(current) else 0.0
    return len(before & shingles(current)) / len(before)


def classify(clipped: str, current: str) -> tuple[str, float]:
    """unchanged / changed with the similarity figure."""
    score = similarity(clipped, current)
    return (UNCHANGED if score >= UNCHANGED_AT else CHANGED), score


def page_text(fetched: Fetched) -> str:
    """The readable text of a fetched page, extracted the way captures are (so clip and page compare)."""
    from bot.capture.extract import extract_article, extract_text_file, plain_text

    if fetched.content_type in ("text/plain", "text/markdown", "text/x-markdown"):
        return plain_text(extract_text_file(fetched.body, fetched.url, content_type_charset=fetched.charset).text)
    if fetched.content_type == "application/pdf":
        from bot.capture.pdf import extract_pdf

        return plain_text(extract_pdf(fetched.body, fetched.url).text)
    return plain_text(extract_article(fetched.body, fetched.url, content_type_charset=fetched.charset).text)


@dataclass(frozen=True)
class Target:
    """What one re-check needs: the URL and the clipped text (empty: only reachability is checked)."""

    note_id: str
    url: str
    clipped: str


def check_one(target: Target, fetcher: Fetcher, *, deadline: float, now: datetime) -> SourceCheck:
    """Fetch one source and compare; every failure becomes a status, never an exception."""
    from bot.capture.budget import BudgetExceeded
    from bot.capture.extract import plain_text
    from bot.capture.fetch import FetchError, FetchTimeout, HTTPStatusError
    from bot.capture.pipeline import CaptureOptions, within_budget

    try:
        fetched = fetcher(target.url, deadline=deadline)
    except HTTPStatusError as exc:
        status = GONE if exc.status in (404, 410) else UNREACHABLE
        return SourceCheck(target.note_id, status, None, f"HTTP {exc.status}", now)
    except FetchTimeout:
        return SourceCheck(target.note_id, UNREACHABLE, None, f"timed out after {deadline:g} s", now)
    except FetchError as exc:
        return SourceCheck(target.note_id, UNREACHABLE, None, str(exc)[:200], now)
    clipped = plain_text(target.clipped) if target.clipped.strip() else ""
    if not clipped:
        return SourceCheck(target.note_id, REACHABLE, None, "", now)
    try:  # within a capture's budget, as when it was clipped: the page may have turned hostile since
        current = within_budget(CaptureOptions(), lambda: page_text(fetched)).value
    except BudgetExceeded as exc:
        return SourceCheck(target.note_id, CHANGED, 0.0, f"page could not be read: {exc.user_text()}", now)
    except Exception as exc:  # noqa: BLE001 - an unreadable page is a result to show, not a crash
        return SourceCheck(target.note_id, CHANGED, 0.0, f"page could not be read: {type(exc).__name__}", now)
    status, score = classify(clipped, current)
    return SourceCheck(target.note_id, status, round(score, 3), "", now)


def targets(store: Store, note_ids: Iterable[str]) -> list[Target]:
    """URL and clipped text per note; a summary note uses its source clip's. Notes without a URL are skipped;
    videos are checked for reachability only (a watch page is not its transcript)."""
    ids = list(dict.fromkeys(note_ids))
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(
        "SELECT n.id, coalesce(n.url, src.url), coalesce(nullif(n.body, ''), src.body, ''),"
        " coalesce(src.kind, n.kind) FROM notes n LEFT JOIN notes src ON src.id = n.source_id"
        f" WHERE n.id IN ({marks})",
        ids,
    ).fetchall()
    found = {r[0]: Target(r[0], r[1], "" if r[3] == "video" else r[2] or "") for r in rows if r[1]}
    return [found[i] for i in ids if i in found]


def latest_checks(store: Store, note_ids: Iterable[str]) -> dict[str, SourceCheck]:
    """The most recent stored check per note."""
    ids = list(dict.fromkeys(note_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(
        "SELECT note_id, status, similarity, coalesce(detail, ''), checked_at FROM source_checks s"
        f" WHERE note_id IN ({marks}) AND checked_at = (SELECT max(checked_at) FROM source_checks"
        " WHERE note_id = s.note_id) ORDER BY id",
        ids,
    ).fetchall()
    return {r[0]: SourceCheck(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4])) for r in rows}


def recheck(
    store: Store,
    note_ids: Iterable[str],
    *,
    now: datetime,
    fetcher: Fetcher,
    max_notes: int = MAX_NOTES,
    budget: float = BUDGET_SECONDS,
    fetch_deadline: float = FETCH_DEADLINE,
    workers: int = WORKERS,
    reuse_after: timedelta | None = RECHECK_AFTER,
) -> dict[str, SourceCheck]:
    """Re-check up to ``max_notes`` sources within ``budget`` seconds; store and return the new results.

    Checks younger than ``reuse_after`` are not redone. Fetches still running when the budget ends are
    abandoned (each was given a deadline that ends with the budget, so the pool drains by itself).
    """
    wanted = targets(store, note_ids)
    if reuse_after is not None:
        recent = latest_checks(store, [t.note_id for t in wanted])
        wanted = [t for t in wanted if t.note_id not in recent or now - recent[t.note_id].checked_at >= reuse_after]
    wanted = wanted[:max_notes]
    if not wanted:
        return {}
    limit = time.monotonic() + budget

    def run(target: Target) -> SourceCheck | None:
        remaining = limit - time.monotonic()
        if remaining <= 0:
            return None
        return check_one(target, fetcher, deadline=min(fetch_deadline, remaining), now=now)

    results: dict[str, SourceCheck] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted))), thread_name_prefix="recheck")
    try:
        pending: set[Future[SourceCheck | None]] = {pool.submit(run, t) for t in wanted}
        while pending:
            remaining = limit - time.monotonic()
            if remaining <= 0:
                break
            done, pending = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
            for future in done:
                check = future.result()
                if check is not None:
                    results[check.note_id] = check
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    save_checks(store, results.values())
    return results


def save_checks(store: Store, checks: Iterable[SourceCheck]) -> None:
    rows = [(c.note_id, c.checked_at.isoformat(), c.status, c.similarity, c.detail) for c in checks]
    if not rows:
        return
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO source_checks(note_id, checked_at, status, similarity, detail) VALUES (?,?,?,?,?)", rows
        )


def default_fetcher(allow: Allowlist | None) -> Fetcher:
    """The SSRF-safe fetcher with the settings' allow list (``DESKBOT_FETCH_ALLOW``)."""
    from bot.capture.fetch import fetch

    def fetcher(url: str, **kwargs: Any) -> Fetched:
        return fetch(url, allow=allow, **kwargs)

    return fetcher

