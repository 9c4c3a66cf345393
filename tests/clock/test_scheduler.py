"""The clock: strict settings, period math on APScheduler's own trigger arithmetic (DST included), and the
real BackgroundScheduler restarted around digest time and run twice on one database — never slept through:
``now`` is injected, the scheduler's start-up catch-up is awaited through APScheduler's job events."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from bot.clock.periods import (
    DIGEST,
    REMINDERS,
    digest_period,
    digest_trigger,
    due_digest_periods,
    due_reminder_periods,
    last_fire_time,
    reminder_period,
    reminder_trigger,
)
from bot.clock.scheduler import JOB_CATCH_UP, JOB_DIGEST, JOB_REMINDERS, build_scheduler, run_clock
from bot.config import ConfigError, Settings, parse_digest_spec, parse_time_of_day
from tests.clock.test_runs import FakeClock, make_deps, make_settings, runs, stale_note

pytest_plugins = ["tests.fakes.fixtures"]  # fake_slack

LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("text", "weekday", "at"),
    [("mon 09:00", 0, time(9)), ("Fri 17:30", 4, time(17, 30)), ("sunday 7:05", 6, time(7, 5)),
     ("  wed   23:59 ", 2, time(23, 59))],
)
def test_digest_spec_parses(text, weekday, at):
    spec = parse_digest_spec(text)
    assert (spec.weekday, spec.at) == (weekday, at)


@pytest.mark.parametrize("text", ["monday 9am", "mon", "09:00", "mon 24:00", "mon 9:60", "xyz 09:00",
                                  "mon 09:00 utc", "", "mon,09:00"])
def test_digest_spec_is_strict_with_a_clear_message(text):
    with pytest.raises(ConfigError, match=r"DESKBOT_DIGEST: expected a weekday and a 24-hour time like 'mon 09:00'"):
        parse_digest_spec(text)


def test_settings_validate_clock_variables():
    s = Settings.from_env({"DESKBOT_DIGEST": "tue 10:15", "DESKBOT_TZ": "Europe/London",
                           "DESKBOT_REMINDER_TIME": "07:45", "DESKBOT_DIGEST_EMPTY": "SKIP"}, dotenv=False)
    assert (s.digest, s.tz, s.reminder_time, s.digest_empty) == ("tue 10:15", "Europe/London", "07:45", "skip")
    defaults = Settings.from_env({}, dotenv=False)
    assert (defaults.digest, defaults.tz, defaults.reminder_time, defaults.digest_empty) == (
        "mon 09:00", "UTC", "08:00", "post")
    for env, message in [
        ({"DESKBOT_DIGEST": "every monday"}, "DESKBOT_DIGEST"),
        ({"DESKBOT_TZ": "Europe/Londn"}, "DESKBOT_TZ: unknown time zone 'Europe/Londn'"),
        ({"DESKBOT_REMINDER_TIME": "8am"}, "DESKBOT_REMINDER_TIME: expected a 24-hour time"),
        ({"DESKBOT_DIGEST_EMPTY": "maybe"}, "DESKBOT_DIGEST_EMPTY: expected post or skip"),
    ]:
        with pytest.raises(ConfigError, match=message):
            Settings.from_env(env, dotenv=False)
    assert parse_time_of_day("8:05", "X") == time(8, 5)


# --------------------------------------------------------------------------- period math


def test_digest_period_is_the_week_of_the_latest_digest_time():
    s = make_settings()
    assert digest_period(utc(2026, 11, 30, 8, 59), s) == "2026-W48"  # this week's not due yet: last week's
    assert digest_period(utc(2026, 11, 30, 9, 0), s) == "2026-W49"
    assert digest_period(utc(2026, 12, 6, 23, 59), s) == "2026-W49"
    assert digest_period(utc(2026, 12, 7, 9, 0), s) == "2026-W50"
    # a fresh install after this week's time posts nothing back-dated
    assert digest_period(utc(2026, 11, 30, 12), s, first_start=utc(2026, 11, 30, 10)) is None
    assert digest_period(utc(2026, 11, 30, 12), s, first_start=utc(2026, 11, 30, 8)) == "2026-W49"


def test_reminder_period_is_the_local_day_of_the_sweep():
    s = make_settings(DESKBOT_TZ="Europe/London")
    assert reminder_period(utc(2026, 7, 1, 6, 59), s) == "2026-06-30"  # 07:59 BST: before the 08:00 sweep
    assert reminder_period(utc(2026, 7, 1, 7, 0), s) == "2026-07-01"
    assert reminder_period(utc(2026, 12, 1, 8, 0), s) == "2026-12-01"
    assert reminder_period(utc(2026, 12, 1, 9), s, first_start=utc(2026, 12, 1, 8, 30)) is None


def test_due_periods_coalesce_and_never_backdate():
    s = make_settings()
    first = utc(2026, 11, 1)
    # down for three weeks, back on a Wednesday: only the current week, marked late
    [due] = due_digest_periods(utc(2026, 12, 2, 15), last_start=utc(2026, 12, 2, 15), first_start=first, settings=s)
    assert (due.job, due.period, due.scheduled, due.late) == (DIGEST, "2026-W49", utc(2026, 11, 30, 9), True)
    # a clock already running when the time came: not late
    [due] = due_digest_periods(utc(2026, 11, 30, 9), last_start=utc(2026, 11, 29), first_start=first, settings=s)
    assert due.late is False
    # the first start after this week's time: nothing until next week
    assert due_digest_periods(utc(2026, 12, 2), utc(2026, 12, 2), utc(2026, 12, 1), s) == []
    [sweep] = due_reminder_periods(utc(2026, 12, 2, 7), utc(2026, 12, 2, 7), first, s)
    assert (sweep.job, sweep.period) == (REMINDERS, "2026-12-01")  # yesterday's sweep, caught up


def test_period_math_uses_apschedulers_trigger_arithmetic():
    s = make_settings(DESKBOT_TZ="Europe/London", DESKBOT_DIGEST="thu 16:45")
    trigger = digest_trigger(s)
    fire = trigger.get_next_fire_time(None, utc(2026, 1, 1))
    for _ in range(60):  # a year of weeks across both DST changes
        assert fire.astimezone(LONDON).time() == time(16, 45)
        assert last_fire_time(trigger, fire, timedelta(days=8)) == fire
        assert last_fire_time(trigger, fire - timedelta(microseconds=1), timedelta(days=8)) < fire
        assert digest_period(fire, s) == f"{fire.astimezone(LONDON).isocalendar()[0]}-W{fire.astimezone(LONDON).isocalendar()[1]:02d}"
        fire = trigger.get_next_fire_time(fire, fire)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # March: clocks go forward on Sun 29 March 2026, 09:00 local is 09:00 UTC, then 08:00 UTC
        (utc(2026, 3, 23, 9), utc(2026, 3, 30, 8)),
        # October: clocks go back on Sun 25 October 2026, 09:00 local is 08:00 UTC, then 09:00 UTC
        (utc(2026, 10, 19, 8), utc(2026, 10, 26, 9)),
    ],
)
def test_dst_week_fires_once_at_nine_local(before, after):
    s = make_settings(DESKBOT_TZ="Europe/London")
    trigger = digest_trigger(s)
    assert trigger.get_next_fire_time(None, before - timedelta(days=1)) == before
    assert trigger.get_next_fire_time(before, before) == after
    assert after.astimezone(LONDON).hour == 9 and before.astimezone(LONDON).hour == 9


def test_sunday_0130_fires_twice_in_october_but_is_one_period():
    """APScheduler fires an ambiguous local time twice (BST and GMT); the period key is the same."""
    s = make_settings(DESKBOT_TZ="Europe/London", DESKBOT_DIGEST="sun 01:30", DESKBOT_REMINDER_TIME="01:30")
    first = digest_trigger(s).get_next_fire_time(None, utc(2026, 10, 24))
    second = digest_trigger(s).get_next_fire_time(first, first)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert digest_period(first, s) == digest_period(second, s) == "2026-W43"
    sweep = reminder_trigger(s)
    a = sweep.get_next_fire_time(None, utc(2026, 10, 24, 12))
    b = sweep.get_next_fire_time(a, a)
    assert reminder_period(a, s) == reminder_period(b, s) == "2026-10-25"


# --------------------------------------------------------------------------- the real scheduler


def _started(settings, deps) -> threading.Event:
    """Build, start, wait for the start-up catch-up run to finish (APScheduler's own event), shut down."""
    done = threading.Event()
    errors: list[BaseException] = []
    scheduler = build_scheduler(settings, deps)

    def listener(event) -> None:
        if event.job_id == JOB_CATCH_UP:
            if event.exception:
                errors.append(event.exception)
            done.set()

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        assert done.wait(10), "the start-up catch-up did not run"
    finally:
        scheduler.shutdown(wait=True)
    assert not errors
    return done


def test_build_scheduler_jobs_ids_timezone_and_policies(store, fake_slack):
    settings = make_settings(DESKBOT_TZ="Europe/London")
    scheduler = build_scheduler(settings, make_deps(store, fake_slack, FakeClock(utc(2026, 11, 30))))
    assert not scheduler.running  # built, not started: nothing runs until the caller starts it
    scheduler.start(paused=True)  # job defaults are applied on start; paused, nothing fires
    try:
        jobs = {j.id: j for j in scheduler.get_jobs()}
    finally:
        scheduler.shutdown()
    assert set(jobs) == {JOB_DIGEST, JOB_REMINDERS, JOB_CATCH_UP}
    assert str(scheduler.timezone) == "Europe/London"
    for job in jobs.values():
        assert job.coalesce is True and job.misfire_grace_time >= 3600 and job.max_instances == 1
    assert str(jobs[JOB_DIGEST].trigger.timezone) == "Europe/London"
    assert jobs[JOB_DIGEST].trigger.get_next_fire_time(None, utc(2026, 11, 30, 8, 59)) == utc(2026, 11, 30, 9)
    assert jobs[JOB_REMINDERS].trigger.get_next_fire_time(None, utc(2026, 7, 1)) == utc(2026, 7, 1, 7)  # 08:00 BST
    assert fake_slack.calls() == []


def test_three_restarts_around_digest_time_post_one_digest(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    settings = make_settings()
    clock = FakeClock(utc(2026, 11, 30, 8, 58))
    deps = make_deps(store, fake_slack, clock)
    _started(settings, deps)  # 08:58: first start, nothing due yet
    clock.set(utc(2026, 11, 30, 9, 0))  # the digest job fires at its time (APScheduler's trigger says 09:00)
    job = build_scheduler(settings, deps).get_job(JOB_DIGEST)
    assert job.trigger.get_next_fire_time(None, utc(2026, 11, 30, 8, 58)) == clock()
    job.func(*job.args)
    for minute in (0, 1, 30):  # restarted three times around it
        clock.set(utc(2026, 11, 30, 9, minute, 5))
        _started(settings, make_deps(store, fake_slack, clock))
    posts = fake_slack.calls("chat.postMessage")
    assert len(posts) == 1 and posts[0].decoded["channel"] == "C0DIGEST"


def test_two_clocks_on_one_database_post_one_digest(tmp_path, fake_slack):
    from bot.kb.store import Store

    path = str(tmp_path / "shared.db")
    a, b = Store.open(path), Store.open(path)
    stale_note(a, "n1", due="2026-11-01")
    settings = make_settings()
    clock = FakeClock(utc(2026, 11, 23, 12))  # both first started the week before
    for s in (a, b):
        _started(settings, make_deps(s, fake_slack, clock, instance=f"clock-{id(s)}"))
    clock.set(utc(2026, 11, 30, 9))
    barrier = threading.Barrier(2)
    results = []

    def fire(s) -> None:
        job = build_scheduler(settings, make_deps(s, fake_slack, clock)).get_job(JOB_DIGEST)
        barrier.wait()
        job.func(*job.args)
        results.append(True)

    threads = [threading.Thread(target=fire, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 2
    assert len(fake_slack.calls("chat.postMessage")) == 1
    a.close()
    b.close()


def test_down_across_digest_time_back_six_hours_later_catches_up_once(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    settings = make_settings()
    clock = FakeClock(utc(2026, 11, 16, 10))
    _started(settings, make_deps(store, fake_slack, clock))  # first start two weeks earlier
    clock.set(utc(2026, 11, 23, 9))
    _started(settings, make_deps(store, fake_slack, clock))  # last week's digest, on time
    assert len(fake_slack.calls("chat.postMessage")) == 1
    clock.set(utc(2026, 11, 30, 15))  # down from Sunday until Monday 15:00
    _started(settings, make_deps(store, fake_slack, clock))
    clock.set(utc(2026, 11, 30, 16))  # and one more restart that afternoon
    _started(settings, make_deps(store, fake_slack, clock))
    posts = fake_slack.calls("chat.postMessage")
    assert len(posts) == 2
    assert "posted late" in str(posts[1].decoded["blocks"])


def test_fresh_install_posts_no_backdated_digest(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    clock = FakeClock(utc(2026, 12, 2, 10))  # first ever start: a Wednesday
    _started(make_settings(), make_deps(store, fake_slack, clock))
    assert fake_slack.calls("chat.postMessage") == []
    clock.set(utc(2026, 12, 7, 9))
    _started(make_settings(), make_deps(store, fake_slack, clock))
    assert len(fake_slack.calls("chat.postMessage")) == 1


@pytest.mark.parametrize(("start", "end"), [(utc(2026, 3, 26), utc(2026, 4, 2)), (utc(2026, 10, 22), utc(2026, 10, 29))])
def test_dst_week_in_london_hourly_ticks_post_one_digest_at_nine_local(store, fake_slack, start, end):
    """Every quarter hour through the DST week (cron firings and catch-ups alike): one digest, at 09:00 local."""
    stale_note(store, "n1", due="2026-01-01")
    settings = make_settings(DESKBOT_TZ="Europe/London")
    clock = FakeClock(start)
    deps = make_deps(store, fake_slack, clock)
    scheduler = build_scheduler(settings, deps)
    catch_up = scheduler.get_job(JOB_CATCH_UP)
    posted_at = []
    while clock() < end:
        clock.advance(timedelta(minutes=15))
        before = len(fake_slack.calls("chat.postMessage"))
        catch_up.func(*catch_up.args)
        if len(fake_slack.calls("chat.postMessage")) > before:
            posted_at.append(clock().astimezone(LONDON))
    assert len(posted_at) == 1
    assert posted_at[0].weekday() == 0 and posted_at[0].time() == time(9, 0)


def test_run_clock_runs_until_stopped(store, fake_slack):
    stale_note(store, "n1", due="2026-11-01")
    store.set_meta("clock_first_start", utc(2026, 11, 1).isoformat())
    stop = threading.Event()
    deps = make_deps(store, fake_slack, FakeClock(utc(2026, 11, 30, 9, 5)))
    thread = threading.Thread(target=run_clock, args=(make_settings(), deps, stop))
    thread.start()
    try:
        fake_slack.wait_for("chat.postMessage")  # the start-up catch-up posted this week's digest
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert [r["result"] for r in runs(store, DIGEST)] == ["posted: 1 of 1 stale notes shown"]
