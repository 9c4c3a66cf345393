"""Telling people what the paper re-check found: a thread reply under the original post, a DM to the note's
owner (retractions and expressions of concern), and a section at the top of the next digest.

Exactly once per place: before each post a finding's state for that place is claimed with a conditional UPDATE
(NULL → 'claimed', one writer wins); it becomes 'posted' with the message ts after Slack answers, and goes back
to NULL when the post fails, so the next run retries it. A crash between claim and post loses that one
announcement rather than doubling it (as the digest does). Newer and published versions are offered in the
thread and in the owner's DM ("v3 exists — re-clip?"), each with a *Re-clip* button (``papers.reclip``); not in
the digest, which lists what needs attention, not what may be read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.capture.papers import records as rec
from bot.slack import blocks as bk

if TYPE_CHECKING:
    from bot.kb.store import Store

log = logging.getLogger(__name__)

CLAIMED, POSTED, SKIPPED = "claimed", "posted", "skipped"
ANNOUNCED = (rec.RETRACTION, rec.CONCERN, rec.NEW_VERSION, rec.PUBLISHED)


@dataclass(frozen=True)
class Alert:
    """One finding with what announcing it needs."""

    id: int
    note_id: str
    kind: str
    ref: str
    on: str | None
    title: str
    url: str | None
    owner: str | None
    channel: str | None
    ts: str | None

    @property
    def serious(self) -> bool:
        return self.kind in rec.SERIOUS

    def headline(self) -> str:
        """mrkdwn, every outside string escaped."""
        from bot.capture.papers.capture import describe_update

        what = describe_update(rec.Update(self.kind, self.ref, self.on))
        title = bk.link(self.url, self.title or "this paper", 200)
        if self.kind == rec.NEW_VERSION:
            return f"🆕 {title}: {bk.esc(self.ref)} exists — re-clip it to summarise the new version?"
        if self.kind == rec.PUBLISHED:
            return f"📰 {title} was published: {bk.link('https://doi.org/' + self.ref, self.ref, 200)} — re-clip?"
        extra = " Every claim of this note is flagged." if self.serious else ""
        return f"{bk.esc(what)}: {title}.{extra}"


_SELECT = (
    "SELECT u.id, u.note_id, u.kind, u.ref, u.on_date, n.title, n.url, n.owner,"
    " (SELECT channel FROM mentions m WHERE m.note_id = u.note_id ORDER BY coalesce(m.at, '9999'), m.id LIMIT 1),"
    " (SELECT ts FROM mentions m WHERE m.note_id = u.note_id ORDER BY coalesce(m.at, '9999'), m.id LIMIT 1)"
    " FROM paper_updates u JOIN notes n ON n.id = u.note_id"
)


def _alerts(store: Store, where: str, args: tuple[Any, ...] = ()) -> list[Alert]:
    rows = store.conn.execute(f"{_SELECT} WHERE {where} ORDER BY u.id", args).fetchall()
    return [Alert(*r) for r in rows]


def _claim(store: Store, column: str, alert_id: int) -> bool:
    with store.write() as conn:
        cursor = conn.execute(f"UPDATE paper_updates SET {column} = ? WHERE id = ? AND {column} IS NULL",
                              (CLAIMED, alert_id))
        return cursor.rowcount == 1


def _settle(store: Store, column: str, ts_column: str | None, alert_id: int, state: str | None,
            ts: str | None = None) -> None:
    with store.write() as conn:
        if ts_column:
            conn.execute(f"UPDATE paper_updates SET {column} = ?, {ts_column} = ? WHERE id = ?", (state, ts, alert_id))
        else:
            conn.execute(f"UPDATE paper_updates SET {column} = ? WHERE id = ?", (state, alert_id))


def _payload(store: Store, alert: Alert, text: str, block_id: str) -> list[dict[str, Any]]:
    """The announcement's blocks: a newer version comes with its *Re-clip* button."""
    if alert.kind in (rec.NEW_VERSION, rec.PUBLISHED):
        from bot.capture.papers.reclip import offer

        found = offer(store, alert.id)
        if found is not None and not found.reclip_note_id:
            return bk.reclip_offer(text, alert.note_id, alert.id, found.label, block_id=block_id)
    return [bk.section(text, block_id=block_id)]


@dataclass
class Announced:
    threads: int = 0
    dms: int = 0
    failed: int = 0


def announce(store: Store, client: Any, now: datetime) -> Announced:
    """Post every pending thread reply and owner DM (each claimed first, so never twice)."""
    from bot.slack.runtime import is_slack_user

    done = Announced()
    kinds = ",".join(f"'{k}'" for k in ANNOUNCED)
    for alert in _alerts(store, f"u.thread_state IS NULL AND u.kind IN ({kinds})"):
        if not (alert.channel and alert.ts):
            _settle(store, "thread_state", None, alert.id, SKIPPED)  # imported note: no thread to answer in
            continue
        if not _claim(store, "thread_state", alert.id):
            continue
        try:
            text = alert.headline()
            reply = client.chat_postMessage(channel=alert.channel, thread_ts=alert.ts, text=text,
                                            blocks=_payload(store, alert, text, f"paper:{alert.id}"),
                                            unfurl_links=False, unfurl_media=False)
        except Exception:  # noqa: BLE001 - released: the next run tries again
            log.exception("paper alert %s: thread reply failed", alert.id)
            _settle(store, "thread_state", "thread_ts", alert.id, None)
            done.failed += 1
            continue
        _settle(store, "thread_state", "thread_ts", alert.id, POSTED, reply.get("ts"))
        done.threads += 1
    owners = ",".join(f"'{k}'" for k in ANNOUNCED)
    for alert in _alerts(store, f"u.dm_state IS NULL AND u.kind IN ({owners})"):
        if not is_slack_user(alert.owner):
            _settle(store, "dm_state", None, alert.id, SKIPPED)
            continue
        if not _claim(store, "dm_state", alert.id):
            continue
        try:
            lead = "A paper you shared changed status." if alert.serious else "A paper you shared has a newer version."
            text = f"{lead} {alert.headline()}"
            reply = client.chat_postMessage(channel=alert.owner, text=text,
                                            blocks=_payload(store, alert, text, f"paper-dm:{alert.id}"),
                                            unfurl_links=False, unfurl_media=False)
        except Exception:  # noqa: BLE001
            log.exception("paper alert %s: DM failed", alert.id)
            _settle(store, "dm_state", "dm_ts", alert.id, None)
            done.failed += 1
            continue
        _settle(store, "dm_state", "dm_ts", alert.id, POSTED, reply.get("ts"))
        done.dms += 1
    return done


def digest_alerts(store: Store, period: str | None = None) -> list[Alert]:
    """Retractions and expressions of concern not yet in a digest (the digest's top section), and those
    claimed by this very ``period`` before: a digest retried after a lost connection shows them again."""
    serious = ",".join(f"'{k}'" for k in rec.SERIOUS)
    mine = "u.digest_period IS NULL" + (" OR u.digest_period = ?" if period else "")
    return _alerts(store, f"({mine}) AND u.kind IN ({serious})", (period,) if period else ())


def mark_in_digest(store: Store, alerts: list[Alert], period: str) -> None:
    """Claim the alerts for this digest (before it is posted)."""
    if not alerts:
        return
    with store.write() as conn:
        conn.executemany(
            "UPDATE paper_updates SET digest_period = ?1"
            " WHERE id = ?2 AND (digest_period IS NULL OR digest_period = ?1)",
            [(period, a.id) for a in alerts])


def unmark_in_digest(store: Store, alerts: list[Alert], period: str) -> None:
    """The digest could not be posted: the alerts wait for the next one."""
    if not alerts:
        return
    with store.write() as conn:
        conn.executemany("UPDATE paper_updates SET digest_period = NULL WHERE id = ? AND digest_period = ?",
                         [(a.id, period) for a in alerts])
