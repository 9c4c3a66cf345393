"""Prove the test fakes speak the real protocols: real slack_sdk and real Bolt, over real loopback HTTP."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from slack_bolt import App, Say
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fakes import http
from tests.fakes.bolt_server import EVENTS_PATH, serve_bolt
from tests.fakes.signing import (
    block_actions_body,
    event_envelope,
    interactive_body,
    json_body,
    sign,
    signed_headers,
    slash_command_body,
    url_verification,
)
from tests.fakes.slack_api import FILE_DOWNLOAD, RESPONSE_URL, WEBAPI_FIXTURES, FakeSlackAPI

pytest_plugins = ["tests.fakes.fixtures"]  # fake_slack, slack_client

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
SECRET = "test-signing-secret"


# --------------------------------------------------------------------------- Web API fake


def test_base_url_is_what_webclient_expects(fake_slack: FakeSlackAPI) -> None:
    assert fake_slack.base_url == f"http://127.0.0.1:{fake_slack.port}/api/"
    assert WebClient(base_url=fake_slack.base_url).base_url == fake_slack.base_url


def test_auth_test(fake_slack: FakeSlackAPI, slack_client: WebClient) -> None:
    resp = slack_client.auth_test()

    assert resp["ok"] is True
    assert (resp["user_id"], resp["bot_id"], resp["team_id"]) == ("U0BOT", "B0BOT", "T0TEAM")
    assert resp["url"] == "https://deskbot-test.slack.com/"
    [call] = fake_slack.calls("auth.test")
    assert call.headers["authorization"] == "Bearer xoxb-test"
    assert call.token == "xoxb-test"
    assert call.ok


def test_post_message_recorded_with_blocks_and_thread(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*claim*"}}]

    first = slack_client.chat_postMessage(channel="C1", text="hello", blocks=blocks, thread_ts="1699.000100")
    second = slack_client.chat_postMessage(channel="C1", text="again")

    assert first["ok"] and first["channel"] == "C1"
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "hello"
    assert first["message"]["blocks"] == blocks
    assert first["message"]["thread_ts"] == "1699.000100"
    assert (first["message"]["bot_id"], first["message"]["user"]) == ("B0BOT", "U0BOT")
    call = fake_slack.calls("chat.postMessage")[0]
    assert call.headers["content-type"].startswith("application/json")
    assert call.params == {"channel": "C1", "text": "hello", "blocks": blocks, "thread_ts": "1699.000100"}


def test_form_encoded_json_params_are_kept_and_decoded(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    blocks = [{"type": "divider"}]

    slack_client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(blocks)})

    [call] = fake_slack.calls("chat.postMessage")
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.params["blocks"] == json.dumps(blocks)
    assert call.decoded["blocks"] == blocks
    assert call.response is not None and call.response["message"]["blocks"] == blocks


def test_rate_limit_is_retried_once_after_retry_after(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    slack_client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake_slack.rate_limit("chat.postMessage", retry_after=1)

    resp = slack_client.chat_postMessage(channel="C1", text="hi")

    assert resp["ok"] is True
    limited, retried = fake_slack.calls("chat.postMessage")
    assert (limited.status, limited.response) == (429, {"ok": False, "error": "ratelimited"})
    assert retried.ok
    assert retried.timestamp - limited.timestamp >= 1.0
    assert [c.ok for c in fake_slack.calls("chat.postMessage")].count(True) == 1


def test_rate_limit_without_retry_handler_surfaces_retry_after(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    fake_slack.rate_limit("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as err:
        slack_client.chat_postMessage(channel="C1", text="hi")

    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert slack_client.chat_postMessage(channel="C1", text="hi")["ok"]


def test_injected_errors_apply_to_the_next_n_calls(fake_slack: FakeSlackAPI, slack_client: WebClient) -> None:
    fake_slack.fail("chat.postMessage", "channel_not_found", times=2)
    fake_slack.server_error("users.info")

    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            slack_client.chat_postMessage(channel="C1", text="hi")
        assert err.value.response["error"] == "channel_not_found"
    assert slack_client.chat_postMessage(channel="C1", text="hi")["ok"]
    with pytest.raises(SlackApiError) as err:
        slack_client.users_info(user="U1")
    assert err.value.response.status_code == 500
    assert slack_client.users_info(user="U1")["ok"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_slack_side_validation(slack_client: WebClient) -> None:
    for kwargs, error in [
        ({"channel": "C1", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "C1"}, "no_text"),
        ({"channel": "C1", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    ]:
        with pytest.raises(SlackApiError) as err:
            slack_client.chat_postMessage(**kwargs)
        assert err.value.response["error"] == error


def test_bad_tokens(fake_slack: FakeSlackAPI) -> None:
    fake_slack.revoked_tokens.add("xoxb-revoked")
    for token, error in [("nope", "invalid_auth"), ("xoxb-revoked", "invalid_auth"), (None, "not_authed")]:
        with pytest.raises(SlackApiError) as err:
            WebClient(token=token, base_url=fake_slack.base_url).auth_test()
        assert err.value.response["error"] == error
    assert WebClient(token="xoxp-user", base_url=fake_slack.base_url).auth_test()["user_id"] == "U0USER"


def test_socket_mode_url_needs_app_token(fake_slack: FakeSlackAPI) -> None:
    fake_slack.socket_mode_url = "ws://127.0.0.1:1/link"

    assert fake_slack.client("xapp-1-test").apps_connections_open(app_token="xapp-1-test")["url"] == (
        "ws://127.0.0.1:1/link"
    )
    with pytest.raises(SlackApiError) as err:
        fake_slack.client().apps_connections_open(app_token="xoxb-test")
    assert err.value.response["error"] == "not_allowed_token_type"


def test_unknown_method(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        slack_client.api_call("chat.sendTelegram")
    assert err.value.response["error"] == "unknown_method"


def test_other_methods_answer_like_slack(fake_slack: FakeSlackAPI, slack_client: WebClient) -> None:
    posted = slack_client.chat_postMessage(channel="C111", text="v1")
    updated = slack_client.chat_update(channel="C111", ts=posted["ts"], text="v2")
    assert (updated["ts"], updated["text"], updated["message"]["text"]) == (posted["ts"], "v2", "v2")
    assert "edited" in updated["message"]
    assert slack_client.chat_postEphemeral(channel="C111", user="U1", text="psst")["message_ts"]
    link = slack_client.chat_getPermalink(channel="C111", message_ts="1700000000.000100")["permalink"]
    assert link == "https://deskbot-test.slack.com/archives/C111/p1700000000000100"

    assert slack_client.reactions_add(channel="C111", timestamp=posted["ts"], name="eyes")["ok"]
    with pytest.raises(SlackApiError) as err:
        slack_client.reactions_add(channel="C111", timestamp=posted["ts"], name="eyes")
    assert err.value.response["error"] == "already_reacted"

    assert slack_client.conversations_info(channel="C111")["channel"]["name"] == "general"
    assert slack_client.conversations_info(channel="C9NEW")["channel"]["id"] == "C9NEW"
    fake_slack.add_channel("C777", "research", is_member=False)
    assert slack_client.conversations_join(channel="C777")["channel"]["is_member"] is True
    assert slack_client.conversations_join(channel="C777")["warning"] == "already_in_channel"
    names = [c["name"] for c in slack_client.conversations_list()["channels"]]
    assert {"general", "random", "research"} <= set(names)

    assert slack_client.users_info(user="U023BECGF")["user"]["name"] == "alice"
    fake_slack.add_user("U42", "grace", is_bot=False)
    assert slack_client.users_info(user="U42")["user"]["profile"]["display_name"] == "grace"

    view = {"type": "home", "blocks": [{"type": "divider"}], "callback_id": "home"}
    published = slack_client.views_publish(user_id="U42", view=view)["view"]
    assert (published["type"], published["blocks"], published["bot_id"]) == ("home", view["blocks"], "B0BOT")
    with pytest.raises(SlackApiError) as err:
        slack_client.views_publish(user_id="U42", view="not json")
    assert err.value.response["error"] == "invalid_arguments"


def test_fixtures_match_their_recorded_checksums() -> None:
    """The copies are byte-identical to what was copied from Slack's and its SDKs' sources (SOURCES.md):
    SHA256SUMS was written when they were copied, so an edited fixture is caught without anything outside
    the checkout."""
    sums = dict(
        reversed(line.split(maxsplit=1)) for line in (FIXTURES / "SHA256SUMS").read_text().splitlines() if line
    )
    copies = {str(p.relative_to(FIXTURES)) for p in [*WEBAPI_FIXTURES.iterdir(), *FIXTURES.iterdir()] if p.is_file()}
    assert copies - {"SHA256SUMS", "SOURCES.md"} == set(sums)
    for name, digest in sums.items():
        assert hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest() == digest, name


def test_file_download_requires_bot_token(fake_slack: FakeSlackAPI, slack_client: WebClient) -> None:
    registered = fake_slack.add_file("paper.pdf", b"%PDF-1.7 fake", "application/pdf")
    file_obj = slack_client.files_info(file=registered["id"])["file"]
    url = file_obj["url_private_download"]
    assert url.startswith(fake_slack.root_url) and file_obj["size"] == 13

    assert http.get(url)[0] == 403
    assert http.get(url, {"Authorization": "Bearer junk"})[0] == 403
    status, headers, body = http.get(url, {"Authorization": "Bearer xoxb-test"})
    assert (status, headers["content-type"], body) == (200, "application/pdf", b"%PDF-1.7 fake")
    assert [c.status for c in fake_slack.calls(FILE_DOWNLOAD)] == [403, 403, 200]
    with pytest.raises(SlackApiError) as err:
        slack_client.files_info(file="F404")
    assert err.value.response["error"] == "file_not_found"


def test_response_url_posts_are_recorded(fake_slack: FakeSlackAPI) -> None:
    url = fake_slack.hook_url("commands/T0TEAM/1/abc")

    resp = WebhookClient(url).send(text="done", response_type="ephemeral")

    assert (resp.status_code, resp.body) == (200, "ok")
    [call] = fake_slack.wait_for(RESPONSE_URL)
    assert call.path == "/hooks/commands/T0TEAM/1/abc"
    assert call.params == {"text": "done", "response_type": "ephemeral"}


def test_wait_for_blocks_until_a_worker_thread_calls(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    go = threading.Event()

    def worker() -> None:
        go.wait(5)
        slack_client.chat_postMessage(channel="C1", text="from a thread")

    thread = threading.Thread(target=worker)
    thread.start()
    assert fake_slack.calls("chat.postMessage") == []
    go.set()
    [call] = fake_slack.wait_for("chat.postMessage", ok_only=True)
    thread.join(5)
    assert call.params["text"] == "from a thread"


def test_wait_for_timeout_reports_what_was_recorded(
    fake_slack: FakeSlackAPI, slack_client: WebClient
) -> None:
    slack_client.auth_test()

    with pytest.raises(AssertionError, match=r"chat\.postMessage.*auth\.test -> 200"):
        fake_slack.wait_for("chat.postMessage", timeout=0.05)

    fake_slack.reset()
    assert fake_slack.calls() == []


def test_raw_http_edge_cases(fake_slack: FakeSlackAPI) -> None:
    status, headers, body = http.post(
        fake_slack.base_url + "chat.postMessage",
        b"{not json",
        {"Content-Type": "application/json", "Authorization": "Bearer xoxb-test"},
    )
    assert (status, json.loads(body)) == (200, {"ok": False, "error": "invalid_json"})
    assert headers["content-type"].startswith("application/json")
    assert http.get(fake_slack.root_url + "/nowhere")[0] == 404
    status, _, body = http.get(fake_slack.base_url + "conversations.info?channel=C111&token=xoxb-test")
    assert json.loads(body)["channel"]["id"] == "C111"


def test_loopback_only_http_helper() -> None:
    with pytest.raises(ValueError, match="loopback"):
        http.post("https://slack.com/api/auth.test", b"")


# --------------------------------------------------------------------------- signing helpers


def test_sign_matches_slack_test_vector() -> None:
    vector = json.loads((FIXTURES / "signing_test_vector.json").read_text())

    assert (
        sign(vector["signing_secret"], vector["timestamp"], vector["body"].encode())
        == vector["expected_signature"]
    )


def test_signed_headers() -> None:
    headers = signed_headers(SECRET, b'{"a": 1}', timestamp=1531420618, retry_num=1)

    assert headers == {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": sign(SECRET, 1531420618, b'{"a": 1}'),
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    assert signed_headers(SECRET, b"command=%2Fx")["Content-Type"] == "application/x-www-form-urlencoded"
    assert abs(int(signed_headers(SECRET, b"")["X-Slack-Request-Timestamp"]) - time.time()) < 5


def test_body_builders_match_captured_slack_bodies() -> None:
    captured_actions = (FIXTURES / "block_actions.body.txt").read_bytes()
    payload = json.loads((FIXTURES / "block_actions.payload.json").read_text())
    assert interactive_body(payload) == captured_actions

    captured_slash = dict(
        parse_qsl((FIXTURES / "slash_command.body.txt").read_text(), keep_blank_values=True)
    )
    built = dict(parse_qsl(slash_command_body("/claim", "some text").decode(), keep_blank_values=True))
    assert set(captured_slash) - {"enterprise_id", "enterprise_name"} <= set(built)
    assert (built["command"], built["text"]) == ("/claim", "some text")

    actions = dict(parse_qsl(block_actions_body([{"action_id": "a", "type": "button"}]).decode()))
    assert json.loads(actions["payload"])["actions"][0]["action_id"] == "a"

    envelope = event_envelope({"type": "app_mention", "text": "hi"})
    assert envelope["type"] == "event_callback" and envelope["authorizations"][0]["user_id"] == "U0BOT"
    assert envelope["event_id"] != event_envelope({})["event_id"]


# --------------------------------------------------------------------------- real Bolt over real HTTP


@pytest.fixture
def bolt_url(fake_slack: FakeSlackAPI) -> Iterator[str]:
    """A real Bolt app (its WebClient aimed at the fake) served by waitress on loopback."""
    app = App(signing_secret=SECRET, client=WebClient(token="xoxb-test", base_url=fake_slack.base_url))

    @app.event("app_mention")
    def reply(event: dict, say: Say) -> None:
        say(text=f"you said: {event['text']}", thread_ts=event["ts"])

    with serve_bolt(app) as base:
        yield base + EVENTS_PATH


def test_bolt_answers_signed_url_verification(fake_slack: FakeSlackAPI, bolt_url: str) -> None:
    body = (FIXTURES / "url_verification.json").read_bytes()

    status, _, resp = http.post(bolt_url, body, signed_headers(SECRET, body))

    assert status == 200
    assert json.loads(resp)["challenge"] == json.loads(body)["challenge"]
    assert [c.method for c in fake_slack.calls()] == ["auth.test"]  # Bolt checked its token at start-up


def test_bolt_rejects_bad_signature(bolt_url: str) -> None:
    body = json_body(url_verification())
    headers = signed_headers("wrong-secret", body)

    assert http.post(bolt_url, body, headers)[0] == 401


def test_bolt_rejects_stale_timestamp(bolt_url: str) -> None:
    body = json_body(url_verification())
    headers = signed_headers(SECRET, body, timestamp=int(time.time()) - 301)

    assert http.post(bolt_url, body, headers)[0] == 401


def test_bolt_event_reply_reaches_fake_slack(fake_slack: FakeSlackAPI, bolt_url: str) -> None:
    event = json.loads((FIXTURES / "event_app_mention.json").read_text())["event"]
    body = json_body(event_envelope(event))

    status, _, _ = http.post(bolt_url, body, signed_headers(SECRET, body))

    assert status == 200
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.params["channel"] == "C111" and call.params["thread_ts"] == event["ts"]
    assert call.params["text"] == "you said: <@W111> Hi there!"
    assert call.token == "xoxb-test"


def test_a_rate_limit_answers_429_with_retry_after_until_the_window_moves():
    now = [1000.0]
    with FakeSlackAPI() as fake:
        fake.limit("conversations.history", calls=2, per=60.0, clock=lambda: now[0])
        fake.add_history("C1", [{"type": "message", "user": "U1", "text": "hi", "ts": f"170000000{n}.000100"}
                                for n in range(3)])
        client = fake.client(retry_handlers=[])
        for _ in range(2):
            assert client.conversations_history(channel="C1", limit=1)["ok"]
        with pytest.raises(SlackApiError) as refused:
            client.conversations_history(channel="C1", limit=1)
        assert refused.value.response.status_code == 429
        assert refused.value.response.headers["Retry-After"] == "60"
        now[0] += 45
        with pytest.raises(SlackApiError):
            client.conversations_history(channel="C1", limit=1)
        now[0] += 15
        page = client.conversations_history(channel="C1", limit=2)
        assert [m["ts"] for m in page["messages"]] == ["1700000002.000100", "1700000001.000100"]
        assert page["has_more"] and page["response_metadata"]["next_cursor"]
