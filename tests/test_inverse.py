"""Inverse problems end to end: a coefficient recovered from noisy measurements, reported, saved, resumed.

−κ u'' = π² sin(πx) on [0, 1], u(0) = u(1) = 0, has u = sin(πx)/κ; 200 measurements of u for κ = 2
with 1 % noise fix κ, which starts at 1 (where the PDE alone would give twice the measured u).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import re
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.training.checkpoint import Checkpointing, read_checkpoint

KAPPA = 2.0

INVERSE = """\
problem: custom
title: diffusivity from noisy measurements
domain:
  box: {lo: [0], hi: [1]}
fields: [u]
parameters:
  kappa: {initial: 1.0, exact: 2.0, positive: true}
constraints:
  pde: {region: interior, residual: "-kappa*dxx(u) - pi**2*sin(pi*x)", points: 200}
  ends: {region: boundary, residual: u, points: 2, weight: 10}
  sensors: {region: {data: {file: u.csv}}, residual: "u - u_obs", points: 200, weight: 100}
exact: sin(pi*x)/2
model: {layers: [24, 24], w0_initial: 5}
training: {steps: 100, lr: 1.0e-2, lbfgs_steps: 20, validate_every: 50, device: cpu, seed: 0}
output: {resolution: 51}
"""


def write_measurements(folder: Path, n: int = 200, noise: float = 0.01) -> Path:
    """u = sin(πx)/κ at n points, plus Gaussian noise of ``noise`` times its amplitude."""
    rng = np.random.default_rng(1234)
    x = np.linspace(0, 1, n)
    u = np.sin(np.pi * x) / KAPPA
    u_obs = u + noise * np.abs(u).max() * rng.standard_normal(n)
    path = folder / "u.csv"
    np.savetxt(path, np.stack([x, u_obs], axis=1), delimiter=",", header="x,u_obs", comments="")
    return path


def write(folder: Path, text: str, name: str = "inverse.yaml") -> Path:
    write_measurements(folder)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """``sirenpde solve`` on the inverse problem: (exit code, stdout, stderr, result path)."""
    folder = tmp_path_factory.mktemp("inverse")
    path = write(folder, INVERSE)
    out = folder / "result.h5"
    code, stdout, stderr = run_cli(["solve", str(path), "--out", str(out), "--quiet"])
    return code, stdout, stderr, out


def test_the_measurements_are_noisy_samples_of_the_exact_solution(tmp_path):
    table = np.loadtxt(write_measurements(tmp_path), delimiter=",", skiprows=1)
    assert table.shape == (200, 2)
    misfit = table[:, 1] - np.sin(np.pi * table[:, 0]) / KAPPA
    assert 0.004 < misfit.std() < 0.006  # 1 % of the amplitude 1/2


def test_kappa_is_recovered_within_one_percent(solved):
    code, stdout, stderr, _ = solved
    assert code == 0, stderr
    # Measured: 0.33 % (network seeds 0–3: 0.32–0.33 %; other noise draws: 0.01–0.19 %): the noise sets
    # this floor, not training. ~2 s on one core.
    match = re.search(r"^fitted kappa = (\S+) \(exact 2, relative error (\S+)\)$", stdout, re.M)
    assert match, stdout
    value, error = float(match[1]), float(match[2])
    assert abs(value - KAPPA) / KAPPA < 0.01
    assert error == pytest.approx(abs(value - KAPPA) / KAPPA, rel=1e-3, abs=1e-6)
    u_error = float(re.search(r"relative L2 error of u against the exact solution: (\S+)", stdout)[1])
    assert u_error < 0.02  # and the solution too: u = sin(πx)/2, not the PDE's sin(πx) for κ = 1


def test_the_result_file_holds_the_fitted_parameter(solved):
    _, _, _, out = solved
    with h5py.File(out, "r") as f:
        attrs = dict(f["parameters/kappa"].attrs)
        assert "unknowns" not in f  # a scalar only: no coefficient field
    assert set(attrs) == {"value", "initial", "exact", "relative_error"}
    assert attrs["initial"] == 1.0 and attrs["exact"] == KAPPA
    assert abs(attrs["value"] - KAPPA) / KAPPA < 0.01
    assert attrs["relative_error"] == pytest.approx(abs(attrs["value"] - KAPPA) / KAPPA)
    loaded = sp.load(out)
    assert set(loaded.parameters) == {"kappa"}
    assert loaded.parameters["kappa"] == pytest.approx(attrs)


def test_a_coefficient_field_is_saved_on_the_grid(tmp_path):
    text = INVERSE.replace("kappa: {initial: 1.0, exact: 2.0, positive: true}",
                           "kappa: {initial: 1.0}\n  m: {network: {layers: [16]}}").replace(
        '"-kappa*dxx(u) - pi**2*sin(pi*x)"', '"-kappa*m*dxx(u) - pi**2*sin(pi*x)"')
    spec = sp.load_problem_text(text, str(write(tmp_path, text)))
    config = sp.TrainConfig(steps=4, validate_every=2, device="cpu")
    solution = sp.train(spec.problem, config=config, model_config=spec.model)
    sp.save(solution, tmp_path / "m.h5", resolution=11)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        m, x = f["unknowns/m"][()], f["grid/x"][()]
        assert set(f["parameters/kappa"].attrs) == {"value", "initial"}  # no exact value given
    assert m.shape == (11,) and np.all(np.isfinite(m))
    with torch.no_grad():
        expected = spec.problem.unknowns.field("m", torch.as_tensor(x[:, None], dtype=torch.float32))
    np.testing.assert_allclose(m, expected.numpy(), rtol=1e-6)
    assert np.ptp(m) > 1e-3  # a field, not a constant


# --- resuming: the unknowns come back bit for bit -------------------------------------------------

RESUMABLE = INVERSE.replace(
    "kappa: {initial: 1.0, exact: 2.0, positive: true}",
    "kappa: {initial: 1.0, exact: 2.0, positive: true}\n  m: {network: {layers: [8]}}").replace(
    '"-kappa*dxx(u) - pi**2*sin(pi*x)"', '"-kappa*m*dxx(u) - pi**2*sin(pi*x)"').replace(
    "points: 200}", "points: 32}")


class Stop(Exception):
    pass


def resumable_run(folder: Path, checkpointing=None, stop_at=None) -> tuple[sp.Solution, sp.Problem]:
    # A fresh problem each time: training fits the problem's unknowns in place.
    spec = sp.load_problem_text(RESUMABLE, str(folder / "inverse.yaml"))
    config = sp.TrainConfig(steps=6, lr=1e-2, lbfgs_steps=3, lbfgs_inner=3, validate_every=2, log_every=1,
                            device="cpu", seed=3)

    def callback(progress):
        if progress.step == stop_at:
            raise Stop

    solution = sp.train(spec.problem, config=config, model_config=sp.ModelConfig(layers=(8,), w0_initial=5.0),
                        callback=callback, checkpointing=checkpointing)
    return solution, spec.problem


def learnt(solution: sp.Solution) -> list[torch.Tensor]:
    return [p.detach().clone() for p in (*solution.model.parameters(), *solution.unknowns.parameters())]


@pytest.mark.parametrize("stop_at", [3, 8])  # in Adam, in L-BFGS
def test_a_resumed_inverse_run_ends_with_the_same_unknowns_bit_for_bit(tmp_path, stop_at):
    write_measurements(tmp_path)
    straight, _ = resumable_run(tmp_path)
    ckpt = Checkpointing(tmp_path / "run.ckpt", key="k", every_steps=2, every_minutes=None)
    with pytest.raises(Stop):
        resumable_run(tmp_path, ckpt, stop_at=stop_at)
    assert read_checkpoint(ckpt.path, "k")["step"] == (stop_at - 1) // 2 * 2
    resumed, problem = resumable_run(
        tmp_path, Checkpointing(ckpt.path, key="k", every_steps=2, every_minutes=None, resume=True))
    assert resumed.unknowns is problem.unknowns
    assert torch.equal(problem.unknowns.scalar("kappa"), straight.unknowns.scalar("kappa"))
    assert resumed.parameters == straight.parameters
    assert resumed.parameters["kappa"]["value"] != 1.0  # it did move
    for a, b in zip(learnt(resumed), learnt(straight), strict=True):
        assert torch.equal(a, b)
    assert torch.equal(torch.as_tensor(resumed.history["loss"]), torch.as_tensor(straight.history["loss"]))


# --- Levenberg–Marquardt fits the network and the scalar unknowns together ----------------------


def test_lm_fits_a_scalar_unknown_to_measurements(tmp_path):
    text = INVERSE.replace("lbfgs_steps: 20", "lm_steps: 15")
    spec = sp.load_problem_text(text, str(write(tmp_path, text)))
    solution = sp.train(spec.problem, config=spec.training, model_config=spec.model)
    assert abs(solution.parameters["kappa"]["value"] - KAPPA) / KAPPA < 0.01
    lm = np.asarray(solution.history["loss"])[100:]
    assert lm[-1] < 0.1 * lm[0]  # LM itself did the fitting


def test_lm_fits_the_measurements_when_kappa_is_a_known_constant(tmp_path):
    # κ given as a constant: no unknowns, but LM's rows still include the measurements.
    text = INVERSE.replace("kappa: {initial: 1.0, exact: 2.0, positive: true}", "kappa: 2.0").replace(
        "lbfgs_steps: 20", "lm_steps: 10")
    spec = sp.load_problem_text(text, str(write(tmp_path, text)))
    solution = sp.train(spec.problem, config=spec.training, model_config=spec.model)
    assert solution.parameters == {}
    assert solution.relative_l2()["u"] < 1e-2


def test_lm_refuses_a_coefficient_network_in_check_and_in_train(tmp_path):
    text = INVERSE.replace("kappa: {initial: 1.0, exact: 2.0, positive: true}",
                           "kappa: {initial: 1.0}\n  m: {network: {layers: [16]}}").replace(
        '"-kappa*dxx(u) - pi**2*sin(pi*x)"', '"-kappa*m*dxx(u) - pi**2*sin(pi*x)"')
    path = write(tmp_path, text.replace("lbfgs_steps: 20", "lm_steps: 5"))
    code, stdout, stderr = run_cli(["check", str(path)])
    assert code == 2 and stdout == "" and len(stderr.splitlines()) == 1
    assert "training.lm_steps: lm_steps fits the network and scalar unknowns" in stderr
    assert "coefficient network (m); use lbfgs_steps instead" in stderr
    spec = sp.load_problem_text(text, str(path))
    with pytest.raises(ValueError, match="coefficient network"):
        sp.train(spec.problem, config=dataclasses.replace(spec.training, lbfgs_steps=0, lm_steps=5),
                 model_config=spec.model)


def test_the_fitted_value_is_reported_without_an_exact_value(tmp_path):
    text = INVERSE.replace("{initial: 1.0, exact: 2.0, positive: true}", "{initial: 1.0}").replace(
        "steps: 100", "steps: 3").replace("lbfgs_steps: 20", "lbfgs_steps: 0")
    path = write(tmp_path, text)
    code, stdout, stderr = run_cli(["solve", str(path), "--out", str(tmp_path / "r.h5"), "--quiet"])
    assert code == 0, stderr
    line = [s for s in stdout.splitlines() if s.startswith("fitted")]
    assert len(line) == 1 and re.fullmatch(r"fitted kappa = \S+", line[0]), stdout
    assert math.isfinite(float(line[0].split("= ")[1]))
