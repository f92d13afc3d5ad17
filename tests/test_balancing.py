"""Loss balancing: the fixed, gradnorm (learning-rate annealing) and adaptive multipliers."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from pydantic import ValidationError

import sirenpde as sp
from sirenpde.training.balancing import AdaptiveBalance, FixedBalance, GradNormBalance, make_balancer


@dataclasses.dataclass(frozen=True)
class Named:
    name: str
    weight: float


CONSTRAINTS = (Named("pde", 1.0), Named("bc", 2.0), Named("ic", 0.5))


def linear_terms(theta: torch.Tensor):
    """T_m = c_m · θ: constant gradients c_m, so λ̂ is known by hand."""
    c = torch.tensor([[1.0, -4.0, 2.0], [0.5, 0.5, -0.5], [0.0, 0.0, 0.0]], dtype=torch.float64)
    return [c[m] @ theta for m in range(3)], c


def test_fixed_is_the_weighted_sum_bit_for_bit():
    terms = [torch.tensor(0.3), torch.tensor(1.7), torch.tensor(2.9)]
    balance = FixedBalance([c.weight for c in CONSTRAINTS])
    expected = sum(float(c.weight) * t for c, t in zip(CONSTRAINTS, terms, strict=True))
    assert torch.equal(balance.total(0, terms, []), expected)
    assert balance.history(5) == {} and balance.state() == {}


def test_gradnorm_anneals_towards_the_ratio_of_gradient_sizes_every_few_steps():
    theta = torch.ones(3, dtype=torch.float64, requires_grad=True)
    balance = GradNormBalance(CONSTRAINTS, steps=10, device="cpu", every=3, alpha=0.1)
    terms, c = linear_terms(theta)
    balance.total(0, terms, [theta])
    top = 1.0 * 4.0                                   # max |∇(w_pde T_pde)|
    bc_hat = top / (2.0 * 0.5)                        # / mean |∇(w_bc T_bc)|
    lam = balance.multipliers.lambdas
    assert lam[0] == 1.0 and lam[1] == pytest.approx(0.9 + 0.1 * bc_hat)
    assert lam[2] == 1.0                              # a term without gradient keeps its λ
    balance.total(1, linear_terms(theta)[0], [theta])
    assert lam[1] == pytest.approx(0.9 + 0.1 * bc_hat)  # no update between `every` steps
    total = balance.total(3, linear_terms(theta)[0], [theta])
    assert float(balance.multipliers.lambdas[1]) == pytest.approx(0.9 * (0.9 + 0.1 * bc_hat) + 0.1 * bc_hat)
    lam = balance.multipliers.lambdas
    expected = sum(w * float(lam[m]) * float(t) for m, (w, t) in
                   enumerate(zip([1.0, 2.0, 0.5], linear_terms(theta.detach())[0], strict=True)))
    assert float(total.detach()) == pytest.approx(expected)
    history = balance.history(4)
    assert set(history) == {"weight/pde", "weight/bc", "weight/ic"}
    assert history["weight/bc"][0] == pytest.approx(0.9 + 0.1 * bc_hat) and len(history["weight/bc"]) == 4


def test_gradnorm_needs_a_weighted_reference():
    with pytest.raises(ValueError, match="gradnorm scales every term against the first constraint, 'pde',"
                                         " whose weight is 0"):
        GradNormBalance((Named("pde", 0.0), Named("bc", 1.0)), 5, "cpu")


def test_adaptive_ascends_on_the_loss_shares_and_keeps_the_sum():
    balance = AdaptiveBalance(CONSTRAINTS, steps=2000, device="cpu", lr=0.05)
    terms = [torch.tensor(2.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64),
             torch.tensor(0.0, dtype=torch.float64)]
    balance.total(0, terms, [])
    share = torch.tensor([2.0, 2.0, 0.0], dtype=torch.float64) / 4.0
    expected = (torch.ones(3, dtype=torch.float64) + 0.05 * share) * 3 / 3.05
    assert torch.allclose(balance.multipliers.lambdas, expected)
    for step in range(1, 2000):
        balance.total(step, terms, [])
    lam = balance.multipliers.lambdas
    assert float(lam.sum()) == pytest.approx(3.0)
    assert torch.allclose(lam, 3 * share, atol=1e-6)   # the fixed point: M × each term's share
    before = lam.clone()
    balance.total(5, [torch.tensor(float("nan"), dtype=torch.float64)] * 3, [])
    assert torch.equal(balance.multipliers.lambdas, before)


def test_the_balancer_state_round_trips():
    a = AdaptiveBalance(CONSTRAINTS, steps=4, device="cpu")
    a.total(0, [torch.tensor(1.0), torch.tensor(3.0), torch.tensor(1.0)], [])
    b = AdaptiveBalance(CONSTRAINTS, steps=4, device="cpu")
    b.load_state(a.state())
    assert torch.equal(a.multipliers.lambdas, b.multipliers.lambdas)
    assert torch.equal(a.multipliers.record, b.multipliers.record)


def test_the_config_names_the_balancer():
    assert isinstance(make_balancer("fixed", CONSTRAINTS, 3, "cpu"), FixedBalance)
    assert sp.TrainConfig(balance="gradnorm", balance_every=10).balance_every == 10
    with pytest.raises(ValidationError, match="'fixed', 'gradnorm' or 'adaptive'"):
        sp.TrainConfig(balance="softadapt")
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        sp.TrainConfig(balance_alpha=1.5)


# --- training --------------------------------------------------------------------------------------

def poisson():
    square = sp.Box((0, 0), (1, 1))
    return sp.poisson(square, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0},
                      points={"pde": 128, "dirichlet:boundary": 64},
                      exact=sp.expression("sin(pi*x)*sin(pi*y)"))


def error(solution, problem) -> float:
    x = torch.rand(2000, 2, generator=torch.Generator().manual_seed(0))
    u = torch.as_tensor(solution.evaluate(x)).reshape(-1).detach()
    exact = problem.exact(x).reshape(-1)
    return float(torch.linalg.vector_norm(u - exact) / torch.linalg.vector_norm(exact))


def train(balance: str):
    p = poisson()
    cfg = sp.TrainConfig(steps=200, lr=3e-3, seed=1, balance=balance, balance_every=20)
    return p, sp.train(p, config=cfg, model_config=sp.ModelConfig(layers=(16, 16), w0_initial=3.0))


def test_gradnorm_lifts_an_underweighted_boundary_and_records_its_weights():
    p, fixed = train("fixed")
    _, annealed = train("gradnorm")
    assert "weight/pde" not in fixed.history
    lam = annealed.history["weight/dirichlet:boundary"]
    assert len(lam) == 200 and lam[0] > 1 and lam[-1] > 10   # the boundary term gained weight
    assert (annealed.history["weight/pde"] == 1).all()
    assert error(annealed, p) < 0.1 < error(fixed, p)
    assert error(annealed, p) < error(fixed, p) / 3


def test_adaptive_weights_stay_normalised_in_training():
    _, solution = train("adaptive")
    lam = [solution.history[f"weight/{n}"] for n in ("pde", "dirichlet:boundary")]
    assert all(abs(a + b - 2) < 1e-9 for a, b in zip(*lam, strict=True))
    assert math.isfinite(solution.info["best_validation_loss"])
