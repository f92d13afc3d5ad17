"""The wave front as a SIREN input: its closed-form jets, its distance, the carry-over of a window's
network, and a march that gives its windows the front (or not), saved and loaded with it."""

from __future__ import annotations

import math

import pytest
import torch

import sirenpde as sp
from sirenpde.derivatives.forward import siren_jets
from sirenpde.domains import Box
from sirenpde.model.front import FrontDistance, parts
from sirenpde.model.siren import SIREN
from sirenpde.training.window_network import rebox

FRONT = {"width": 0.03, "speed": 2.0, "start": 0.1, "scale": 0.25}


def _siren(centers) -> SIREN:
    torch.manual_seed(0)
    return SIREN((16, 16), 3, 1, w0_initial=10.0, bounds=((-0.3, -0.3, 0.0), (0.3, 0.3, 0.5)),
                 front={"centers": centers, **FRONT}).double()


def _autograd_jets(model, x):
    x = x.clone().requires_grad_(True)
    u = model(x)[:, 0]
    grad = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    pure = torch.stack([torch.autograd.grad(grad[:, a].sum(), x, retain_graph=True)[0][:, a]
                        for a in range(x.shape[1])], dim=1)
    return u, grad, pure


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("centers", [[[0.0, 0.0]], [[0.0, 0.0], [0.05, 0.02], [-0.1, 0.3]]])
def test_a_siren_with_a_front_has_the_jets_autograd_finds(plain, centers):
    model = _siren(centers)
    x = (torch.rand(40, 3, dtype=torch.float64) - 0.5) * torch.tensor([0.5, 0.5, 0.8])
    x[:, 2] += 0.3
    value, grad, second = siren_jets(model, x, ((0, 1), (2,), (0,)), plain=plain)
    u, du, pure = _autograd_jets(model, x)
    torch.testing.assert_close(value[:, 0], u)
    torch.testing.assert_close(grad[:, 0], du)
    expected = torch.stack([pure[:, 0] + pure[:, 1], pure[:, 2], pure[:, 0]], dim=1)
    torch.testing.assert_close(second[:, 0], expected)


def test_the_front_is_the_distance_less_the_distance_travelled_and_a_soft_minimum_of_several():
    one = FrontDistance([[0.1, -0.2]], **FRONT).double()
    x = torch.tensor([[0.4, 0.2, 0.1], [0.1, -0.2, 0.3]], dtype=torch.float64)
    expected = (torch.tensor([math.hypot(0.5, 0.03), 0.03]) - 2.0 * (x[:, 2] - 0.1)) / 0.25
    torch.testing.assert_close(one(x)[:, 0], expected.double())
    centers = [[0.0, 0.0], [0.5, 0.0], [0.0, 0.5]]
    many = FrontDistance(centers, **FRONT).double()
    y = torch.rand(100, 3, dtype=torch.float64)
    nearest = torch.stack([FrontDistance([c], **FRONT).double()(y)[:, 0] for c in centers], 1).min(1).values
    assert bool((many(y)[:, 0] <= nearest + 1e-12).all())
    assert bool((many(y)[:, 0] >= nearest - 0.03 * math.log(3) / 0.25 - 1e-12).all())


def test_the_parts_of_a_support_are_its_touching_cells():
    points = torch.tensor([[0.01, 0.01], [0.12, 0.03], [0.21, 0.19], [0.75, 0.01], [0.77, 0.02]],
                          dtype=torch.float64)  # the first three touch corner to corner
    found = sorted(parts(points, 0.1), key=lambda part: len(part[0]))
    assert [m for _, m in found] == pytest.approx([0.01, 0.03])
    assert torch.equal(found[0][0], points[3:]) and torch.equal(found[1][0], points[:3])


def test_a_reboxed_siren_with_a_front_is_the_same_function_of_space():
    model = _siren([[0.0, 0.1]])
    x = torch.rand(50, 3, dtype=torch.float64) * torch.tensor([0.6, 0.6, 0.5]) - torch.tensor([0.3, 0.3, 0.0])
    before = model(x)
    rebox(model, torch.tensor([-0.6, -0.5, 0.0]), torch.tensor([0.7, 0.5, 0.5]), kept=2)
    torch.testing.assert_close(model(x), before)


WIDTH2 = 0.004  # 2σ² of the 1-D pulse


def _pulse_march(front: bool):
    g = sp.expression(f"exp(-x**2/{WIDTH2})", ("x", "t"))
    problem = sp.wave(Box((-1.0,), (1.0,)), 0.0, 0.2, initial_value=g, initial_velocity=0.0,
                      dirichlet={None: 0.0}, exact_initial=True,
                      points={"pde": 128, "dirichlet:boundary": 16})
    config = sp.TrainConfig(steps=20, lm_steps=2, windows=2, seed=0, window_front=front)
    return sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(8, 8)))


def test_a_march_on_a_reach_gives_its_windows_the_front_and_stores_it(tmp_path):
    solution = _pulse_march(True)
    first, second = solution.model.networks
    assert first.front is not None and second.front.description == first.front.description
    assert first.front.width > 0 and first.front.speed == 1.0 and first.front.start == 0.0
    # One pulse is one part, however the random places fall: a single centre, at the pulse's.
    assert first.front.centers.shape == (1, 1) and abs(float(first.front.centers[0, 0])) < 1e-3
    sp.save(solution, tmp_path / "f.h5", resolution=[17, 5])
    back = sp.load(tmp_path / "f.h5")
    x = torch.rand(300, 2) * torch.tensor([2.0, 0.2]) - torch.tensor([1.0, 0.0])
    assert back.model.networks[0].front is not None and torch.equal(back.evaluate(x), solution.evaluate(x))


def test_a_march_told_window_front_false_gives_its_windows_none():
    assert all(n.front is None for n in _pulse_march(False).model.networks)
