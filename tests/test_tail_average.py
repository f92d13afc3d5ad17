"""The mean of Levenberg–Marquardt's last iterates: kept, averaged, chosen by validation, checkpointed."""

from __future__ import annotations

import pytest
import torch

import sirenpde as sp
from sirenpde.training.checkpoint import Checkpointing, read_checkpoint
from sirenpde.training.phases import LevenbergMarquardtPhase
from sirenpde.training.tail_average import TailAverage


def test_the_tail_keeps_the_latest_values_and_averages_them():
    w = torch.zeros(3)
    tail = TailAverage({"w": w}, length=2)
    for value in (1.0, 2.0, 4.0):
        w.fill_(value)
        tail.add()
    assert torch.equal(tail.mean()["w"], torch.full((3,), 3.0))   # 1.0 was dropped
    w.fill_(7.0)
    assert torch.equal(w, torch.full((3,), 7.0)) and torch.equal(tail.values[-1]["w"], torch.full((3,), 4.0))
    copy = TailAverage({"w": torch.zeros(3)}, length=2)
    copy.load_state_dict(tail.state_dict())
    assert torch.equal(copy.mean()["w"], tail.mean()["w"])


class _Run:
    """A run whose validation loss is the distance of the weights from a target."""

    def __init__(self, w: torch.Tensor, target: float):
        self.w, self.target = w, target

    def validation_loss(self) -> float:
        return float(((self.w - self.target) ** 2).sum())


def _phase_after(values: list[float], w: torch.Tensor) -> LevenbergMarquardtPhase:
    phase = LevenbergMarquardtPhase.__new__(LevenbergMarquardtPhase)   # no optimiser needed here
    phase.tail = TailAverage({"w": w})
    for value in values:
        w.fill_(value)
        phase.tail.add()
    return phase


@pytest.mark.parametrize("target, expected", [(0.0, 0.0), (0.9, 1.0)])
def test_the_phase_ends_on_the_mean_only_when_it_validates_better(target, expected):
    # Iterates scattered around 0, the last at 1: the mean (0) wins when the target is 0 and loses
    # when the target is near the last iterate.
    w = torch.zeros(2)
    ending = _phase_after([-1.0, 1.0, -1.0, 0.0, 1.0], w)._end_on_the_mean(_Run(w, target))
    assert torch.equal(w, torch.full((2,), expected))
    assert ending.startswith("mean of the last 5 iterates" if expected == 0.0 else "last iterate (")


def test_the_result_says_how_lm_ended_and_keeps_it_in_the_file(tmp_path):
    square = sp.Box((0, 0), (1, 1))
    problem = sp.poisson(square, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0},
                         points={"pde": 64, "dirichlet:boundary": 32})
    model = sp.ModelConfig(layers=(8, 8), w0_initial=3.0)
    solution = sp.train(problem, config=sp.TrainConfig(steps=4, lm_steps=6, seed=1), model_config=model)
    ending = solution.info["lm_ending"]
    assert ending.startswith(("mean of the last 5 iterates (", "last iterate ("))
    assert "validation loss" in ending
    sp.save(solution, tmp_path / "r.h5")
    assert sp.load(tmp_path / "r.h5").info["lm_ending"] == ending
    adam_only = sp.train(problem, config=sp.TrainConfig(steps=4, seed=1), model_config=model)
    assert "lm_ending" not in adam_only.info


def test_an_lm_checkpoint_holds_the_tail_so_a_resumed_run_averages_the_same_iterates(tmp_path):
    square = sp.Box((0, 0), (1, 1))
    problem = sp.poisson(square, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0},
                         points={"pde": 64, "dirichlet:boundary": 32})

    class Stop(Exception):
        pass

    def stop_at_8(progress):
        if progress.step == 8:
            raise Stop

    ckpt = Checkpointing(tmp_path / "run.ckpt", key="k", every_steps=1, every_minutes=None)
    with pytest.raises(Stop):
        sp.train(problem, config=sp.TrainConfig(steps=4, lm_steps=6, seed=1, log_every=1),
                 model_config=sp.ModelConfig(layers=(8, 8), w0_initial=3.0), callback=stop_at_8,
                 checkpointing=ckpt)
    saved = read_checkpoint(ckpt.path, "k")
    # The callback stops step 8 before its checkpoint: the last is step 7's, after LM steps 5, 6, 7.
    assert (saved["step"], saved["phase"], len(saved["optimizer"]["tail"])) == (7, "lm", 3)
