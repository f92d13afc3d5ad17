"""Problem files: every shipped file loads, and every mistake is one located line.

An error reads ``FILE:LINE: key.path: message``; these tests pin the file, the line, the key path
and the words that tell the user what to fix.
"""

from __future__ import annotations

import builtins
import math
import re
from pathlib import Path

import pytest
import torch

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.config.yaml_source import parse_yaml

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))

# Line numbers below refer to this text; keep them in step when editing it.
BASE = """\
problem: poisson
domain:
  box: {lo: [0, 0], hi: [1, 1]}
pde:
  source: 2*pi**2*sin(pi*x)*sin(pi*y)
  points: 64
boundary:
  - {type: dirichlet, on: boundary, value: 0, points: 32}
exact: sin(pi*x)*sin(pi*y)
model: {layers: [16, 16], w0_initial: 5}
training:
  steps: 30
  lr: 1e-3
output: {resolution: 21}
"""




def _edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def _error(tmp_path: Path, text: str) -> tuple[sp.ConfigError, str]:
    """Load ``text`` from a file; the ConfigError it raises and that file's name."""
    path = tmp_path / "problem.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sp.ConfigError) as info:
        sp.load_problem_file(path)
    message = str(info.value)
    assert "\n" not in message, "an error is one line"
    return info.value, str(path)


def _assert_located(err: sp.ConfigError, file: str, line: int, key: str | None,
                    *words: str) -> None:
    prefix = f"{file}:{line}: " + (f"{key}: " if key else "")
    message = str(err)
    assert message.startswith(prefix), f"{message!r} does not start with {prefix!r}"
    assert err.file == file and err.line == line
    rest = message[len(prefix):]
    assert rest and not rest.startswith(" ")
    for word in words:
        assert word in rest, f"{word!r} not in {message!r}"


# --- every shipped problem file ---------------------------------------------------------------


def test_the_poisson_example_is_shipped():
    assert ROOT / "problems" / "poisson.yaml" in PROBLEMS


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_every_problem_file_loads(path: Path):
    spec = sp.load_problem_file(path)
    assert isinstance(spec.problem, sp.Problem)
    assert spec.problem.constraints
    assert spec.source.text == path.read_text(encoding="utf-8")
    assert spec.output_path.endswith(".h5")


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_every_problem_file_passes_check(path: Path, capsys):
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "ok" in out and err == ""


def test_poisson_example_builds_its_constraints():
    spec = sp.load_problem_file(ROOT / "problems" / "poisson.yaml")
    names = [c.name for c in spec.problem.constraints]
    # the Dirichlet condition on the outer edge is exact by default: its term leaves the loss
    assert names == ["pde", "neumann:hole_a", "neumann:hole_b"]
    assert spec.problem.ansatz is not None and spec.problem.ansatz.part.channels == 1
    assert spec.problem.axes == ("x", "y") and spec.problem.kind == "poisson"
    # The exact solution is compiled from text, not run as Python.
    x = torch.tensor([[0.25, 0.0], [0.5, 0.5]], dtype=torch.float64)
    expected = torch.sin(math.pi * x[:, 0]) * torch.cos(math.pi * x[:, 1])
    torch.testing.assert_close(spec.problem.exact(x).reshape(-1), expected)


def test_base_text_loads():
    spec = sp.load_problem_text(BASE)
    assert spec.training.steps == 30
    assert spec.model.layers == (16, 16)
    assert spec.resolution == 21
    assert spec.output_path == "result.h5"
    assert sp.load_problem_text(BASE, "runs/base.yaml").output_path == "base.h5"


# --- one located line per mistake -------------------------------------------------------------

CASES = {
    "typo in a section name": (
        _edit("training:", "trainig:"), 11, "trainig",
        ["unknown key 'trainig'", "did you mean 'training'?"],
    ),
    "typo in a key": (
        _edit("steps: 30", "stpes: 30"), 12, "training.stpes",
        ["unknown key 'stpes'; did you mean 'steps'?", "expected one of:"],
    ),
    "typo in a flow mapping": (
        _edit("layers: [16, 16]", "layres: [16, 16]"), 10, "model.layres",
        ["unknown key 'layres'; did you mean 'layers'?"],
    ),
    "typo of a required key": (
        _edit("{lo: [0, 0]", "{low: [0, 0]"), 3, "domain.box.low",
        ["unknown key 'low'; did you mean 'lo'?"],
    ),
    "wrong type": (
        _edit("steps: 30", "steps: abc"), 12, "training.steps",
        ["expected", "integer", "found 'abc'"],
    ),
    "wrong type in a list": (
        _edit("[16, 16]", "[16, wide]"), 10, "model.layers[1]",
        ["integer", "found 'wide'"],
    ),
    "missing required section": (
        _edit("domain:\n  box: {lo: [0, 0], hi: [1, 1]}\n", ""), 1, "domain",
        ["required key is missing"],
    ),
    "missing required key in a list item": (
        _edit("value: 0, ", ""), 8, "boundary[0].value", ["required key is missing"],
    ),
    "unknown name in an expression": (
        _edit("exact: sin(pi*x)*sin(pi*y)", "exact: sin(pi*z)"), 9, "exact",
        ["'z'", "expected one of: x, y"],
    ),
    "__import__ in an expression": (
        _edit("exact: sin(pi*x)*sin(pi*y)", "exact: __import__('os')"), 9, "exact",
        ["'__import__'", "not an allowed function"],
    ),
    "attribute access in an expression": (
        _edit("source: 2*pi**2*sin(pi*x)*sin(pi*y)", "source: x.__class__"), 5, "pde.source",
        ["'.__class__'", "not allowed"],
    ),
    "normal outside a boundary": (
        _edit("source: 2*pi**2*sin(pi*x)*sin(pi*y)", "source: nx"), 5, "pde.source", ["'nx'"],
    ),
    "unknown problem family": (
        _edit("problem: poisson", "problem: poison"), 1, "problem",
        ["unknown problem 'poison'", "expected one of: poisson"],
    ),
    "missing problem family": (
        _edit("problem: poisson\n", "title: no family\n"), 1, "problem",
        ["required key is missing", "poisson"],
    ),
    "problem family that is not text": (
        _edit("problem: poisson", "problem: [poisson]"), 1, "problem", ["unknown problem"],
    ),
    "unknown boundary part": (
        _edit("on: boundary", "on: outer"), 8, "boundary[0].on",
        ["unknown boundary part 'outer'", "expected one of: boundary, x_min, x_max, y_min, y_max"],
    ),
    "second condition on one part": (
        _edit("boundary:\n", "boundary:\n  - {type: dirichlet, on: boundary, value: 1}\n"),
        9, "boundary[1].on", ["second dirichlet condition"],
    ),
    "unknown condition type": (
        _edit("type: dirichlet", "type: robin"), 8, "boundary[0].type",
        ["'dirichlet' or 'neumann'", "found 'robin'"],
    ),
    "duplicate key": (
        BASE + "exact: 0\n", 15, "exact", ["duplicate key 'exact'"],
    ),
    "duplicate nested key": (
        _edit("hi: [1, 1]", "lo: [1, 1]"), 3, "domain.box.lo", ["duplicate key 'lo'"],
    ),
    "NaN number": (
        _edit("box: {lo: [0, 0], hi: [1, 1]}", "disk: {center: [0, 0], radius: .nan}"), 3,
        "domain.disk.radius", ["finite", "nan"],
    ),
    "infinite weight": (
        _edit("points: 64", "points: 64\n  weight: .inf"), 7, "pde.weight", ["finite", "inf"],
    ),
    "NaN as an expression": (
        _edit("exact: sin(pi*x)*sin(pi*y)", "exact: .nan"), 9, "exact", ["finite", "nan"],
    ),
    "infinity as a boundary value": (
        _edit("value: 0,", "value: -.inf,"), 8, "boundary[0].value", ["finite", "-inf"],
    ),
    "two kinds in one domain": (
        _edit("box: {lo: [0, 0], hi: [1, 1]}",
              "box: {lo: [0, 0], hi: [1, 1]}\n  disk: {center: [0, 0], radius: 1}"),
        2, "domain", ["exactly one of", "found box, disk"],
    ),
    "no kind in a domain": (
        _edit("box: {lo: [0, 0], hi: [1, 1]}", "{}"), 2, "domain", ["found none"],
    ),
    "degenerate polygon": (
        _edit("box: {lo: [0, 0], hi: [1, 1]}", "polygon: {vertices: [[0, 0], [1, 1], [2, 2]]}"),
        2, "domain", ["Polygon", "zero area"],
    ),
    "polygon with two vertices": (
        _edit("box: {lo: [0, 0], hi: [1, 1]}", "polygon: {vertices: [[0, 0], [1, 0]]}"),
        2, "domain", ["Polygon", "3 vertices"],
    ),
    "hole that swallows the base": (
        _edit("box: {lo: [0, 0], hi: [1, 1]}",
              "difference: {base: {box: {lo: [0, 0], hi: [1, 1]}},"
              " holes: [{disk: {center: [0.5, 0.5], radius: 5}}]}"),
        2, "domain", ["holes cover the whole base"],
    ),
    "inverted box": (
        _edit("hi: [1, 1]", "hi: [-1, 1]"), 2, "domain", ["lo < hi"],
    ),
    "bad radius inside a union": (
        _edit("box: {lo: [0, 0], hi: [1, 1]}",
              "union: [{box: {lo: [0, 0], hi: [1, 1]}}, {disk: {center: [0, 0], radius: -1}}]"),
        3, "domain.union[1].disk.radius", ["greater than 0", "found -1"],
    ),
    "wrong number of axes": (
        _edit("problem: poisson\n", "problem: poisson\naxes: [x]\n"), 2, "axes", ["2 distinct"],
    ),
    "axis named like a constant": (
        _edit("problem: poisson\n", "problem: poisson\naxes: [pi, y]\n"), 2, "axes", ["'pi'"],
    ),
    "grid of one point": (
        _edit("resolution: 21", "resolution: 1"), 14, "output.resolution",
        ["greater than or equal to 2", "found 1"],
    ),
    "grid counts for the wrong dimension": (
        _edit("resolution: 21", "resolution: [5, 5, 5]"), 14, "output.resolution",
        ["one count per axis (2)"],
    ),
    "bad grid count in a list": (
        _edit("resolution: 21", "resolution: [1, 5]"), 14, "output.resolution[0]",
        ["greater than or equal to 2"],
    ),
    "gradient supervision of the wrong size": (
        BASE + "gradient: {value: [x]}\n", 15, "gradient.value", ["expected 2 components"],
    ),
    "boolean as an expression": (
        _edit("exact: sin(pi*x)*sin(pi*y)", "exact: true"), 9, "exact",
        ["expected an expression", "found True"],
    ),
}


@pytest.mark.parametrize("text, line, key, words", CASES.values(), ids=CASES.keys())
def test_error_is_one_located_line(tmp_path, text, line, key, words):
    err, file = _error(tmp_path, text)
    _assert_located(err, file, line, key, *words)


@pytest.mark.parametrize(
    "text, line, words",
    [
        (_edit("  points: 64", "\tpoints: 64"), 6, ["invalid YAML", "'\\t'"]),
        (_edit("exact: sin(pi*x)*sin(pi*y)", "exact: sin(pi*x): 1"), 9,
         ["invalid YAML", "mapping values are not allowed"]),
        (_edit("exact: sin(pi*x)*sin(pi*y)", "exact: !!python/object/apply:os.system [ls]"), 9,
         ["invalid YAML", "constructor"]),
        ("", 1, ["expected a mapping", "empty file"]),
        ("# only a comment\n\n", 1, ["expected a mapping", "empty file"]),
        ("- problem: poisson\n", 1, ["expected a mapping", "found list"]),
    ],
    ids=["tab", "mapping in a scalar", "python tag", "empty", "only comments", "a list"],
)
def test_document_error_is_one_located_line(tmp_path, text, line, words):
    """Errors about the document itself have no key path: ``FILE:LINE: message``."""
    err, file = _error(tmp_path, text)
    _assert_located(err, file, line, None, *words)
    assert err.key == ()


def test_error_names_the_file_given(tmp_path):
    err = pytest.raises(sp.ConfigError, sp.load_problem_text, _edit("steps: 30", "steps: x"),
                        "mine.yaml").value
    assert str(err).startswith("mine.yaml:12: training.steps: ")


def test_missing_file_is_a_config_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    err = pytest.raises(sp.ConfigError, sp.load_problem_file, missing).value
    assert str(err) == f"{missing}: file not found; check the path"


def test_settings_errors_point_at_the_training_key(tmp_path):
    """Checks made by TrainConfig itself land on the offending key of the training block."""
    for old, new, key in [("lr: 1e-3", "lr: .inf", "lr"), ("lr: 1e-3", "lr: .nan", "lr"),
                          ("steps: 30", "steps: -5", "steps"), ("lr: 1e-3", "device: tpu", "device")]:
        err, file = _error(tmp_path, _edit(old, new))
        assert re.match(rf"{re.escape(file)}:1[123]: training\.{key}: ", str(err)), str(err)


def test_alias_bomb_is_refused():
    rows = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(sp.ConfigError, match="expands to more than"):
        sp.load_problem_text("\n".join(rows) + "\n", "bomb.yaml")


# --- YAML 1.1 pitfalls ------------------------------------------------------------------------


def test_yaml_scalars_follow_yaml_1_2():
    data = parse_yaml("on: outer\noff: 1\nyes: no\nlr: 1e-3\nbig: 1E+3\nneg: -2.5e-2\n"
                      "flag: true\nother: False\nn: 12\n").data
    assert data == {"on": "outer", "off": 1, "yes": "no", "lr": 1e-3, "big": 1000.0,
                    "neg": -0.025, "flag": True, "other": False, "n": 12}
    assert isinstance(data["lr"], float) and isinstance(data["n"], int)


def test_on_key_and_exponent_float_in_a_problem():
    spec = sp.load_problem_text(_edit("on: boundary", "on: x_min, exact: false"), "f.yaml")
    assert [c.name for c in spec.problem.constraints] == ["pde", "dirichlet:x_min"]
    assert spec.training.lr == pytest.approx(1e-3)
    assert isinstance(spec.training.lr, float)


def test_lines_are_recorded_per_key():
    source = parse_yaml(BASE, "f.yaml")
    assert source.lines[("training", "steps")] == 12
    assert source.lines[("boundary", 0, "value")] == 8
    assert source.line_of(("training", "steps", "deeper")) == 12


# --- user text is never run as Python ---------------------------------------------------------


HOSTILE = [
    "__import__('os').system('touch pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('pwned', 'w')",
    "eval('1')",
    "exec('x = 1')",
    "\"lambda: 1\"",
    "[x for x in (1, 2)]",
    "globals()",
    "x if x else y",
]


@pytest.fixture
def no_eval(monkeypatch):
    """eval and exec raise; compile only parses (ast.parse), it never makes runnable code."""
    real_compile = builtins.compile

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called on a problem file")

    def parse_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & 0x400:  # ast.PyCF_ONLY_AST
            raise AssertionError(f"compile() to code called on {source!r}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", parse_only)


def test_the_guard_catches_eval(no_eval):
    with pytest.raises(AssertionError):
        eval("1")
    with pytest.raises(AssertionError):
        compile("1", "<test>", "eval")


def test_valid_file_loads_and_evaluates_without_eval(no_eval):
    spec = sp.load_problem_text(BASE, "f.yaml")
    x = torch.tensor([[0.5, 0.5], [0.25, 0.75]], dtype=torch.float64)
    exact = spec.problem.exact(x).reshape(-1)
    torch.testing.assert_close(exact, torch.sin(math.pi * x[:, 0]) * torch.sin(math.pi * x[:, 1]))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_expression_is_refused_without_eval(no_eval, tmp_path, monkeypatch, hostile):
    monkeypatch.chdir(tmp_path)
    text = _edit("exact: sin(pi*x)*sin(pi*y)", f"exact: {hostile}")
    err, file = _error(tmp_path, text)
    _assert_located(err, file, 9, "exact")
    assert list(tmp_path.iterdir()) == [tmp_path / "problem.yaml"], "nothing may be created"
