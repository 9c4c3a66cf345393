"""The clock: when the weekly digest and the daily reminder sweep are due, and the APScheduler that runs them.

Period math is pure (``now`` is always passed in) and uses APScheduler's own trigger arithmetic, so the
period a run belongs to is, by construction, the one the scheduler fired for. A period has a stable key
(the digest: the ISO week of its local date, ``2026-W49``; the sweep: its local date, ``2026-11-30``);
``bot.jobs`` claims that key in SQLite before doing anything visible, which is what makes a run happen
exactly once however many clocks or restarts there are. APScheduler itself is imported lazily: settings
validation imports this module, and ``deskbot claim`` must stay fast.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import ConfigError

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    from bot.config import Settings
    from bot.jobs import ClockDeps

log = logging.getLogger(__name__)

JOB_DIGEST = "deskbot.digest"
JOB_REMINDERS = "deskbot.reminders"
JOB_CATCH_UP = "deskbot.catch_up"
DIGEST, REMINDERS = "digest", "reminders"  # job names in clock_runs

MISFIRE_GRACE = timedelta(hours=12)  # a laptop asleep at 09:00 still posts when it wakes that day
CATCH_UP_EVERY = timedelta(hours=1)  # also retries a run whose Slack call failed (its claim was released)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_SPEC = re.compile(r"([a-z]+)\s+(\S+)")


# --------------------------------------------------------------------------- settings parsing


@dataclass(frozen=True)
class WeeklyAt:
    """A weekly schedule: ``weekday`` 0 = Monday, at ``at`` local time."""

    weekday: int
    at: time

    @property
    def day(self) -> str:
        return _DAYS[self.weekday]


def parse_time_of_day(text: str, variable: str) -> time:
    """``HH:MM`` on a 24-hour clock; anything else is a ConfigError naming ``variable``."""
    match = _TIME.fullmatch((text or "").strip())
    if not match:
        raise ConfigError(f"{variable}: expected a 24-hour time like 08:00, got {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_digest_spec(text: str) -> WeeklyAt:
    """``mon 09:00`` (a weekday, then a 24-hour time). Strict: ``monday 9am`` is refused with an example."""
    match = _SPEC.fullmatch((text or "").strip().lower())
    day = match.group(1) if match else ""
    weekday = _DAYS.index(day) if day in _DAYS else _FULL_DAYS.index(day) if day in _FULL_DAYS else -1
    if not match or weekday < 0 or not _TIME.fullmatch(match.group(2)):
        raise ConfigError(
            f"DESKBOT_DIGEST: expected a weekday and a 24-hour time like 'mon 09:00' "
            f"(days: {', '.join(_DAYS)}), got {text!r}"
        )
    return WeeklyAt(weekday, parse_time_of_day(match.group(2), "DESKBOT_DIGEST"))


def parse_tz(name: str) -> ZoneInfo:
    """An IANA time zone (``Europe/London``); unknown names are a ConfigError, not a silent UTC."""
    try:
        return ZoneInfo((name or "").strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DESKBOT_TZ: unknown time zone {name!r} (use an IANA name like Europe/London)") from None


# --------------------------------------------------------------------------- triggers and periods


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


# --------------------------------------------------------------------------- the scheduler


def build_scheduler(settings: Settings, deps: ClockDeps | Any) -> BackgroundScheduler:
    """A BackgroundScheduler (not started) with three jobs under stable ids.

    ``deskbot.digest`` and ``deskbot.reminders`` fire at their times in DESKBOT_TZ; ``deskbot.catch_up``
    runs at start and hourly and does whatever is due but not yet claimed (a digest missed while the bot
    was down, or one whose Slack call failed). Every job goes through ``bot.jobs.run_due``, which claims
    the period in SQLite first, so overlapping firings, restarts and second clocks cannot double-post.
    ``deps`` is a ``bot.jobs.ClockDeps`` or the Slack app's ``Deps`` (store, client, clock).
    """
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    from bot.jobs import clock_deps, run_due

    deps = clock_deps(deps)
    tz = parse_tz(settings.tz)
    started_at = deps.now()
    scheduler = BackgroundScheduler(
        timezone=tz,
        job_defaults={
            "coalesce": True,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
            "max_instances": 1,
        },
    )

    def run(jobs: tuple[str, ...]) -> None:
        try:
            run_due(deps, settings, deps.now(), started_at, jobs=jobs)
        except Exception:  # the clock must survive a bad run; its claim was released or kept to be checked
            log.exception("clock run %s failed", ", ".join(jobs))

    scheduler.add_job(run, digest_trigger(settings), args=[(DIGEST,)], id=JOB_DIGEST, name="weekly stale digest",
                      replace_existing=True)
    scheduler.add_job(run, reminder_trigger(settings), args=[(REMINDERS,)], id=JOB_REMINDERS,
                      name="daily reminder sweep", replace_existing=True)
    scheduler.add_job(run, IntervalTrigger(seconds=int(CATCH_UP_EVERY.total_seconds()), timezone=tz),
                      args=[(REMINDERS, DIGEST)], id=JOB_CATCH_UP, name="catch up missed runs",
                      next_run_time=datetime.now(tz), replace_existing=True)
    return scheduler


def run_clock(settings: Settings, deps: ClockDeps, stop: threading.Event) -> None:
    """Run the scheduler until ``stop`` is set (``deskbot clock`` sets it on SIGINT/SIGTERM)."""
    scheduler = build_scheduler(settings, deps)
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
