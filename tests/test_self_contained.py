"""The suite depends on the repository alone: a user's clone has nothing beside it.

Static check over every test module: no path is climbed above the checkout from ``__file__``
(``parents[N]`` or a chain of ``.parent``), and no string names the folders that sit beside the checkout on
the team's machines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = "sha" + "red"  # spelled in pieces: this checker must not look like a test that reads it
OUTSIDE_NAMES = (f"../{SHARED}", f"{SHARED}/slack-payloads", f"{SHARED}/eval", f"{SHARED}/seeds")


def _test_files() -> list[Path]:
    here = Path(__file__).resolve()  # this checker names the forbidden forms on purpose
    return sorted(p for p in (ROOT / "tests").rglob("*.py") if p.is_file() and p.resolve() != here)


def _climb(node: ast.AST) -> int | None:
    """How many folders an expression climbs from ``__file__`` (``None`` when it is not rooted there)."""
    if isinstance(node, ast.Name) and node.id == "__file__":
        return 0
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Path" and node.args:
            return _climb(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr in {"resolve", "absolute"}:
            return _climb(func.value)
        return None
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _climb(node.value)
        return None if inner is None else inner + 1
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "parents"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, int)
    ):
        inner = _climb(node.value.value)
        return None if inner is None else inner + node.slice.value + 1
    return None


def escapes(source: str, depth: int) -> list[str]:
    """Problems in one module's source; ``depth`` = folders between the module and the checkout's root."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        climbed = _climb(node)
        if climbed is not None and climbed > depth + 1:
            problems.append(f"line {node.lineno}: climbs {climbed - 1} folders from its own, above the checkout")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            problems.extend(
                f"line {node.lineno}: names {name!r}, outside the checkout" for name in OUTSIDE_NAMES if name in node.value
            )
    return problems


@pytest.mark.parametrize("path", _test_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_reads_outside_the_checkout(path: Path) -> None:
    depth = len(path.relative_to(ROOT).parts) - 1
    assert escapes(path.read_text("utf-8"), depth) == []


def test_the_check_catches_both_forms_used_before() -> None:
    # the two forms that made a fresh clone fail (tests/capture/test_links.py, tests/test_fakes_slack_api.py)
    climb = f'payloads = Path(__file__).resolve().parents[3] / "{SHARED}" / "slack-payloads"'
    assert escapes(climb, depth=2) and not escapes('fixtures = Path(__file__).resolve().parents[1] / "fixtures"', 2)
    assert escapes('x = Path(__file__).parent.parent.parent / "other"', depth=1)
    assert escapes(f'p = "../{SHARED}/eval/x.txt"', depth=1)
