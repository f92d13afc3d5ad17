"""The package's never-rules, read from the code's own imports (docs/architecture.md).

Every import counts: at module level, inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sirenpde"
MAX_LINES = 300

# part → the parts it must never import (a part is a subpackage of sirenpde).
NEVER = {
    "training": {"problems", "config", "cli", "runs", "references"},
    "model": {"training", "sampling", "config", "cli", "runs", "problems", "references", "results"},
    "derivatives": {"training", "sampling", "config", "cli", "runs", "problems", "constraints"},
    "domains": {"training", "sampling", "config", "cli", "runs", "problems", "model", "derivatives"},
    "sampling": {"training", "config", "cli", "runs", "problems"},
    "constraints": {"training", "config", "cli", "runs", "problems", "results"},
    "expressions": {"training", "config", "cli", "runs", "problems"},
    "results": {"training", "config", "cli", "runs", "problems", "sampling"},
    "problems": {"training", "config", "cli", "runs"},
    "references": {"training", "config", "cli", "runs"},
    "config": {"cli", "runs"},
    "runs": {"cli"},
}
# Of training, config may read only its settings (the TrainConfig a file fills in) and the choices
# made for the keys a file leaves out.
CONFIG_MAY_IMPORT_FROM_TRAINING = {"sirenpde.training.settings", "sirenpde.training.auto"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """The sirenpde modules that module ``name`` imports, anywhere in its text."""
    path = _modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sirenpde")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("sirenpde"):
                target = node.module
            else:
                continue
            submodules = {f"{target}.{a.name}" for a in node.names} & set(_modules())
            # `from package import submodule` needs the submodule, not the package's own names.
            if len(submodules) < len(node.names):
                found.add(target)
            found |= submodules
    return {m for m in found if m in _modules() and m != name}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_the_top_level_holds_only_the_front_door_and_the_parts():
    files = {p.name for p in PACKAGE.glob("*.py")}
    assert files == {"__init__.py", "__main__.py", "_version.py"}
    for folder in (p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        init = folder / "__init__.py"
        assert init.exists(), f"{folder.name}/ is not a package"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{folder.name}/__init__.py says what it owns"


def test_no_module_is_over_300_lines():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_import_cycle():
    graph = {name: _imports(name) for name in _modules()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("part", sorted(NEVER))
def test_never_rules(part):
    broken = []
    for name in _modules():
        if _part(name) != part:
            continue
        for target in _imports(name):
            other = _part(target)
            if other in NEVER[part]:
                broken.append(f"{name} imports {target}")
            if part == "config" and other == "training" and target not in CONFIG_MAY_IMPORT_FROM_TRAINING:
                broken.append(f"{name} imports training internals: {target}")
    assert not broken, "; ".join(broken)


def test_nothing_outside_the_command_line_prints():
    printing = []
    for name, path in _modules().items():
        if _part(name) == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                printing.append(f"{name}:{node.lineno}")
    assert not printing, f"print outside sirenpde.cli: {printing}"


def test_the_rules_see_imports_of_every_form():
    # The checker itself: relative, absolute, function-local and submodule imports are all edges.
    assert "sirenpde.results.solution" in _imports("sirenpde.training.loop")
    assert "sirenpde.domains._composite" in _imports("sirenpde.domains.union")  # from . import _composite
    assert "sirenpde.runs" in _imports("sirenpde.cli.solve")  # imported inside a function
