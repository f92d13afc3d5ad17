"""The package as users install it: the wheel's contents, `sirenpde examples` and `sirenpde schema`.

The wheel is built once per session from a copy of the sources (a few seconds, no network: the
installed setuptools, no build isolation), so the checkout gets no build/ folder.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import sirenpde
from sirenpde.cli import main
from sirenpde.cli.schema import OPEN
from sirenpde.config.yaml_source import read_yaml

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
DATA_SUFFIXES = {".npy", ".csv", ".xyz", ".ply", ".obj", ".h5", ".hdf5"}


def _run(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("sirenpde", "problems"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(dist)], check=True, capture_output=True, timeout=300)
    (built,) = dist.glob("sirenpde-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _referenced_files(data) -> set[str]:
    """The data files a parsed problem file names (``cloud: data/torus.xyz``, ``file: …``)."""
    if isinstance(data, dict):
        return set().union(*(_referenced_files(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_referenced_files(v) for v in data))
    if isinstance(data, str) and Path(data).suffix.lower() in DATA_SUFFIXES:
        return {data}
    return set()


def test_the_wheel_holds_the_licence_the_type_marker_and_every_module(wheel_names):
    info = next(n.split("/")[0] for n in wheel_names if n.endswith(".dist-info/METADATA"))
    assert f"{info}/licenses/LICENSE" in wheel_names
    assert "sirenpde/py.typed" in wheel_names
    # The package list in pyproject.toml is written out: a subpackage missing there is missing here.
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sirenpde").rglob("*.py")}
    assert sources <= wheel_names, sorted(sources - wheel_names)


def test_the_wheel_metadata_states_the_licence(wheel):
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"sirenpde-{sirenpde.__version__}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata


def test_the_wheel_holds_every_example_and_the_data_it_reads(wheel_names):
    assert PROBLEMS
    for problem in PROBLEMS:
        assert f"sirenpde/examples/{problem.name}" in wheel_names
        for name in _referenced_files(read_yaml(problem).data):
            assert f"sirenpde/examples/{name}" in wheel_names, f"{problem.name} reads {name}"
    data = {p.relative_to(ROOT / "problems").as_posix() for p in (ROOT / "problems" / "data").iterdir()}
    assert {f"sirenpde/examples/{name}" for name in data} <= wheel_names


def test_examples_copies_files_that_check_accepts(tmp_path):
    dest = tmp_path / "examples"
    code, out, err = _run(["examples", str(dest)])
    assert code == 0, err
    assert sorted(p.name for p in dest.glob("*.yaml")) == [p.name for p in PROBLEMS]
    cloud = Path("data", "torus.xyz")
    assert (dest / cloud).read_bytes() == (ROOT / "problems" / cloud).read_bytes()
    assert not (dest / "__init__.py").exists() and not list(dest.rglob("__pycache__"))
    assert str(dest) in out
    for name in ("poisson.yaml", "inverse_burgers.yaml"):  # the second reads data/burgers_sensors.csv
        code, out, err = _run(["check", str(dest / name)])
        assert code == 0, err
        assert out.startswith(f"{dest / name}: ok")


def test_examples_from_the_installed_wheel(wheel, tmp_path):
    # The wheel unpacked is an installed package: its examples come from the zip's files, not problems/.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = ("import sys, sirenpde; from sirenpde.cli import main; print(sirenpde.__file__);"
            " sys.exit(main(['examples', 'out']))")
    env = dict(os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == str(site / "sirenpde" / "__init__.py")
    assert (tmp_path / "out" / "sdf.yaml").read_bytes() == (ROOT / "problems" / "sdf.yaml").read_bytes()
    assert (tmp_path / "out" / "data" / "burgers_reference.npy").is_file()


def test_examples_refuses_a_folder_that_is_not_empty(tmp_path):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    code, out, err = _run(["examples", str(dest)])
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {dest}: ") and "--force" in err
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]  # nothing written

    (dest / "poisson.yaml").write_text("changed")
    code, _, err = _run(["examples", str(dest), "--force"])
    assert code == 0, err
    assert (dest / "notes.txt").read_text() == "keep me"
    assert (dest / "poisson.yaml").read_bytes() == (ROOT / "problems" / "poisson.yaml").read_bytes()


def test_examples_refuses_a_file_as_the_folder(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("")
    code, _, err = _run(["examples", str(target), "--force"])
    assert code == 2 and len(err.splitlines()) == 1 and "not a folder" in err


@pytest.fixture(scope="module")
def schema() -> dict:
    code, out, err = _run(["schema"])
    assert code == 0, err
    return json.loads(out)


def test_the_schema_is_a_valid_json_schema_that_accepts_every_shipped_problem(schema):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for problem in PROBLEMS:
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(read_yaml(problem).data)]
        assert not errors, f"{problem.name}: {errors}"


def test_the_schema_describes_every_short_form(schema):
    # A validator the schema generator does not know leaves its part open; each must be listed.
    assert OPEN not in json.dumps(schema)


def test_the_schema_refuses_what_check_refuses(schema):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    good = {"problem": "poisson", "domain": {"disk": {"center": [0, 0], "radius": 1}}, "pde": {"source": 4},
            "boundary": [{"type": "dirichlet", "on": "boundary", "value": 0}]}
    assert validator.is_valid(good)
    assert validator.is_valid({**good, "training": {"until": "2 min"}})  # a short form
    for bad in ({**good, "problem": "poison"}, {**good, "training": {"stpes": 10}},
                {**good, "domain": {"disk": {"center": [0, 0], "radius": -1}}}, {**good, "exact": True}):
        assert not validator.is_valid(bad), bad


def test_the_api_page_lists_every_public_name():
    text = (ROOT / "docs" / "api.md").read_text()
    documented = {line.split()[1].rpartition(".")[2] for line in text.splitlines() if line.startswith(":::")}
    assert documented == set(sirenpde.__all__) - {"__version__"}
