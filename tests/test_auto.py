"""Settings derived from the problem: frequency content, natural scales, and the choices for what a
file leaves out (sirenpde.constraints.scales, sirenpde.training.auto)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sirenpde as sp
from sirenpde.cli.main import main
from sirenpde.constraints.scales import (
    MIN_FREQUENCY,
    data_frequency,
    natural_scales,
    problem_frequency,
    scaled,
)
from sirenpde.training.auto import (
    ADAM_STEPS,
    LBFGS_STEPS,
    LM_ROWS,
    LM_STEPS,
    MARCH_ROWS_PER_WEIGHT,
    MARCH_WIDTH,
    auto_settings,
)

UNIT = sp.Box((0.0, 0.0), (1.0, 1.0))


def _f(text: str, axes=("x", "y")):
    return sp.expression(text, axes)


def test_frequency_of_a_source_is_its_wave_vector_in_normalised_coordinates():
    # sin(3πx)·sin(4πy) turns through 5π radians per unit length; the unit box's half-width is 0.5.
    problem = sp.poisson(UNIT, _f("sin(3*pi*x)*sin(4*pi*y)"), dirichlet={None: 0.0})
    assert data_frequency(problem) == pytest.approx(5 * math.pi * 0.5, rel=0.05)


def test_frequency_scales_each_axis_by_its_half_width():
    wide = sp.Box((0.0, 0.0), (4.0, 1.0))  # half-widths 2 and 0.5
    problem = sp.poisson(wide, _f("sin(pi*x)"), dirichlet={None: 0.0})
    assert data_frequency(problem) == pytest.approx(math.pi * 2, rel=0.05)


def test_boundary_data_count_only_along_the_boundary():
    # g = sin(5πy) on the whole edge: along x = 0 and x = 1 it turns at 5π, along y = 0 and 1 it is 0.
    problem = sp.poisson(UNIT, None, dirichlet={None: _f("sin(5*pi*y) + x")})
    assert data_frequency(problem) < 5 * math.pi * 0.5 * 1.05  # no spurious normal slope


@pytest.mark.parametrize("source", [0.0, 3.0])
def test_data_that_do_not_vary_get_the_least_frequency(source):
    problem = sp.poisson(UNIT, source, dirichlet={None: 1.0})
    assert data_frequency(problem) == pytest.approx(MIN_FREQUENCY)


def test_a_wavenumber_decides_the_frequency():
    problem = sp.helmholtz(sp.Box((-1.0, -1.0), (1.0, 1.0)), 7.0, dirichlet={None: 0.0})
    assert problem_frequency(problem) == pytest.approx(7.0)


def test_a_speed_turns_spatial_frequency_into_temporal():
    # u(x, 0) = sin(2πx) on [0, 1]: π radians from the centre to the edge in x; over t in [0, 1]
    # (half-width 0.5) at speed c the wave turns through c·2π·0.5 = c·π.
    space = sp.Box((0.0,), (1.0,))
    g = sp.expression("sin(2*pi*x)", ("x", "t"))
    for c in (0.1, 2.0):
        problem = sp.wave(space, 0.0, 1.0, initial_value=g, speed=c)
        assert data_frequency(problem) == pytest.approx(math.hypot(math.pi, c * math.pi), rel=0.05)


def test_natural_scales_follow_the_order_of_each_operator():
    problem = sp.poisson(UNIT, _f("sin(pi*x)"), dirichlet={"x_min": 0.0}, neumann={"x_max": 0.0})
    kappa = 4.0  # normalised; physical: kappa / 0.5
    scales = natural_scales(problem, kappa)
    value, slope, curvature = scales["dirichlet:x_min"], scales["neumann:x_max"], scales["pde"]
    assert 0.5 < value < 1.0  # rms of a unit sine
    assert 0.3 < slope / (value * kappa / 0.5) < 1.5
    assert 0.3 < curvature / (value * (kappa / 0.5) ** 2) < 2.0


def test_natural_scales_are_repeatable_and_scaled_divides_the_weights():
    problem = sp.poisson(UNIT, _f("sin(pi*x)"), dirichlet={None: 0.0}, weights={"pde": 2.0})
    scales = natural_scales(problem, 3.0)
    assert scales == natural_scales(problem, 3.0)
    weights = {c.name: c.weight for c in scaled(problem, scales).constraints}
    assert weights["pde"] == pytest.approx(2.0 / scales["pde"] ** 2)
    assert weights["dirichlet:boundary"] == pytest.approx(1.0 / scales["dirichlet:boundary"] ** 2)
    l1 = sp.poisson(UNIT, 1.0, dirichlet={None: 0.0}, norm="l1")
    assert scaled(l1, {"pde": 4.0}).constraints[0].weight == pytest.approx(0.25)


def test_choose_fills_what_is_not_written():
    problem = sp.poisson(UNIT, _f("sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0})
    chosen = auto_settings(problem)
    assert chosen.training.steps == ADAM_STEPS and chosen.training.lm_steps == LM_STEPS
    assert chosen.training.scales == "natural" and chosen.model.layers == (48, 48, 48)
    assert chosen.training.sampler == "lhs"
    assert {"w0_initial", "layers", "scales", "sampler", "schedule"} <= set(chosen.picked)
    written = auto_settings(problem, sp.ModelConfig(layers=(8,)),
                            sp.TrainConfig(steps=10, scales="none", sampler="sobol"),
                            {"layers": [8]}, {"steps": 10, "scales": "none", "sampler": "sobol"})
    assert written.model.layers == (8,) and written.training.steps == 10
    assert written.training.lm_steps == 0 and written.training.scales == "none"
    assert written.training.sampler == "sobol" and set(written.picked) == {"w0_initial"}


@pytest.mark.parametrize("k, width", [(7.0, 48), (15.0, 48), (20.0, 64), (22.0, 80)])
def test_width_grows_with_a_wavenumber_past_15(k, width):
    square = sp.Box((-1.0, -1.0), (1.0, 1.0))  # half-width 1: κ̂ = k
    chosen = auto_settings(sp.helmholtz(square, k, dirichlet={None: 0.0}))
    assert chosen.model.layers == (width,) * 3
    assert ("fill the domain" in chosen.picked["layers"]) == (width > 48)


def test_data_of_high_frequency_keep_the_base_width():
    # Data that vary fast in one place say nothing of waves elsewhere: no wavenumber, no growth.
    problem = sp.poisson(UNIT, _f("sin(12*pi*x)*sin(12*pi*y)"), dirichlet={None: 0.0})
    assert problem_frequency(problem) > 20 and auto_settings(problem).model.layers == (48, 48, 48)


def test_a_march_gets_a_narrower_network_and_more_lm_rows_than_weights_on_its_interior():
    square = sp.Box((-1.0, -1.0), (1.0, 1.0))
    pulse = sp.expression("exp(-(x**2 + y**2)/0.01)", ("x", "y", "t"))
    problem = sp.wave(square, 0.0, 0.4, initial_value=pulse, initial_velocity=0.0, dirichlet={None: 0.0},
                      exact_initial=True, points={"pde": 4000, "dirichlet:boundary": 1000})
    whole = auto_settings(problem)
    marched = auto_settings(problem, training=sp.TrainConfig(windows=4))
    assert whole.model.layers == (48, 48, 48) and marched.model.layers == (MARCH_WIDTH,) * 3
    weights = 2 * MARCH_WIDTH**2
    assert whole.training.lm_points_factor == pytest.approx(LM_ROWS / 5000)  # every term's points
    assert marched.training.lm_points_factor == pytest.approx(MARCH_ROWS_PER_WEIGHT * weights / 4000)
    assert "more rows than weights" in marched.picked["layers"]


def test_choose_falls_back_to_lbfgs_where_lm_cannot_run():
    problem = sp.poisson(UNIT, 1.0, dirichlet={None: 0.0}, norm="l1")
    chosen = auto_settings(problem)
    assert chosen.training.lm_steps == 0 and chosen.training.lbfgs_steps == LBFGS_STEPS
    assert "l1" in chosen.picked["schedule"]


def test_choose_lbfgs_for_an_ansatz_the_forward_engine_cannot_differentiate():
    # A travel time's factored form: LM's Jacobian needs the forward engine, so a physics-only
    # Eikonal file must not be given lm_steps (it would stop with an error before training).
    problem = sp.eikonal(sp.Box((0, 0), (1, 1)), (0.5, 0.5))
    chosen = auto_settings(problem)
    assert chosen.training.lm_steps == 0 and chosen.training.lbfgs_steps == LBFGS_STEPS
    assert "FactoredModel" in chosen.picked["schedule"]


PHYSICS_ONLY = """
problem: poisson
domain: {box: {lo: [0, 0], hi: [1, 1]}}
pde: {source: 2*pi**2*sin(pi*x)*sin(pi*y)}
boundary: [{type: dirichlet, on: boundary, value: 0}]
exact: sin(pi*x)*sin(pi*y)
"""


def test_check_prints_the_choices(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text(PHYSICS_ONLY)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "chosen w0_initial:" in out and "chosen schedule: Adam 1000 + Levenberg–Marquardt" in out


def test_physics_only_file_is_solved_and_records_its_choices(tmp_path):
    # The defaults, cut short (--steps caps Adam; LM's 100 steps are kept), on 24-unit layers.
    path = tmp_path / "p.yaml"
    path.write_text(PHYSICS_ONLY + "model: {layers: [24, 24]}\ntraining: {lm_steps: 15}\n"
                    "output: {resolution: 21}\n")
    # Writing lm_steps makes the schedule the file's: 2000 Adam steps by default, cut to 150 here.
    solution = sp.solve_file(path, out=tmp_path / "p.h5", steps=150)
    assert "scales: natural" in solution.info["chosen"]
    loaded = sp.load(tmp_path / "p.h5")
    assert loaded.info["chosen"] == solution.info["chosen"]
    x = np.random.default_rng(0).random((400, 2))
    exact = np.sin(np.pi * x[:, 0]) * np.sin(np.pi * x[:, 1])
    u = solution.evaluate(x)[:, 0]
    assert np.linalg.norm(u - exact) / np.linalg.norm(exact) < 1e-3
