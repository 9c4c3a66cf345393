"""The Slack Web API misbehaves while the bot replies: the right retry, or a visible failure — never a lost job."""

from __future__ import annotations

import logging

import pytest

from bot.slack import queue
from tests.slack.listeners.harness import envelope, link_event, wait_idle


def _job(bot):
    assert wait_idle(bot.app, 15)
    [job] = queue.jobs(bot.store)
    return job


@pytest.mark.parametrize("error", ["invalid_auth", "channel_not_found", "msg_too_long"])
def test_slack_errors_on_the_reply_are_recorded_and_logged(bot, site, caplog, error):
    caplog.set_level(logging.WARNING)
    bot.fake.fail("chat.postMessage", error, times=10)
    bot.event(envelope(link_event(site.url(1))))
    bot.fake.wait_for("chat.postMessage", timeout=10)
    job = _job(bot)
    assert (job.status, job.permanent, job.last_error) == ("failed", True, f"Slack: {error}")
    assert bot.store.counts()["notes"] == 1  # the clip itself is kept; `deskbot retry` re-sends the reply
    assert error in caplog.text
    assert len(bot.fake.calls("chat.postMessage")) == 1  # a permanent Slack error is not hammered


def test_a_500_from_slack_is_a_visible_failure_not_a_lost_job(bot, site, caplog):
    caplog.set_level(logging.WARNING)
    bot.fake.server_error("chat.postMessage", times=1)
    bot.event(envelope(link_event(site.url(2))))
    bot.fake.wait_for("chat.postMessage", timeout=10)
    bot.fake.wait_for("chat.postMessage", 2, timeout=10)
    job = _job(bot)
    assert [c.status for c in bot.fake.calls("chat.postMessage")] == [500, 200]
    assert (job.status, job.attempts) == ("done", 2)
    assert len([c for c in bot.fake.calls("chat.postMessage") if c.ok]) == 1
    assert bot.store.counts()["notes"] == 1  # the retry found the note already clipped: no second note


def test_after_a_500_the_retried_reply_is_the_full_clip_not_already_clipped(bot, site):
    bot.fake.server_error("chat.postMessage", times=1)
    bot.event(envelope(link_event(site.url(3))))
    bot.fake.wait_for("chat.postMessage", 2, timeout=10)
    _job(bot)
    reply = [c for c in bot.fake.calls("chat.postMessage") if c.ok][0].decoded
    text = str(reply.get("blocks")) + reply.get("text", "")
    assert "already clipped" not in text.lower()
