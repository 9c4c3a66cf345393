"""A local stand-in for the Slack Web API, served over real HTTP on 127.0.0.1.

Why: the bot's real ``slack_sdk.WebClient`` (and Bolt, which uses it) must be exercised end to end -
real HTTP, real request encoding, real retry handlers - without ever leaving loopback. Point a client
at it with ``WebClient(token="xoxb-test", base_url=fake.base_url)``.

Responses are modelled on captured Slack responses in ``tests/fixtures/slack/webapi/`` (see
``tests/fixtures/slack/SOURCES.md``), so the bot parses what Slack really returns.
"""

from __future__ import annotations

import contextlib
import copy
import email.parser
import email.policy
import functools
import itertools
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from slack_sdk import WebClient

WEBAPI_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack" / "webapi"

FILE_DOWNLOAD = "file_download"
"""Pseudo method name under which GETs of registered files are recorded (no dot: never a real method)."""
RESPONSE_URL = "response_url"
"""Pseudo method name under which POSTs to :meth:`FakeSlackAPI.hook_url` URLs are recorded."""

MAX_TEXT_LENGTH = 40_000  # Slack truncates/refuses longer `text` with msg_too_long
MAX_BLOCKS = 50  # Slack rejects messages with more blocks (invalid_blocks)

_PARAM_JSON_PREFIXES = ("[", "{")
_TOKEN_KINDS = ("xoxb-", "xoxp-", "xapp-")
_NO_AUTH_METHODS = frozenset({"api.test"})


@functools.cache
def _load_template(name: str) -> dict[str, Any]:
    return json.loads((WEBAPI_FIXTURES / name).read_text(encoding="utf-8"))


def template(name: str) -> dict[str, Any]:
    """A fresh deep copy of a captured Web API response, so callers may mutate it freely."""
    return copy.deepcopy(_load_template(name))


def _decode_json_strings(params: dict[str, Any]) -> dict[str, Any]:
    """Decode values that are JSON documents sent as strings (form-encoded ``blocks``, ``view``…)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and value.lstrip().startswith(_PARAM_JSON_PREFIXES):
            try:
                out[key] = json.loads(value)
                continue
            except ValueError:
                pass
        out[key] = value
    return out


@dataclass(frozen=True)
class Call:
    """One request the fake received, with what it answered (so tests can tell failed tries apart)."""

    method: str
    """Web API method (``chat.postMessage``), or :data:`FILE_DOWNLOAD` / :data:`RESPONSE_URL`."""
    params: dict[str, Any]
    """Parameters exactly as sent: form/query values as ``str``, JSON bodies as parsed."""
    headers: dict[str, str]
    """Request headers, names lower-cased."""
    body: bytes
    timestamp: float
    """``time.time()`` when the request arrived."""
    http_method: str = "POST"
    path: str = ""
    token: str | None = None
    status: int = 200
    response: dict[str, Any] | None = None
    """Parsed JSON answer (``None`` for non-JSON answers such as file bytes)."""
    dropped: str | None = None
    """``"before"``/``"after"`` when the connection was reset instead of answering (see :meth:`FakeSlackAPI.disconnect`);
    after ``"after"`` the call took effect (``ok``) though the caller never heard so."""

    @property
    def decoded(self) -> dict[str, Any]:
        """``params`` with JSON-in-a-string values (``blocks``, ``view``, ``attachments``…) decoded."""
        return _decode_json_strings(self.params)

    @property
    def ok(self) -> bool:
        """True if Slack acted (HTTP 200 and ``"ok": true``), whether or not the answer reached the caller."""
        return self.dropped != "before" and self.status == 200 and bool((self.response or {"ok": True}).get("ok"))


@dataclass(frozen=True)
class _Fault:
    status: int
    error: str
    retry_after: int | None = None
    drop: str | None = None
    """``"before"``: reset the connection without acting; ``"after"``: act (post, store), then reset it
    before answering — what a client sees when Slack accepted a call and the connection broke."""
    hold: threading.Event | None = None
    """With ``drop="after"``: wait for this event (or ``hold_timeout``) before resetting, so a test can
    kill the caller between "Slack acted" and "the caller heard"."""
    extra: tuple[tuple[str, Any], ...] = ()  # more answer fields (``needed``/``provided`` of missing_scope)


@dataclass
class RateLimit:
    """Slack's per-method limit as a window: at most ``calls`` per ``per`` seconds; over it, HTTP 429 with
    ``Retry-After`` (whole seconds, as Slack sends). ``clock`` is injectable so a bench can simulate time."""

    calls: int
    per: float = 60.0
    clock: Callable[[], float] = time.monotonic
    served: deque[float] = field(default_factory=deque)
    limited: int = 0  # 429s answered

    def check(self) -> int | None:
        """Seconds to wait (a 429), or None (the call is served and counted)."""
        now = self.clock()
        while self.served and self.served[0] <= now - self.per:
            self.served.popleft()
        if len(self.served) >= self.calls:
            self.limited += 1
            return max(1, int(-(-(self.served[0] + self.per - now) // 1)))
        self.served.append(now)
        return None


@dataclass
class _Reply:
    status: int
    payload: dict[str, Any] | None = None
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: str | None = None
    hold: threading.Event | None = None

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.payload).encode("utf-8")


@dataclass
class _Request:
    http_method: str
    path: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, Any]
    token: str | None

    @property
    def args(self) -> dict[str, Any]:
        return _decode_json_strings(self.params)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self.server.fake._serve(self, "POST")

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.server.fake._serve(self, "GET")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlackAPI) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class FakeSlackAPI:
    """Threaded HTTP stand-in for ``https://slack.com/api/`` that records every call.

    Lookups are lenient (any channel/user id resolves, built from the captured templates) so tests
    need no setup; use :meth:`fail` to make a lookup fail the way Slack would.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0TEAM",
        team_domain: str = "deskbot-test",
        team_name: str = "Deskbot Test",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        bot_name: str = "deskbot",
        app_id: str = "A0APP",
        user_token_user_id: str = "U0USER",
        revoked_tokens: Iterable[str] = (),
        socket_mode_url: str = "ws://127.0.0.1:9/link/?ticket=fake-ticket",
        ts_base: int = 1_700_000_000,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.app_id = app_id
        self.user_token_user_id = user_token_user_id
        self.revoked_tokens: set[str] = set(revoked_tokens)
        self.socket_mode_url = socket_mode_url
        self._ts_base = ts_base
        self._ts_seq = itertools.count(1)
        self._view_seq = itertools.count(1)
        self._file_seq = itertools.count(1)
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._reactions: set[tuple[str, str, str]] = set()
        self._channels: dict[str, dict[str, Any]] = {
            c["id"]: c for c in template("web_response_conversations_list.json")["channels"]
        }
        self._users: dict[str, dict[str, Any]] = {
            u["id"]: u for u in template("users.list_with_bots.json")["members"]
        }
        self._files: dict[str, dict[str, Any]] = {}  # file id -> file object
        self._file_bytes: dict[str, tuple[bytes, str]] = {}  # name -> (content, content type)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.replies_page_size = 1000
        """Most messages per ``conversations.replies`` page (Slack pages long threads; tests shrink it)."""
        self.history_page_size = 1000
        """Most messages per ``conversations.history`` page: 1000 (Tier 3), 15 (the 2025 reduced regime)."""
        self._limits: dict[str, RateLimit] = {}
        self._handlers: dict[str, Callable[[_Request], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.join": self._conversations_join,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "files.info": self._files_info,
            "apps.connections.open": self._apps_connections_open,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlackAPI:
        """Bind an OS-chosen loopback port and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._server = _Server(self)
        # A short poll interval only bounds how long stop() waits; no test ever sleeps on it.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeSlackAPI",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlackAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlackAPI is not running; use it as a context manager or call start()")
        return self._server.server_address[1]

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What ``WebClient(base_url=...)`` wants: like ``https://slack.com/api/``, with trailing slash."""
        return f"{self.root_url}/api/"

    def client(self, token: str = "xoxb-test", **kwargs: Any) -> WebClient:
        """A real ``WebClient`` pointed at this fake."""
        return WebClient(token=token, base_url=self.base_url, **kwargs)

    def hook_url(self, suffix: str = "commands/T0TEAM/1/fake") -> str:
        """A loopback ``response_url``; POSTs to it are recorded as :data:`RESPONSE_URL` calls."""
        return f"{self.root_url}/hooks/{suffix.lstrip('/')}"

    # ------------------------------------------------------------------ configuration

    def add_channel(self, channel_id: str, name: str, **fields: Any) -> dict[str, Any]:
        """Register a channel (built on the captured ``conversations.info`` response) and return it."""
        channel = template("conversations.info_general.json")["channel"]
        channel.update(
            id=channel_id,
            name=name,
            name_normalized=name,
            is_general=False,
            context_team_id=self.team_id,
            shared_team_ids=[self.team_id],
            purpose={"value": "", "creator": "", "last_set": 0},
        )
        channel.update(fields)
        with self._cond:
            self._channels[channel_id] = channel
        return copy.deepcopy(channel)

    def add_user(self, user_id: str, name: str, **fields: Any) -> dict[str, Any]:
        """Register a user (built on the captured ``users.list`` member) and return it."""
        user = self._user_from_template(user_id, name)
        user.update(fields)
        with self._cond:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def add_history(self, channel_id: str, messages: Iterable[dict[str, Any]]) -> None:
        """Messages already in a channel (users' posts, thread replies with ``thread_ts``), for
        ``conversations.history`` / ``conversations.replies`` to page through."""
        with self._cond:
            for message in messages:
                self._messages[(channel_id, str(message["ts"]))] = copy.deepcopy(message)

    def add_file(
        self,
        name: str,
        content: bytes,
        content_type: str = "application/octet-stream",
        *,
        file_id: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Serve ``content`` at ``/files/<name>`` (Bearer token required) and make ``files.info`` know it.

        Returns the Slack file object, whose ``url_private_download`` points at this fake.
        A later file with the same ``name`` replaces the earlier bytes.
        """
        file_id = file_id or f"F0FILE{next(self._file_seq):04d}"
        url = f"{self.root_url}/files/{quote(name)}"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        now = int(time.time())
        permalink = f"https://{self.team_domain}.slack.com/files/{self.user_token_user_id}/{file_id}/{name}"
        obj: dict[str, Any] = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": name,
            "mimetype": content_type,
            "filetype": ext,
            "pretty_type": ext.upper(),
            "user": self.user_token_user_id,
            "user_team": self.team_id,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": url,
            "url_private_download": url,
            "permalink": permalink,
        }
        obj.update(fields)
        with self._cond:
            self._files[file_id] = obj
            self._file_bytes[name] = (content, content_type)
        return copy.deepcopy(obj)

    # ------------------------------------------------------------------ misbehaviour

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After: retry_after``."""
        self._inject(method, _Fault(429, "ratelimited", retry_after), times)

    def server_error(self, method: str, times: int = 1, status: int = 500) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTTP 5xx."""
        self._inject(method, _Fault(status, "fatal_error"), times)

    def fail(self, method: str, error: str, times: int = 1, **extra: Any) -> None:
        """Answer the next ``times`` calls with HTTP 200 ``{"ok": false, "error": error, **extra}``."""
        self._inject(method, _Fault(200, error, extra=tuple(extra.items())), times)

    def limit(self, method: str, calls: int, per: float = 60.0, clock: Callable[[], float] = time.monotonic) -> RateLimit:
        """Enforce a rate limit on ``method`` (e.g. Tier 3: 50 per 60 s; the reduced regime: 1 per 60 s)."""
        with self._cond:
            self._limits[method] = RateLimit(calls, per, clock)
            return self._limits[method]

    def disconnect(self, method: str, *, after: bool = True, times: int = 1,
                   hold: threading.Event | None = None) -> None:
        """Reset the connection of the next ``times`` calls of ``method`` instead of answering. ``after``
        (the default): the call takes effect first — "accepted, then the connection reset", the case where
        a blind retry doubles a post. ``hold``: wait for that event before the reset (kill the caller
        meanwhile to model a crash between Slack acting and the caller recording it)."""
        self._inject(method, _Fault(200, "", drop="after" if after else "before", hold=hold), times)

    def _inject(self, method: str, fault: _Fault, times: int) -> None:
        with self._cond:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        """Snapshot of recorded calls, oldest first, optionally only those of ``method``."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, *, ok_only: bool = False
    ) -> list[Call]:
        """Block until ``count`` calls of ``method`` (successful ones if ``ok_only``) were recorded.

        Returns all matching calls. Why a Condition: the bot calls Slack from worker threads after
        acking, so tests must wait for the call without guessing a sleep.
        """

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and (c.ok or not ok_only)]

        with self._cond:
            if self._cond.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                return matching()
            seen = [
                f"{c.method} -> {c.status} {(c.response or {}).get('error', '')}".rstrip()
                for c in self._calls
            ]
        raise AssertionError(
            f"expected {count} {'successful ' if ok_only else ''}{method} call(s) within {timeout}s, "
            f"got {len(matching())}; recorded: {seen or 'nothing'}"
        )

    def reset(self) -> None:
        """Forget calls, pending faults, posted messages and reactions (registered data stays)."""
        with self._cond:
            self._calls.clear()
            self._faults.clear()
            self._messages.clear()
            self._reactions.clear()

    # ------------------------------------------------------------------ HTTP plumbing

    def _serve(self, handler: _Handler, http_method: str) -> None:
        split = urlsplit(handler.path)
        path = unquote(split.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        params: dict[str, Any] = _single(parse_qs(split.query, keep_blank_values=True))
        bad_body = False
        if http_method == "POST":
            try:
                params.update(_parse_body(body, headers.get("content-type", "")))
            except ValueError:  # malformed JSON / undecodable form: Slack answers invalid_json
                bad_body = True
        token = _bearer(headers.get("authorization")) or (
            params.get("token") if isinstance(params.get("token"), str) else None
        )
        req = _Request(http_method, path, headers, body, params, token)

        if path.startswith("/api/"):
            method = path[len("/api/") :]
            reply = (
                _Reply(200, {"ok": False, "error": "invalid_json"}) if bad_body else self._api(method, req)
            )
        elif path.startswith("/files/") and http_method == "GET":
            method = FILE_DOWNLOAD
            reply = self._download(path[len("/files/") :], req)
        elif path.startswith("/hooks/") and http_method == "POST":
            method = RESPONSE_URL
            reply = self._hook()
        else:
            method = f"{http_method} {path}"
            reply = _Reply(404, raw=b"not found", content_type="text/plain; charset=utf-8")

        out = reply.body()
        call = Call(
            method=method,
            params=params if method != FILE_DOWNLOAD else {"name": path[len("/files/") :]},
            headers=headers,
            body=body,
            timestamp=time.time(),
            http_method=http_method,
            path=path,
            token=token,
            status=reply.status,
            response=reply.payload,
            dropped=reply.drop,
        )
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

        if reply.drop is not None:
            if reply.hold is not None:
                reply.hold.wait(30)
            _reset(handler)
            return
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(out)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(out)

    def _api(self, method: str, req: _Request) -> _Reply:
        with self._cond:
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if fault is not None and fault.drop == "before":
            return _Reply(0, None, drop="before")
        if fault is not None and fault.drop is None:
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return _Reply(fault.status, {"ok": False, "error": fault.error, **dict(fault.extra)}, headers=extra)
        if fault is not None:  # after: act, then drop
            reply = self._answer(method, req)
            reply.drop, reply.hold = "after", fault.hold
            return reply
        with self._cond:
            limit = self._limits.get(method)
            wait = limit.check() if limit is not None else None
        if wait is not None:
            return _Reply(429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": str(wait)})
        return self._answer(method, req)

    def _answer(self, method: str, req: _Request) -> _Reply:
        handler = self._handlers.get(method)
        if handler is None:
            return _Reply(200, {"ok": False, "error": "unknown_method"})
        if method not in _NO_AUTH_METHODS and (error := self._auth_error(method, req.token)):
            return _Reply(200, {"ok": False, "error": error})
        with self._cond:
            return _Reply(200, handler(req))

    def _hook(self) -> _Reply:
        """A ``response_url`` POST: ``ok``, unless a fault was set for :data:`RESPONSE_URL`."""
        with self._cond:
            queue = self._faults.get(RESPONSE_URL)
            fault = queue.popleft() if queue else None
        reply = _Reply(200, raw=b"ok", content_type="text/plain; charset=utf-8")
        if fault is not None and fault.drop is not None:
            reply.drop, reply.hold = fault.drop, fault.hold
        elif fault is not None:
            reply = _Reply(fault.status, raw=fault.error.encode(), content_type="text/plain; charset=utf-8")
        return reply

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if token in self.revoked_tokens or not token.startswith(_TOKEN_KINDS):
            return "invalid_auth"
        wanted = ("xapp-",) if method == "apps.connections.open" else ("xoxb-", "xoxp-")
        return None if token.startswith(wanted) else "not_allowed_token_type"

    def _download(self, name: str, req: _Request) -> _Reply:
        token = _bearer(req.headers.get("authorization"))
        if not token or token in self.revoked_tokens or not token.startswith(("xoxb-", "xoxp-")):
            return _Reply(403, raw=b"forbidden", content_type="text/plain; charset=utf-8")
        with self._cond:
            found = self._file_bytes.get(name)
        if found is None:
            return _Reply(404, raw=b"not found", content_type="text/plain; charset=utf-8")
        content, content_type = found
        return _Reply(200, raw=content, content_type=content_type)

    # ------------------------------------------------------------------ method handlers (lock held)

    def _next_ts(self) -> str:
        seq = next(self._ts_seq)
        return f"{self._ts_base + seq // 10_000}.{(seq % 10_000) * 100:06d}"

    def _bot_message(self, text: str, ts: str) -> dict[str, Any]:
        message = template("chat.update_actual.json")["message"]
        message.pop("edited", None)
        message.pop("blocks", None)
        message.update(bot_id=self.bot_id, user=self.bot_user_id, app_id=self.app_id, team=self.team_id)
        message.update(text=text, ts=ts)
        message["bot_profile"].update(
            id=self.bot_id, app_id=self.app_id, name=self.bot_name, team_id=self.team_id
        )
        return message

    def _check_message_args(self, args: dict[str, Any]) -> str | None:
        if not args.get("channel"):
            return "channel_not_found"
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            return "no_text"
        if len(str(args.get("text") or "")) > MAX_TEXT_LENGTH:
            return "msg_too_long"
        if isinstance(args.get("blocks"), list) and len(args["blocks"]) > MAX_BLOCKS:
            return "invalid_blocks"
        return None

    def _api_test(self, req: _Request) -> dict[str, Any]:
        return {"ok": True, "args": req.params} if req.params else {"ok": True}

    def _auth_test(self, req: _Request) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }
        if req.token and req.token.startswith("xoxp-"):
            answer.pop("bot_id")
            answer.update(user="user", user_id=self.user_token_user_id)
        return answer

    def _chat_post_message(self, req: _Request) -> dict[str, Any]:
        args = req.args
        if error := self._check_message_args(args):
            return {"ok": False, "error": error}
        ts = self._next_ts()
        message = self._bot_message(str(args.get("text") or ""), ts)
        for key in ("blocks", "attachments", "metadata"):
            if args.get(key):
                message[key] = args[key]
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        channel = _dm_channel(str(args["channel"]))  # a user id posts into the app's DM with them, as on Slack
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _chat_update(self, req: _Request) -> dict[str, Any]:
        args = req.args
        channel, ts = args.get("channel"), args.get("ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        if error := self._check_message_args(args):
            return {"ok": False, "error": error}
        message = self._messages.get((channel, ts)) or self._bot_message("", ts)
        message["text"] = str(args.get("text") or "")
        for key in ("blocks", "attachments"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": self.bot_id, "ts": self._next_ts()}
        self._messages[(channel, ts)] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, req: _Request) -> dict[str, Any]:
        args = req.args
        if error := self._check_message_args(args):
            return {"ok": False, "error": error}
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_get_permalink(self, req: _Request) -> dict[str, Any]:
        channel, ts = req.params.get("channel"), req.params.get("message_ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{str(ts).replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _reactions_add(self, req: _Request) -> dict[str, Any]:
        channel, ts, name = (req.params.get(k) for k in ("channel", "timestamp", "name"))
        if not name:
            return {"ok": False, "error": "invalid_name"}
        if not channel or not ts:
            return {"ok": False, "error": "no_item_specified"}
        key = (str(channel), str(ts), str(name))
        if key in self._reactions:
            return {"ok": False, "error": "already_reacted"}
        self._reactions.add(key)
        return {"ok": True}

    def _channel(self, channel_id: str) -> dict[str, Any]:
        if channel_id not in self._channels:
            channel = template("conversations.info_general.json")["channel"]
            name = f"channel-{channel_id.lower()}"
            channel.update(id=channel_id, name=name, name_normalized=name, is_general=False)
            channel.update(context_team_id=self.team_id, shared_team_ids=[self.team_id])
            self._channels[channel_id] = channel
        return self._channels[channel_id]

    def _conversations_info(self, req: _Request) -> dict[str, Any]:
        channel_id = req.params.get("channel")
        if not channel_id:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": copy.deepcopy(self._channel(str(channel_id)))}

    def _conversations_list(self, req: _Request) -> dict[str, Any]:
        answer = template("web_response_conversations_list.json")
        answer["channels"] = copy.deepcopy(list(self._channels.values()))
        return answer

    def _conversations_join(self, req: _Request) -> dict[str, Any]:
        channel_id = req.params.get("channel")
        if not channel_id:
            return {"ok": False, "error": "channel_not_found"}
        channel = self._channel(str(channel_id))
        answer: dict[str, Any] = {"ok": True}
        if channel.get("is_member"):
            answer.update(
                warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]}
            )
        channel["is_member"] = True
        answer["channel"] = copy.deepcopy(channel)
        return answer

    def _conversations_replies(self, req: _Request) -> dict[str, Any]:
        """The thread's messages posted through this stand-in, oldest first (one page); message
        ``metadata`` only with ``include_all_metadata``, as Slack does."""
        channel, ts = req.params.get("channel"), req.params.get("ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "thread_not_found"}
        messages = self._shown(req, lambda where, message_ts, message: where == channel and (
            message_ts == ts or message.get("thread_ts") == ts), newest_first=False)
        return _paged(messages, req, self.replies_page_size, default=1000, prefix="page:")

    def _conversations_history(self, req: _Request) -> dict[str, Any]:
        """The channel's top-level messages (and thread broadcasts), newest first, between ``oldest`` and
        ``latest``, paged by ``limit`` (capped at :attr:`history_page_size`) and cursor, as Slack does."""
        channel = str(req.params.get("channel") or "")
        if not channel:  # any channel id reads as an empty history until something is posted there
            return {"ok": False, "error": "channel_not_found"}
        inclusive = str(req.params.get("inclusive", "")).lower() in ("1", "true")
        oldest = float(req.params.get("oldest") or 0)
        latest = float(req.params.get("latest") or 9e12)

        def wanted(where: str, ts: str, message: dict[str, Any]) -> bool:
            top = message.get("thread_ts") in (None, ts) or message.get("subtype") == "thread_broadcast"
            inside = oldest <= float(ts) <= latest if inclusive else oldest < float(ts) < latest
            return where == channel and top and inside

        answer = _paged(self._shown(req, wanted, newest_first=True), req, self.history_page_size, default=100,
                        prefix="bmV4dF90czo")
        return {**answer, "pin_count": 0}

    def _shown(self, req: _Request, wanted: Callable[[str, str, dict[str, Any]], bool], *,
               newest_first: bool) -> list[dict[str, Any]]:
        """Stored messages ``wanted`` keeps, by time; ``metadata`` only with ``include_all_metadata``."""
        with_metadata = str(req.params.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = []
        for (where, ts), message in sorted(self._messages.items(), key=lambda kv: float(kv[0][1]),
                                           reverse=newest_first):
            if wanted(where, ts, message):
                message = copy.deepcopy(message)
                if not with_metadata:
                    message.pop("metadata", None)
                shown.append(message)
        return shown

    def _conversations_open(self, req: _Request) -> dict[str, Any]:
        users = str(req.params.get("users") or "")
        if not users or "," in users:
            return {"ok": False, "error": "users_list_not_supplied" if not users else "not_implemented"}
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": _dm_channel(users)}}

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted (and not lost) so far, oldest first, optionally in one channel (a DM's ``D…`` id)."""
        with self._cond:
            found = sorted(self._messages.items(), key=lambda kv: float(kv[0][1]))
            return [copy.deepcopy(m) | {"channel": where} for (where, _ts), m in found
                    if channel is None or where == channel]

    def _user_from_template(self, user_id: str, name: str) -> dict[str, Any]:
        user = copy.deepcopy(_load_template("users.list_with_bots.json")["members"][0])
        user.update(id=user_id, name=name, is_admin=False, team_id=self.team_id)
        user["profile"].update(
            real_name=name,
            real_name_normalized=name,
            display_name=name,
            display_name_normalized=name,
            email=f"{name}@example.com",
            team=self.team_id,
        )
        return user

    def _users_info(self, req: _Request) -> dict[str, Any]:
        user_id = req.params.get("user")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        user_id = str(user_id)
        if user_id not in self._users:
            self._users[user_id] = self._user_from_template(user_id, f"user-{user_id.lower()}")
        return {"ok": True, "user": copy.deepcopy(self._users[user_id])}

    def _views_publish(self, req: _Request) -> dict[str, Any]:
        args = req.args
        view = args.get("view")
        if not isinstance(view, dict) or not args.get("user_id"):
            return template("views.publish_invalid_arguments.json")
        answer = template("views.publish_example.json")
        view_id = f"V0VIEW{next(self._view_seq):04d}"
        published = answer["view"]
        published.update(id=view_id, root_view_id=view_id, team_id=self.team_id, app_id=self.app_id)
        published.update(bot_id=self.bot_id, hash=f"{self._ts_base}.{view_id}")
        for key in ("type", "blocks", "private_metadata", "callback_id", "external_id"):
            published[key] = view.get(key, "" if key != "blocks" else [])
        return answer

    def _files_info(self, req: _Request) -> dict[str, Any]:
        file_obj = self._files.get(str(req.params.get("file") or ""))
        if file_obj is None:
            return {"ok": False, "error": "file_not_found"}
        return {
            "ok": True,
            "file": copy.deepcopy(file_obj),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def _apps_connections_open(self, req: _Request) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_mode_url}


def _dm_channel(channel: str) -> str:
    """A user id's DM channel with the app (``U0ALICE`` → ``D0ALICE``); other ids unchanged."""
    return "D" + channel[1:] if channel[:1] in ("U", "W") else channel


def _reset(handler: _Handler) -> None:
    """Close the request's connection with a TCP reset (SO_LINGER 0) and no answer."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()


def _paged(messages: list[dict[str, Any]], req: _Request, cap: int, *, default: int, prefix: str) -> dict[str, Any]:
    """One page of ``messages`` by ``limit`` (at most ``cap``) and an opaque-looking offset cursor."""
    size = min(int(req.params.get("limit") or default), cap)
    start = int(str(req.params.get("cursor") or "0").removeprefix(prefix) or 0)
    page, more = messages[start:start + size], start + size < len(messages)
    return {"ok": True, "messages": page, "has_more": more,
            "response_metadata": {"next_cursor": f"{prefix}{start + size}" if more else ""}}


def _bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def _single(parsed: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """Parse a request body the three ways slack_sdk encodes one (JSON, urlencoded form, multipart)."""
    if not body:
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    if kind == "multipart/form-data":
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        out: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            raw = part.get_payload(decode=True) or b""
            out[str(name)] = raw if part.get_filename() else raw.decode("utf-8")
        return out
    return _single(parse_qs(body.decode("utf-8"), keep_blank_values=True))
