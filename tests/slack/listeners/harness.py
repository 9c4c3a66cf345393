"""Test harness for the Slack app: a local article site, the bot on real HTTP, and a Socket Mode link.

Why here and not in tests/fakes: these pieces are about *this* app (events shaped from the captured
payloads, the deskbot factory, the transports both modes share), while tests/fakes stays generic.

Everything listens on 127.0.0.1 only; waits use Conditions (the fake's ``wait_for``, :func:`wait_idle` on
the consumers' bell, :meth:`ArticleSite.wait_hits`, :meth:`SocketLink.send`), never sleeps.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from bot.capture.fetch import Allowlist
from bot.capture.pipeline import CaptureOptions
from bot.config import Settings
from bot.kb.store import Store
from bot.server import MAX_BODY_BYTES, wsgi_app
from bot.slack import queue
from bot.slack.app import DeskbotApp, create_app
from bot.slack.runner import Backoff
from bot.slack.worker import Bell
from tests.fakes import http
from tests.fakes.bolt_server import EVENTS_PATH, serve_wsgi
from tests.fakes.signing import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    block_actions_body,
    block_actions_payload,
    event_envelope,
    json_body,
    signed_headers,
    slash_command_body,
)
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.web import QuietHandler, loopback_server, respond

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SLACK_FIXTURES = FIXTURES / "slack"
ARTICLE = (FIXTURES / "pages" / "blog-essay.html").read_text(encoding="utf-8")
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the shape of a real signing secret (Slack docs' example)
NOW = datetime(2026, 11, 30, 10, 0)
LOCAL = CaptureOptions(allow=Allowlist.from_env("127.0.0.1"))
FAST_BACKOFF = Backoff(base=0.05, cap=0.2, attempts=3)
_ts = itertools.count(1)


def load(name: str) -> dict[str, Any]:
    return json.loads((SLACK_FIXTURES / name).read_text(encoding="utf-8"))


def menu_choice(menu: dict[str, Any], label: str, block_id: str | None) -> dict[str, Any]:
    """The action Slack sends when ``label`` is chosen in the overflow menu ``menu``: shaped exactly like
    ``block_actions_overflow.payload.json`` (``selected_option``, no ``value`` of its own)."""
    action = copy.deepcopy(load("block_actions_overflow.payload.json")["actions"][0])
    [option] = [o for o in menu["options"] if label in o["text"]["text"]]
    action.update(action_id=menu["action_id"], block_id=block_id,
                  selected_option={"text": {**option["text"], "emoji": True}, "value": option["value"]})
    return action


def article_html(n: int | str) -> bytes:
    """The saved blog essay with its own title, so every URL of the site is a distinct work."""
    return ARTICLE.replace("The case for slow notes", f"The case for slow notes, part {n}").encode("utf-8")


def next_ts() -> str:
    return f"{1_790_000_000 + next(_ts)}.{next(_ts):06d}"


def link_event(url: str, *, ts: str | None = None, channel: str = DEFAULT_CHANNEL_ID, user: str = DEFAULT_USER_ID,
               thread_ts: str | None = None) -> dict[str, Any]:
    """A user's message with one link, shaped exactly like the captured ``event_message_link.json``."""
    event = copy.deepcopy(load("event_message_link.json")["event"])
    event.update(text=f"<{url}>", channel=channel, user=user, ts=ts or next_ts(), team="T0TEAM")
    event["event_ts"] = event["ts"]
    event["blocks"][0]["elements"][0]["elements"][0]["url"] = url
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


# --------------------------------------------------------------------------- awaiting the consumers


class WatchedBell(Bell):
    """The consumers' own bell, also counted: every ring (an event journaled, a job claimed or finished)
    and every time a consumer goes to sleep on it (it found no job) is a moment the queue may have settled.
    The production bell does the waking; this only lets :func:`wait_idle` look then, instead of polling."""

    def __init__(self) -> None:
        super().__init__()
        self.signals = 0
        self.changed = threading.Condition()

    def _signal(self) -> None:
        with self.changed:
            self.signals += 1
            self.changed.notify_all()

    def ring(self) -> None:
        super().ring()
        self._signal()

    def wait(self, timeout: float, stop: Any = None) -> bool:
        self._signal()
        return super().wait(timeout, stop)


def open_jobs(store: Store) -> int:
    """The bot's jobs not finished yet (pending, waiting for a retry, or running); backfill jobs are
    their own command's business."""
    return store.conn.execute(
        "SELECT count(*) FROM jobs WHERE batch IS NULL AND status IN (?, ?)", (queue.PENDING, queue.RUNNING)
    ).fetchone()[0]


def wait_idle(app: DeskbotApp, timeout: float = 10.0) -> bool:
    """Block until nothing is journaled, pending or running (retries included); False after ``timeout``.
    Looks again each time the app's :class:`WatchedBell` signals (the app must be built with one)."""
    bell, worker = app.worker.bell, app.worker
    assert isinstance(bell, WatchedBell), "build the app with bell=WatchedBell()"
    deadline = time.monotonic() + timeout
    while True:
        with bell.changed:
            seen = bell.signals
        if not worker.inbox.pending() and open_jobs(worker.store) == 0:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        with bell.changed:
            bell.changed.wait_for(lambda: bell.signals != seen, left)  # noqa: B023 - read before the look


# --------------------------------------------------------------------------- the article site


@dataclass
class ArticleSite:
    """Serves ``/a/<n>`` articles (``/slow/<n>`` waits for :attr:`gate`); counts hits under a Condition."""

    base: str = ""
    gate: threading.Event = field(default_factory=threading.Event)
    hits: dict[str, int] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)
    status_for: dict[str, int] = field(default_factory=dict)  # path -> forced HTTP status
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # path -> last request's headers
    pages: dict[str, bytes] = field(default_factory=dict)  # path -> a saved page served as-is (HTML)

    def url(self, n: int | str, *, slow: bool = False) -> str:
        return f"{self.base}/{'slow' if slow else 'a'}/{n}"

    def total(self) -> int:
        with self.cond:
            return sum(self.hits.values())

    def wait_hits(self, count: int, timeout: float = 10.0) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: sum(self.hits.values()) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} page fetches, got {sum(self.hits.values())}")


@contextmanager
def serve_articles() -> Iterator[ArticleSite]:
    site = ArticleSite()

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            path = self.path.split("?", 1)[0]
            with site.cond:
                site.hits[path] = site.hits.get(path, 0) + 1
                site.headers[path] = {k.lower(): v for k, v in self.headers.items()}
                site.cond.notify_all()
            status = site.status_for.get(path, 200)
            if path.startswith("/slow/"):
                site.gate.wait(30)
            if status == 200 and path in site.pages:
                respond(self, 200, "text/html; charset=utf-8", site.pages[path])
            elif status != 200 or not path.startswith(("/a/", "/slow/")):
                respond(self, status if status != 200 else 404, "text/plain",
                        b"temporarily down" if status != 200 else b"not found")
            else:  # the fetching process may be killed mid-request: respond() does not mind
                respond(self, 200, "text/html; charset=utf-8", article_html(path.rsplit("/", 1)[-1]))

    with loopback_server(Handler) as base:
        site.base = base
        try:
            yield site
        finally:
            site.gate.set()  # a slow page still waiting answers, so the server can shut down


# --------------------------------------------------------------------------- the bot


def settings_for(fake: FakeSlackAPI, db: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "db_path": str(db),
        "bot_token": "xoxb-test",
        "signing_secret": SECRET,
        "app_token": "xapp-1-test",
        "slack_api_url": fake.base_url,
        "channels": (DEFAULT_CHANNEL_ID,),
        "fetch_allow": "127.0.0.1",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpBot:
    """The real deskbot Bolt app served by waitress on loopback; requests are signed like Slack's."""

    app: DeskbotApp
    fake: FakeSlackAPI
    store: Store
    base: str
    secret: str = SECRET

    @property
    def url(self) -> str:
        return self.base + EVENTS_PATH

    def post(self, body: bytes, *, retry_num: int | None = None, timestamp: int | None = None,
             secret: str | None = None) -> Reply:
        headers = signed_headers(secret or self.secret, body, timestamp=timestamp, retry_num=retry_num)
        start = time.perf_counter()
        status, _, out = http.post(self.url, body, headers)
        return Reply(status, out, time.perf_counter() - start)

    def event(self, payload: dict[str, Any], *, retry: int = 0) -> Reply:
        return self.post(json_body(payload), retry_num=retry or None)

    def command(self, command: str, text: str = "", **kwargs: Any) -> Reply:
        kwargs.setdefault("response_url", self.fake.hook_url())
        return self.post(slash_command_body(command, text, **kwargs))

    def click(self, actions: list[dict[str, Any]], **kwargs: Any) -> Reply:
        kwargs.setdefault("response_url", self.fake.hook_url())
        return self.post(block_actions_body(actions, **kwargs))


@contextmanager
def running_bot(fake: FakeSlackAPI, tmp_path: Path, *, capture_options: CaptureOptions = LOCAL,
                **settings: Any) -> Iterator[HttpBot]:
    """create_app + worker + waitress on loopback, torn down after the test."""
    store = Store.open(str(tmp_path / "deskbot.db"))
    # client=None: create_app builds its production WebClient (retry handlers included) on SLACK_API_URL
    app = create_app(settings_for(fake, tmp_path / "deskbot.db", **settings), store, None,
                     clock=lambda: NOW, capture_options=capture_options, backoff=FAST_BACKOFF, bell=WatchedBell())
    app.worker.start()
    try:
        with serve_wsgi(wsgi_app(app), max_request_body_size=MAX_BODY_BYTES) as base:  # as `deskbot serve` does
            yield HttpBot(app, fake, store, base)
    finally:
        app.worker.stop()
        store.close()


def no_sleep(seconds: float) -> None:
    """Scholarly API pacing is asserted in tests/capture; here the stand-ins answer at once."""


@dataclass
class PaperBot:
    """The bot with scholarly APIs pointed at the stand-ins (``paper_bot``); ``store`` outlives it."""

    bot: HttpBot
    settings: Settings
    papers: Any  # PaperAPIs
    store: Store


@contextmanager
def paper_bot(fake: FakeSlackAPI, scholarly: Any, tmp_path: Path, **settings: Any) -> Iterator[PaperBot]:
    """create_app + worker + Bolt on loopback, papers read from ``scholarly`` (``tests.fakes.scholarly``);
    the worker stops on exit, the store stays open for the test to read (and close)."""
    from bot.capture.papers.apis import PaperAPIs, Throttle
    from tests.fakes.bolt_server import serve_bolt

    chosen = settings_for(fake, tmp_path / "deskbot.db", contact_email="desk@example.org", **scholarly.settings(),
                          **settings)
    papers = PaperAPIs.from_settings(chosen, allow=Allowlist.from_env("127.0.0.1"))
    papers.throttle = Throttle(sleep=no_sleep)
    store = Store.open(str(tmp_path / "deskbot.db"))
    app = create_app(chosen, store, None, clock=lambda: NOW, backoff=FAST_BACKOFF, bell=WatchedBell(),
                     capture_options=CaptureOptions(allow=Allowlist.from_env("127.0.0.1"), papers=papers))
    app.worker.start()
    try:
        with serve_bolt(app) as base:
            yield PaperBot(HttpBot(app, fake, store, base), chosen, papers, store)
    finally:
        app.worker.stop()


# --------------------------------------------------------------------------- Socket Mode


class SocketLink:
    """A local stand-in for Slack's Socket Mode websocket: sends envelopes, collects the app's acks.

    Point ``FakeSlackAPI(socket_mode_url=link.url)`` at it: the real ``SocketModeHandler`` calls
    ``apps.connections.open`` on the fake, connects here, and answers each envelope with an ack
    ``{"envelope_id": …, "payload": …}`` over the socket, exactly as with Slack.
    """

    def __init__(self) -> None:
        from websockets.sync.server import serve

        self._cond = threading.Condition()
        self._acks: dict[str, dict[str, Any]] = {}
        self._conn: Any = None
        self._server = serve(self._handle, "127.0.0.1", 0)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=test-ticket"

    def _handle(self, conn: Any) -> None:
        conn.send(json.dumps({"type": "hello", "num_connections": 1,
                              "debug_info": {"host": "applink-test", "approximate_connection_time": 18060},
                              "connection_info": {"app_id": "A0APP"}}))
        with self._cond:
            self._conn = conn
            self._cond.notify_all()
        from websockets.exceptions import ConnectionClosed

        try:
            for raw in conn:
                message = json.loads(raw)
                with self._cond:
                    self._acks[str(message.get("envelope_id"))] = message
                    self._cond.notify_all()
        except ConnectionClosed:  # the app hung up (end of test): nothing more to collect
            pass

    def wait_connected(self, timeout: float = 5.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._conn is not None, timeout=timeout):
                raise AssertionError("the app never connected over Socket Mode")

    def send(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = "",
             accepts_response_payload: bool = False, timeout: float = 5.0) -> Reply:
        """Send one envelope; return the app's ack (its ``payload`` as the reply body) and the latency."""
        self.wait_connected()
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "payload": payload, "type": kind,
                                    "accepts_response_payload": accepts_response_payload}
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        start = time.perf_counter()
        self._conn.send(json.dumps(envelope))
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout=timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} ({kind})")
            ack = self._acks[envelope_id]
        return Reply(200, json.dumps(ack.get("payload") or {}).encode(), time.perf_counter() - start)

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)


@dataclass
class SocketBot:
    """The same deskbot app, reached through a real ``SocketModeHandler`` over a local websocket."""

    app: DeskbotApp
    fake: FakeSlackAPI
    store: Store
    link: SocketLink

    def event(self, payload: dict[str, Any], *, retry: int = 0) -> Reply:
        return self.link.send("events_api", payload, retry_attempt=retry, retry_reason="timeout" if retry else "")

    def command(self, command: str, text: str = "", **kwargs: Any) -> Reply:
        kwargs.setdefault("response_url", self.fake.hook_url())
        fields = dict(parse_qsl(slash_command_body(command, text, **kwargs).decode(), keep_blank_values=True))
        return self.link.send("slash_commands", fields, accepts_response_payload=True)

    def click(self, actions: list[dict[str, Any]], **kwargs: Any) -> Reply:
        kwargs.setdefault("response_url", self.fake.hook_url())
        return self.link.send("interactive", block_actions_payload(actions, **kwargs))


@contextmanager
def socket_bot(tmp_path: Path, **settings: Any) -> Iterator[SocketBot]:
    """FakeSlackAPI whose apps.connections.open points at a :class:`SocketLink`; the app connected to it."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    link = SocketLink()
    try:
        with FakeSlackAPI(socket_mode_url=link.url) as fake:
            store = Store.open(str(tmp_path / "deskbot.db"))
            app = create_app(settings_for(fake, tmp_path / "deskbot.db", signing_secret=None, **settings), store,
                             None, clock=lambda: NOW, capture_options=LOCAL, socket_mode=True,
                             backoff=FAST_BACKOFF, bell=WatchedBell())
            # No auto-reconnect: the test ends by closing the link first (the client's blocking recv then
            # returns at once instead of timing out after 3 s), and must not dial in again.
            handler = SocketModeHandler(app, "xapp-1-test", web_client=app.client, auto_reconnect_enabled=False)
            app.worker.start()
            handler.connect()
            try:
                yield SocketBot(app, fake, store, link)
            finally:
                link.close()
                handler.close()
                app.worker.stop()
                store.close()
    finally:
        link.close()


def envelope(event: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return event_envelope(event, **kwargs)
