"""The run state: one snapshot for checkpoints and rollback, and the ordered list of phases."""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest
import torch

import sirenpde as sp
from sirenpde.training.loop import setup_run
from sirenpde.training.phases import PHASES, AdamPhase, LBFGSPhase, Phase, run_phases
from sirenpde.training.state import RUN_LONG

MODEL = sp.ModelConfig(layers=(8, 8), w0_initial=3.0)
CPU = torch.device("cpu")


class Stop(Exception):
    pass


def problem():
    square = sp.Box((0, 0), (1, 1))
    return sp.poisson(square, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0},
                      points={"pde": 32, "dirichlet:boundary": 16})


def config(**kw) -> sp.TrainConfig:
    settings = dict(steps=5, lm_steps=2, lbfgs_steps=3, lbfgs_inner=3, validate_every=2, log_every=1, seed=5,
                    device="cpu", dtype="float64")
    return sp.TrainConfig(**{**settings, **kw})


def fresh(cfg: sp.TrainConfig, callback=None, phases=PHASES):
    """A run and its state at step 0, as ``train`` sets them up (the network initialised from the seed)."""
    p = problem()
    model = sp.build_model(p, MODEL, seed=cfg.seed).double()
    run = setup_run(p, model, cfg, CPU, torch.float64, callback, None, None, None)
    return run, run.new_state(sum(kind.length(cfg) for kind in phases))


def stop_at(step: int):
    def callback(progress):
        if progress.step == step:
            raise Stop
    return callback


def weights(run) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in run.model.parameters()])


@pytest.mark.parametrize("at", [3, 6, 8])   # in Adam, in LM, in L-BFGS
def test_a_snapshot_restored_into_a_fresh_run_goes_on_bit_for_bit(at):
    cfg = config()
    straight, straight_state = fresh(cfg)
    run_phases(straight_state, straight)

    interrupted, state = fresh(cfg, stop_at(at))
    with pytest.raises(Stop):
        run_phases(state, interrupted)
    snapshot = copy.deepcopy(state.snapshot())
    assert snapshot["step"] == at
    assert snapshot["phase"] == ("adam" if at <= 5 else "lm" if at <= 7 else "lbfgs")

    resumed, resumed_state = fresh(cfg)
    assert not torch.equal(weights(resumed), weights(interrupted))   # the restore has work to do
    resumed_state.restore(snapshot)
    assert torch.equal(weights(resumed), weights(interrupted))
    run_phases(resumed_state, resumed)
    assert resumed_state.step == straight_state.step == 10
    assert torch.equal(weights(resumed), weights(straight))
    assert torch.equal(resumed_state.losses, straight_state.losses)
    assert resumed_state.lrs == straight_state.lrs
    assert resumed_state.val_losses == straight_state.val_losses


def test_rollback_keeps_the_same_snapshot_and_rewinds_all_but_the_run_long_keys():
    cfg = config(lm_steps=0, lbfgs_steps=0)
    run, state = fresh(cfg, stop_at(2))
    with pytest.raises(Stop):
        run_phases(state, run)
    state.rollback.keep(state)
    kept = state.rollback.kept
    assert set(kept) == set(state.snapshot())                    # one list of what the state is
    assert kept["step"] == 2 and kept["phase"] == "adam" and kept["optimizer"]["state"]
    before = weights(run).clone()
    with torch.no_grad():                                         # the run goes on, then diverges
        next(run.model.parameters()).add_(1.0)
    state.record(torch.tensor(1.0), [torch.tensor(0.5)] * 2, 0.1)
    state.validated(123.0)
    state.rollback.recover(state, "the loss became nan")
    assert state.step == 2 and torch.equal(weights(run), before)
    assert state.val_losses == kept["val_losses"] and 123.0 not in state.val_losses
    assert state.rollback.retries == 1 and state.rollback.lr_scale == 0.5   # not rewound
    assert {"rollback", "balance", "wall"} == set(RUN_LONG)
    assert state.snapshot()["rollback"] == {"retries": 1, "lr_scale": 0.5}


class Hold(Phase):
    """A phase that leaves the weights alone and counts its steps (its optimiser state)."""

    name: ClassVar[str] = "hold"
    loaded: ClassVar[list] = []

    def __init__(self, run):
        self.count = 0

    @staticmethod
    def length(config) -> int:
        return 2

    def run(self, state, run, end):
        while state.step < end:
            self.count += 1
            run.record(state, torch.tensor(float(self.count)), [torch.tensor(0.0)] * 2, 0.0, self.name)

    def state_dict(self) -> dict:
        return {"count": self.count}

    def load_state_dict(self, state: dict) -> None:
        Hold.loaded.append(dict(state))
        self.count = state["count"]


def test_phases_run_in_list_order_and_a_resume_enters_only_the_unfinished_ones():
    cfg = config(lm_steps=0, lbfgs_steps=2)
    phases = (AdamPhase, Hold, LBFGSPhase)
    seen = []
    run, state = fresh(cfg, lambda p: seen.append(p.phase), phases)
    run_phases(state, run, phases)
    assert seen == ["adam"] * 5 + ["hold"] * 2 + ["lbfgs"] * 2
    assert state.losses[5:7, 0].tolist() == [1.0, 2.0]

    def callback(progress):   # stop in the middle of the hold phase
        seen.append(progress.phase)
        if progress.step == 6:
            raise Stop

    seen.clear()
    run, state = fresh(cfg, callback, phases)
    with pytest.raises(Stop):
        run_phases(state, run, phases)
    snapshot = copy.deepcopy(state.snapshot())
    assert snapshot["phase"] == "hold" and snapshot["optimizer"] == {"count": 1}

    seen.clear()
    Hold.loaded.clear()
    run, state = fresh(cfg, lambda p: seen.append(p.phase), phases)
    state.restore(snapshot)
    run_phases(state, run, phases)
    assert Hold.loaded == [{"count": 1}]                        # taken up by its own phase only
    assert seen == ["hold", "lbfgs", "lbfgs"]                  # Adam is not entered again
    assert state.losses[5:7, 0].tolist() == [1.0, 2.0]


def test_a_phase_of_length_zero_is_skipped():
    cfg = config(steps=0, lm_steps=0, lbfgs_steps=2)
    seen = []
    run, state = fresh(cfg, lambda p: seen.append(p.phase))
    run_phases(state, run)
    assert seen == ["lbfgs", "lbfgs"] and state.step == 2
