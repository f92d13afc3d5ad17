"""Poisson with a variable coefficient, −∇·(κ∇u) = f: its residual under every derivative path, the
unchanged default, the positivity check, a short run; the finite-difference heat reference; and the
two problem files built on them."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.func import vmap

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.derivatives.forward import ForwardFields
from sirenpde.domains import make_sampler
from sirenpde.domains.media import GriddedMedium
from sirenpde.expressions.coefficients import evaluate
from sirenpde.references import solve_heat_fd
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.loss import evaluate_losses

ROOT = Path(__file__).resolve().parents[1]
SQUARE = sp.Box((0, 0), (1, 1))
AXES = ("x", "y")

# u = sin(πx)·sin(2πy), so Δu = −5π²u; f = −(∇κ·∇u + κΔu) for each κ.
SMOOTH = "1 + 0.5*sin(pi*x)*sin(pi*y)"
SMOOTH_SOURCE = ("5*pi**2*(1 + 0.5*sin(pi*x)*sin(pi*y))*sin(pi*x)*sin(2*pi*y)"
                 " - 0.5*pi**2*cos(pi*x)*sin(pi*y)*cos(pi*x)*sin(2*pi*y)"
                 " - pi**2*sin(pi*x)*cos(pi*y)*sin(pi*x)*cos(2*pi*y)")
# κ = 1 + 0.5·x·y is bilinear: linear and cubic interpolation reproduce it, gradient included.
BILINEAR_SOURCE = ("5*pi**2*(1 + 0.5*x*y)*sin(pi*x)*sin(2*pi*y)"
                   " - 0.5*y*pi*cos(pi*x)*sin(2*pi*y) - 0.5*x*2*pi*sin(pi*x)*cos(2*pi*y)")


def exact_siren() -> sp.SIREN:
    """A SIREN that is u = sin(πx)·sin(2πy) = ½[sin(πx − 2πy + π/2) − sin(πx + 2πy + π/2)] exactly,
    so that the forward engine, which needs a SIREN, differentiates the manufactured solution."""
    model = sp.SIREN([2], 2, 1, w0_initial=1.0, bounds=((-1, -1), (1, 1))).double()  # x̂ = x
    first, last = model.linears
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, -2.0], [1.0, 2.0]], dtype=torch.float64) * math.pi)
        first.bias.fill_(math.pi / 2)
        last.weight.copy_(torch.tensor([[0.5, -0.5]], dtype=torch.float64))
        last.bias.zero_()
    return model


def bilinear(interpolation: str) -> GriddedMedium:
    nodes = np.linspace(0, 1, 9)
    x, y = np.meshgrid(nodes, nodes, indexing="ij")
    return GriddedMedium(1 + 0.5 * x * y, (0, 0), (1, 1), interpolation)


def residual_on(problem: sp.Problem, engine: str, x: torch.Tensor) -> torch.Tensor:
    residual, model = problem.constraints[0].residual, exact_siren()
    if engine == "functional":  # as Levenberg–Marquardt evaluates it: one point at a time, under vmap
        return vmap(lambda xi: residual(ForwardFields(model, xi[None], AXES, functional=True))[0])(x).detach()
    return residual({"autograd": AutogradFields, "forward": ForwardFields}[engine](model, x, AXES)).detach()


@pytest.mark.parametrize("engine", ["autograd", "forward", "functional"])
@pytest.mark.parametrize("kappa", ["expression", "linear", "cubic"])
def test_the_residual_vanishes_on_a_manufactured_solution(kappa, engine):
    if kappa == "expression":
        coefficient, source = sp.expression(SMOOTH), SMOOTH_SOURCE
    else:
        coefficient, source = bilinear(kappa), BILINEAR_SOURCE
    problem = sp.poisson(SQUARE, sp.expression(source), coefficient=coefficient, dirichlet={None: 0.0})
    x = torch.rand(200, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    r = residual_on(problem, engine, x)
    assert r.shape == (200,)
    assert float(r.abs().max()) < 1e-10  # f is ~50: round-off
    # The same residual with κ taken as 1 is far from zero: the coefficient is really used.
    assert float(residual_on(sp.poisson(SQUARE, sp.expression(source)), engine, x).abs().max()) > 1.0


def test_without_a_coefficient_the_loss_is_todays_bit_for_bit():
    f = sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)")
    problem = sp.poisson(SQUARE, f, dirichlet={None: 0.0})
    before = dataclasses.replace(problem.constraints[0],
                                 residual=lambda u: -u.laplacian[:, 0] - evaluate(f, u))
    today = dataclasses.replace(problem, constraints=(before, *problem.constraints[1:]))
    model = sp.build_model(problem, sp.ModelConfig(layers=(16, 16), w0_initial=4.0), seed=0)
    for engine in ("autograd", "forward"):
        losses = []
        for p in (problem, today, sp.poisson(SQUARE, f, coefficient=1, dirichlet={None: 0.0})):
            # The same seed draws the same points for each.
            batches = draw_batches(p, make_sampler("uniform", torch.Generator().manual_seed(0), "cpu",
                                                   torch.float32))
            model.zero_grad()
            loss = evaluate_losses(p, model, batches, engine)[0]
            loss.backward()
            losses.append((loss.detach(), [q.grad.clone() for q in model.parameters()]))
        for loss, grads in losses[1:]:
            assert torch.equal(loss, losses[0][0])
            assert all(torch.equal(a, b) for a, b in zip(grads, losses[0][1], strict=True))


NEGATIVE = """\
problem: poisson
domain:
  box: {lo: [0, 0], hi: [1, 1]}
pde:
  coefficient: COEFFICIENT
  source: 1
boundary:
  - {type: dirichlet, on: boundary, value: 0}
"""


@pytest.mark.parametrize(("coefficient", "key", "words"), [
    ("x - 0.5", "pde.coefficient", ["must be positive", "at x = "]),
    ("0", "pde.coefficient", ["must be positive", "found 0"]),
    ("{file: kappa.npy, lo: [0, 0], hi: [1, 1]}", "pde.coefficient.file", ["smallest sample is -1"]),
])
def test_a_coefficient_that_is_not_positive_is_refused_at_check_time_in_one_located_line(
        tmp_path, capsys, coefficient, key, words):
    samples = np.ones((5, 5))
    samples[3, 1] = -1.0
    np.save(tmp_path / "kappa.npy", samples)
    path = tmp_path / "negative.yaml"
    path.write_text(NEGATIVE.replace("COEFFICIENT", coefficient))
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {path}:5: {key}: ")
    assert all(word in err for word in words), err


def test_the_python_api_refuses_a_negative_or_misshapen_coefficient():
    with pytest.raises(ValueError, match="must be positive; found -1"):
        sp.poisson(SQUARE, 1.0, coefficient=-1.0)
    with pytest.raises(ValueError, match="must be positive; it is .* at x = .*, y = "):
        sp.poisson(SQUARE, 1.0, coefficient=lambda x: x[:, 0] - 0.5)
    with pytest.raises(ValueError, match=r"to values \(N,\); .* returned shape \(4096, 1\)"):
        sp.poisson(SQUARE, 1.0, coefficient=lambda x: 1 + x[:, :1])


@pytest.mark.parametrize("kind", ["expression", "gridded"])
def test_a_short_run_with_a_variable_coefficient_reaches_the_exact_solution(kind):
    # −((1 + x)·u')' = f on [0, 1] with u = sin(πx): f = (1 + x)π²·sin(πx) − π·cos(πx).
    line = sp.Box((0,), (1,))
    kappa = (sp.expression("1 + x", ("x",)) if kind == "expression"
             else GriddedMedium(1 + np.linspace(0, 1, 33), (0,), (1,), "cubic"))
    problem = sp.poisson(line, sp.expression("(1 + x)*pi**2*sin(pi*x) - pi*cos(pi*x)", ("x",)),
                         coefficient=kappa, dirichlet={None: 0.0},
                         points={"pde": 200, "dirichlet:boundary": 20})
    config = sp.TrainConfig(steps=100, lr=5e-3, lm_steps=15, seed=0, device="cpu", dtype="float64")
    solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(16, 16), w0_initial=3.0))
    x = np.linspace(0, 1, 201)[:, None]
    u, exact = np.asarray(solution.evaluate(x)).reshape(-1), np.sin(np.pi * x[:, 0])
    assert np.linalg.norm(u - exact) / np.linalg.norm(exact) < 1e-4


# --- the finite-difference heat reference ------------------------------------------------------


def fundamental_mode(p: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * p[:, 0]) * np.sin(np.pi * p[:, 1])


def test_the_fd_heat_reference_converges_to_a_closed_form_at_second_order():
    # Constant a: u = e^{−2π²at}·sin(πx)·sin(πy).
    def error(n: int, steps: int) -> float:
        result = solve_heat_fd((0, 0), (1, 1), n, 0.0, 1.0, fundamental_mode, 0.1, frames=3,
                               steps_per_frame=steps)
        x, y = np.meshgrid(*result.coords, indexing="ij")
        exact = np.exp(-2 * np.pi**2 * 0.1) * np.sin(np.pi * x) * np.sin(np.pi * y)
        assert result.u.shape == (3, n, n) and np.allclose(result.times, [0, 0.5, 1])
        return float(np.abs(result.u[-1] - exact).max() / np.abs(exact).max())

    coarse, fine = error(33, 10), error(65, 20)
    assert fine < 2e-5 and 3.5 < coarse / fine < 4.5


def test_the_fd_heat_reference_converges_with_a_variable_diffusivity_and_a_source():
    # 1-D, a = 1 + 0.5·sin(3x), f = sin(2πx)·cos(t): successive differences shrink about fourfold.
    def frame(n: int) -> np.ndarray:
        result = solve_heat_fd((0,), (1,), n, 0.0, 0.2, lambda p: np.sin(np.pi * p[:, 0]),
                               lambda p: 1 + 0.5 * np.sin(3 * p[:, 0]),
                               lambda p: np.sin(2 * np.pi * p[:, 0]) * np.cos(p[:, 1]),
                               frames=2, steps_per_frame=(n - 1) // 4)
        return result.u[-1][:: (n - 1) // 16]

    a, b, c = frame(33), frame(65), frame(129)
    assert 3.5 < np.abs(a - b).max() / np.abs(b - c).max() < 4.5


def test_the_fd_heat_reference_takes_a_gridded_diffusivity_and_checks_it():
    n = 17
    nodes = np.linspace(0, 1, n)
    a = 0.1 * (1 + 0.5 * nodes[:, None] * nodes[None, :])  # on the nodes, as from a gridded file
    result = solve_heat_fd((0, 0), (1, 1), n, 0.0, 0.1, fundamental_mode, a, frames=2, steps_per_frame=4)
    function = solve_heat_fd((0, 0), (1, 1), n, 0.0, 0.1, fundamental_mode,
                             lambda p: 0.1 * (1 + 0.5 * p[:, 0] * p[:, 1]), frames=2, steps_per_frame=4)
    assert np.allclose(result.u, function.u, rtol=0, atol=1e-14)
    assert result(np.array([[0.5, 0.5, 0.1]])) == pytest.approx(result.u[-1, 8, 8])
    with pytest.raises(ValueError, match="one value per node, shape \\(17, 17\\)"):
        solve_heat_fd((0, 0), (1, 1), n, 0.0, 0.1, lambda p: p[:, 0], np.ones((16, 16)))
    with pytest.raises(ValueError, match="must be positive"):
        solve_heat_fd((0, 0), (1, 1), n, 0.0, 0.1, lambda p: p[:, 0], -a)


# --- the problem files --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["poisson_coefficient.yaml", "heat_rough.yaml"])
def test_the_problem_files_pass_check(capsys, name):
    path = ROOT / "problems" / name
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{path}: ok (") and err == ""
    assert "chosen schedule: Adam 1000 + Levenberg–Marquardt 100" in out


def test_the_poisson_file_reads_its_cubic_coefficient_from_the_data_it_names():
    spec = sp.load_problem_file(ROOT / "problems" / "poisson_coefficient.yaml")
    x = torch.rand(100, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    exact = 1 + 0.5 * torch.sin(math.pi * x[:, 0]) * torch.sin(math.pi * x[:, 1])
    # The manufactured solution's residual is the interpolation error of a cubic on a 129² grid.
    u = AutogradFields(lambda p: (torch.sin(math.pi * p[:, 0]) * torch.sin(2 * math.pi * p[:, 1])
                                  + p[:, 0] * p[:, 1])[:, None], x, AXES)
    assert float(spec.problem.constraints[0].residual(u).detach().abs().max()) < 1e-5
    assert exact.min() >= 1.0


def test_the_heat_files_data_are_what_their_script_makes():
    folder = ROOT / "problems" / "data"
    found = importlib.util.spec_from_file_location("make_heat_rough", folder / "make_heat_rough.py")
    script = importlib.util.module_from_spec(found)
    found.loader.exec_module(script)
    a = np.load(folder / "heat_rough_diffusivity.npy")
    assert np.array_equal(a, script.diffusivity())
    assert a.min() == pytest.approx(0.01) and a.max() == pytest.approx(0.04)
    reference = np.load(folder / "heat_rough_reference.npy")
    assert reference.shape == (86, 86, 11)
    nodes = np.linspace(0, 1, 256)[::3]
    x, y = np.meshgrid(nodes, nodes, indexing="ij")
    first = script.initial(np.stack([x.ravel(), y.ravel()], axis=1)).reshape(x.shape)
    assert np.allclose(reference[..., 0], first, atol=1e-6)
