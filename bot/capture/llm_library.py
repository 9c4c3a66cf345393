"""LLM summaries through Simon Willison's ``llm`` library (the optional ``deskbot[llm]`` extra).

Any model an installed ``llm`` plugin serves (llm-anthropic, llm-gemini, llm-ollama, llm-gguf, OpenAI
built in) by its id in ``DESKBOT_LLM_MODEL``; keys come from the environment or ``llm keys set``, as
``llm`` resolves them (deskbot never sees or logs them). The answer is asked for by JSON schema when
the model supports schemas, and goes through the same checks as the built-in clients
(``summary_from_payload``: every claim checked against the source, quote/time/page from the source
sentence) and the same fallback to the extractive summary on any failure.

``llm`` has no per-call timeout of its own (each plugin's HTTP client has one), so the call runs in a
daemon thread that deskbot stops waiting for after ``timeout`` seconds; the capture then falls back.
"""

from __future__ import annotations

import threading
from typing import Any

from bot.capture.extract import Extracted
from bot.capture.llm import (
    DEFAULT_TIMEOUT,
    SCHEMA,
    SYSTEM_PROMPT,
    LLMError,
    _LLMSummarizer,
    parse_json_text,
    summary_from_payload,
    user_prompt,
)
from bot.capture.summarize import Summary


class LLMLibrarySummarizer(_LLMSummarizer):
    """A summarizer backed by ``llm.get_model(model_id)``."""

    provider = "llm"

    def __init__(self, model: str, *, timeout: float = DEFAULT_TIMEOUT):
        super().__init__(api_key=None, model=model, base_url="llm", timeout=timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"

    def _summarize(self, extracted: Extracted) -> Summary:
        text = ask_model(self.model, SYSTEM_PROMPT, SCHEMA, user_prompt(extracted), self.timeout)
        return summary_from_payload(parse_json_text(text), extracted, self.method)


def ask_model(model_id: str, system: str, schema: dict[str, Any], prompt: str, timeout: float) -> str:
    """One prompt to ``llm.get_model(model_id)`` (by JSON schema when the model supports schemas), its answer's
    text; every failure is an ``LLMError`` naming its kind only (a plugin's message may quote a key)."""
    import llm

    try:
        model = llm.get_model(model_id)
    except llm.UnknownModelError:
        raise LLMError(f"no llm plugin serves the model {model_id!r} (llm install a plugin)") from None
    kwargs: dict[str, Any] = {"system": system}
    if getattr(model, "supports_schema", False):
        kwargs["schema"] = schema
    answer: dict[str, Any] = {}

    def call() -> None:
        try:
            answer["text"] = model.prompt(prompt, **kwargs).text()
        except Exception as exc:  # noqa: BLE001 - reported below as the reason, never raised in the thread
            answer["error"] = exc

    worker = threading.Thread(target=call, name=f"llm-{model_id}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise LLMError(f"timeout after {timeout:g} s")
    if "error" in answer:
        error = answer["error"]
        if isinstance(error, llm.NeedsKeyException):
            raise LLMError(f"the model {model_id!r} needs a key (llm keys set …, or its environment variable)")
        raise LLMError(f"the model failed ({type(error).__name__})")
    return answer.get("text") or ""
