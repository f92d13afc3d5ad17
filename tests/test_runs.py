"""The library entry point: sp.solve_file / FileRun do what `sirenpde solve` does."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.results.comparison import compare
from sirenpde.runs import BadOverride, FileRun

ROOT = Path(__file__).resolve().parents[1]
HELMHOLTZ = ROOT / "problems" / "helmholtz_dirichlet.yaml"
HELMHOLTZ_PML = ROOT / "problems" / "helmholtz.yaml"
TINY = """\
problem: poisson
title: a tiny square
domain:
  box: {lo: [0, 0], hi: [1, 1]}
pde:
  source: 2*pi**2*sin(pi*x)*sin(pi*y)
  points: 64
boundary:
  - {type: dirichlet, on: boundary, value: 0, points: 32}
exact: sin(pi*x)*sin(pi*y)
model: {layers: [16, 16], w0_initial: 5}
training: {steps: 30, lr: 1e-3, device: cpu, validate_every: 5}
output: {resolution: 21}
"""


# A point source with a PML, measured against the Hankel reference on the physical region: the path
# where the command line used to attach the reference and the error mask after training.
TINY_PML = """\
problem: helmholtz
title: a small point source
domain:
  box: {lo: [-1, -1], hi: [1, 1]}
k: 8
sources:
  - {center: [0.1, 0], amplitude: 1, sigma: 0.05}
source_disc: {radius: 0.2, points: 64}
pml: {width: 0.4, strength: 5, power: 2}
pde: {points: 256}
reference: hankel
error_region: {exclude_sources: 0.25}
model: {layers: [16, 16]}
training: {steps: 40, lr: 1e-3, validate_every: 10}
output: {resolution: 41}
"""


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_solve_file_reports_the_error_the_command_line_reports(tmp_path, capsys):
    path = tmp_path / "source.yaml"
    path.write_text(TINY_PML)
    assert main(["solve", str(path), "--steps", "30", "--quiet", "--out", str(tmp_path / "cli.h5")]) == 0
    printed = capsys.readouterr().out
    pattern = r"relative L2 error of u against the hankel reference \(physical region\): (\S+)"
    cli_error = float(re.search(pattern, printed)[1])

    solution = sp.solve_file(path, steps=30)
    error = solution.relative_l2()["u"]
    assert f"{error:.3e}" == f"{cli_error:.3e}"
    assert error == pytest.approx(h5py.File(tmp_path / "cli.h5")["error/u"].attrs["relative_l2"], rel=1e-12)
    assert solution.reference_kind == "hankel" and solution.error_mask is not None
    assert solution.info["title"] == "a small point source" and solution.info["steps"] == 30
    assert not any(tmp_path.glob("*.ckpt"))  # the CLI removed its checkpoint after writing


def test_solve_file_writes_the_result_when_asked(tiny, tmp_path):
    out = tmp_path / "tiny.h5"
    solution = sp.solve_file(tiny, steps=20, out=out)
    with h5py.File(out) as f:
        stored = f.attrs["relative_l2_u"]
        assert f.attrs["title"] == solution.info["title"] == "a tiny square"
        assert f["fields/u"].shape == (21, 21)  # the file's output resolution
    assert stored == pytest.approx(solution.relative_l2()["u"], rel=1e-12)
    assert solution.info["steps"] == 20
    assert not out.with_name(out.name + ".ckpt").exists()
    with pytest.raises(sp.ConfigError, match="exists; pass --force"):
        sp.solve_file(tiny, steps=20, out=out)


def test_a_file_run_attaches_the_files_reference_and_error_mask_at_construction():
    run = FileRun.load(HELMHOLTZ_PML, steps=1)
    assert run.training.steps == 1 and run.training.lm_steps == run.spec.training.lm_steps
    assert run.spec.reference is not None and run.spec.error_mask is not None
    trained = sp.Solution(sp.build_model(run.spec.problem, run.spec.model), run.spec.problem.axes,
                          run.spec.problem.fields, domain=run.spec.problem.domain, complex=True)
    complete = run._complete(trained)
    assert complete is not trained and trained.reference is None  # nothing patched afterwards
    assert complete.reference is run.spec.reference and complete.error_mask is run.spec.error_mask
    assert complete.reference_kind == "hankel" and complete.info["title"] == run.spec.title
    assert complete.model is trained.model


@pytest.mark.parametrize(("overrides", "match"), [
    ({"steps": -3}, "bad option steps=-3"),
    ({"device": "tpu"}, "bad option device='tpu': unknown device 'tpu'"),
    ({"seed": -1}, "bad option seed=-1"),
])
def test_bad_overrides_are_refused_before_training(overrides, match):
    with pytest.raises(BadOverride, match=re.escape(match)):
        FileRun.load(HELMHOLTZ, **overrides)


def test_an_unknown_override_is_a_config_error():
    with pytest.raises(sp.ConfigError, match="unknown override lr; expected one of steps, device, seed"):
        sp.solve_file(HELMHOLTZ, lr=0.1)


def test_save_writes_the_comparison_it_is_given(tiny, tmp_path):
    run = FileRun.load(tiny, steps=1)
    solution = run.train()
    comparison = compare(solution)

    def no_second_evaluation(grid):
        raise AssertionError("the reference was evaluated again while saving")

    solution.reference_on_grid = no_second_evaluation  # save must use what it is given
    errors = sp.save(solution, tmp_path / "r.h5", comparison=comparison)
    assert errors == comparison.errors
    with h5py.File(tmp_path / "r.h5") as f:
        assert f["fields/u"].shape == (21, 21)
        np.testing.assert_array_equal(f["reference/u"][()], comparison.reference["u"])


def test_the_steps_override_caps_adam_when_the_file_says_until(tmp_path):
    path = tmp_path / "until.yaml"
    path.write_text(TINY.replace("training: {steps: 30,", "training: {until: {steps: 30, tolerance: 1e-3},"))
    run = FileRun.load(path, steps=5)
    assert run.training.adam_steps == 5 and run.training.until.tolerance == 1e-3
    assert FileRun.load(path).training.adam_steps == 30
    with pytest.raises(BadOverride, match="bad option steps=-3"):
        FileRun.load(path, steps=-3)
