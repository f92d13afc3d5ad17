"""Levenberg–Marquardt: its residual rows are the training loss, its Jacobian is right, it converges."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import sirenpde as sp
import sirenpde.training.levenberg_marquardt as lm_module
from sirenpde.domains import make_sampler
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.levenberg_marquardt import LevenbergMarquardt
from sirenpde.training.loss import evaluate_losses

SQUARE = sp.Box((0, 0), (1, 1))


def poisson_problem(**kwargs) -> sp.Problem:
    return sp.poisson(SQUARE, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0},
                      exact=lambda x: torch.sin(math.pi * x[:, 0]) * torch.sin(math.pi * x[:, 1]),
                      points={"pde": 300, "dirichlet:boundary": 100}, **kwargs)


def helmholtz_problem() -> sp.Problem:
    # Complex rows, a weighted constraint, a Sommerfeld part (normals) and a Dirichlet part.
    return sp.helmholtz(SQUARE, 6.0, source=sp.expression("exp(1j*x)"), dirichlet={"left": 1j},
                        sommerfeld=["right", "top"], weights={"dirichlet:left": 3.0},
                        points={"pde": 40, "dirichlet:left": 10, "sommerfeld:right": 10,
                                "sommerfeld:top": 10})


def batches_for(problem, seed=0, dtype=torch.float64):
    return draw_batches(problem, make_sampler("uniform", torch.Generator().manual_seed(seed), "cpu", dtype))


def small_siren(problem, seed=0) -> sp.SIREN:
    return sp.build_model(problem, sp.ModelConfig(layers=(12, 12), w0_initial=3.0), seed=seed).double()


def test_rows_square_to_the_training_loss():
    problem = helmholtz_problem()
    model, batches = small_siren(problem), batches_for(problem)
    opt = LevenbergMarquardt(problem, model)
    params = {n: p.detach() for n, p in opt.trained.items()}
    rows, jac, parts = opt._linearise(params, batches)
    total, expected = evaluate_losses(problem, model, batches)
    assert math.isclose(float(rows @ rows), float(total.detach()), rel_tol=1e-10)
    for got, want in zip(parts, expected, strict=True):
        assert math.isclose(float(got), float(want.detach()), rel_tol=1e-10)
    assert jac.shape == (rows.shape[0], sum(p.numel() for p in model.parameters()))


def test_jacobian_matches_central_differences():
    problem = helmholtz_problem()
    model, batches = small_siren(problem), batches_for(problem)
    opt = LevenbergMarquardt(problem, model)
    params = {n: p.detach() for n, p in opt.trained.items()}
    _, jac, _ = opt._linearise(params, batches)
    v = torch.randn(jac.shape[1], dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    eps = 1e-6
    plus = opt._linearise(opt._unflatten(params, eps * v), batches)[0]
    minus = opt._linearise(opt._unflatten(params, -eps * v), batches)[0]
    fd = (plus - minus) / (2 * eps)
    assert float((jac @ v - fd).norm() / fd.norm()) < 1e-7


def test_a_step_lowers_the_loss_on_its_batch():
    problem = poisson_problem()
    model, batches = small_siren(problem), batches_for(problem)
    opt = LevenbergMarquardt(problem, model)
    before, _ = opt.step(batches)
    after, _ = evaluate_losses(problem, model, batches)
    assert float(after.detach()) < 0.5 * float(before.detach())


def test_lm_reaches_what_adam_alone_does_not():
    # 200 Adam steps then 40 LM steps on a 16×2 SIREN, 300 + 100 points per step (about 2 s).
    problem = poisson_problem()
    model_config = sp.ModelConfig(layers=(16, 16), w0_initial=3.0)
    errors = {}
    for lm_steps in (0, 40):
        config = sp.TrainConfig(steps=200, lr=5e-3, lm_steps=lm_steps, seed=0, device="cpu")
        solution = sp.train(problem, config=config, model_config=model_config)
        errors[lm_steps] = solution.relative_l2(resolution=101)["u"]
    assert errors[0] > 0.1
    assert errors[40] < 1e-3  # measured 4.3e-4 (seeds 1, 2: 7.1e-4, 3.9e-4)
    assert solution.info["lm_steps"] == 40 and len(solution.history["loss"]) == 240


def test_lm_alone_is_a_valid_schedule():
    config = sp.TrainConfig(steps=0, lm_steps=3, device="cpu", validate_every=1)
    solution = sp.train(poisson_problem(), config=config, model_config=sp.ModelConfig(layers=(8,)))
    assert len(solution.history["loss"]) == 3 and solution.info["best_step"] >= 1


def test_lm_refuses_l1_constraints_and_other_networks():
    with pytest.raises(ValueError, match="squared-L2 constraints.*pde, dirichlet:boundary use another norm"):
        sp.train(poisson_problem(norm="l1"), config=sp.TrainConfig(steps=1, lm_steps=1))
    with pytest.raises(ValueError, match="needs a sirenpde.SIREN.*found Sequential.*lbfgs_steps"):
        sp.train(poisson_problem(), nn.Sequential(nn.Linear(2, 1)), sp.TrainConfig(steps=1, lm_steps=1))


def test_lm_refuses_a_jacobian_too_large(monkeypatch):
    monkeypatch.setattr(lm_module, "_MEMORY_LIMIT", 1000)
    problem = poisson_problem()
    with pytest.raises(ValueError, match=r"Jacobian has 400 rows × \d+ weights.*lower lm_points_factor"):
        LevenbergMarquardt(problem, small_siren(problem)).step(batches_for(problem))


def test_problem_files_accept_lm_settings():
    spec = sp.load_problem_text(
        "problem: poisson\ndomain: {box: {lo: [0, 0], hi: [1, 1]}}\npde: {source: 1}\n"
        "boundary: [{type: dirichlet, on: boundary, value: 0}]\n"
        "training: {steps: 10, lm_steps: 5, lm_points_factor: 0.5}\n"
    )
    assert spec.training.lm_steps == 5 and spec.training.lm_points_factor == 0.5
    with pytest.raises(sp.ConfigError, match=r"<string>:5: training.lm_steps"):
        sp.load_problem_text(
            "problem: poisson\ndomain: {box: {lo: [0, 0], hi: [1, 1]}}\npde: {source: 1}\n"
            "boundary: [{type: dirichlet, on: boundary, value: 0}]\ntraining: {lm_steps: -1}\n"
        )


def test_residuals_torch_func_cannot_trace_get_a_clear_error():
    def uses_autograd(u):  # a custom residual that calls autograd itself: fine for Adam, not for LM
        x = u.x.detach().requires_grad_(True)
        return u.value[:, 0] - x.sum(1)

    problem = sp.Problem(SQUARE, [sp.Constraint("custom", sp.Interior(SQUARE), uses_autograd, points=20)])
    model = sp.build_model(problem, sp.ModelConfig(layers=(4,)))
    with pytest.raises(ValueError, match="point by point with torch.func.*lbfgs_steps"):
        LevenbergMarquardt(problem, model).step(batches_for(problem, dtype=torch.float32))
