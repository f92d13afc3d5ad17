"""The command line: exit codes (0 ok, 2 bad input, 1 failed run), one-line errors, no traceback."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

import sirenpde as sp
from sirenpde.cli import main

ROOT = Path(__file__).resolve().parents[1]
POISSON = ROOT / "problems" / "poisson.yaml"

# Line numbers in the bad-file cases refer to this text.
TINY = """\
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
  device: cpu
  validate_every: 5
output: {resolution: 21}
"""

BAD = {  # the acceptance cases: (text, line, key path, words of the message)
    "typo": (TINY.replace("steps: 30", "stpes: 30"), 12, "training.stpes",
             ["unknown key 'stpes'", "did you mean 'steps'?"]),
    "wrong-type": (TINY.replace("steps: 30", "steps: abc"), 12, "training.steps",
                   ["integer", "found 'abc'"]),
    "missing-key": (TINY.replace("value: 0, ", ""), 8, "boundary[0].value",
                    ["required key is missing"]),
    "bad-expression": (TINY.replace("exact: sin(pi*x)*sin(pi*y)", "exact: sin(pi*z)"), 9, "exact",
                       ["'z'"]),
    "import": (TINY.replace("exact: sin(pi*x)*sin(pi*y)", "exact: __import__('os')"), 9, "exact",
               ["'__import__'"]),
}




def _run(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "sirenpde", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _write(folder: Path, text: str, name: str = "problem.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _assert_one_error_line(err: str, file: Path, line: int, key: str, words) -> None:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {file}:{line}: {key}: "), lines[0]
    for word in words:
        assert word in lines[0]


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """One tiny ``solve`` with overrides: (exit code, stdout, stderr, result path, folder)."""
    folder = tmp_path_factory.mktemp("solve")
    problem = _write(folder, TINY, "tiny.yaml")
    out = folder / "result.h5"
    code, stdout, stderr = _run(["solve", str(problem), "--out", str(out), "--steps", "12",
                                 "--seed", "5", "--quiet"])
    return code, stdout, stderr, out, folder


# --- check ------------------------------------------------------------------------------------


def test_check_good_file(capsys):
    assert main(["check", str(POISSON)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{POISSON}: ok (poisson")
    assert "neumann:hole_a" in out and "chosen dirichlet: exact" in out and err == ""


@pytest.mark.parametrize("case", BAD)
def test_check_bad_file_is_one_line(tmp_path, capsys, case):
    text, line, key, words = BAD[case]
    path = _write(tmp_path, text)
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _assert_one_error_line(err, path, line, key, words)


def test_check_missing_file(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.yaml")]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == f"error: {tmp_path / 'nope.yaml'}: file not found; check the path"


# --- arguments --------------------------------------------------------------------------------


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"sirenpde {sp.__version__}"


@pytest.mark.parametrize(
    "argv", [[], ["frobnicate"], ["check"], ["solve", "x.yaml", "--steps", "many"]],
    ids=["no arguments", "unknown command", "no file", "bad option value"],
)
def test_usage_errors_exit_2(capsys, argv):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "error:" in err


# --- solve ------------------------------------------------------------------------------------


def test_solve_writes_the_result(solved):
    code, stdout, stderr, out, _ = solved
    assert code == 0, stderr
    assert out.is_file()
    assert f"wrote {out} (12 Adam steps" in stdout
    assert "relative L2 error of u" in stdout
    assert "Traceback" not in stderr


def test_solve_overrides_reach_the_file(solved):
    *_, out, _ = solved
    with h5py.File(out, "r") as f:
        assert f.attrs["steps"] == 12  # the file says 30
        assert f.attrs["seed"] == 5  # the file says 0 (the default)
        assert len(f["history/step"]) == 12
        assert f.attrs["problem_yaml"] == TINY


def test_solve_leaves_no_temporary_files(solved):
    *_, out, folder = solved
    assert sorted(p.name for p in folder.iterdir() if p.suffix != ".png") == [
        "result.h5", "result.xdmf", "tiny.yaml"]


def test_solve_bad_file_writes_nothing(tmp_path):
    text, line, key, words = BAD["typo"]
    path = _write(tmp_path, text)
    code, stdout, stderr = _run(["solve", str(path), "--out", str(tmp_path / "r.h5")])
    assert code == 2 and stdout == ""
    _assert_one_error_line(stderr, path, line, key, words)
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    "options, words",
    [(["--steps", "0"], ["bad command-line option", "steps"]),
     (["--steps", "-3"], ["bad command-line option"]),
     (["--device", "tpu"], ["--device", "unknown device 'tpu'"]),
     (["--out", "no/such/folder/r.h5"], ["output folder", "does not exist"])],
    ids=["zero steps", "negative steps", "unknown device", "missing folder"],
)
def test_solve_bad_option_is_bad_input(tmp_path, monkeypatch, options, words):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, TINY)
    code, stdout, stderr = _run(["solve", str(path), *options])
    assert code == 2 and stdout == ""
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr
    for word in words:
        assert word in stderr
    assert list(tmp_path.iterdir()) == [path]


def test_solve_bad_device_in_the_file_is_located(tmp_path):
    path = _write(tmp_path, TINY.replace("device: cpu", "device: tpu"))
    code, _, stderr = _run(["solve", str(path), "--out", str(tmp_path / "r.h5")])
    assert code == 2
    _assert_one_error_line(stderr, path, 14, "training.device", ["unknown device 'tpu'"])


def test_solve_that_diverges_exits_1(tmp_path):
    path = _write(tmp_path, TINY.replace("lr: 1e-3", "lr: 1e30"))
    out = tmp_path / "r.h5"
    code, stdout, stderr = _run(["solve", str(path), "--out", str(out), "--steps", "5"])
    assert code == 1 and stdout == "" and "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]  # after the progress lines
    assert len(errors) == 1 and errors[0].startswith(f"error: {path}: the loss became")
    assert stderr.splitlines()[-1] == errors[0]
    assert not out.exists()


# --- plot -------------------------------------------------------------------------------------


def test_plot_writes_field_and_loss_figures(solved, tmp_path):
    *_, out, _ = solved
    code, stdout, stderr = _run(["plot", str(out), "--out", str(tmp_path / "figs")])
    assert code == 0, stderr
    written = {tmp_path / "figs" / "result_u.png", tmp_path / "figs" / "result_loss.png"}
    assert set(tmp_path.joinpath("figs").iterdir()) == written
    for png in written:
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 5000
        assert f"wrote {png}" in stdout


def test_plot_missing_file(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "none.h5")]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == f"error: {tmp_path / 'none.h5'}: file not found"


def test_plot_of_a_file_that_is_not_a_result(tmp_path, capsys):
    bogus = _write(tmp_path, TINY, "bogus.h5")
    assert main(["plot", str(bogus)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bogus}: ") and len(err.splitlines()) == 1
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = [1.0]
    assert main(["plot", str(other)]) == 2
    assert "not a sirenpde result" in capsys.readouterr().err


# --- as a real process ------------------------------------------------------------------------


def test_subprocess_exit_codes(tmp_path):
    good = _subprocess("check", str(POISSON), cwd=tmp_path)
    assert good.returncode == 0 and "ok" in good.stdout and good.stderr == ""

    text, line, key, words = BAD["import"]
    bad = _write(tmp_path, text)
    result = _subprocess("check", str(bad), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    _assert_one_error_line(result.stderr, bad, line, key, words)

    usage = _subprocess(cwd=tmp_path)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_subprocess_solve_and_plot(tmp_path):
    problem = _write(tmp_path, TINY)
    solve = _subprocess("solve", str(problem), "--steps", "3", "--quiet", cwd=tmp_path)
    assert solve.returncode == 0, solve.stderr
    assert "Traceback" not in solve.stderr and "relative L2" in solve.stdout
    result = tmp_path / "problem.h5"  # output.path defaults to the problem's name
    assert result.is_file()
    plot = _subprocess("plot", str(result), cwd=tmp_path)
    assert plot.returncode == 0, plot.stderr
    assert (tmp_path / "problem_u.png").is_file() and (tmp_path / "problem_loss.png").is_file()
