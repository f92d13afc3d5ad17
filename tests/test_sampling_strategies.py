"""Sampling strategies: Latin hypercube, RAD pools, near-source importance sampling, and their YAML."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from pydantic import BaseModel, ValidationError

import sirenpde as sp
from sirenpde.config.sampling import SamplingNode, to_strategy
from sirenpde.domains import LatinHypercubeSampler, make_sampler
from sirenpde.domains.regions import PointSet
from sirenpde.sampling.batch import Batch
from sirenpde.sampling.batch_source import BatchSource, check_sampling
from sirenpde.sampling.importance import NearSampler
from sirenpde.sampling.rad import RadPool, rad_probabilities

SQUARE = sp.Box((0, 0), (1, 1))


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- Latin hypercube ------------------------------------------------------------------------------

def test_latin_hypercube_puts_one_point_in_every_slice_of_every_axis():
    u = LatinHypercubeSampler(gen(), "cpu", torch.float64).unit(50, 3)
    assert u.shape == (50, 3) and bool(((u >= 0) & (u < 1)).all())
    for j in range(3):
        assert sorted((u[:, j] * 50).floor().long().tolist()) == list(range(50))


def test_latin_hypercube_continues_its_stream_from_a_state():
    s = make_sampler("lhs", gen(4), "cpu")
    s.unit(7, 2)
    state = s.state()
    after = s.unit(9, 2)
    s.load_state(state)
    assert torch.equal(s.unit(9, 2), after)


def test_latin_hypercube_checks_the_generator_device():
    with pytest.raises(TypeError, match="torch.Generator"):
        LatinHypercubeSampler(3, "cpu")


def test_lhs_is_a_run_wide_sampler_and_a_constraint_choice():
    assert sp.TrainConfig(sampler="lhs").sampler == "lhs"
    c = sp.Constraint("pde", sp.Interior(SQUARE), lambda f: f.u, sampling="lhs")
    assert c.sampling == sp.LatinHypercube() == sp.Plain("lhs")
    with pytest.raises(ValueError, match="constraint 'pde': unknown sampler 'halton'; expected one of"):
        sp.Constraint("pde", sp.Interior(SQUARE), lambda f: f.u, sampling="halton")


# --- the batch source -----------------------------------------------------------------------------

def field_free(c: float = 0.3):
    """A residual that does not depend on the network: ε(x) = exp(−|x − (c, c)|²/0.01)."""
    return lambda f: torch.exp(-((f.x - c) ** 2).sum(1) / 0.01)


def problem(pde_sampling=None, bc_sampling=None, points=200):
    interior, boundary = sp.Interior(SQUARE), sp.Boundary(SQUARE)
    return sp.Problem(SQUARE, (
        sp.Constraint("pde", interior, field_free(), points=points, sampling=pde_sampling),
        sp.Constraint("bc", boundary, lambda f: f.u, points=50, sampling=bc_sampling),
    ))


def test_a_constraint_naming_the_run_sampler_shares_the_plain_batch():
    p = problem(pde_sampling="uniform")
    source = BatchSource(p, make_sampler("uniform", gen(), "cpu"))
    assert [g.strategy for g in source.groups] == [None, None]
    source = BatchSource(problem(pde_sampling="lhs"), make_sampler("uniform", gen(), "cpu"))
    assert isinstance(source.groups[0].sampler, LatinHypercubeSampler)


def test_rad_probabilities_follow_the_formula():
    eps = torch.tensor([0.0, 1.0, 3.0, float("nan")])
    p = rad_probabilities(eps, k=2.0, c=0.5)
    e = torch.tensor([0.0, 1.0, 9.0, 0.0], dtype=torch.float64)
    expected = e / e.mean() + 0.5
    assert torch.allclose(p, expected / expected.sum())
    uniform = torch.full((4,), 0.25, dtype=torch.float64)
    assert torch.allclose(rad_probabilities(torch.zeros(4), 1.0, 0.0), uniform)   # no 0/0
    assert torch.allclose(rad_probabilities(eps, 0.0, 1.0), uniform)


def test_rad_draws_follow_the_pool_probabilities():
    x = torch.arange(4.0)[:, None]
    pool = RadPool(Batch(sp.Interior(sp.Box(0, 4)), x, None, ()), torch.tensor([0.1, 0.2, 0.3, 0.4]))
    drawn = pool.draw(40_000, gen()).x[:, 0].long()
    freq = torch.bincount(drawn, minlength=4) / 40_000
    assert torch.allclose(freq, torch.tensor([0.1, 0.2, 0.3, 0.4]), atol=0.01)


def distance_to_peak(batch) -> float:
    return float(torch.linalg.vector_norm(batch.x - 0.3, dim=1).mean())


def test_rad_concentrates_the_points_where_the_penalty_is_large_and_keeps_its_pool():
    p = problem(pde_sampling=sp.RAD(k=1, c=0.1, every=5, pool=10))
    source = BatchSource(p, make_sampler("uniform", gen(), "cpu"))
    model = sp.build_model(p, sp.ModelConfig(layers=(8,)))
    from sirenpde.training.loss import pool_scorer
    score = pool_scorer(p, model, "auto")
    first = source.draw_adam(0, score)
    pool = source.groups[0].pool
    assert pool.batch.x.shape == (2000, 2)
    assert distance_to_peak(first[0]) < 0.5 * distance_to_peak(source.draw()[0])
    source.draw_adam(4, score)
    assert source.groups[0].pool is pool      # not refreshed before `every` steps
    again = source.draw_adam(5, score)
    assert source.groups[0].pool is not pool
    members = (again[0].x[:, None, :] == source.groups[0].pool.batch.x[None]).all(-1).any(1)
    assert bool(members.all())                # every point comes from the current pool


def test_rad_draws_distinct_points_from_a_fresh_pool_for_every_lm_step_and_the_lbfgs_batch():
    p = problem(pde_sampling=sp.RAD(c=0.1, every=100, pool=10))
    source = BatchSource(p, make_sampler("uniform", gen(), "cpu"))
    from sirenpde.training.loss import pool_scorer
    score = pool_scorer(p, sp.build_model(p, sp.ModelConfig(layers=(8,))), "auto")
    first = source.draw(scale=0.5, score=score)
    pool = source.groups[0].pool
    assert first[0].x.shape == (100, 2) and pool.batch.x.shape == (1000, 2)
    assert torch.unique(first[0].x, dim=0).shape[0] == 100   # LM: no point twice
    assert distance_to_peak(first[0]) < 0.7 * distance_to_peak(source.draw()[0])
    source.draw(scale=0.5, score=score)
    assert source.groups[0].pool is not pool


def test_rad_on_a_point_set_is_refused_with_the_reason():
    cloud = PointSet(torch.rand(30, 2, generator=gen()))
    c = sp.Constraint("fit", cloud, lambda f: f.u, sampling=sp.RAD())
    with pytest.raises(ValueError, match="constraint 'fit': RAD draws a candidate pool from a continuous"
                                         " region, but a set of 30 points is already a finite set"):
        check_sampling(c)


def test_strategy_options_are_checked():
    with pytest.raises(ValueError, match="RAD: every must be an int ≥ 1; found 0"):
        sp.RAD(every=0)
    with pytest.raises(ValueError, match="RAD: k must be a finite number ≥ 0"):
        sp.RAD(k=-1)
    with pytest.raises(ValueError, match="fraction must lie strictly between 0 and 1"):
        sp.NearPoints([[0, 0]], 0.1, 1.0)
    with pytest.raises(ValueError, match="radius must be a finite number > 0"):
        sp.NearPoints([[0, 0]], 0.0)
    with pytest.raises(ValueError, match="constraint 'c': sampling must be None, a sampler name"):
        sp.Constraint("c", sp.Interior(SQUARE), lambda f: f.u, sampling=3)


# --- near-source importance sampling ---------------------------------------------------------------

def peak(x: torch.Tensor, c=(0.3, 0.6), s2: float = 0.002) -> torch.Tensor:
    return torch.exp(-((x - torch.tensor(c, dtype=x.dtype)) ** 2).sum(1) / s2)


def peak_mean(c=(0.3, 0.6), s2: float = 0.002) -> float:
    """∫ over the unit square of exp(−|x − c|²/s2), in closed form (a product of erf differences)."""
    s = math.sqrt(s2)
    one = [math.sqrt(math.pi) * s / 2 * (math.erf((1 - ci) / s) + math.erf(ci / s)) for ci in c]
    return one[0] * one[1]


@pytest.mark.parametrize("center", [(0.3, 0.6), (0.04, 0.6)])   # a ball inside, one cut by the edge
def test_the_reweighted_near_source_mean_is_the_plain_mean_in_expectation(center):
    near = NearSampler(sp.NearPoints([center], 0.15, 0.5), sp.Interior(SQUARE))
    sampler = make_sampler("uniform", gen(1), "cpu", torch.float64)
    weighted, plain = [], []
    for _ in range(300):
        x, r = near.draw(200, sampler)
        weighted.append(float((peak(x, center) * r).mean()))
        plain.append(float(peak(SQUARE.sample_interior(200, sampler), center).mean()))
    weighted, plain = torch.tensor(weighted), torch.tensor(plain)
    exact = peak_mean(center)
    assert abs(float(weighted.mean()) - exact) < 3 * float(weighted.std()) / math.sqrt(300)
    assert float(weighted.std()) < 0.5 * float(plain.std())    # the point of it: less variance


def test_near_source_weights_are_the_density_ratio():
    near = NearSampler(sp.NearPoints([(0.5, 0.5)], 0.2, 0.25), sp.Interior(SQUARE))
    x, r = near.draw(100, make_sampler("uniform", gen(), "cpu", torch.float64))
    inside = torch.linalg.vector_norm(x - 0.5, dim=1) <= 0.2
    assert int(inside[:25].sum()) == 25                       # the first 25 points are the ball's
    ball_share = 0.25 / (math.pi * 0.04)                      # (m/n)·|Ω|/|B|
    assert torch.allclose(r[inside], torch.full_like(r[inside], 1 / (0.75 + ball_share)))
    assert torch.allclose(r[~inside], torch.full_like(r[~inside], 1 / 0.75))


def test_near_source_sampling_is_checked_against_its_region():
    s = sp.NearPoints([(0.5, 0.5)], 0.1)
    with pytest.raises(ValueError, match="needs a domain's interior .* found boundary; drop its sampling"):
        NearSampler(s, sp.Boundary(SQUARE), "bc")
    with pytest.raises(ValueError, match="centres have 3 coordinates but the region is 2-dimensional"):
        NearSampler(sp.NearPoints([(0, 0, 0)], 0.1), sp.Interior(SQUARE), "pde")
    with pytest.raises(ValueError, match=r"the ball of radius 0.1 around \[3.0, 3.0\] misses the region"):
        NearSampler(sp.NearPoints([(3, 3)], 0.1), sp.Interior(SQUARE), "pde")


def test_near_source_batches_carry_their_weights_into_the_loss():
    p = problem(pde_sampling=sp.NearPoints([(0.3, 0.3)], 0.1, 0.5))
    source = BatchSource(p, make_sampler("uniform", gen(), "cpu"))
    batches = source.draw_adam(0, score=None)
    assert batches[0].weights is not None and batches[1].weights is None
    assert source.draw()[0].weights is None                    # LM and L-BFGS draw plainly


# --- training --------------------------------------------------------------------------------------

def poisson_1d(sampling):
    line = sp.Box(0, 1)
    p = sp.poisson(line, sp.expression("pi**2*sin(pi*x)", axes=("x",)), dirichlet={None: 0.0},
                   points={"pde": 64, "dirichlet:boundary": 8}, weights={"dirichlet:boundary": 10.0})
    cs = tuple(dataclasses.replace(c, sampling=sampling if c.name == "pde" else None) for c in p.constraints)
    return dataclasses.replace(p, constraints=cs)


@pytest.mark.parametrize("sampling", ["lhs", sp.RAD(every=20), sp.NearPoints([[0.5]], 0.2, 0.3)])
def test_training_with_a_strategy_reaches_the_plain_accuracy(sampling):
    p = poisson_1d(sampling)
    solution = sp.train(p, config=sp.TrainConfig(steps=300, lr=1e-2, seed=2),
                        model_config=sp.ModelConfig(layers=(16, 16), w0_initial=1.0))
    x = torch.linspace(0, 1, 201)[:, None]
    u = torch.as_tensor(solution.evaluate(x)).reshape(-1).detach()
    exact = torch.sin(math.pi * x[:, 0])
    assert float(torch.linalg.vector_norm(u - exact) / torch.linalg.vector_norm(exact)) < 5e-3   # plain: 9e-4


# --- the YAML node ---------------------------------------------------------------------------------

class Holder(BaseModel):
    sampling: SamplingNode | None = None


@pytest.mark.parametrize(("value", "expected"), [
    ("lhs", sp.Plain("lhs")), ("sobol", sp.Plain("sobol")), ("rad", sp.RAD()), ({"rad": None}, sp.RAD()),
    ({"rad": {"k": 2, "c": 0, "every": 50, "pool": 4}}, sp.RAD(k=2, c=0, every=50, pool=4)),
    ({"near": {"centers": [[0, 0]], "radius": 0.1}}, sp.NearPoints([[0, 0]], 0.1, 0.5)),
    (None, None),
])
def test_the_sampling_node_names_the_strategy(value, expected):
    assert to_strategy(Holder(sampling=value).sampling) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("halton", "unknown sampling 'halton'; expected one of lhs, sobol, uniform, rad"),
    ({"rad": {"q": 1}}, "Extra inputs are not permitted"),
    ({"rad": {"every": 0}}, "greater than or equal to 1"),
    ({"near": {"centers": [[0, 0], [1]], "radius": 0.1}}, "centers must be points of one dimension"),
    ({"near": {"centers": [[0, 0]], "radius": 0.1, "fraction": 1}}, "less than 1"),
    ({"rad": {}, "near": {"centers": [[0]], "radius": 1}}, "sampling is exactly one of"),
])
def test_the_sampling_node_refuses_bad_input(value, message):
    with pytest.raises(ValidationError, match=message):
        Holder(sampling=value)
