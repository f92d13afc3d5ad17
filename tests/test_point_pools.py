"""Pools whose points carry a lift's jets: the jets read from a pool equal the ones differentiated on
the spot, and only problems with a lift get pools."""

from __future__ import annotations

import pytest
import torch

import sirenpde as sp
import sirenpde.training.point_pools as point_pools
from sirenpde.domains import Disk, UniformSampler
from sirenpde.domains.regions import Boundary, Interior
from sirenpde.model.hard_dirichlet import dirichlet_ansatz
from sirenpde.model.lifted import LIFT, lift_jets
from sirenpde.model.marched import START
from sirenpde.training.point_pools import (
    CONE_SHARE,
    MIN_POOL,
    LiftPoints,
    Places,
    WindowPoints,
    with_lift_pools,
)

SQUARE_MINUS_DISK = """problem: poisson
domain:
  difference:
    base: {box: {lo: [0, 0], hi: [1, 1]}}
    holes: [{disk: {center: [0.5, 0.5], radius: 0.2}}]
    names: [hole]
pde: {source: 1, points: 300}
boundary:
  - {type: dirichlet, on: outer, value: x*y + sin(3*y)}
  - {type: neumann, on: hole, value: 0, points: 100}
"""


def _sampler(seed: int = 0) -> UniformSampler:
    return UniformSampler(generator=torch.Generator().manual_seed(seed), device="cpu", dtype=torch.float64)


def test_jets_read_from_a_pool_equal_the_jets_differentiated_at_the_points():
    problem = sp.load_problem_text(SQUARE_MINUS_DISK, "p.yaml").problem
    pooled = with_lift_pools(problem, sp.TrainConfig(dtype="float64"), torch.device("cpu"), torch.float64)
    lift = problem.ansatz.part
    groups = ((0, 1), (0,), (1,))
    for c in pooled.constraints:
        assert isinstance(c.region, LiftPoints) and len(c.region.places.x) >= MIN_POOL
        x, _, data = c.region.draw(64, _sampler())
        read = lift.jets(x, groups, data)
        differentiated = lift_jets(lift.both, x, groups)
        for a, b in zip(read, differentiated, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_the_pooled_points_lie_in_their_regions_with_their_normals():
    problem = sp.load_problem_text(SQUARE_MINUS_DISK, "p.yaml").problem
    pooled = with_lift_pools(problem, sp.TrainConfig(), torch.device("cpu"), torch.float32)
    domain = problem.domain
    by_name = {c.name: c.region for c in pooled.constraints}
    inside, _, data = by_name["pde"].draw(500, _sampler())
    assert bool(domain.contains(inside).all()) and data[LIFT].shape == (500, 2, 5)
    on_hole, normals, _ = by_name["neumann:hole"].draw(200, _sampler())
    radius = (on_hole - 0.5).norm(dim=1)
    torch.testing.assert_close(radius, torch.full_like(radius, 0.2), rtol=0, atol=1e-5)
    torch.testing.assert_close(normals, -(on_hole - 0.5) / radius[:, None], rtol=0, atol=1e-4)


def test_problems_without_a_lift_keep_their_regions():
    text = SQUARE_MINUS_DISK.replace("sin(3*y)}", "sin(3*y), exact: false}")
    problem = sp.load_problem_text(text, "p.yaml").problem
    pooled = with_lift_pools(problem, sp.TrainConfig(), torch.device("cpu"), torch.float32)
    assert [c.region for c in pooled.constraints] == [c.region for c in problem.constraints]


@pytest.mark.parametrize("region", ["interior", "boundary"])
def test_a_pool_is_drawn_the_same_way_for_the_same_seed(region):
    disk = Disk((0.0, 0.0), 1.0)
    problem = sp.Problem(disk, [sp.Constraint("c", Interior(disk) if region == "interior" else Boundary(disk),
                                              lambda u: u.value, points=10)],
                         ansatz=dirichlet_ansatz(disk, {None: 0.0}))
    first, second = (with_lift_pools(problem, sp.TrainConfig(seed=3), torch.device("cpu"), torch.float32)
                     for _ in range(2))
    assert torch.equal(first.constraints[0].region.places.x, second.constraints[0].region.places.x)


def test_a_window_draws_its_share_of_points_from_the_light_cone_and_the_rest_anywhere(monkeypatch):
    box = sp.SpaceTime(sp.Box((0.0,), (1.0,)), 0.0, 1.0)
    x = torch.zeros(1000, 2, dtype=torch.float64)
    x[:, 0] = torch.linspace(0, 1, 1000, dtype=torch.float64)
    table = x[:, :1, None].clone()  # each place's row names its place
    cone = torch.nonzero(x[:, 0] < 0.1).flatten()  # a tenth of the places
    points = WindowPoints(Places(Interior(box), x, None), 0.2, 0.3, table, cone)
    drawn, _, data = points.draw(20000, _sampler())
    torch.testing.assert_close(data[START][:, 0, 0], drawn[:, 0])  # rows travel with their places
    assert bool(((drawn[:, 1] >= 0.2) & (drawn[:, 1] <= 0.3)).all())
    share = float((drawn[:, 0] < 0.1).double().mean())
    assert abs(share - (CONE_SHARE + (1 - CONE_SHARE) * 0.1)) < 0.02  # the cone's share, a tenth of the rest
    assert len(torch.unique(drawn[:, 0])) > 950  # every place can still be drawn
    plain, _, _ = WindowPoints(Places(Interior(box), x, None), 0.2, 0.3, table).draw(20000, _sampler())
    assert abs(float((plain[:, 0] < 0.1).double().mean()) - 0.1) < 0.02
    for share, expected in ((0.0, 0.1), (1.0, 1.0)):  # none from the cone as such; all from it
        monkeypatch.setattr(point_pools, "CONE_SHARE", share)
        drawn, _, _ = points.draw(20000, _sampler())
        assert abs(float((drawn[:, 0] < 0.1).double().mean()) - expected) < 0.02
