"""Causal training: the weights over time slices, the growing window, and their use in training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.domains import make_sampler
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.causal import CausalWeights, TimeWindow, is_causal_target

PI = math.pi


def centre_of_mass(w: torch.Tensor) -> float:
    return float((w * torch.arange(len(w), dtype=w.dtype)).sum() / w.sum())


def test_slice_losses_are_means_per_slice_and_empty_slices_count_zero():
    causal = CausalWeights(0.0, 2.0, slices=4)
    t = torch.tensor([0.1, 0.2, 0.6, 1.9, 2.0])     # slices 0, 0, 1, 3, 3 (t1 itself in the last)
    penalty = torch.tensor([1.0, 3.0, 5.0, 2.0, 4.0])
    assert torch.allclose(causal.slice_losses(t, penalty), torch.tensor([2.0, 5.0, 0.0, 3.0]))


def test_weights_start_at_one_and_fall_with_the_residual_before():
    causal = CausalWeights(0.0, 1.0, slices=4, tolerance=0.5)
    w = causal.weights(torch.tensor([1.0, 2.0, 0.0, 3.0]))
    assert torch.allclose(w, torch.exp(-0.5 * torch.tensor([0.0, 1.0, 3.0, 3.0])))


def test_causal_weights_move_mass_forward_in_time_as_residuals_fall():
    causal = CausalWeights(0.0, 1.0, slices=16, tolerance=1.0)
    shape = torch.linspace(1.0, 2.0, 16)              # later slices a little worse, as in training
    fronts = [centre_of_mass(causal.weights(scale * shape)) for scale in (10.0, 1.0, 0.1, 0.01)]
    assert all(a < b for a, b in zip(fronts, fronts[1:], strict=False))
    assert fronts[0] < 1.5 and fronts[-1] > 7.0       # from the first slices to nearly uniform (7.5)


def test_the_weighted_loss_has_no_gradient_through_the_weights():
    causal = CausalWeights(0.0, 1.0, slices=2, tolerance=1.0)
    t = torch.tensor([0.25, 0.75])
    penalty = torch.tensor([1.0, 1.0], requires_grad=True)
    loss, w = causal.loss(t, penalty)
    loss.backward()
    # d/dp0 of mean(w·L) with w treated as constant is w0/2, not w0/2 − ε·w1·L1/2.
    assert torch.allclose(penalty.grad, w / 2)


def test_bad_causal_settings_are_refused():
    with pytest.raises(ValueError, match="slices ≥ 1"):
        CausalWeights(0.0, 1.0, slices=0)
    with pytest.raises(ValueError, match="tolerance > 0"):
        CausalWeights(0.0, 1.0, tolerance=0.0)


def test_the_window_grows_and_leaves_the_initial_slice_alone():
    window = TimeWindow(t0=1.0, ramp_steps=4)
    assert [window.fraction(s) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    x = torch.tensor([[0.3, 1.0], [0.5, 2.0], [0.7, 3.0]])
    squeezed = window.squeeze(x, 0.25)
    assert torch.equal(squeezed[:, 0], x[:, 0])
    assert torch.allclose(squeezed[:, 1], torch.tensor([1.0, 1.25, 1.5]))


def small_wave(**config):
    points = {"pde": 300, "initial": 100, "initial_velocity": 100, "dirichlet:boundary": 100}
    problem = sp.wave(sp.Box((0,), (1,)), 0.0, 1.0, initial_value=lambda p: torch.sin(PI * p[:, 0]),
                      dirichlet={None: 0.0}, points=points)
    return problem, sp.TrainConfig(seed=0, **config)


def test_only_the_space_time_interior_is_weighted():
    problem, _ = small_wave()
    assert [c.name for c in problem.constraints if is_causal_target(c)] == ["pde"]


def test_training_with_causal_weights_moves_their_mass_forward():
    problem, config = small_wave(steps=200, causal="weights", causal_slices=8)
    solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(16, 16), w0_initial=5.0))
    front = solution.history["causal/front"]
    assert front.shape == (200,)
    assert front[:5].max() < 0.2                      # at first only the first slice of 8 counts
    assert front[-20:].mean() > 2 * front[:5].mean()  # later ones open as the residuals fall


def test_the_window_samples_only_early_times_at_first():
    problem, _ = small_wave()
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float32)
    window = TimeWindow(0.0, ramp_steps=10)
    batches = window.apply(draw_batches(problem, sampler), window.fraction(0))
    assert max(float(b.x[:, -1].max()) for b in batches) <= 0.1 + 1e-6


def test_causal_training_of_a_steady_problem_is_refused():
    problem = sp.poisson(sp.Box((0, 0), (1, 1)), source=1.0, dirichlet={None: 0.0})
    with pytest.raises(ValueError, match="needs a space-time domain"):
        sp.train(problem, config=sp.TrainConfig(steps=1, causal="window"))


@pytest.mark.parametrize("causal", ["weights", "window", "both"])
def test_each_causal_option_trains_the_standing_wave(causal):
    # Causal options shape the Adam phase; a short LM phase then polishes the plain loss.
    problem, config = small_wave(steps=300, lr=2e-3, causal=causal, causal_slices=8, lm_steps=10)
    solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(24, 24), w0_initial=5.0))
    x, t = np.meshgrid(np.linspace(0, 1, 41), np.linspace(0, 1, 41), indexing="ij")
    points = np.column_stack([x.ravel(), t.ravel()])
    truth = np.sin(PI * points[:, 0]) * np.cos(PI * points[:, 1])
    error = np.linalg.norm(solution.evaluate(points)[:, 0] - truth) / np.linalg.norm(truth)
    assert error < 2e-3
