"""What the clock does: the daily reminder sweep and the weekly digest, each exactly once per period.

Exactly once: before anything visible, a run claims ``(job, period)`` in ``clock_runs`` inside
``BEGIN IMMEDIATE``; a second clock, a restart or an overlapping catch-up finds the row and stops. If the
Slack call fails without posting, the claim is released so the hourly catch-up retries; if it may have
posted (the connection broke, a 5xx) — or the process died between claim and record — the claim is kept
and the next run looks for the post by its message metadata before posting (``bot.slack.post_once``).
Reminders are claimed per ``(note_id, due)`` as well, so a note is reminded once per due date however
its due date moves (snooze, validation, decay change); a DM that may have gone out is settled by
reading the DM at the next sweep.

Every function takes ``now`` (an aware datetime); nothing here reads the wall clock.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from bot.clock import digest as dg
from bot.clock.periods import DIGEST, REMINDERS, Due, digest_period, due_digest_periods, due_reminder_periods
from bot.config import parse_tz
from bot.kb.dblock import process_alive
from bot.kb.now import utc_now
from bot.slack.post_once import Unreadable, channel_id, find_post, may_have_posted, tagged
from bot.slack.runtime import is_slack_user

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.capture.recheck import Fetcher, SourceCheck
    from bot.config import Settings
    from bot.kb.store import Store

log = logging.getLogger(__name__)

FIRST_START_KEY = "clock_first_start"
DIGEST_EVENT = "deskbot_digest"  # message metadata on a digest: {"period", "notes"}
REMINDER_EVENT = "deskbot_reminder"  # message metadata on a reminder DM: {"notes": ["<id>@<due>", ...]}
UNCERTAIN = "uncertain"  # clock_runs.result of a claim whose post may have happened
SWEEP_CANDIDATES = 500  # due notes looked at per sweep; the rest wait for the next sweep


def aware(when: datetime) -> datetime:
    """Naive datetimes are UTC here (the Slack app's clock returns naive UTC); never the host's local time."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@functools.cache
def _process_token() -> str:
    return secrets.token_hex(4)


def _instance() -> str:
    """``host:pid:token``: the token tells this process from an earlier one that had the same pid (a
    restarted container), whose unfinished claims are to be checked, not waited for."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_token()}"


def _claimer_alive(claimed_by: str | None, me: str) -> bool:
    """Whether the clock that claimed a period may still be at work on it. Unknown shapes and other hosts
    count as alive (never take over a live run); a dead pid on this host, or our pid with another token,
    does not."""
    if not claimed_by or claimed_by == me:
        return bool(claimed_by)
    parts = claimed_by.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return True
    pid = int(parts[1])
    return pid != os.getpid() and process_alive(pid)


@dataclass
class ClockDeps:
    """What the clock's jobs need. ``client`` is a ``slack_sdk.WebClient`` (from ``bot.slack.runtime.build_client``).

    ``fetcher`` defaults to the SSRF-safe fetcher with ``DESKBOT_FETCH_ALLOW``; ``recheck=False`` skips
    source re-checks (stored results are still shown). ``now`` is the injected clock.
    """

    store: Store
    client: WebClient | None = None
    fetcher: Fetcher | None = None
    now: Callable[[], datetime] = utc_now
    instance: str = field(default_factory=_instance)
    recheck: bool = True
    recheck_max: int = 20
    recheck_budget: float = 20.0
    fetch_deadline: float = 10.0
    papers: Any = None  # bot.capture.papers.apis.PaperAPIs; None: built from settings


@dataclass(frozen=True)
class Outcome:
    """What one run did: ``posted``, ``empty`` (nothing to say), ``already`` (claimed elsewhere) or ``skipped``."""

    job: str
    period: str | None
    status: str
    detail: str = ""
    channel: str | None = None
    ts: str | None = None
    note_ids: tuple[str, ...] = ()


def clock_deps(deps: Any) -> ClockDeps:
    """``ClockDeps`` as is, or built from the Slack app's ``Deps`` (``store``, ``client``, ``clock``), which is
    what ``deskbot serve`` / ``deskbot run`` hand to ``build_scheduler``."""
    if isinstance(deps, ClockDeps):
        return deps
    clock = getattr(deps, "clock", None) or utc_now
    return ClockDeps(store=deps.store, client=getattr(deps, "client", None), now=lambda: aware(clock()))


# --------------------------------------------------------------------------- claims


def ensure_first_start(store: Store, now: datetime) -> datetime:
    """When a clock first ran on this database (recorded once): nothing scheduled before it is ever run."""
    with store.write() as conn:
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (FIRST_START_KEY, now.isoformat()))
        value = conn.execute("SELECT value FROM meta WHERE key = ?", (FIRST_START_KEY,)).fetchone()[0]
    return datetime.fromisoformat(value)


def claim(store: Store, job: str, period: str, *, now: datetime, by: str) -> bool:
    """Take ``(job, period)``; False if any clock already has. One BEGIN IMMEDIATE, so two racing clocks
    are serialised by SQLite and exactly one INSERT wins."""
    with store.write() as conn:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO clock_runs(job, period, claimed_at, claimed_by) VALUES (?, ?, ?, ?)",
            (job, period, now.isoformat(), by),
        )
        return cursor.rowcount == 1


def finish(store: Store, job: str, period: str, *, now: datetime, result: str) -> None:
    with store.write() as conn:
        conn.execute(
            "UPDATE clock_runs SET finished_at = ?, result = ? WHERE job = ? AND period = ?",
            (now.isoformat(), result, job, period),
        )


def release(store: Store, job: str, period: str) -> None:
    """Give a claimed period back after a run that posted nothing, so the next catch-up can retry it."""
    with store.write() as conn:
        conn.execute("DELETE FROM clock_runs WHERE job = ? AND period = ? AND finished_at IS NULL", (job, period))


def mark_uncertain(store: Store, job: str, period: str, why: str) -> None:
    """Keep the claim of a run whose post may have happened (connection lost, 5xx): the next catch-up
    takes it over and looks for the post before posting (:func:`take_over`)."""
    with store.write() as conn:
        conn.execute("UPDATE clock_runs SET result = ? WHERE job = ? AND period = ? AND finished_at IS NULL",
                     (f"{UNCERTAIN}: {why}"[:300], job, period))


def take_over(store: Store, job: str, period: str, *, by: str) -> bool:
    """Take an unfinished claim whose run may have posted — marked uncertain, or left by a clock that
    died between claiming and recording — so this run checks Slack first. False while the claimer may
    still be at work, or when the period is finished."""
    with store.write() as conn:
        row = conn.execute("SELECT claimed_by, finished_at, result FROM clock_runs WHERE job = ? AND period = ?",
                           (job, period)).fetchone()
        if row is None or row[1] is not None:
            return False
        claimed_by, _finished, result = row
        if not str(result or "").startswith(UNCERTAIN) and _claimer_alive(claimed_by, by):
            return False
        cursor = conn.execute(
            "UPDATE clock_runs SET claimed_by = ?, result = NULL WHERE job = ? AND period = ? AND finished_at IS NULL"
            " AND claimed_by IS ? AND result IS ?", (by, job, period, claimed_by, result))
        return cursor.rowcount == 1


# --------------------------------------------------------------------------- the digest


def _recheck(deps: ClockDeps, settings: Settings, note_ids: Sequence[str], now: datetime) -> dict[str, SourceCheck]:
    """Bounded source re-check; a failure here never stops a digest or a reminder."""
    if not deps.recheck or not note_ids:
        return {}
    from bot.capture.recheck import default_fetcher, recheck

    check_papers(deps, settings, now, list(note_ids))  # papers: retractions and new versions too

    try:
        fetcher = deps.fetcher
        if fetcher is None:
            from bot.capture.fetch import Allowlist

            fetcher = default_fetcher(Allowlist.from_env(settings.fetch_allow))
        return recheck(deps.store, note_ids, now=now, fetcher=fetcher, max_notes=deps.recheck_max,
                       budget=deps.recheck_budget, fetch_deadline=deps.fetch_deadline)
    except Exception:  # noqa: BLE001 - the digest goes out with the results it has
        log.exception("source re-check failed")
        return {}


def _papers(deps: ClockDeps, settings: Settings) -> Any:
    if deps.papers is None:
        from bot.capture.fetch import Allowlist
        from bot.capture.papers.apis import PaperAPIs

        deps.papers = PaperAPIs.from_settings(settings, allow=Allowlist.from_env(settings.fetch_allow))
    return deps.papers


def check_papers(deps: ClockDeps, settings: Settings, now: datetime, note_ids: Sequence[str] | None = None) -> Any:
    """Ask the scholarly APIs about paper notes (``None``: all of them, the weekly sweep), then announce what
    is new in the threads and owners' DMs. A failure here never stops the digest or the reminders."""
    from bot.capture.papers.status import check
    from bot.clock.paper_alerts import announce

    try:
        result = check(deps.store, note_ids, _papers(deps, settings), now)
        if deps.client is not None:
            announce(deps.store, deps.client, now)
        if note_ids is None:
            log.info("paper sweep: %d notes, %d requests, %d new findings in %.1f s%s", result.checked,
                     result.requests, len(result.found), result.seconds,
                     f"; errors: {'; '.join(result.errors[:3])}" if result.errors else "")
        return result
    except Exception:  # noqa: BLE001
        log.exception("paper re-check failed")
        return None


def build_digest(
    deps: ClockDeps, settings: Settings, now: datetime, *, period: str | None, late: bool = False,
    recheck: bool = True,
) -> dg.Digest:
    """The digest for ``now`` (local date in DESKBOT_TZ), after re-checking the sources it will show."""
    today = now.astimezone(parse_tz(settings.tz)).date()
    ids = dg.digest_note_ids(deps.store, today)
    checks = _recheck(deps, settings, ids, now) if recheck else {}
    if recheck and deps.recheck:
        check_papers(deps, settings, now)  # the weekly sweep of every paper note, before the digest says anything
    from dataclasses import replace

    from bot.clock.paper_alerts import digest_alerts

    digest = dg.collect_digest(deps.store, today, period=period, channel=settings.digest_channel, note_ids=ids,
                               checks=checks, late=late)
    return replace(digest, alerts=tuple(digest_alerts(deps.store, period)))


def post_digest(deps: ClockDeps, settings: Settings, digest: dg.Digest, *, now: datetime,
                look_first: bool = False) -> Outcome:
    """Post (or, with DESKBOT_DIGEST_EMPTY=skip and nothing stale, don't) and record it in digest_posts.
    The post carries its period as message metadata; ``look_first`` (a run that may have posted before)
    reads the channel for it first and records the earlier post instead of posting again."""
    if digest.total == 0 and not digest.alerts and not digest.echo_reviews and not digest.due_claims \
            and settings.digest_empty == "skip":
        return Outcome(DIGEST, digest.period, "empty", "nothing stale; DESKBOT_DIGEST_EMPTY=skip")
    if deps.client is None or not settings.digest_channel:
        raise ValueError("posting a digest needs a Slack client and DESKBOT_DIGEST_CHANNEL")
    ids = tuple(i.row.id for i in digest.items)
    detail = f"{len(ids)} of {digest.total} stale notes shown"
    earlier = None
    if look_first:  # Unreadable propagates: the claim stays uncertain, nothing is posted blindly
        where = channel_id(deps.client, settings.digest_channel)
        earlier = find_post(deps.client, where, DIGEST_EVENT,
                            lambda payload, _message: payload.get("period") == digest.period)
    if earlier is not None:
        channel, ts = where, str(earlier["ts"])
        shown = (tagged(earlier, DIGEST_EVENT) or {}).get("notes")
        ids = tuple(str(i) for i in shown) if isinstance(shown, list) else ids
        detail = "posted before the connection broke (found by its metadata; not posted again)"
        log.info("digest %s was already posted (ts %s); recording it", digest.period, ts)
    else:
        from bot.clock.paper_alerts import mark_in_digest, unmark_in_digest

        payload = dg.digest_message(digest)
        label = digest.period or f"manual:{now.isoformat()}"
        mark_in_digest(deps.store, list(digest.alerts), label)  # claimed before posting, like the period itself
        try:
            response = deps.client.chat_postMessage(
                channel=settings.digest_channel, unfurl_links=False, unfurl_media=False,
                metadata={"event_type": DIGEST_EVENT, "event_payload": {"period": digest.period, "notes": list(ids)}},
                **payload)
        except BaseException as exc:
            if not may_have_posted(exc):  # surely not posted: the alerts go in the next digest
                unmark_in_digest(deps.store, list(digest.alerts), label)
            raise
        channel, ts = response["channel"], response["ts"]
    try:
        with deps.store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO digest_posts(period, channel, ts, posted_at, note_ids) VALUES (?,?,?,?,?)",
                (digest.period or f"manual:{now.isoformat()}", channel, ts, now.isoformat(), json.dumps(ids)),
            )
    except Exception:  # noqa: BLE001 - it is posted: failing now would release the claim and post it twice
        log.exception("digest %s posted (ts %s) but not recorded in digest_posts", digest.period, ts)
        detail += "; not recorded in digest_posts"
    return Outcome(DIGEST, digest.period, "posted", detail, channel, ts, ids)


def run_digest(deps: ClockDeps, settings: Settings, now: datetime, *, period: str | None = None,
               late: bool = False, force: bool = False) -> Outcome:
    """Claim this week's digest period, re-check sources, post, record. ``force`` posts without claiming."""
    now = aware(now)
    period = period or digest_period(now, settings)
    if not settings.digest_channel:
        log.warning("no DESKBOT_DIGEST_CHANNEL (or DESKBOT_CHANNELS): the weekly digest is not posted")
        if deps.recheck:
            check_papers(deps, settings, now)  # the paper sweep and its thread/DM alerts still run weekly
        return Outcome(DIGEST, period, "skipped", "no digest channel")
    if period is None:
        return Outcome(DIGEST, None, "skipped", "no digest period yet")
    look_first = False
    if not force and not claim(deps.store, DIGEST, period, now=now, by=deps.instance):
        look_first = take_over(deps.store, DIGEST, period, by=deps.instance)
        if not look_first:
            return Outcome(DIGEST, period, "already", "claimed by another run")
    label = f"{period}+manual:{now.isoformat(timespec='seconds')}" if force else period
    try:
        outcome = post_digest(deps, settings, build_digest(deps, settings, now, period=label, late=late), now=now,
                              look_first=look_first)
    except BaseException as exc:
        if not force and (look_first or may_have_posted(exc) or isinstance(exc, Unreadable)):
            mark_uncertain(deps.store, DIGEST, period, f"{type(exc).__name__}: {exc}")
            log.warning("digest %s may have been posted (%s); the next catch-up looks for it before posting",
                        period, type(exc).__name__)
        elif not force:
            release(deps.store, DIGEST, period)
        raise
    if not force:
        finish(deps.store, DIGEST, period, now=now, result=f"{outcome.status}: {outcome.detail}".strip(": "))
    log.info("digest %s %s (%s)", period, outcome.status, outcome.detail)
    return outcome


# --------------------------------------------------------------------------- reminders


def due_for_reminder(store: Store, today: str, since: str, limit: int = SWEEP_CANDIDATES) -> list[str]:
    """Notes due by ``today`` (and not before ``since``) with no reminder yet for their current due date, and
    notes still fresh whose earliest own claim due date (``claim_due``, migration 017) came in that window
    with no reminder for it: a claim due before its note is reminded once, under its own date."""
    rows = store.conn.execute(
        "SELECT n.id, n.due FROM notes n WHERE n.covered_by IS NULL AND n.due <= ? AND n.due >= ?"
        " AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.note_id = n.id AND r.due = n.due)"
        " ORDER BY n.due, n.id LIMIT ?",
        (today, since, limit),
    ).fetchall()
    early = store.claims_due_unreminded(date.fromisoformat(today), since, limit)
    return [r[0] for r in sorted([*rows, *early], key=lambda r: (r[1], r[0]))[:limit]]


def plan_reminders(items: Sequence[dg.Item], fallback: str | None) -> list[dg.ReminderBatch]:
    """One batch per recipient (the owner; notes without a Slack owner go to ``fallback``), ≤ 5 notes each."""
    batches: dict[tuple[str, bool], dg.ReminderBatch] = {}
    for item in items:
        if is_slack_user(item.owner):
            key, fallback_for = (item.owner or "", False), None
        elif fallback:
            key, fallback_for = (fallback, True), item.owner or "no owner"
        else:
            continue
        batch = batches.setdefault(key, dg.ReminderBatch(recipient=key[0], fallback_for=fallback_for))
        if len(batch.items) < dg.REMINDER_NOTES_PER_DM:
            batch.items.append(item)
        else:
            batch.more += 1
    return list(batches.values())


def _claim_reminders(store: Store, items: Sequence[dg.Item], recipient: str) -> list[dg.Item]:
    """Claim each note's reminder for its due date, naming the recipient before posting: a row with a
    channel and no ``sent_at`` is a DM that may have gone out (:func:`settle_reminders` finds out)."""
    with store.write() as conn:
        taken = []
        for item in items:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO reminders(note_id, due, sent_at, channel) VALUES (?, ?, NULL, ?)",
                (item.row.id, item.reminder_due.isoformat() if item.reminder_due else "", recipient),
            )
            if cursor.rowcount == 1:
                taken.append(item)
    return taken


def _reminder_key(note_id: str, due: str) -> str:
    return f"{note_id}@{due}"


def settle_reminders(deps: ClockDeps, now: datetime) -> tuple[int, int]:
    """Reminder DMs whose outcome is unknown (the connection broke after sending, a 5xx, a crash between
    posting and recording): read each recipient's DM for the reminders' metadata; found ones are recorded
    as sent, the others released so this sweep sends them. A DM that cannot be read stays unknown for the
    next sweep — never re-sent blindly. Returns (found, released)."""
    rows = deps.store.conn.execute(
        "SELECT note_id, due, channel FROM reminders WHERE sent_at IS NULL AND channel IS NOT NULL").fetchall()
    by_recipient: dict[str, set[str]] = {}
    for note_id, due, recipient in rows:
        by_recipient.setdefault(recipient, set()).add(_reminder_key(note_id, due))
    found_count = released = 0
    for recipient, keys in by_recipient.items():
        found: dict[str, str] = {}

        def collect(payload: dict[str, Any], message: dict[str, Any], keys: set[str] = keys,
                    found: dict[str, str] = found) -> bool:
            for key in payload.get("notes") or []:
                if key in keys:
                    found.setdefault(str(key), str(message.get("ts")))
            return False  # read on: one sweep may have sent several DMs

        try:
            if deps.client is None:
                raise Unreadable("no Slack client")
            where = channel_id(deps.client, recipient)
            find_post(deps.client, where, REMINDER_EVENT, collect)
        except Unreadable as exc:
            log.warning("reminders to %s may have been sent (%s); checking again at the next sweep", recipient, exc)
            continue
        with deps.store.write() as conn:
            for key in keys:
                note_id, due = key.rsplit("@", 1)
                if key in found:
                    conn.execute("UPDATE reminders SET sent_at = ?, channel = ?, ts = ? WHERE note_id = ? AND due = ?"
                                 " AND sent_at IS NULL", (now.isoformat(), where, found[key], note_id, due))
                else:
                    conn.execute("DELETE FROM reminders WHERE note_id = ? AND due = ? AND sent_at IS NULL",
                                 (note_id, due))
        found_count += len(found)
        released += len(keys) - len(found)
        log.info("reminders to %s: %d found already sent, %d to send again", recipient, len(found),
                 len(keys) - len(found))
    return found_count, released


def send_reminders(deps: ClockDeps, settings: Settings, now: datetime, first_start: datetime) -> Outcome:
    """The sweep's work (its period already claimed): re-check, then one DM per recipient."""
    tz = parse_tz(settings.tz)
    today = now.astimezone(tz).date()
    since = first_start.astimezone(tz).date()
    settle_reminders(deps, now)
    ids = due_for_reminder(deps.store, today.isoformat(), since.isoformat())
    if not ids:
        return Outcome(REMINDERS, today.isoformat(), "empty", "no note became due")
    fallback = settings.reminder_fallback or settings.digest_channel
    planned = plan_reminders(dg.items_for(deps.store, ids, today), fallback)
    shown = [i.row.id for b in planned for i in b.items]
    checks = _recheck(deps, settings, shown, now)
    sent, failed, notes = 0, 0, []
    for batch in planned:
        items = dg.items_for(deps.store, [i.row.id for i in batch.items], today, checks, claims=dg.REMINDER_CLAIMS)
        if deps.client is None:
            raise ValueError("sending reminders needs a Slack client")
        items = _claim_reminders(deps.store, items, batch.recipient)
        if not items:
            continue
        payload = dg.reminder_message(items, more=batch.more,
                                      for_owner=batch.fallback_for if batch.fallback_for else None)
        keys = [(i.row.id, i.reminder_due.isoformat() if i.reminder_due else "") for i in items]
        metadata = {"event_type": REMINDER_EVENT, "event_payload": {"notes": [_reminder_key(*k) for k in keys]}}
        try:
            # chat.postMessage to a user id lands in the app's DM with them
            response = deps.client.chat_postMessage(channel=batch.recipient, unfurl_links=False, unfurl_media=False,
                                                    metadata=metadata, **payload)
        except Exception as exc:  # noqa: BLE001 - one recipient's failure must not stop the others
            failed += 1
            if may_have_posted(exc):  # kept as "may have been sent": the next sweep reads the DM first
                log.warning("reminder to %s may have been sent (%s); the next sweep checks the DM", batch.recipient,
                            type(exc).__name__)
                continue
            log.exception("reminder to %s failed; will retry at the next sweep", batch.recipient)
            with deps.store.write() as conn:
                conn.executemany("DELETE FROM reminders WHERE note_id = ? AND due = ? AND sent_at IS NULL", keys)
            continue
        with deps.store.write() as conn:
            conn.executemany(
                "UPDATE reminders SET sent_at = ?, channel = ?, ts = ? WHERE note_id = ? AND due = ?",
                [(now.isoformat(), response["channel"], response["ts"], *k) for k in keys],
            )
        sent += 1
        notes += [k[0] for k in keys]
    status = "posted" if sent else ("failed" if failed else "empty")
    return Outcome(REMINDERS, today.isoformat(), status, f"{sent} DMs, {len(notes)} notes, {failed} failed",
                   note_ids=tuple(notes))


def run_reminders(deps: ClockDeps, settings: Settings, now: datetime, period: str, first_start: datetime) -> Outcome:
    """Claim the day's sweep, then send. A failed DM is released per note and retried at the next sweep."""
    now = aware(now)
    if not claim(deps.store, REMINDERS, period, now=now, by=deps.instance):
        return Outcome(REMINDERS, period, "already", "claimed by another run")
    try:
        outcome = send_reminders(deps, settings, now, first_start)
    except BaseException:
        release(deps.store, REMINDERS, period)
        raise
    finish(deps.store, REMINDERS, period, now=now, result=f"{outcome.status}: {outcome.detail}")
    log.info("reminder sweep %s %s (%s)", period, outcome.status, outcome.detail)
    return outcome


# --------------------------------------------------------------------------- what the scheduler calls


def run_due(
    deps: ClockDeps, settings: Settings, now: datetime, started_at: datetime | None,
    *, jobs: Sequence[str] = (REMINDERS, DIGEST),
) -> list[Outcome]:
    """Run whatever of ``jobs`` is due at ``now`` and not yet claimed (the one entry point of every firing)."""
    now, started_at = aware(now), aware(started_at) if started_at else None
    first_start = ensure_first_start(deps.store, started_at or now)
    outcomes = []
    for job in jobs:
        due: list[Due] = (due_digest_periods if job == DIGEST else due_reminder_periods)(
            now, started_at, first_start, settings)
        for d in due:
            try:
                if job == DIGEST:
                    outcomes.append(run_digest(deps, settings, now, period=d.period, late=d.late))
                else:
                    outcomes.append(run_reminders(deps, settings, now, d.period, first_start))
            except Exception as exc:  # noqa: BLE001 - one job's failure (claim released) must not stop the other
                log.exception("%s run for %s failed; the next catch-up retries it", job, d.period)
                outcomes.append(Outcome(job, d.period, "failed", f"{type(exc).__name__}: {exc}"[:300]))
    return outcomes
