"""The light cone's cutoff of a marched window: its closed-form jets, where it is one and zero, the
cover of the data's support it is built on, its round trip, and a marched pulse whose field ahead of
the cone is exactly the data's free flight."""

from __future__ import annotations

import math

import pytest
import torch

import sirenpde as sp
from sirenpde.domains import Box
from sirenpde.model.cone_cutoff import ConeCut
from sirenpde.model.lifted import lift_jets
from sirenpde.model.marched import MarchedModel
from sirenpde.model.window_frame import Frame, cutoff
from sirenpde.training.marching import marched_regions
from sirenpde.training.point_pools import draw_places
from sirenpde.training.reach import cone_cut, cut_cone, support, support_parts

CUT = ConeCut.of([[0.1, -0.2], [0.5, 0.4]], [0.1, 0.05], 0.02, 0.2, 0.05)
GROUPS = ((0,), (1,), (2,))


def _points(n: int, t0: float = 0.1, t1: float = 0.3) -> torch.Tensor:
    x = torch.rand(n, 3, dtype=torch.float64) * 2 - 1
    x[:, 2] = t0 + (t1 - t0) * torch.rand(n, dtype=torch.float64)
    return x


@pytest.mark.parametrize("boxed", [False, True])
def test_the_cutoffs_closed_form_jets_are_its_derivatives_alone_and_in_a_frame(boxed):
    torch.manual_seed(0)
    x = _points(2000)
    value, grad, second = CUT.jets(x)
    expected = lift_jets(lambda y: CUT.value(y)[:, None], x, GROUPS)
    assert 0.01 < float(((value > 0) & (value < 1)).double().mean())  # some points in the band
    torch.testing.assert_close(value, expected[0][:, 0])
    torch.testing.assert_close(grad, expected[1][:, 0])
    torch.testing.assert_close(second, expected[2][:, 0])
    box = ((-0.6, -0.6), (0.7, 0.7), (0.1, 0.1), (True, True), (True, False)) if boxed else (None,) * 5
    frame = Frame(0.1, 0.2, 0.3, *box, cone=CUT)
    framed = frame.jets(x, 2)
    expected = lift_jets(lambda y: frame.factor(y, 2)[:, None], x, GROUPS)
    for got, want in zip(framed, expected, strict=True):
        torch.testing.assert_close(got, want[:, 0])


def test_the_cutoff_is_one_within_the_reach_of_the_discs_and_zero_beyond_its_band_at_any_time():
    for reach in (0.0, 0.2):
        one = ConeCut.of([[0.0, 0.0]], [0.1], 1e-3, reach, 0.05)
        radius = 0.1 + reach  # the disc, grown by the reach
        r = torch.tensor([0.0, radius - 0.01, radius + 0.025, radius + 0.051, 1.5], dtype=torch.float64)
        for t in (0.0, 0.3):
            x = torch.stack([r * math.cos(0.3), r * math.sin(0.3), torch.full_like(r, t)], dim=1)
            chi = one.value(x)
            assert chi[:2].tolist() == [1.0, 1.0] and 0 < chi[2] < 1 and chi[3:].tolist() == [0.0, 0.0]
    two = CUT.value(torch.tensor([[0.1, -0.2, 0.1], [0.5, 0.4, 0.1], [0.3, 0.1, 0.1]], dtype=torch.float64))
    assert two.tolist() == [1.0, 1.0, 0.0]  # each part's centre is inside, the gap between is not yet


def test_a_cutoff_round_trips_alone_and_in_a_frame_and_refuses_what_it_cannot_be():
    assert ConeCut.from_description(CUT.description()) == CUT
    frame = Frame(0.1, 0.2, 0.3, (-0.6, -0.6), (0.7, 0.7), (0.1, 0.1), (True, True), (True, False), CUT)
    assert Frame.from_description(frame.description()) == frame
    assert Frame.from_description(Frame(0.1, 0.2, 0.3).description()).cone is None
    with pytest.raises(ValueError, match="as many centres as radii"):
        ConeCut.of([[0.0, 0.0]], [0.1, 0.2], 0.02, 0.1, 0.05)
    with pytest.raises(ValueError, match="positive"):
        ConeCut.of([[0.0, 0.0]], [0.1], 0.02, 0.1, 0.0)


def _two_pulses(t1: float = 0.2):
    g = sp.expression("exp(-((x-0.4)**2+y**2)/0.002) + 0.5*exp(-((x+0.5)**2+(y-0.3)**2)/0.004)",
                      ("x", "y", "t"))
    return sp.wave(Box((-1.0, -1.0), (1.0, 1.0)), 0.0, t1, initial_value=g, initial_velocity=0.0,
                   dirichlet={None: 0.0}, exact_initial=True, points={"pde": 1024, "dirichlet:boundary": 64})


def test_the_support_parts_cover_the_data_and_the_cone_holds_every_place_the_network_acts_at():
    problem = _two_pulses()
    places = draw_places(problem, marched_regions(problem), sp.TrainConfig(steps=1), torch.device("cpu"),
                         torch.float64, salt=1)
    found = support(problem, places, problem.ansatz.part)
    parts = support_parts(problem, found, problem.ansatz.part)
    assert len(parts.centers) == 2
    centres = torch.tensor(parts.centers, dtype=torch.float64)
    near = torch.cdist(found.positions, centres) <= torch.tensor(parts.radii, dtype=torch.float64)
    assert bool(near.any(dim=1).all())
    cut = cone_cut(problem, parts, 0.1)
    assert cut is not None and cut.band > 0 and cut.reach == pytest.approx(0.1)  # the speed is 1
    x = next(iter(places.values())).x
    inside = torch.zeros(len(x), dtype=torch.bool)
    inside[cut_cone(x, cut)] = True
    assert bool((cut.value(x)[~inside] == 0).all()) and 0 < int(inside.sum()) < len(x)


def test_a_marched_pulse_is_exactly_its_free_flight_ahead_of_the_cone():
    g = sp.expression("exp(-x**2/0.004)", ("x", "t"))
    problem = sp.wave(Box((-1.0,), (1.0,)), 0.0, 0.2, initial_value=g, initial_velocity=0.0,
                      dirichlet={None: 0.0}, exact_initial=True,
                      points={"pde": 256, "dirichlet:boundary": 32})
    config = sp.TrainConfig(steps=60, windows=2, seed=0, validate_every=30, log_every=30)
    model = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(16, 16))).model
    assert isinstance(model, MarchedModel) and all(f.cone is not None for f in model.frames)
    assert [f.cone.reach for f in model.frames] == pytest.approx([0.1, 0.2])  # the speed is 1
    x = torch.rand(4000, 2, dtype=torch.float64) * torch.tensor([2.0, 0.2]) - torch.tensor([1.0, 0.0])
    later = x[:, 1] >= 0.1
    ahead = torch.where(later, model.frames[1].cone.value(x), model.frames[0].cone.value(x)) == 0
    with torch.no_grad():
        u = model(x.float()).double()[:, 0]
    start = torch.exp(-x[:, 0] ** 2 / 0.004)
    box = model.frames[0]  # where the reach's box alone would still let the network act
    boxed = cutoff(x[:, :-1], box.lo, box.hi, box.band, box.cut_lo, box.cut_hi) > 0
    assert 0 < int((ahead & boxed & ~later).sum()) and int(ahead.sum()) < len(x)
    torch.testing.assert_close(u[ahead], start[ahead], rtol=0, atol=1e-6)
    assert float((u[~ahead] - start[~ahead]).abs().max()) > 1e-3  # behind it, the wave has moved
