"""Echoes and aliases from the terminal, after a real `deskbot import seeds/`."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.kb.store import Store
from tests.conftest import SEEDS
from tests.test_cli import run  # noqa: F401 - the runner fixture

SUMMARY, VIDEO = "20d2ec800f95fb01", "904f2657af3b42e6"


@pytest.fixture
def seeded_run(run):  # noqa: F811 - the imported fixture
    """The CLI runner of tests/test_cli.py on a database that has imported seeds/."""
    assert run("import", str(SEEDS)).exit_code == 0
    return run


def test_claim_folds_echoes_into_one_also_in_line_with_place_links(seeded_run):
    cmd = seeded_run
    out = cmd("claim", "robotics", "algorithms", "problem").output
    block = out.split("\n 1. ", 1)[1].split("\n 2. ", 1)[0]
    assert "robotics" in block.lower() and "also in:" in block and "(2 sources)" in block
    assert "youtube.com/watch?v=_zgnSbu5GqE&t=70s" in block or "dwarkesh.com/p/thoughts-on-ai-progress" in block
    assert out.split("\n", 1)[1].lower().count("algorithms problem") == 1  # the echo is not listed twice


def test_claim_says_it_expanded_an_alias_and_aliases_can_be_managed(seeded_run):
    cmd = seeded_run
    out = cmd("claim", "reinforcement", "learning", "from", "verifiable", "rewards").output
    assert "(also searched 'RLVR')" in out and "RLVR" in out.split("\n", 2)[2]
    listing = cmd("aliases").output
    assert "RLVR" in listing and "reinforcement learning from verifiable reward" in listing
    assert cmd("aliases", "add", "LLM", "large", "language", "models").exit_code == 0
    assert "LLM" in cmd("aliases").output
    assert cmd("aliases", "remove", "RLVR").exit_code == 0
    assert "RLVR" not in cmd("aliases").output
    assert "also searched" not in cmd("claim", "reinforcement learning from verifiable rewards").output
    again = cmd("import", str(SEEDS))  # unchanged notes are not re-mined; a removed alias stays removed
    assert again.exit_code == 0 and "RLVR" not in cmd("aliases").output
    bad = cmd("aliases", "remove", "NOPE")
    assert bad.exit_code == 1 and "no alias" in bad.output


def test_validating_a_claim_offers_its_echoes_and_validates_them_on_request(seeded_run):
    cmd = seeded_run
    out = cmd("validate", SUMMARY, "--claim", "3", "--by", "ann", "--on", "2026-11-20").output
    assert "The same claim is in 1 other note" in out and f"deskbot validate {VIDEO} --claim 3" in out
    out = cmd("validate", SUMMARY, "--claim", "3", "--by", "ann", "--on", "2026-11-21", "--echoes").output
    assert "Also validated 1 echo" in out
    export = cmd("export", "vault").output
    assert "exported" in export


def test_outdated_claim_flags_its_echoes_for_the_digest_never_changes_them(seeded_run):
    cmd = seeded_run
    out = cmd("validate", VIDEO, "--claim", "3", "--outdated", "--by", "bob", "--on", "2026-11-21").output
    assert "1 echo in other notes flagged for review" in out
    digest = cmd("digest", "--dry-run", "--as-of", "2026-11-24").output
    section = digest.split("Echoes of outdated claims (1)", 1)[1]
    assert "Thoughts on AI Progress (Dec 2025) claim 3" in section and "What are we scaling?" in section
    store = Store.open(os.environ["DESKBOT_DB"])
    try:
        assert store.get_note(VIDEO).claims[2].outdated and not store.get_note(SUMMARY).claims[2].outdated
    finally:
        store.close()
    # looking at the echo (validating it) takes it off the list
    cmd("validate", SUMMARY, "--claim", "3", "--on", "2026-11-25")
    assert "Echoes of outdated claims" not in cmd("digest", "--dry-run", "--as-of", "2026-11-26").output


def test_re_validating_the_outdated_claim_withdraws_its_echoes_review(seeded_run):
    cmd = seeded_run
    cmd("validate", VIDEO, "--claim", "3", "--outdated", "--by", "bob", "--on", "2026-11-21")
    assert "Echoes of outdated claims (1)" in cmd("digest", "--dry-run", "--as-of", "2026-11-24").output
    cmd("validate", VIDEO, "--claim", "3", "--by", "bob", "--on", "2026-11-25")  # it was right after all
    assert "Echoes of outdated claims" not in cmd("digest", "--dry-run", "--as-of", "2026-11-26").output


def test_relink_rebuilds_with_progress(seeded_run):
    result = CliRunner().invoke(cli, ["relink"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "relinked 27 claims" in result.output and "echo links" in result.output


def test_an_outdated_claim_does_not_hide_its_echoes_behind_it(tmp_path):
    """Folding is for corroboration: once the top wording is marked outdated, the still-valid wording in the
    other note is an answer of its own again (with its buttons), not an "also in" link under a stale one."""
    from datetime import date, datetime

    from bot.kb.answers import claim_search
    from bot.kb.importer import import_paths

    store = Store.open(str(tmp_path / "kb.db"))
    import_paths(store, [SEEDS])
    today = date(2026, 11, 30)
    folded = next(a for a in claim_search(store, "rlvr", today).answers if a.also_in)
    echo = folded.also_in[0]
    store.validate(folded.hit.note_id, by="U0ANN", at=datetime(2026, 11, 30, 9), claim=folded.hit.position,
                   verdict="outdated")
    after = claim_search(store, "rlvr", today).answers
    stale = next(a for a in after if a.hit.claim_id == folded.hit.claim_id)
    assert stale.also_in == () and stale.freshness.badge == "outdated"
    assert any(a.hit.note_id == echo.note_id and a.hit.position == echo.position for a in after)
    store.close()


def test_a_claim_three_sources_state_ranks_above_a_lone_claim_it_followed(run, tmp_path):  # noqa: F811
    """Corroboration lifts a claim within its tier: without it the India claim comes last of the four."""
    lone = ["Rooftop solar lowers household power bills in sunny regions.",
            "Solar panels still work on cloudy days, at lower output.",
            "Utility solar farms need a lot of land per megawatt."]
    india = "India's installed solar capacity more than doubled between 2019 and 2023, grid operator data show."
    (tmp_path / "notes").mkdir()
    for name, claim in [("lone1", lone[0]), ("lone2", lone[1]), ("lone3", lone[2]),
                        ("india1", india), ("india2", india), ("india3", india)]:
        (tmp_path / "notes" / f"{name}.md").write_text(
            f'---\nurl: https://{name}.example.org/a\ntitle: "{name}"\n---\n\n# {name}\n\n## Key Claims\n\n- {claim}\n',
            encoding="utf-8")
    assert run("import", str(tmp_path / "notes")).exit_code == 0
    lines = [line for line in run("claim", "solar").output.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    assert [line.split(". ", 1)[1] for line in lines] == [lone[0], lone[1], india, lone[2]]
    assert "(3 sources)" in run("claim", "solar").output
