"""Which summarizer ``DESKBOT_SUMMARIZER`` asks for: the offline one (None), Anthropic, an OpenAI-compatible
server (``bot.capture.llm``) or any model of the ``llm`` library (``bot.capture.llm_library``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.capture.llm import Summarizer, _timeout, anthropic_from_env, openai_from_env
from bot.config import ConfigError, environment


def llm_library_from_env(env: Mapping[str, str]) -> Summarizer:
    """A model served through the ``llm`` library (``pip install 'deskbot[llm]'`` and a plugin)."""
    model = (env.get("DESKBOT_LLM_MODEL") or "").strip()
    if not model:
        raise ConfigError("DESKBOT_SUMMARIZER=llm needs DESKBOT_LLM_MODEL (a model id from `llm models`)")
    try:
        import llm  # noqa: F401
    except ImportError:
        raise ConfigError("DESKBOT_SUMMARIZER=llm needs the llm library: pip install 'deskbot[llm]'") from None
    from bot.capture.llm_library import LLMLibrarySummarizer

    return LLMLibrarySummarizer(model, timeout=_timeout(env))


def summarizer_from_settings(settings: Any, env: Mapping[str, str] | None = None) -> Summarizer | None:
    """The summarizer DESKBOT_SUMMARIZER asks for; None means "use the extractive one". ``llm`` is any model
    of the ``llm`` library's plugins (never chosen by ``auto``: it needs the optional extra).

    ``auto``: Anthropic when ANTHROPIC_API_KEY is set, else OpenAI-compatible when OPENAI_API_KEY or
    OPENAI_BASE_URL is set, else None. ``env`` defaults to the environment over ``./.env``.
    """
    env = environment() if env is None else env
    choice = (getattr(settings, "summarizer", None) or "auto").strip().lower()
    if choice == "extractive":
        return None
    if choice == "anthropic":
        return anthropic_from_env(env)
    if choice == "openai":
        return openai_from_env(env)
    if choice == "llm":
        return llm_library_from_env(env)
    # anything else is "auto": Settings.from_env has already refused unknown values
    if (env.get("ANTHROPIC_API_KEY") or "").strip():
        return anthropic_from_env(env)
    if (env.get("OPENAI_API_KEY") or "").strip() or (env.get("OPENAI_BASE_URL") or "").strip():
        return openai_from_env(env)
    return None
