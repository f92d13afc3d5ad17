"""Hostile problem files: every file in tests/hostile/ is refused by the real command line.

Each case is one small file whose first line (a YAML comment) says what it tests and whose second
line, ``# expect: …``, gives words the error must contain, so that a case fails for its own reason and
not for a typo elsewhere in it. For ``solve`` and ``check`` alike: exit code 2, exactly one line on
stderr that names the file and says what is wrong, no traceback, nothing written, within a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sirenpde  # noqa: F401  (imports torch and the config layer before any call is timed)
from sirenpde.cli import main

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "hostile"
CASES = sorted(HOSTILE.glob("*.yaml"))
LIMIT_S = 1.0


def _header(path: Path) -> tuple[str, str]:
    """The case's description and the words its error must contain, from its first two lines."""
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    what, expect = lines[0], lines[1]
    assert what.startswith("# ") and expect.startswith("# expect: "), f"{path.name}: bad header"
    return what[2:], expect.removeprefix("# expect: ")


def _run(argv: list[str], capsys) -> tuple[int, str, str, float]:
    start = time.perf_counter()
    code = main(argv)
    elapsed = time.perf_counter() - start
    out, err = capsys.readouterr()
    return code, out, err, elapsed


def _assert_refused(path: Path, code: int, out: str, err: str, elapsed: float) -> None:
    _, expect = _header(path)
    assert code == 2, f"exit code {code}; stderr: {err!r}"
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"expected one line on stderr, found {err!r}"
    message = lines[0]
    assert message.startswith("error: ") and path.name in message, message
    assert expect.lower() in message.lower(), f"expected {expect!r} in {message!r}"
    assert len(message.split(path.name, 1)[1].strip(" :0123456789")) > 10, "it says what is wrong"
    assert elapsed < LIMIT_S, f"took {elapsed:.2f} s"


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_case_says_what_it_tests(path):
    what, expect = _header(path)
    assert what and expect


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_solve_refuses_the_case(path, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default output path would land here too
    code, out, err, elapsed = _run(["solve", str(path), "--out", str(tmp_path / "r.h5"), "--quiet"], capsys)
    _assert_refused(path, code, out, err, elapsed)
    assert list(tmp_path.iterdir()) == [], "nothing may be written"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_check_refuses_the_case(path, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err, elapsed = _run(["check", str(path)], capsys)
    _assert_refused(path, code, out, err, elapsed)
    assert out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, expect", [("empty.yaml", "found an empty file"),
                                          ("missing.yaml", "file not found"),
                                          ("folder.yaml", "cannot read the file")])
def test_files_that_are_empty_missing_or_not_files(name, expect, tmp_path, capsys):
    """The cases a checked-in file cannot be: zero bytes, absent, a directory."""
    path = tmp_path / "in" / name
    path.parent.mkdir()
    if name == "empty.yaml":
        path.write_bytes(b"")
    elif name == "folder.yaml":
        path.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for argv in (["solve", str(path), "--out", str(out_dir / "r.h5"), "--quiet"], ["check", str(path)]):
        code, out, err, elapsed = _run(argv, capsys)
        assert code == 2 and "Traceback" not in out + err
        assert len(err.splitlines()) == 1 and name in err and expect in err, err
        assert elapsed < LIMIT_S
    assert list(out_dir.iterdir()) == []


def test_the_real_entry_point_refuses_a_case(tmp_path):
    path = HOSTILE / "expr_import_system.yaml"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "sirenpde", "solve", str(path), "--out",
                           str(tmp_path / "r.h5"), "--quiet"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert len(done.stderr.splitlines()) == 1 and path.name in done.stderr
    assert list(tmp_path.iterdir()) == []
