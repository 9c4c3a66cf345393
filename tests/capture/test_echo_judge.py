"""Issue 17: a model confirms or rejects borderline echoes over real imports of seeds 000 (the essay's summary)
and 004 (its narrated video). The model is a real ``llm.Model`` registered through llm's plugin hook, as the
LLM-summary tests do: it answers a scripted verdict, fails, or blocks (to show the timeout), and records what
it was asked. No network.
"""

from __future__ import annotations

import json
import logging
import threading

import pytest
from click.testing import CliRunner

from bot.capture.echo_judge import LLMEchoJudge, echo_judge_from_env, parse_verdict
from bot.capture.llm import LLMError
from bot.cli import cli
from bot.config import ConfigError
from bot.kb import echoes
from bot.kb.importer import import_paths
from bot.kb.store import Store
from tests.fakes.llm_models import ScriptedModel, serve

SUMMARY = "20d2ec800f95fb01"  # seed 000
VIDEO = "904f2657af3b42e6"  # seed 004
METHOD = "llm:deskbot-echo-judge"
FAKE_KEY = "sk-test-0123456789abcdefghijklmnop"

MODEL = ScriptedModel("deskbot-echo-judge", json.dumps({"same": True}))


@pytest.fixture(autouse=True)
def model(monkeypatch, tmp_path):
    yield from serve(MODEL, monkeypatch, tmp_path / "llm")  # llm's aliases and keys files: a fresh folder


def _import(tmp_path, seeds_dir, name: str, judge: LLMEchoJudge | None) -> Store:
    store = Store.open(str(tmp_path / f"{name}.db"), echo_judge=judge)
    assert import_paths(store, [seeds_dir]).failed == []
    return store


def _links(store: Store) -> dict[tuple[str, int, str, int], tuple[float, str]]:
    return {
        (a, p, b, q): (score, method) for a, p, b, q, score, method in store.conn.execute(
            "SELECT a.note_id, a.position, b.note_id, b.position, e.score, e.method FROM echoes e"
            " JOIN claims a ON a.id = e.claim_id JOIN claims b ON b.id = e.other_id"
        )
    }


@pytest.fixture
def offline(tmp_path, seeds_dir):
    store = _import(tmp_path, seeds_dir, "offline", None)
    yield _links(store)
    store.close()


def test_a_borderline_pair_the_offline_rules_leave_out_is_linked_when_the_model_confirms(
    model, tmp_path, seeds_dir, offline
):
    # Summary claim 1 ("a tension between short AGI timelines and bullishness on RLVR") and video key point 1
    # ("Short AGI timelines are contradicted by …") say one thing in other words: offline 0.31, below the cut.
    assert (SUMMARY, 1, VIDEO, 1) not in offline
    store = _import(tmp_path, seeds_dir, "confirmed", LLMEchoJudge("deskbot-echo-judge"))
    links = _links(store)
    assert links[(SUMMARY, 1, VIDEO, 1)][1] == METHOD and links[(VIDEO, 1, SUMMARY, 1)][1] == METHOD
    assert links[(SUMMARY, 7, VIDEO, 10)][1] == METHOD  # "goal post shifting is justified", 0.24 offline
    # Only borderline pairs were asked about; links the offline scorer is sure of stay its own.
    for key, (score, method) in links.items():
        if score >= echoes.BORDER[1]:
            assert method == "terms" and key in offline, key
    asked = [p.prompt for p in model.prompts]
    assert asked and all("Claim A:" in text and "Claim B:" in text for text in asked)
    assert model.prompts[0].schema is not None and "same" in json.dumps(model.prompts[0].schema)
    verdicts = store.conn.execute("SELECT count(*), min(same), min(method) FROM echo_verdicts").fetchone()
    assert verdicts == (len(asked), 1, METHOD)
    # The export carries them like any echo (a re-import restores them).
    from bot.kb.echoes import also_in

    assert {"note": VIDEO, "claim": 0} in also_in(store.conn, SUMMARY)[1]
    with store.write() as conn:  # a rebuild keeps the model's links and never asks it again
        echoes.relink(conn)
    assert _links(store)[(SUMMARY, 1, VIDEO, 1)][1] == METHOD and len(model.prompts) == len(asked)
    store.close()


def test_a_borderline_link_is_dropped_when_the_model_rejects_it_and_relink_keeps_the_verdict(
    model, tmp_path, seeds_dir, offline
):
    # Summary claim 2 ↔ video key point 2 scores 0.38: linked offline beside the notes' strong echoes.
    assert offline[(SUMMARY, 2, VIDEO, 2)] == (pytest.approx(0.38, abs=0.01), "terms")
    model.answer = json.dumps({"same": False})
    store = _import(tmp_path, seeds_dir, "rejected", LLMEchoJudge("deskbot-echo-judge"))
    links = _links(store)
    assert (SUMMARY, 2, VIDEO, 2) not in links and (VIDEO, 2, SUMMARY, 2) not in links
    assert (SUMMARY, 1, VIDEO, 1) not in links
    strong = {k for k, (score, _) in offline.items() if score >= echoes.BORDER[1]}
    assert strong and strong <= set(links)  # the model is never asked about what is not borderline
    with store.write() as conn:
        echoes.relink(conn)
    assert (SUMMARY, 2, VIDEO, 2) not in _links(store)  # a rejected pair is not restored offline
    store.close()


def test_the_calls_per_note_are_capped(model, tmp_path, seeds_dir):
    store = _import(tmp_path, seeds_dir, "capped", LLMEchoJudge("deskbot-echo-judge", calls=1))
    # Seeds 000 and 004 each have borderline pairs (seed 001 is 000's own clip: never a candidate).
    assert len(model.prompts) == 2
    assert store.conn.execute("SELECT count(*) FROM echo_verdicts").fetchone()[0] == 2
    store.close()


def test_a_failing_model_leaves_the_offline_result_and_its_message_out_of_the_log(
    model, tmp_path, seeds_dir, offline, caplog
):
    model.error = RuntimeError(f"upstream said: invalid key {FAKE_KEY}")
    with caplog.at_level(logging.WARNING):
        store = _import(tmp_path, seeds_dir, "failing", LLMEchoJudge("deskbot-echo-judge"))
    assert _links(store) == offline
    assert len(model.prompts) == 1  # the first failure ends the asking: one failure, not one per pair
    assert store.conn.execute("SELECT count(*) FROM echo_verdicts").fetchone()[0] == 0
    assert "the model failed (RuntimeError)" in caplog.text and "offline decision stands" in caplog.text
    assert FAKE_KEY not in caplog.text and "upstream said" not in caplog.text
    store.close()


def test_a_model_that_does_not_answer_in_time_or_answers_nonsense_leaves_the_offline_result(
    model, tmp_path, seeds_dir, offline
):
    model.release = threading.Event()  # set by the fixture after the test: the model thread then ends
    store = _import(tmp_path, seeds_dir, "slow", LLMEchoJudge("deskbot-echo-judge", timeout=0.3))
    assert _links(store) == offline
    store.close()
    model.release.set()  # the timed-out call may finish now: its answer is no longer waited for
    model.reset()
    model.answer = "I'd rather not say."
    store = _import(tmp_path, seeds_dir, "nonsense", LLMEchoJudge("deskbot-echo-judge"))
    assert _links(store) == offline and len(model.prompts) == 1
    store.close()


def test_verdicts_are_read_from_json_or_a_plain_yes_or_no():
    assert parse_verdict('{"same": true}') is True
    assert parse_verdict('```json\n{"same": false}\n```') is False
    assert parse_verdict("Yes.") is True and parse_verdict("no, they differ") is False
    with pytest.raises(LLMError):
        parse_verdict('{"same": "maybe"}')


def test_the_model_is_configured_by_environment_and_a_wrong_one_is_refused_at_start(model):
    assert echo_judge_from_env({}) is None
    judge = echo_judge_from_env({"DESKBOT_ECHO_MODEL": "deskbot-echo-judge", "DESKBOT_ECHO_MODEL_CALLS": "3"})
    assert judge is not None and (judge.method, judge.calls, judge.timeout) == (METHOD, 3, 10.0)
    with pytest.raises(ConfigError, match="no installed llm plugin serves 'no-such-model'"):
        echo_judge_from_env({"DESKBOT_ECHO_MODEL": "no-such-model"})
    with pytest.raises(ConfigError, match="DESKBOT_ECHO_MODEL_CALLS"):
        echo_judge_from_env({"DESKBOT_ECHO_MODEL": "deskbot-echo-judge", "DESKBOT_ECHO_MODEL_CALLS": "lots"})


def test_deskbot_import_asks_the_configured_model(model, tmp_path, seeds_dir, monkeypatch):
    db = tmp_path / "cli.db"
    monkeypatch.setenv("DESKBOT_ECHO_MODEL", "deskbot-echo-judge")
    result = CliRunner().invoke(cli, ["import", str(seeds_dir), "--db", str(db)])
    assert result.exit_code == 0, result.output
    store = Store.open(str(db))
    assert store.conn.execute("SELECT count(*) FROM echoes WHERE method = ?", (METHOD,)).fetchone()[0] > 0
    store.close()
    monkeypatch.setenv("DESKBOT_ECHO_MODEL", "no-such-model")
    refused = CliRunner().invoke(cli, ["import", str(seeds_dir), "--db", str(db)])
    assert refused.exit_code != 0 and "no installed llm plugin serves 'no-such-model'" in refused.output
    assert "Traceback" not in refused.output
