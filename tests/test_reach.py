"""A march's reach: the cutoff frame, the clipped space, the reach of a pulse's data, each window's
places and tables (equal to the walked-back windows), and a marched 1-D pulse against d'Alembert."""

from __future__ import annotations

import math

import pytest
import torch

import sirenpde as sp
from sirenpde.domains import Box, Disk, UniformSampler
from sirenpde.domains.clipped import Clipped, EmptyPartError
from sirenpde.domains.regions import Boundary, Interior
from sirenpde.model.lifted import lift_jets
from sirenpde.model.marched import START, MarchedModel, WindowLift, earlier_windows, next_table
from sirenpde.model.siren import SIREN
from sirenpde.model.window_frame import Frame, cutoff
from sirenpde.training.point_pools import draw_places
from sirenpde.training.reach import light_cone, reaches, support, window_places, window_region

WIDTH2 = 0.004  # 2σ² of the 1-D pulse


def _sampler(seed: int = 0) -> UniformSampler:
    return UniformSampler(generator=torch.Generator().manual_seed(seed), device="cpu", dtype=torch.float64)


def test_the_cutoff_is_one_on_the_reach_zero_beyond_its_band_and_smooth_at_both_edges():
    lo, hi, band = (-0.5, -1.0), (0.5, 1.0), (0.2, 0.4)
    x = torch.tensor([[0.0, 0.0], [-0.3, 0.5], [-0.4, 0.0], [0.9, 0.0], [0.0, -0.95]], dtype=torch.float64)
    chi = cutoff(x, lo, hi, band, (True, False), (True, True))
    assert chi[:2].tolist() == [1.0, 1.0] and chi[3] == 0 and chi[4] == 1  # y's low side is not cut
    assert 0 < chi[2] < 1
    h = 1e-4
    for edge in (-0.5, -0.3):  # where the band starts and ends: value, slope and curvature continuous
        f = [float(cutoff(torch.tensor([[edge + s * h, 0.0]], dtype=torch.float64), lo, hi, band,
                          (True, False), (True, True))) for s in (-2, -1, 0, 1, 2)]
        assert abs(f[3] - f[1]) < 1e-6 and abs(f[3] - 2 * f[2] + f[1]) < 1e-6
        assert abs((f[4] - 2 * f[2] + f[0]) - 4 * (f[3] - 2 * f[2] + f[1])) < 1e-6


def test_a_frame_round_trips_and_a_plain_one_is_tau_to_the_order():
    frame = Frame(0.1, 0.2, 0.03, (-0.5,), (0.5,), (0.1,), (True,), (False,))
    assert Frame.from_description(frame.description()) == frame
    x = torch.tensor([[0.2, 0.25], [0.0, 0.3]], dtype=torch.float64)
    torch.testing.assert_close(Frame.plain(0.1, 0.2, 2).factor(x, 2), (x[:, 1] - 0.1) ** 2)


def test_a_clipped_space_draws_inside_both_and_finds_no_part_outside_the_box():
    clipped = Clipped(Disk((0.0, 0.0), 1.0), (0.5, -0.2), (2.0, 0.2))
    assert clipped.bounds()[1].tolist() == [1.0, 0.2]
    x = clipped.sample_interior(500, _sampler())
    assert bool(clipped.contains(x).all()) and bool((x[:, 0] >= 0.5).all())
    y, normals = clipped.sample_boundary(50, _sampler())
    torch.testing.assert_close(y.norm(dim=1), torch.ones(50, dtype=torch.float64))
    with pytest.raises(EmptyPartError):
        box = Clipped(Box((-1.0, -1.0), (1.0, 1.0)), (-0.2, -0.2), (0.2, 0.2))
        box.sample_boundary(10, _sampler(), "left")


def _pulse(t1: float = 0.3, source: float = 0.0):
    g = sp.expression(f"exp(-x**2/{WIDTH2})", ("x", "t"))
    return sp.wave(Box((-1.0,), (1.0,)), 0.0, t1, initial_value=g, initial_velocity=0.0, source=source,
                   dirichlet={None: 0.0}, exact_initial=True, points={"pde": 256, "dirichlet:boundary": 32},
                   exact=lambda x: (torch.exp(-(x[:, :1] - x[:, 1:]) ** 2 / WIDTH2)
                                    + torch.exp(-(x[:, :1] + x[:, 1:]) ** 2 / WIDTH2)) / 2)


def _whole_places(problem):
    from sirenpde.training.marching import marched_regions
    return draw_places(problem, marched_regions(problem), sp.TrainConfig(steps=1), torch.device("cpu"),
                       torch.float64, salt=1)


def _reaches(problem, places, edges):
    return reaches(problem, support(problem, places, problem.ansatz.part), edges)


def test_a_pulse_reaches_as_far_as_the_wave_can_go_and_a_source_everywhere_reaches_the_whole_space():
    problem = _pulse(t1=0.6)
    edges = [0.0, 0.1, 0.2, 0.6]
    found = _reaches(problem, _whole_places(problem), edges)
    extent = math.sqrt(WIDTH2 * math.log(1e4))  # where the pulse falls to 1e-4 of its height
    widths = [r.hi[0] - r.lo[0] for r in found[:2]]
    for k, r in enumerate(found[:2]):
        assert r.cut_lo == (True,) and r.cut_hi == (True,)
        assert -extent - edges[k + 1] - r.band[0] > r.lo[0] > -extent - edges[k + 1] - 1.6 * r.band[0]
    assert widths[0] < widths[1] and found[2] is None  # by t = 0.6 the box covers the space
    forced = _pulse(0.6, 1.0)
    assert _reaches(forced, _whole_places(forced), edges) == [None] * 3


def test_each_windows_places_carry_the_same_jets_as_the_walked_back_windows():
    problem = _pulse()
    initial, edges = problem.ansatz.part, [0.0, 0.1, 0.2, 0.3]
    whole = _whole_places(problem)
    found = _reaches(problem, whole, edges)
    torch.manual_seed(0)
    networks = [SIREN((8, 8), 2, 1, w0_initial=3.0, bounds=((-1, 0), (1, 0.3))).double() for _ in range(3)]
    frames = [Frame(a, b - a, 0.5, *(() if r is None else (r.lo, r.hi, r.band, r.cut_lo, r.cut_hi)))
              for a, b, r in zip(edges, edges[1:], found, strict=False)]
    interior = next(key for key, pool in whole.items() if isinstance(pool.region, Interior))
    region, sampler, state = whole[interior].region, _sampler(3), None
    for k in range(3):
        places, table = window_places(window_region(region, found[k], edges[k], edges[k + 1]), 300, sampler,
                                      initial, state, found[k])
        assert found[k] is None or bool(found[k].holds(places.x).all())
        lift = WindowLift(earlier_windows(networks[:k], edges, initial, frames), k)
        x = places.x.clone()
        x[:, 1] = edges[k] + (edges[k + 1] - edges[k]) * torch.rand(len(x), dtype=torch.float64)
        groups = ((0,), (1,))
        for a, b in zip(lift.jets(x, groups, {START: table}), lift_jets(lift.both, x, groups), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
        windows = earlier_windows(networks[:k + 1], edges, initial, frames)
        state = (places, next_table(table, windows, k, places.x), found[k])


def test_the_light_cone_holds_the_places_the_wave_can_reach_by_then():
    problem = _pulse()
    whole = _whole_places(problem)
    found = support(problem, whole, problem.ansatz.part)
    x = next(pool.x for pool in whole.values() if isinstance(pool.region, Interior))
    extent = math.sqrt(WIDTH2 * math.log(1e4))  # where the pulse falls to 1e-4 of its height
    for elapsed in (0.05, 0.2):
        inside = torch.zeros(len(x), dtype=torch.bool)
        inside[light_cone(x, found, 2.0, elapsed)] = True
        r = x[:, 0].abs()
        assert bool(inside[r < extent + 2 * elapsed].all())  # the speed is 2
        assert not bool(inside[r > extent + 2 * elapsed + 2 * found.spacing].any())
        assert 0 < int(inside.sum()) < len(x)


def test_a_boundary_part_outside_the_reach_gets_no_places():
    problem = _pulse()
    found = _reaches(problem, _whole_places(problem), [0.0, 0.1, 0.2, 0.3])
    part = Boundary(problem.domain, "left")
    region = window_region(part, found[0], 0.0, 0.1)
    places, table = window_places(region, 64, _sampler(), problem.ansatz.part, None, found[0])
    assert len(places.x) == 0 and len(table) == 0


def test_a_marched_pulse_stays_in_its_reach_and_matches_dalembert(tmp_path):
    problem = _pulse(t1=0.2)
    config = sp.TrainConfig(steps=300, lm_steps=20, windows=2, seed=0, validate_every=50, log_every=50)
    solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(16, 16)))
    model = solution.model
    assert isinstance(model, MarchedModel) and all(f.cuts for f in model.frames)
    x = torch.rand(4000, 2, dtype=torch.float32) * torch.tensor([2.0, 0.2]) - torch.tensor([1.0, 0.0])
    exact = problem.exact(x)
    with torch.no_grad():
        error = float((model(x) - exact).norm() / exact.norm())
    assert error < 5e-2
    sp.save(solution, tmp_path / "p.h5", resolution=[33, 5])
    back = sp.load(tmp_path / "p.h5")
    assert back.model.frames == model.frames and torch.equal(back.evaluate(x), solution.evaluate(x))


def test_a_reboxed_siren_is_the_same_function_of_space():
    from sirenpde.training.window_network import rebox
    torch.manual_seed(1)
    siren = SIREN((16, 16), 3, 1, w0_initial=5.0, bounds=((-0.2, -0.3, 0.0), (0.2, 0.3, 0.1))).double()
    x = torch.rand(50, 3, dtype=torch.float64) * torch.tensor([0.4, 0.6, 0.1]) - torch.tensor([0.2, 0.3, 0.0])
    before = siren(x)
    rebox(siren, torch.tensor([-0.5, -0.4, 0.0]), torch.tensor([0.6, 0.5, 0.1]), kept=2)
    torch.testing.assert_close(siren(x), before)
    torch.testing.assert_close(siren.lo, torch.tensor([-0.5, -0.4, 0.0], dtype=torch.float64))


@pytest.mark.parametrize("order", [1, 2])
def test_a_frames_closed_form_jets_are_its_factors_derivatives(order):
    frame = Frame(0.1, 0.2, 0.03, (-0.5, -0.4), (0.5, 0.6), (0.2, 0.3), (True, False), (True, True))
    x = torch.rand(300, 3, dtype=torch.float64) * torch.tensor([1.2, 1.2, 0.2])
    x -= torch.tensor([0.6, 0.6, -0.1])
    groups = ((0,), (1,), (2,))
    value, grad, second = frame.jets(x, order)
    expected = lift_jets(lambda y: frame.factor(y, order)[:, None], x, groups)
    torch.testing.assert_close(value, expected[0][:, 0])
    torch.testing.assert_close(grad, expected[1][:, 0])
    torch.testing.assert_close(second, expected[2][:, 0])
