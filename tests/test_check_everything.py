"""``check`` checks what ``solve`` will need: every mistake of a file at once, one line each; a "did
you mean" for names; sizes that would exhaust memory; folders given as data files; optional
packages a file's keys need."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from test_cli import TINY, _run, _write

import sirenpde as sp
from sirenpde.config import ConfigError
from sirenpde.config.errors import ConfigErrors
from sirenpde.expressions.coefficients import expression
from sirenpde.expressions.errors import ExpressionError

THREE_IN_THE_SCHEMA = (TINY.replace("points: 64", "points: many").replace("steps: 30", "stpes: 30")
                       .replace("resolution: 21", "resolution: [21, x]"))
THREE_IN_EXPRESSIONS = (TINY.replace("source: 2*pi", "source: 2*pii").replace("exact: sin(", "exact: sinn(")
                        .replace("points: 32}", "points: true}"))


@pytest.mark.parametrize("text, where", [
    (THREE_IN_THE_SCHEMA, [(6, "pde.points"), (12, "training.stpes"), (16, "output.resolution[1]")]),
    (THREE_IN_EXPRESSIONS, [(5, "pde.source"), (8, "boundary[0].points"), (9, "exact")]),
    (TINY.replace("value: 0, points: 32", "points: x").replace("steps: 30", "stpes: 30"),
     [(8, "boundary[0].points"), (8, "boundary[0].value"), (12, "training.stpes")]),
], ids=["schema", "expressions and booleans", "two in one item"])
def test_three_mistakes_three_lines(tmp_path, text, where):
    path = _write(tmp_path, text)
    code, out, err = _run(["check", str(path)])
    lines = err.splitlines()
    assert code == 2 and out == "" and "Traceback" not in err
    assert [line.split(": ")[:3] for line in lines] == [["error", f"{path}:{n}", key] for n, key in where]


def test_several_mistakes_are_one_exception_for_python_users():
    with pytest.raises(ConfigErrors) as err:
        sp.load_problem_text(THREE_IN_EXPRESSIONS)
    assert isinstance(err.value, ConfigError) and len(err.value.lines()) == 3
    assert err.value.line == 5 and str(err.value).count("\n") == 2


def test_a_typo_and_the_key_it_misses_are_one_mistake(tmp_path):
    path = _write(tmp_path, TINY.replace("value: 0,", "valeu: 0,"))
    code, _, err = _run(["check", str(path)])
    assert code == 2 and len(err.splitlines()) == 1 and "did you mean 'value'?" in err


@pytest.mark.parametrize("text, close", [("sinn(pi*x)", "sin"), ("exq(x)", "exp"), ("sin(pi*xx)", "x")])
def test_unknown_names_get_a_did_you_mean(text, close):
    with pytest.raises(ExpressionError, match=f"did you mean '{close}'"):
        expression(text, ("x", "y"))


def test_no_guess_when_nothing_is_close():
    with pytest.raises(ExpressionError) as err:
        expression("frobnicate(x)", ("x", "y"))
    assert "did you mean" not in str(err.value)


@pytest.mark.parametrize("layers, words", [
    ("[100000, 10]", ["model.layers[0]", "less than or equal to 8192"]),
    ("[5000, 5000, 5000, 5000]", ["model:", "75,000,000 weights", "at most 50,000,000"]),
])
def test_a_huge_network_is_refused_at_check_time(tmp_path, layers, words):
    path = _write(tmp_path, TINY.replace("layers: [16, 16]", f"layers: {layers}"))
    code, _, err = _run(["check", str(path)])
    assert code == 2 and len(err.splitlines()) == 1
    for word in words:
        assert word in err


def test_a_large_network_gets_l_bfgs_not_levenberg_marquardt():
    text = TINY.replace("model: {layers: [16, 16], w0_initial: 5}", "model: {layers: [1000, 1000]}")
    text = text.replace("  steps: 30\n", "")
    spec = sp.load_problem_text(text)
    assert spec.training.lm_steps == 0 and spec.training.lbfgs_steps > 0
    assert any("Jacobian too large" in line for line in spec.picked)


HELMHOLTZ_FD = """\
problem: helmholtz
domain: {box: {lo: [-1, -1], hi: [1, 1]}}
k: 5
source: sin(pi*x)
reference: {fd: {resolution: 100000}}
"""


def test_a_huge_fd_reference_is_refused_with_its_limit(tmp_path):
    path = _write(tmp_path, HELMHOLTZ_FD)
    code, _, err = _run(["check", str(path)])
    assert code == 2 and len(err.splitlines()) == 1
    assert "reference.fd.resolution" in err and "2049" in err


EIKONAL_FMM = """\
problem: eikonal
domain: {box: {lo: [0, 0, 0], hi: [1, 1, 1]}}
source: [0.5, 0.5, 0.5]
reference: {fmm: {resolution: 1000}}
"""


def test_a_huge_fmm_reference_is_refused_with_its_limit(tmp_path):
    path = _write(tmp_path, EIKONAL_FMM)
    code, _, err = _run(["check", str(path)])
    assert code == 2 and len(err.splitlines()) == 1
    assert "reference.fmm.resolution" in err and "134,217,728 nodes" in err and "1000^3" in err


def test_a_missing_optional_package_is_named_with_its_install_command(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "skfmm" else real(name, *args))
    path = _write(tmp_path, EIKONAL_FMM.replace("1000", "21"))
    code, _, err = _run(["check", str(path)])
    assert code == 2 and len(err.splitlines()) == 1
    assert "reference" in err and "scikit-fmm" in err and "pip install" in err


MEDIUM = """\
problem: helmholtz
domain: {box: {lo: [-1, -1], hi: [1, 1]}}
k: 5
source: sin(pi*x)
slowness2: {file: grid.npy, lo: [-1, -1], hi: [1, 1]}
"""


def test_a_folder_given_as_a_data_file_is_refused_as_a_folder(tmp_path):
    (tmp_path / "grid.npy").mkdir()
    path = _write(tmp_path, MEDIUM)
    code, _, err = _run(["check", str(path)])
    assert code == 2 and len(err.splitlines()) == 1 and "is a folder" in err and "file not found" not in err
    (tmp_path / "grid.npy").rmdir()
    np.save(tmp_path / "grid.npy", np.ones((8, 8)))
    assert _run(["check", str(path)])[0] == 0
