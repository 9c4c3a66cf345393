"""The four wings, one way down: no import circle and no import up a layer (docs/architecture.md).

Every import is read with ``ast``, including imports inside functions and under ``TYPE_CHECKING``:
a lazy import is still a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"

# Lower number = lower layer. A module may import its own layer and the layers below it.
LAYERS = {"bot": 0, "bot.kb": 0, "bot.config": 1, "bot.capture": 2, "bot.slack": 3, "bot.clock": 4}
TOP = 5  # bot.cli, bot.server, bot.__main__, bot.web: the faces, free to import every wing
# The clock posts through Slack, but only through the Web API client and the wall clock (runtime), the
# exactly-once posting rules every post follows (post_once) and the pure Block Kit builders (blocks).
CLOCK_MAY_USE = ("bot.slack.runtime", "bot.slack.post_once", "bot.slack.blocks")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def layer(module: str) -> int:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            if prefix == "bot" and module != "bot":
                return TOP
            return LAYERS[prefix]
    return TOP


def imports_of(source: str, module: str) -> set[str]:
    """Every ``bot`` module named by an import in the source (``from bot import x`` names ``bot.x``)."""
    found: set[str] = set()
    package = module if module.count(".") == 0 else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "bot")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "bot":
                continue
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base)
    return found


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph(files: dict[str, str]) -> dict[str, set[str]]:
    return {name: {d for d in imports_of(src, name) if d != name} for name, src in files.items()}


def upward(edges: dict[str, set[str]]) -> list[str]:
    bad = []
    for src, deps in edges.items():
        for dep in deps:
            if layer(dep) > layer(src):
                bad.append(f"{src} -> {dep} (layer {layer(src)} imports layer {layer(dep)})")
            elif (layer(src), layer(dep)) == (LAYERS["bot.clock"], LAYERS["bot.slack"]) and not dep.startswith(
                CLOCK_MAY_USE
            ):
                bad.append(f"{src} -> {dep} (the clock uses only {', '.join(CLOCK_MAY_USE)})")
    return sorted(bad)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(edges.get(node, ())):
            if dep not in edges:
                continue
            if state.get(dep) == 1:
                found.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [])
    return found


def project() -> dict[str, str]:
    return {module_name(p): p.read_text("utf-8") for p in sorted(BOT.rglob("*.py"))}


def test_no_import_circle() -> None:
    assert circles(graph(project())) == []


def test_no_import_up_a_layer() -> None:
    assert upward(graph(project())) == []


def test_every_module_belongs_to_a_wing_or_the_top() -> None:
    loose = [m for m in project() if m.count(".") == 1 and m not in
             {"bot.cli", "bot.server", "bot.config", "bot.__main__", "bot.kb", "bot.capture", "bot.slack", "bot.clock", "bot.web"}]
    assert loose == []


def test_the_checks_catch_a_circle_and_an_upward_import() -> None:
    files = project()
    files["bot.kb.store"] += "\nfrom bot.slack import blocks\n"  # kb reaching up into Slack
    assert "bot.kb.store -> bot.slack.blocks (layer 0 imports layer 3)" in upward(graph(files))
    files = project()
    files["bot.kb.notes"] += "\ndef f():\n    from bot.kb import store\n"  # store imports notes: a circle
    assert any(c[0] == "bot.kb.notes" or "bot.kb.notes" in c for c in circles(graph(files)))
    files = project()
    files["bot.clock.digest"] += "\nfrom bot.slack.listeners import actions\n"
    assert any("the clock uses only" in b for b in upward(graph(files)))
