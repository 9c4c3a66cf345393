"""The Bolt app over real HTTP: Slack's handshake, request signatures, startup errors."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.kb.store import Store
from bot.slack.app import create_app
from tests.fakes.signing import json_body, url_verification
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.listeners.harness import SECRET, envelope, link_event, running_bot, settings_for


@pytest.fixture
def bot(tmp_path):
    with FakeSlackAPI() as fake, running_bot(fake, tmp_path) as running:
        yield running


def test_url_verification_is_answered(bot):
    reply = bot.post(json_body(url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")))
    assert reply.status == 200
    assert reply.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_bad_signature_is_refused(bot):
    body = json_body(envelope(link_event("https://example.org/a")))
    assert bot.post(body, secret="0" * 32).status == 401
    assert bot.post(json_body(url_verification()), secret="wrong-secret-123").status == 401
    assert bot.store.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


def test_request_older_than_five_minutes_is_refused(bot):
    body = json_body(url_verification())
    assert bot.post(body, timestamp=int(time.time()) - 301).status == 401
    assert bot.post(body, timestamp=int(time.time()) - 290).status == 200


def test_unsigned_request_is_refused(bot):
    from tests.fakes import http

    status, _, _ = http.post(bot.url, json_body(url_verification()), {"Content-Type": "application/json"})
    assert status == 401


def test_health_endpoint_and_events_path(bot, tmp_path):
    from bot.server import wsgi_app
    from tests.fakes import http
    from tests.fakes.bolt_server import serve_wsgi

    with serve_wsgi(wsgi_app(bot.app)) as base:
        assert http.get(base + "/healthz")[0] == 200
        assert http.post(base + "/elsewhere", b"{}")[0] == 404


@pytest.mark.parametrize(("overrides", "socket_mode", "words"), [
    ({"bot_token": None}, False, ["SLACK_BOT_TOKEN", "xoxb-"]),
    ({"bot_token": "xapp-1-A0-123"}, False, ["SLACK_BOT_TOKEN", "xoxb-", "app-level"]),
    ({"bot_token": "xoxp-123"}, False, ["SLACK_BOT_TOKEN", "user token"]),
    ({"signing_secret": None}, False, ["SLACK_SIGNING_SECRET", "Signing Secret"]),
    ({"signing_secret": "xoxb-oops"}, False, ["SLACK_SIGNING_SECRET", "not a token"]),
    ({"app_token": None}, True, ["SLACK_APP_TOKEN", "xapp-"]),
    ({"app_token": "xoxb-123"}, True, ["SLACK_APP_TOKEN", "xapp-"]),
])
def test_missing_or_malformed_secrets_are_clear_startup_errors(tmp_path, overrides, socket_mode, words):
    with FakeSlackAPI() as fake:
        store = Store.open(str(tmp_path / "d.db"))
        with pytest.raises(ConfigError) as raised:
            create_app(settings_for(fake, tmp_path / "d.db", **overrides), store, socket_mode=socket_mode)
        for word in words:
            assert word in str(raised.value)
        assert not fake.calls()  # refused before any Slack call
        store.close()


def test_revoked_token_is_a_clear_startup_error_and_secrets_are_never_logged(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with FakeSlackAPI(revoked_tokens=["xoxb-revoked"]) as fake:
        store = Store.open(str(tmp_path / "d.db"))
        with pytest.raises(ConfigError, match=r"SLACK_BOT_TOKEN \(invalid_auth\)"):
            create_app(settings_for(fake, tmp_path / "d.db", bot_token="xoxb-revoked"), store)
        store.close()
    assert "xoxb-revoked" not in caplog.text and SECRET not in caplog.text


def test_an_in_memory_database_is_a_clear_startup_error(tmp_path):
    """The inbox journal lives beside the database file, and each thread would see its own empty database."""
    store = Store.open(":memory:")
    with FakeSlackAPI() as fake:
        with pytest.raises(ConfigError, match="needs a database file path"):
            create_app(settings_for(fake, tmp_path / "d.db"), store)
        assert not fake.calls()  # refused before any Slack call
    store.close()


def test_unreachable_slack_is_a_clear_startup_error(tmp_path):
    store = Store.open(str(tmp_path / "d.db"))
    with FakeSlackAPI() as fake:
        settings = settings_for(fake, tmp_path / "d.db")
    with pytest.raises(ConfigError, match="cannot reach the Slack API"):
        create_app(settings, store)  # the fake is stopped: connection refused on loopback
    store.close()


def test_settings_repr_hides_secrets(tmp_path):
    with FakeSlackAPI() as fake:
        text = repr(settings_for(fake, tmp_path / "d.db"))
    assert "xoxb-test" not in text and SECRET not in text and "xapp-" not in text


# The bot scope each Web API method needs (any one of the alternatives); None: no scope.
SCOPES = {
    "chat_postMessage": {"chat:write"}, "chat_update": {"chat:write"}, "chat_getPermalink": None,
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "conversations_info": {"channels:read", "groups:read"}, "conversations_list": {"channels:read", "groups:read"},
    "conversations_open": {"im:write"}, "files_info": {"files:read"}, "reactions_add": {"reactions:write"},
    "users_info": {"users:read"}, "views_publish": None, "auth_test": None,
}


def _called_methods() -> set[str]:
    """Every Web API method deskbot's code calls (``client.chat_postMessage(`` and the like)."""
    import re

    root = Path(__file__).resolve().parents[2] / "bot"
    pattern = re.compile(r"\.((?:chat|conversations|reactions|files|users|views|auth)_[A-Za-z]+)\(")
    return {m for path in root.rglob("*.py") for m in pattern.findall(path.read_text("utf-8"))}


def _manifest(name: str) -> dict:
    return json.loads((Path(__file__).resolve().parents[2] / name).read_text())


def test_manifest_asks_only_for_what_the_app_uses():
    manifest = _manifest("manifest.json")
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/claim", "/note", "/stale"}
    settings = manifest["settings"]
    # message.* reach the message listener (links and file shares come as messages); Home has its listener
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.channels", "message.groups", "app_home_opened"}
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"]
    assert home["messages_tab_enabled"] and home["messages_tab_read_only_enabled"]  # reminders are DMs
    called = _called_methods()
    assert called <= set(SCOPES), f"a Web API method without a known scope: {called - set(SCOPES)}"
    used = {"commands"} | {scope for m in called for scope in (SCOPES[m] or ())}
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert granted <= used, f"scopes no code uses: {granted - used}"
    for method in called:
        assert SCOPES[method] is None or SCOPES[method] & granted, f"{method} needs one of {SCOPES[method]}"


def test_http_manifest_is_the_socket_mode_one_with_request_urls():
    socket, http_mode = _manifest("manifest.json"), _manifest("manifest.http.json")
    url = "https://YOUR-HOST/slack/events"
    assert http_mode["settings"]["socket_mode_enabled"] is False
    assert http_mode["settings"]["event_subscriptions"].pop("request_url") == url
    assert http_mode["settings"]["interactivity"].pop("request_url") == url
    for command in http_mode["features"]["slash_commands"]:
        assert command.pop("url") == url
    http_mode["settings"]["socket_mode_enabled"] = True
    assert http_mode == socket
