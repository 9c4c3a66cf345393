"""Pure period math for the clock: which digest week / reminder day a run at ``now`` belongs to.

``now`` is always passed in, and APScheduler's own trigger arithmetic is used, so the period a run belongs
to is, by construction, the one the scheduler fired for. A period has a stable key (the digest: the ISO
week of its local date, ``2026-W49``; the sweep: its local date, ``2026-11-30``) that ``bot.clock.runs``
claims in SQLite before doing anything visible. APScheduler is imported lazily: ``deskbot claim`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.config import parse_digest_spec, parse_time_of_day, parse_tz

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

    from bot.config import Settings

DIGEST, REMINDERS = "digest", "reminders"  # job names in clock_runs


def digest_trigger(settings: Settings) -> CronTrigger:
    """The weekly digest's trigger in DESKBOT_TZ (APScheduler does the DST arithmetic)."""
    from apscheduler.triggers.cron import CronTrigger

    spec = parse_digest_spec(settings.digest)
    return CronTrigger(day_of_week=spec.day, hour=spec.at.hour, minute=spec.at.minute, timezone=parse_tz(settings.tz))


def reminder_trigger(settings: Settings) -> CronTrigger:
    """The daily reminder sweep's trigger (DESKBOT_REMINDER_TIME, default 08:00) in DESKBOT_TZ."""
    from apscheduler.triggers.cron import CronTrigger

    at = parse_time_of_day(settings.reminder_time, "DESKBOT_REMINDER_TIME")
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=parse_tz(settings.tz))


def last_fire_time(trigger: CronTrigger, now: datetime, lookback: timedelta) -> datetime | None:
    """The latest time ``trigger`` fires at or before ``now`` (searching ``lookback`` back), or None.

    Compared in UTC: aware datetimes sharing a ZoneInfo compare by wall time and ignore ``fold``, which
    would misorder the two 01:30s of an October night.
    """
    now = now.astimezone(UTC)
    fire = trigger.get_next_fire_time(None, now - lookback)
    last = None
    while fire is not None and fire.astimezone(UTC) <= now:
        last = fire.astimezone(UTC)
        fire = trigger.get_next_fire_time(fire, fire)
    return last


@dataclass(frozen=True)
class Due:
    """A period whose run should exist by now. ``late``: its time passed while no clock was running."""

    job: str
    period: str
    scheduled: datetime
    late: bool


def week_key(local: datetime) -> str:
    """ISO week of a local date: one digest per week even if DESKBOT_DIGEST changes mid-week."""
    year, week, _ = local.date().isocalendar()
    return f"{year}-W{week:02d}"


def _current(job: str, now: datetime, settings: Settings) -> tuple[str, datetime] | None:
    tz = parse_tz(settings.tz)
    if job == DIGEST:
        fire = last_fire_time(digest_trigger(settings), now, timedelta(days=8))
        return (week_key(fire.astimezone(tz)), fire) if fire else None
    fire = last_fire_time(reminder_trigger(settings), now, timedelta(days=2))
    return (fire.astimezone(tz).date().isoformat(), fire) if fire else None


def digest_period(now: datetime, settings: Settings, first_start: datetime | None = None) -> str | None:
    """The digest period a run at ``now`` posts for: the week of the latest scheduled digest time.

    None when that time is before ``first_start`` (a fresh install posts no back-dated digest).
    """
    current = _current(DIGEST, now, settings)
    if current is None or (first_start is not None and current[1] < first_start):
        return None
    return current[0]


def reminder_period(now: datetime, settings: Settings, first_start: datetime | None = None) -> str | None:
    """The reminder sweep period (local date of the latest sweep time) for ``now``; None before first start."""
    current = _current(REMINDERS, now, settings)
    if current is None or (first_start is not None and current[1] < first_start):
        return None
    return current[0]


def _due(job: str, now: datetime, last_start: datetime | None, first_start: datetime, settings: Settings) -> list[Due]:
    current = _current(job, now, settings)
    if current is None or current[1] < first_start:
        return []
    period, scheduled = current
    return [Due(job, period, scheduled, late=last_start is not None and scheduled < last_start)]


def due_digest_periods(
    now: datetime, last_start: datetime | None, first_start: datetime, settings: Settings
) -> list[Due]:
    """Digest periods that should have a digest by ``now`` (claims in SQLite drop those already done).

    Only the current period: weeks missed entirely while the bot was down are coalesced into it, never
    posted back-dated; nor is any period scheduled before ``first_start``. ``last_start`` (when this clock
    started) marks a period as a catch-up when its time passed before the clock was up.
    """
    return _due(DIGEST, now, last_start, first_start, settings)


def due_reminder_periods(
    now: datetime, last_start: datetime | None, first_start: datetime, settings: Settings
) -> list[Due]:
    """The reminder sweep due by ``now``: today's if its time has passed, else yesterday's (coalesced)."""
    return _due(REMINDERS, now, last_start, first_start, settings)
