"""The README's example outputs are what deskbot really prints (the cog idea, as sqlite-utils uses it).

Each ``<!-- example: NAME -->`` … ``<!-- /example -->`` block of README.md holds the output of the commands
below, run on a fresh database with the repository's seeds imported. When deskbot's output changes on
purpose, regenerate the blocks with ``python -m tests.test_readme --write`` and review the diff.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- example: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /example -->)", re.S)


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) + len(start) : text.index(end)].strip("\n")


# name -> (command shown in the block, the commands run, what of their output the block shows)
EXAMPLES: dict[str, tuple[str, list[list[str]], Callable[[str], str]]] = {
    "claim": ("deskbot claim rlvr -n 3 --as-of 2026-11-30", [["claim", "rlvr", "-n", "3", "--as-of", "2026-11-30"]],
              lambda out: out.rstrip("\n")),
    "reply": ("deskbot demo --as-of 2026-11-30   # the clip of the bundled sample page, as the thread reply reads",
              [["demo", "--as-of", "2026-11-30"]],
              lambda out: _between(out, "(posted as https://desk-research.example/p/verifiable-rewards-clinical-ai)\n",
                                   "\n== weekly digest")),
    "digest": ("deskbot digest --dry-run --as-of 2026-11-30", [["digest", "--dry-run", "--as-of", "2026-11-30"]],
               lambda out: out.rstrip("\n")),
}


def render(name: str, folder: Path) -> str:
    """The block's body: the command and its real output, on a fresh database holding the seeds."""
    shown, commands, pick = EXAMPLES[name]
    env = {"DESKBOT_DB": str(folder / f"{name}.db"), "DESKBOT_SUMMARIZER": "extractive", "DESKBOT_TZ": "UTC",
           "DESKBOT_DIGEST": "mon 09:00", "DESKBOT_DECAY": ""}
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(ROOT / "seeds")], env=env).exit_code == 0
    out = ""
    for args in commands:
        result = runner.invoke(cli, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        out = result.output
    return f"```\n$ {shown}\n{pick(out)}\n```\n"


def blocks(text: str) -> dict[str, str]:
    return {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}


def test_every_example_block_is_known():
    assert set(blocks(README.read_text("utf-8"))) == set(EXAMPLES)


def test_readme_examples_are_real_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo's scratch database lands here
    for name, body in blocks(README.read_text("utf-8")).items():
        assert body == render(name, tmp_path), f"README example {name!r} is stale: python -m tests.test_readme --write"


def write(folder: Path) -> None:
    text = README.read_text("utf-8")
    text = BLOCK.sub(lambda m: m.group(1) + render(m.group("name"), folder) + m.group(4), text)
    README.write_text(text, "utf-8")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        write(Path(scratch))
