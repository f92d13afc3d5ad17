"""Walls held exactly in a march: the factor's closed-form jets, where it is zero and one, its round
trip, which terms it takes over, and a marched pulse that reflects off a wall it holds."""

from __future__ import annotations

import pytest
import torch

import sirenpde as sp
from sirenpde.domains import Box
from sirenpde.model.cone_cutoff import ConeCut
from sirenpde.model.lifted import lift_jets
from sirenpde.model.marched import MarchedModel
from sirenpde.model.walls import Walls
from sirenpde.model.window_frame import Frame
from sirenpde.training.marching import marched_regions
from sirenpde.training.point_pools import draw_places
from sirenpde.training.walls import zero_walls

WALLS = Walls((-1.0, -1.0), (1.0, 1.0), (True, False), (True, True), 0.1)
GROUPS = ((0,), (1,), (2,))


def _points(n: int) -> torch.Tensor:
    x = torch.rand(n, 3, dtype=torch.float64) * 2 - 1
    x[:, 2] = 0.1 + 0.2 * torch.rand(n, dtype=torch.float64)
    return x


@pytest.mark.parametrize("framed", [False, True])
def test_the_wall_factors_closed_form_jets_are_its_derivatives_alone_and_in_a_frame(framed):
    torch.manual_seed(0)
    x = _points(2000)
    if framed:  # with the box's cutoff and the light cone's: the product rule over all of them
        cone = ConeCut.of([[0.6, -0.2]], [0.1], 0.02, 0.2, 0.05)
        box = ((-1.0, -0.6), (1.0, 1.0), (0.1, 0.1), (False, True), (False, False))
        frame = Frame(0.1, 0.2, 0.3, *box, cone, WALLS)
        got, want = frame.jets(x, 2), lift_jets(lambda y: frame.factor(y, 2)[:, None], x, GROUPS)
    else:
        got, want = WALLS.jets(x), lift_jets(lambda y: WALLS.value(y)[:, None], x, GROUPS)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b[:, 0])


def test_the_wall_factor_is_zero_on_its_walls_and_one_away_from_them():
    t = torch.full((4,), 0.2, dtype=torch.float64)
    along = torch.tensor([-0.5, 0.0, 0.3, 0.9], dtype=torch.float64)
    for axis, edge in ((0, -1.0), (0, 1.0), (1, 1.0)):
        x = torch.stack([along, along, t], dim=1)
        x[:, axis] = edge
        assert WALLS.value(x).abs().max() == 0
    not_a_wall = torch.stack([along, torch.full_like(along, -1.0), t], dim=1)  # y = −1 is not one
    assert bool((WALLS.value(not_a_wall).abs() > 0.5).all())
    inside = torch.tensor([[0.0, 0.0, 0.2], [0.1, -0.2, 0.1]], dtype=torch.float64)  # ≥ 9ℓ from a wall
    torch.testing.assert_close(WALLS.value(inside), torch.ones(2, dtype=torch.float64), rtol=0, atol=1e-6)


def test_walls_round_trip_alone_and_in_a_frame_and_refuse_what_they_cannot_be():
    assert Walls.from_description(WALLS.description()) == WALLS
    frame = Frame(0.1, 0.2, 0.3, walls=WALLS)
    assert Frame.from_description(frame.description()) == frame
    old = {k: v for k, v in Frame(0.1, 0.2, 0.3).description().items() if k != "walls"}
    assert Frame.from_description(old).walls is None  # a result written before walls existed
    with pytest.raises(ValueError, match="at least one wall"):
        Walls((0.0,), (1.0,), (False,), (False,), 0.1)
    with pytest.raises(ValueError, match="positive"):
        Walls((0.0,), (1.0,), (True,), (False,), 0.0)


def test_a_windows_box_gets_the_walls_it_meets_and_none_when_it_meets_none():
    assert WALLS.met((True, True), (True, True)) is None  # every side of the box is cut: inside
    assert WALLS.met((False, False), (True, False)) == Walls(WALLS.lo, WALLS.hi, (True, False), (False, True),
                                                             0.1)
    assert WALLS.met((True, False), (True, True)) is None  # y = −1 is met, but is not a wall


def _pulses(initial: str = "exp(-((x-0.4)**2+y**2)/0.002)", **conditions):
    g = sp.expression(initial, ("x", "y", "t"))
    return sp.wave(Box((-1.0, -1.0), (1.0, 1.0)), 0.0, 0.2, initial_value=g, initial_velocity=0.0,
                   exact_initial=True, **conditions)


def _walls_of(problem):
    places = draw_places(problem, marched_regions(problem), sp.TrainConfig(steps=1), torch.device("cpu"),
                         torch.float64, salt=1)
    walls, held = zero_walls(problem, places, problem.ansatz.part, 0.05)
    return walls, {c.name for c in problem.constraints if id(c.region) in held}


def test_walls_hold_the_zero_value_conditions_where_the_data_vanish_and_nothing_else():
    walls, held = _walls_of(_pulses(dirichlet={None: 0.0}))
    assert walls == Walls((-1.0, -1.0), (1.0, 1.0), (True, True), (True, True), 0.1)
    assert held == {"dirichlet:boundary"}
    sides = _pulses(dirichlet={"x_min": 0.0, "x_max": 0.0}, neumann={"y_min": 0.0, "y_max": 0.0})
    walls, held = _walls_of(sides)
    assert (walls.at_lo, walls.at_hi) == ((True, False), (True, False))
    assert held == {"dirichlet:x_min", "dirichlet:x_max"}
    assert _walls_of(_pulses(dirichlet={None: 0.1})) == (None, set())  # not zero
    assert _walls_of(_pulses(neumann={None: 0.0})) == (None, set())  # not a value
    flat = _pulses("0.5 + exp(-((x-0.4)**2+y**2)/0.002)", dirichlet={None: 0.0})
    assert _walls_of(flat) == (None, set())  # the initial value is not zero on the walls


def test_a_marched_pulse_reflects_off_a_wall_held_exactly():
    # u_tt = u_xx on [−1, 1] with u = 0 at both ends: the right-going half of a pulse at x = 0.6 meets
    # x = 1 at t ≈ 0.4 and comes back inverted (its image at x = 1.4, of the opposite sign).
    g = sp.expression("exp(-(x-0.6)**2/0.01)", ("x", "t"))
    problem = sp.wave(Box((-1.0,), (1.0,)), 0.0, 0.6, initial_value=g, initial_velocity=0.0,
                      dirichlet={None: 0.0}, exact_initial=True, points={"pde": 512})
    config = sp.TrainConfig(steps=100, lm_steps=120, windows=3, seed=0, validate_every=50, log_every=50)
    solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(24, 24)))
    model = solution.model
    assert isinstance(model, MarchedModel) and all(f.walls is not None for f in model.frames)
    assert not any(key.startswith("dirichlet") for key in solution.history)  # the walls hold it
    t = torch.linspace(0.0, 0.6, 31, dtype=torch.float64)
    with torch.no_grad():
        for edge in (-1.0, 1.0):  # the initial value's own tail there (below 1e-4 of its peak), and no more
            at_wall = model(torch.stack([torch.full_like(t, edge), t], dim=1).float()).double()[:, 0]
            tail = torch.exp(torch.tensor(-((edge - 0.6) ** 2) / 0.01, dtype=torch.float64))
            torch.testing.assert_close(at_wall, tail.expand_as(at_wall), rtol=1e-5, atol=1e-30)
        x = torch.linspace(-1, 1, 401, dtype=torch.float64)
        points = torch.stack([x, torch.full_like(x, 0.6)], dim=1)
        u = model(points.float()).double()[:, 0]

    def start(y):
        return torch.exp(-(y - 0.6) ** 2 / 0.01) - torch.exp(-(y - 1.4) ** 2 / 0.01)
    exact = 0.5 * (start(x - 0.6) + start(x + 0.6))
    assert float((u - exact).norm() / exact.norm()) < 1e-2  # 2.3e-3 when written
