"""Issue 14, item 5: LLM summaries through the ``llm`` library, driven by a model a test plugin registers.

The model is a real ``llm.Model`` registered through llm's own plugin hook; it answers with a scripted
JSON text, fails, or blocks on an event (to show the timeout), and records what it was asked.
"""

from __future__ import annotations

import json
import logging
import threading

import llm
import pytest

from bot.capture.extract import extract_article
from bot.capture.llm_library import LLMLibrarySummarizer
from bot.capture.summarizers import summarizer_from_settings
from bot.config import ConfigError
from tests.fakes.llm_models import ScriptedModel, serve
from tests.fixtures.pages.corpus import load_page

FAKE_KEY = "sk-test-0123456789abcdefghijklmnop"


MODEL = ScriptedModel("deskbot-scripted", "")


@pytest.fixture(autouse=True)
def plugin(monkeypatch, tmp_path):
    yield from serve(MODEL, monkeypatch, tmp_path)  # llm's aliases and keys files: a fresh folder


@pytest.fixture(scope="module")
def article():
    page = load_page("blog-essay")
    return extract_article(page.data, page.url)


def test_claims_are_checked_against_the_source_and_quotes_come_from_it(plugin, article):
    plugin.answer = json.dumps({
        "summary": "Slow notes written in your own words are worth more than saved highlights.",
        "claims": [
            {"text": "Fast notes cost little to make but a lot to use.",
             "quote": "Fast notes are cheap to make and expensive to use."},
            {"text": "The author's archive reached eleven thousand files.", "quote": None},
            {"text": "Index cards beat every note-taking app.", "quote": "Index cards beat apps."},
        ],
        "tags": ["Note taking", "slow-notes"],
    })  # fmt: skip
    summary = LLMLibrarySummarizer("deskbot-scripted").summarize(article)
    assert summary.method == "llm:deskbot-scripted"
    supported = {c.text: c for c in summary.claims}
    assert supported["Fast notes cost little to make but a lot to use."].quote == (
        "Fast notes are cheap to make and expensive to use."
    )
    assert supported["The author's archive reached eleven thousand files."].supported is True
    assert supported["Index cards beat every note-taking app."].supported is False
    assert summary.tags == ["note-taking", "slow-notes"]
    asked = plugin.prompts[0]
    assert asked.schema is not None and "claims" in json.dumps(asked.schema)  # structured output by schema
    assert "Fast notes are cheap to make" in asked.prompt and asked.system.startswith("You summarise one source")


def test_a_failing_model_falls_back_to_the_extractive_summary_without_logging_its_message(plugin, article, caplog):
    plugin.error = RuntimeError(f"upstream said: invalid key {FAKE_KEY}")
    with caplog.at_level(logging.WARNING):
        summary = LLMLibrarySummarizer("deskbot-scripted").summarize(article)
    assert summary.method.startswith("extractive (fallback: the model failed (RuntimeError))")
    assert summary.claims and all(c.supported for c in summary.claims)
    assert FAKE_KEY not in caplog.text and "upstream said" not in caplog.text


def test_a_model_that_needs_a_key_says_so(plugin, article):
    plugin.error = llm.NeedsKeyException("No key found")
    summary = LLMLibrarySummarizer("deskbot-scripted").summarize(article)
    assert "needs a key" in summary.method


def test_a_model_that_does_not_answer_in_time_falls_back(plugin, article):
    plugin.release = threading.Event()  # set by the fixture after the test: the model thread then ends
    summary = LLMLibrarySummarizer("deskbot-scripted", timeout=0.3).summarize(article)
    assert summary.method == "extractive (fallback: timeout after 0.3 s)"
    assert summary.claims


def test_malformed_answers_and_unknown_models_fall_back(plugin, article):
    plugin.answer = "Sure! Here is a summary without any JSON."
    assert "malformed answer" in LLMLibrarySummarizer("deskbot-scripted").summarize(article).method
    unknown = LLMLibrarySummarizer("no-such-model").summarize(article)
    assert "no llm plugin serves the model 'no-such-model'" in unknown.method


def test_settings_choose_the_llm_library_by_name():
    class Settings:
        summarizer = "llm"

    chosen = summarizer_from_settings(
        Settings(), env={"DESKBOT_LLM_MODEL": "deskbot-scripted", "DESKBOT_LLM_TIMEOUT": "5"}
    )
    assert isinstance(chosen, LLMLibrarySummarizer) and chosen.model == "deskbot-scripted" and chosen.timeout == 5
    assert "deskbot-scripted" in repr(chosen)
    with pytest.raises(ConfigError, match="DESKBOT_LLM_MODEL"):
        summarizer_from_settings(Settings(), env={})
