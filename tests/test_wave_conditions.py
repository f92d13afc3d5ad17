"""Periodic wave conditions and a speed from a gridded file."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from test_wave import residuals_on as max_residuals

import sirenpde as sp
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.derivatives.forward import ForwardFields
from sirenpde.domains import make_sampler

PI = math.pi


def travelling(p: torch.Tensor) -> torch.Tensor:
    # u = sin(2π(x − t)) + 0.3·cos(2π(y + t)): periodic on [0, 1]², u_tt = Δu with c = 1.
    return torch.sin(2 * PI * (p[:, 0] - p[:, -1])) + 0.3 * torch.cos(2 * PI * (p[:, 1] + p[:, -1]))


def periodic_problem(**kw):
    return sp.wave(sp.Box((0, 0), (1, 1)), 0.0, 0.5, initial_value=lambda p: travelling(p),
                   initial_velocity=lambda p: -2 * PI * torch.cos(2 * PI * p[:, 0])
                   - 0.6 * PI * torch.sin(2 * PI * p[:, 1]), periodic=["x", "y"], **kw)


def test_periodic_constraints_vanish_on_a_periodic_solution_and_not_otherwise():
    problem = periodic_problem()
    names = [c.name for c in problem.constraints]
    assert names == ["pde", "initial", "initial_velocity", "periodic:x", "periodic:y"]
    assert max(max_residuals(problem, travelling).values()) < 1e-9
    skewed = max_residuals(problem, lambda p: travelling(p) + 0.1 * p[:, 0])  # u jumps by 0.1 across x
    assert skewed["periodic:x"] == pytest.approx(0.1) and skewed["periodic:y"] < 1e-9


def test_a_periodic_derivative_mismatch_is_seen_too():
    problem = periodic_problem()
    # x²(1 − x)² is equal (0) at both ends with slopes 0 too: periodic. x²(1 − x) is 0 at both ends
    # but its slope is 0 at x = 0 and −1 at x = 1.
    smooth, kink = (lambda p: (p[:, 0] * (1 - p[:, 0])) ** 2), (lambda p: p[:, 0] ** 2 * (1 - p[:, 0]))
    assert max_residuals(problem, smooth)["periodic:x"] < 1e-9
    assert max_residuals(problem, kink)["periodic:x"] > 0.1


def test_the_image_point_fields_agree_between_engines():
    torch.manual_seed(0)
    model = sp.SIREN([16, 16], in_features=3, out_features=1, w0_initial=5.0).double()
    x = torch.rand(20, 3, dtype=torch.float64)
    image = x + torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    a = AutogradFields(model, x, ("x", "y", "t"), spatial_axes=("x", "y")).at(image)
    f = ForwardFields(model, x, ("x", "y", "t"), spatial_axes=("x", "y")).at(image)
    assert torch.allclose(a.value, f.value) and torch.allclose(a.gradient, f.gradient)
    assert torch.allclose(a.laplacian, f.laplacian) and torch.allclose(a.second("t"), f.second("t"))


def test_a_periodic_travelling_wave_trains():
    points = {"pde": 400, "initial": 100, "initial_velocity": 100, "periodic:x": 100}
    problem = sp.wave(sp.Box((0,), (1,)), 0.0, 0.5, initial_value=lambda p: torch.sin(2 * PI * p[:, 0]),
                      initial_velocity=lambda p: -2 * PI * torch.cos(2 * PI * p[:, 0]), periodic=["x"],
                      points=points)
    config = sp.TrainConfig(steps=300, lr=2e-3, lm_steps=10, seed=0)
    solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(24, 24), w0_initial=5.0))
    x, t = np.meshgrid(np.linspace(0, 1, 41), np.linspace(0, 0.5, 21), indexing="ij")
    points_ = np.column_stack([x.ravel(), t.ravel()])
    truth = np.sin(2 * PI * (points_[:, 0] - points_[:, 1]))
    error = np.linalg.norm(solution.evaluate(points_)[:, 0] - truth) / np.linalg.norm(truth)
    assert error < 5e-3  # measured 9.0e-4


def test_periodic_needs_a_box_axis():
    with pytest.raises(ValueError, match="periodic conditions need a box and one of its axes"):
        sp.wave(sp.Box((0,), (1,)), 0.0, 1.0, initial_value=0.0, periodic=["t"])
    with pytest.raises(ValueError, match="on a Ball"):
        sp.wave(sp.Disk((0, 0), 1.0), 0.0, 1.0, initial_value=0.0, periodic=["x"])


WAVE = """\
problem: wave
domain:
  spacetime:
    space: {box: {lo: [0, 0], hi: [1, 1]}}
    t: [0, 0.5]
pde: {speed: 1}
initial: {value: sin(2*pi*x), velocity: -2*pi*cos(2*pi*x)}
boundary:
  - {type: periodic, axis: x}
  - {type: periodic, axis: y, points: 50}
"""


def test_periodic_conditions_in_a_file():
    problem = sp.load_problem_text(WAVE).problem
    constraints = {c.name: c for c in problem.constraints}
    assert constraints["periodic:y"].points == 50 and "periodic:x" in constraints


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{type: periodic, axis: x}", "{type: periodic}",
         r"<string>:9: boundary\[0\].axis: periodic conditions need `axis:`, one of x, y; found None"),
        ("{type: periodic, axis: x}", "{type: periodic, axis: t}", r"boundary\[0\].axis: .*found 't'"),
        ("{type: periodic, axis: x}", "{type: periodic, axis: x, value: 1}",
         r"boundary\[0\].value: periodic conditions take no value"),
        ("{type: periodic, axis: x}", "{type: dirichlet, value: 0, axis: x}",
         r"boundary\[0\].axis: `axis` is for periodic conditions, not dirichlet"),
        ("axis: y, points: 50", "axis: x", r"boundary\[1\].axis: a second periodic condition on axis 'x'"),
    ],
)
def test_periodic_mistakes_are_located(old, new, message):
    with pytest.raises(sp.ConfigError, match=message):
        sp.load_problem_text(WAVE.replace(old, new))


def test_a_gridded_speed_matches_the_same_speed_as_an_expression(tmp_path):
    # c = 1 + x is linear, so bilinear interpolation of its nodal values reproduces it exactly.
    x, y = np.meshgrid(np.linspace(0, 1, 11), np.linspace(0, 1, 6), indexing="ij")
    np.save(tmp_path / "speed.npy", 1 + x + 0 * y)
    base = WAVE.replace("  - {type: periodic, axis: y, points: 50}\n", "")
    (tmp_path / "grid.yaml").write_text(base.replace(
        "{speed: 1}", "{speed: {file: speed.npy, lo: [0, 0], hi: [1, 1]}}"))
    (tmp_path / "expr.yaml").write_text(base.replace("{speed: 1}", "{speed: 1 + x, max_speed: 2}"))
    gridded = sp.load_problem_file(tmp_path / "grid.yaml").problem
    expressed = sp.load_problem_file(tmp_path / "expr.yaml").problem
    u = travelling
    assert max_residuals(gridded, u)["pde"] == pytest.approx(max_residuals(expressed, u)["pde"], rel=1e-6)
    assert max_residuals(gridded, u)["pde"] > 1.0   # c ≠ 1, so the c = 1 wave is not a solution


@pytest.mark.parametrize(
    ("values", "message"),
    [(np.zeros((3, 3)), r"pde.speed.file: speeds must be positive; the grid's smallest is 0"),
     (np.ones(3), r"pde.speed.file: expected a 2-D array")],
)
def test_bad_gridded_speeds_are_refused(tmp_path, values, message):
    np.save(tmp_path / "speed.npy", values)
    gridded = WAVE.replace("{speed: 1}", "{speed: {file: speed.npy, lo: [0, 0], hi: [1, 1]}}")
    (tmp_path / "w.yaml").write_text(gridded)
    with pytest.raises(sp.ConfigError, match=message):
        sp.load_problem_file(tmp_path / "w.yaml")


PULSE = """\
problem: wave
domain:
  spacetime:
    space: {box: {lo: [-1, -1], hi: [1, 1]}}
    t: [0, 0.4]
initial:
  value: exp(-(x**2 + y**2)/0.001)
  focus: {disk: {center: [0, 0], radius: 0.1}}
  focus_points: 64
boundary:
  - {type: dirichlet, on: boundary, value: 0}
"""


def test_an_initial_focus_samples_the_pulse_more():
    problem = sp.load_problem_text(PULSE).problem
    focus = {c.name: c for c in problem.constraints}
    assert focus["initial:focus"].points == 64 and focus["initial:focus"].region is focus[
        "initial_velocity:focus"].region  # one batch for both terms
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float64)
    x, _ = focus["initial:focus"].region.sample(500, sampler)
    assert (x[:, -1] == 0).all() and float(x[:, :2].norm(dim=1).max()) <= 0.1


def test_a_focus_of_another_dimension_is_refused():
    bad = PULSE.replace("{disk: {center: [0, 0], radius: 0.1}}", "{box: {lo: [0], hi: [1]}}")
    with pytest.raises(sp.ConfigError, match=r"initial.focus: expected a 2-D domain like the space; found"):
        sp.load_problem_text(bad)


def test_the_fd_reference_refuses_to_keep_more_than_fits_in_memory():
    spec = sp.load_problem_text(PULSE + "reference: {fd: {resolution: 1601}}\n")
    points = np.zeros((200, 3))
    points[:, -1] = np.linspace(0, 0.4, 200)      # 200 distinct times × 1601² nodes × 8 bytes
    with pytest.raises(ValueError, match=r"at 200 distinct times would hold 3.8 GiB; evaluate it at fewer"):
        spec.reference(points)
