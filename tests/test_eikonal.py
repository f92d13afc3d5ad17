"""Travel times: the factored Eikonal problem, its exact and fast-marching references, files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.domains import make_sampler
from sirenpde.model.factored import DistanceFactor, FactoredModel
from sirenpde.references.eikonal_fmm import solve_eikonal_fmm
from sirenpde.sampling.batch import draw_batches

SOURCE, G, C0 = (0.5, 0.5), 0.5, 1.0


def speed(p):
    return C0 + G * p[:, 1]


def linear_gradient_time(p):
    # Rays in c = c0 + g·y are circular arcs: T = acosh(1 + g²|x − x_s|²/(2 c(x) c(x_s))) / g.
    lib = torch if isinstance(p, torch.Tensor) else np
    d2 = (p[:, 0] - SOURCE[0]) ** 2 + (p[:, 1] - SOURCE[1]) ** 2
    return lib.arccosh(1 + G**2 * d2 / (2 * speed(p) * (C0 + G * SOURCE[1]))) / G


def test_the_residual_vanishes_on_the_exact_travel_time_and_not_on_straight_rays():
    problem = sp.eikonal(sp.Box((0, 0), (2, 1)), SOURCE, speed=speed)
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float64)
    (batch,) = draw_batches(problem, sampler)

    def residual(u):
        fields = AutogradFields(lambda p: u(p).reshape(-1, 1), batch.x, problem.axes)
        return problem.constraints[0].residual(fields).detach().abs()

    assert float(residual(linear_gradient_time).max()) < 1e-6
    straight = lambda p: ((p[:, 0] - 0.5) ** 2 + (p[:, 1] - 0.5) ** 2).sqrt() / 1.25  # noqa: E731
    assert float(residual(straight).mean()) > 0.05


def test_the_factored_model_is_zero_at_the_source_and_never_negative():
    model = FactoredModel(sp.SIREN([8], in_features=2, out_features=1), DistanceFactor(SOURCE))
    x = torch.rand(500, 2) * 2
    with torch.no_grad():
        assert float(model(torch.tensor([SOURCE]))) == 0.0 and (model(x) >= 0).all()


def test_a_source_outside_or_of_the_wrong_dimension_is_refused():
    with pytest.raises(ValueError, match=r"the source \[3.0, 0.5\] is outside the domain"):
        sp.eikonal(sp.Box((0, 0), (2, 1)), (3.0, 0.5))
    with pytest.raises(ValueError, match="the source has 3 coordinates but the domain is 2-D"):
        sp.eikonal(sp.Box((0, 0), (2, 1)), (0.5, 0.5, 0.5))


def test_travel_times_train_to_a_small_error_and_survive_a_round_trip(tmp_path):
    problem = sp.eikonal(sp.Box((0, 0), (2, 1)), SOURCE, speed=speed, exact=linear_gradient_time,
                         points={"pde": 500})
    config = sp.TrainConfig(steps=300, lr=1e-3, lbfgs_steps=10, seed=0)
    solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(16, 16), w0_initial=1.0))
    error = solution.relative_l2(resolution=41)["T"]
    assert error < 1e-2  # measured 1.2e-3
    sp.save(solution, tmp_path / "t.h5", resolution=9)
    q = np.array([[1.5, 0.2], [0.1, 0.9]])
    assert np.allclose(sp.load(tmp_path / "t.h5").evaluate(q), solution.evaluate(q), atol=1e-6)


def test_fast_marching_converges_to_the_exact_travel_time():
    def error(n):
        field = solve_eikonal_fmm((0, 0), (2, 1), n, SOURCE, lambda p: speed(p))
        x, y = np.meshgrid(np.linspace(0, 2, 81), np.linspace(0, 1, 41), indexing="ij")
        q = np.column_stack([x.ravel(), y.ravel()])
        exact = linear_gradient_time(q)
        return np.linalg.norm(field(q) - exact) / np.linalg.norm(exact)

    coarse, fine = error(101), error(201)
    assert fine < 2e-3 and coarse / fine > 1.5


EIKONAL = """\
problem: eikonal
domain: {box: {lo: [0, 0], hi: [2, 1]}}
source: [0.5, 0.5]
pde: {speed: 1 + 0.5*y}
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("", None),
        ("reference: fmm\n", None),
        ("reference: exact\n", "`exact` needs the exact solution"),
        ("reference: fmm\nexact: x\n", "both `exact:` and reference: fmm"),
        ("reference: fdtd\n", "unknown reference 'fdtd'"),
    ],
)
def test_eikonal_file_references(extra, message):
    if message is None:
        spec = sp.load_problem_text(EIKONAL + extra)
        assert spec.problem.kind == "eikonal" and spec.problem.fields == ("T",)
        assert (spec.reference is not None) == ("fmm" in extra)
    else:
        with pytest.raises(sp.ConfigError, match=message):
            sp.load_problem_text(EIKONAL + extra)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("source: [0.5, 0.5]", "source: [0.5]", r"<string>:3: source: expected 2 coordinates"),
        ("source: [0.5, 0.5]", "source: [5, 0.5]", r"<string>:3: source: the source \[5.0, 0.5\] is outside"),
    ],
)
def test_eikonal_file_mistakes_are_located(old, new, message):
    with pytest.raises(sp.ConfigError, match=message):
        sp.load_problem_text(EIKONAL.replace(old, new))


def test_the_shipped_file_has_the_exact_answer():
    spec = sp.load_problem_file("problems/eikonal.yaml")
    p = torch.rand(100, 2, dtype=torch.float64) * torch.tensor([2.0, 1.0])
    exact = spec.problem.exact_values(p).reshape(-1).double()
    assert torch.allclose(exact, linear_gradient_time(p), atol=1e-5)


def test_a_gridded_speed_gives_the_same_residual_as_its_expression(tmp_path):
    # c = 1 + 0.5·y is linear, so bilinear interpolation of its nodal values reproduces it exactly.
    x, y = np.meshgrid(np.linspace(0, 2, 5), np.linspace(0, 1, 3), indexing="ij")
    np.save(tmp_path / "c.npy", 1 + 0.5 * y + 0 * x)
    gridded = EIKONAL.replace("{speed: 1 + 0.5*y}", "{speed: {file: c.npy, lo: [0, 0], hi: [2, 1]}}")
    (tmp_path / "e.yaml").write_text(gridded)
    problem = sp.load_problem_file(tmp_path / "e.yaml").problem
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float64)
    (batch,) = draw_batches(problem, sampler)
    fields = AutogradFields(lambda p: linear_gradient_time(p).reshape(-1, 1), batch.x, problem.axes)
    assert float(problem.constraints[0].residual(fields).detach().abs().max()) < 1e-6
