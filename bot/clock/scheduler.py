"""The APScheduler wiring of the clock: three jobs under stable ids, each calling ``bot.clock.runs.run_due``.

What is due when is ``bot.clock.periods``; what a run does is ``bot.clock.runs``.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock.periods import DIGEST, REMINDERS, digest_trigger, reminder_trigger
from bot.config import parse_tz

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.clock.runs import ClockDeps
    from bot.config import Settings

log = logging.getLogger(__name__)

JOB_DIGEST = "deskbot.digest"
JOB_REMINDERS = "deskbot.reminders"
JOB_CATCH_UP = "deskbot.catch_up"

MISFIRE_GRACE = timedelta(hours=12)  # a laptop asleep at 09:00 still posts when it wakes that day
CATCH_UP_EVERY = timedelta(hours=1)  # also retries a run whose Slack call failed (its claim was released)


def build_scheduler(settings: Settings, deps: ClockDeps | Any) -> BackgroundScheduler:
    """A BackgroundScheduler (not started) with three jobs under stable ids.

    ``deskbot.digest`` and ``deskbot.reminders`` fire at their times in DESKBOT_TZ; ``deskbot.catch_up``
    runs at start and hourly and does whatever is due but not yet claimed (a digest missed while the bot
    was down, or one whose Slack call failed). Every job goes through ``bot.clock.runs.run_due``, which claims
    the period in SQLite first, so overlapping firings, restarts and second clocks cannot double-post.
    ``deps`` is a ``bot.clock.runs.ClockDeps`` or the Slack app's ``Deps`` (store, client, clock).
    """
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    from bot.clock.runs import clock_deps, run_due

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
