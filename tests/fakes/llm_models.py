"""A real ``llm.Model`` that tests register through llm's own plugin hook: it answers a scripted text, fails,
or blocks on an event (to show a timeout), and records what it was asked. No network."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llm
import pytest


class ScriptedModel(llm.Model):
    supports_schema = True

    def __init__(self, model_id: str, answer: str = "") -> None:
        self.model_id = model_id
        self.default = answer
        self.reset()

    def reset(self) -> None:
        self.answer = self.default
        self.error: Exception | None = None
        self.release: threading.Event | None = None
        self.prompts: list[Any] = []

    def execute(self, prompt, stream, response, conversation):
        self.prompts.append(prompt)
        if self.release is not None:
            self.release.wait(30)
        if self.error is not None:
            raise self.error
        yield self.answer


class _Plugin:
    def __init__(self, model: ScriptedModel) -> None:
        self.model = model

    @llm.hookimpl
    def register_models(self, register):
        register(self.model)


def serve(model: ScriptedModel, monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[ScriptedModel]:
    """Body of a fixture: ``model`` served by a plugin, llm's keys and aliases in a fresh ``folder``, the
    script reset; a test that blocked the model releases it afterwards."""
    monkeypatch.setenv("LLM_USER_PATH", str(folder))
    name = f"deskbot-test-{model.model_id}"
    if llm.pm.get_plugin(name) is None:
        llm.pm.register(_Plugin(model), name=name)
    model.reset()
    yield model
    if model.release is not None:
        model.release.set()
