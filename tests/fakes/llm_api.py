"""A local stand-in for Anthropic's Messages API and OpenAI-compatible Chat Completions, over real HTTP.

Why: ``bot.capture.llm`` talks to those APIs with the standard library; tests must exercise the real
request encoding, headers, status codes, socket timeouts and TLS (``tls=`` a server context) without
leaving 127.0.0.1. Answers have
the documented shapes (Messages: ``content`` blocks with a forced ``tool_use``; Chat Completions:
``choices[0].message.content``) and are built from the source text found in the request, like a model
would: quoted sentences, a paraphrase, a quote spanning two sentences, and place hints (some wrong, since
models get places wrong). Modes make it misbehave:

    ok          a realistic answer
    invent      ok plus one claim the source never makes (with a made-up "quote")
    hold        answer only once ``release`` is set (tests use a short client timeout; no sleeps)
    error       HTTP 500 with the API's error JSON
    unauthorized  HTTP 401 whose message echoes the key, as OpenAI's does (tests redaction)
    malformed   HTTP 200 with a body cut mid-JSON
    prose       HTTP 200, well-formed API JSON, but the model answered in prose instead of JSON
    refuse      a refusal (``stop_reason: refusal`` / ``message.refusal``)
    no_schema   OpenAI side: HTTP 400 to ``json_schema`` requests, answers ``json_object`` ones
"""

from __future__ import annotations

import itertools
import json
import re
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "invent", "hold", "error", "unauthorized", "malformed", "prose", "refuse", "no_schema")
INVENTED_CLAIM = "The author reports that 97% of readers switched to quantum typewriters in 2019."
INVENTED_QUOTE = "Ninety-seven percent of our readers switched to quantum typewriters in 2019."

_SOURCE = re.compile(r"<source>\n(.*)\n</source>", re.S)
_MARK_T = re.compile(r"^\[(\d+)s\]\s*(.*)$")
_MARK_PAGE = re.compile(r"^\[page (\d+)\]$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])|(?<=[。！？])")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]

    @property
    def user_text(self) -> str:
        """The user message (where the source text is)."""
        for message in self.body.get("messages", []):
            if message.get("role") == "user":
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""


def _source_sentences(prompt: str) -> list[tuple[str, int | None, int | None]]:
    """``(sentence, t, page)`` from the prompt's source block: a naive splitter, as a model might read it."""
    match = _SOURCE.search(prompt)
    out: list[tuple[str, int | None, int | None]] = []
    page: int | None = None
    for line in (match.group(1) if match else "").splitlines():
        t: int | None = None
        if marker := _MARK_PAGE.match(line.strip()):
            page = int(marker.group(1))
            continue
        if marker := _MARK_T.match(line.strip()):
            t, line = int(marker.group(1)), marker.group(2)
        for sentence in _SENTENCE_END.split(line.strip()):
            size = len(sentence) // 3 if _CJK.search(sentence) else len(sentence.split())
            if (
                8 <= size <= 45
                and sentence.endswith((".", "!", "?", "。", "！", "？"))
                and not sentence.startswith("[...")
            ):
                out.append((sentence, t, page))
    return out


def _curly(text: str) -> str:
    """The sentence as a model may quote it: typographic quote marks, doubled spaces."""
    return "“" + text.replace("'", "’").replace(", ", ",  ") + "”"


def canned_answer(prompt: str, *, invent: bool = False) -> dict[str, Any]:
    """A structured answer of the seed-000 shape built from the prompt's source.

    claim 1: verbatim quote, right place; claim 2: curly-quoted, spaced quote, wrong place hint;
    claim 3: no quote, the sentence reworded a little; claim 4: a quote spanning two sentences.
    """
    sentences = _source_sentences(prompt)
    if len(sentences) < 6:
        raise ValueError("the fake needs a source of at least 6 sentences")
    step = len(sentences) // 5
    picks = [sentences[i * step] for i in range(4)]
    follow = sentences[3 * step + 1]

    def place(item: tuple[str, int | None, int | None], wrong: bool = False) -> dict[str, int | None]:
        _, t, page = item
        return {
            "t": None if t is None else t + (9999 if wrong else 0),
            "page": None if page is None else page + (99 if wrong else 0),
        }

    third = picks[2][0]
    reworded = "要するに、" + third[2:] if _CJK.search(third) else "In short, " + " ".join(third.split()[1:])
    claims = [
        {"text": picks[0][0], "quote": picks[0][0], **place(picks[0])},
        {"text": f"The source states: {picks[1][0]}", "quote": _curly(picks[1][0]), **place(picks[1], wrong=True)},
        {"text": reworded, "quote": None, "t": None, "page": None},
        {"text": picks[3][0], "quote": f"{picks[3][0]} {follow[0]}", **place(picks[3])},
    ]
    if invent:
        claims.insert(2, {"text": INVENTED_CLAIM, "quote": INVENTED_QUOTE, **place(picks[0])})
    return {
        "summary": f"{sentences[0][0]} {sentences[1][0]}",
        "claims": claims,
        "tags": ["#Research Notes", "research notes", "Knowledge-Base", ""],
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``fake.requests``, not stderr."""

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(400, {"error": {"type": "invalid_request_error", "message": "body is not JSON"}})
            return
        recorded = Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with fake.lock:
            fake.requests.append(recorded)
        route = {"/v1/messages": self._anthropic, "/v1/chat/completions": self._openai}.get(self.path)
        if route is None:
            self._send(404, {"error": {"type": "not_found_error", "message": f"no route {self.path}"}})
            return
        try:
            route(fake, recorded)
        except ValueError as exc:  # a source too short for the canned answer: say so instead of hanging up
            self._send(422, {"error": {"type": "invalid_request_error", "message": f"fake: {exc}"}})

    # ----------------------------------------------------------------- Anthropic Messages

    def _anthropic(self, fake: FakeLLMAPI, req: Recorded) -> None:
        if fake.api_key and req.headers.get("x-api-key") != fake.api_key or fake.mode == "unauthorized":
            self._send(
                401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
            )
            return
        if not self._common(fake, anthropic=True):
            return
        message: dict[str, Any] = {
            "id": f"msg_fake{next(fake.ids):04d}",
            "type": "message",
            "role": "assistant",
            "model": req.body.get("model"),
            "stop_sequence": None,
            "usage": {"input_tokens": len(req.user_text) // 4, "output_tokens": 400},
        }
        if fake.mode == "refuse":
            message.update(content=[], stop_reason="refusal")
        elif fake.mode == "prose":
            text = "Here is a summary of the article: it argues several things."
            message.update(content=[{"type": "text", "text": text}], stop_reason="end_turn")
        else:
            answer = canned_answer(req.user_text, invent=fake.mode == "invent")
            fake.answers.append(answer)
            tool = (req.body.get("tool_choice") or {}).get("name")
            if tool:
                block = {"type": "tool_use", "id": f"toolu_fake{next(fake.ids):04d}", "name": tool, "input": answer}
                message.update(content=[block], stop_reason="tool_use")
            else:
                message.update(content=[{"type": "text", "text": json.dumps(answer)}], stop_reason="end_turn")
        self._send(200, message)

    # ----------------------------------------------------------------- OpenAI Chat Completions

    def _openai(self, fake: FakeLLMAPI, req: Recorded) -> None:
        if fake.api_key and req.headers.get("authorization") != f"Bearer {fake.api_key}" or fake.mode == "unauthorized":
            sent = (req.headers.get("authorization") or "").removeprefix("Bearer ")
            message = f"Incorrect API key provided: {sent}. You can find your API key at https://platform.openai.com."
            error = {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
            self._send(401, {"error": error})
            return
        fmt = (req.body.get("response_format") or {}).get("type")
        if fake.mode == "no_schema" and fmt == "json_schema":
            message = "Invalid value for 'response_format': json_schema is not supported by this server."
            self._send(
                400,
                {
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "param": "response_format",
                        "code": None,
                    }
                },
            )
            return
        if not self._common(fake, anthropic=False):
            return
        msg: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish = "stop"
        if fake.mode == "refuse":
            msg["refusal"] = "I'm sorry, I can't help with that request."
        elif fake.mode == "prose":
            msg["content"] = "Sure! The article makes several interesting points about its topic."
        else:
            answer = canned_answer(req.user_text, invent=fake.mode == "invent")
            fake.answers.append(answer)
            msg["content"] = json.dumps(answer, ensure_ascii=False)
        completion = {
            "id": f"chatcmpl-fake{next(fake.ids):04d}",
            "object": "chat.completion",
            "created": 1767225600,
            "model": req.body.get("model"),
            "choices": [{"index": 0, "message": msg, "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": len(req.user_text) // 4, "completion_tokens": 400, "total_tokens": 0},
        }
        self._send(200, completion)

    # ----------------------------------------------------------------- shared

    def _common(self, fake: FakeLLMAPI, *, anthropic: bool) -> bool:
        """Hold, fail or garble before a normal answer; False when the answer was already sent."""
        if fake.mode == "hold":
            fake.holding.set()
            fake.release.wait(timeout=10)
        if fake.mode == "error":
            if anthropic:
                self._send(500, {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}})
            else:
                error = {"message": "The server had an error while processing your request.", "type": "server_error"}
                self._send(500, {"error": {**error, "param": None, "code": None}})
            return False
        if fake.mode == "malformed":
            self._send_raw(200, b'{"id": "msg_fake", "type": "message", "content": [{"type": "tool_u')
            return False
        return True

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        self._send_raw(status, json.dumps(payload).encode("utf-8"))

    def _send_raw(self, status: int, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout tests): nothing to answer to


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeLLMAPI
    tls: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake in the request's own thread, so a client that rejects the certificate blocks nobody."""
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with self.fake.lock:
                self.fake.tls_failures += 1
            return
        with wrapped:  # shutdown_request closes only the (now detached) plain socket
            super().finish_request(wrapped, client_address)


class FakeLLMAPI:
    """Both APIs on one loopback port: ``base_url`` for Anthropic, ``openai_base_url`` for Chat Completions."""

    def __init__(self, *, api_key: str | None = None, mode: str = "ok", tls: ssl.SSLContext | None = None):
        self.api_key = api_key  # when set, a request without it gets the API's 401
        self.mode = mode
        self.requests: list[Recorded] = []
        self.answers: list[dict[str, Any]] = []  # the structured answers sent, in order
        self.lock = threading.Lock()
        self.release = threading.Event()  # lets a held ("hold") answer go
        self.holding = threading.Event()  # set when a request is being held
        self.ids = itertools.count(1)
        self.tls_failures = 0  # handshakes the client refused (untrusted certificate)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._server.tls = tls
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-llm-api", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{'https' if self._server.tls else 'http'}://{host}:{port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        self.mode = mode

    def start(self) -> FakeLLMAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()  # never leave a handler thread waiting
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLMAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
