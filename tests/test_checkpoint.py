"""Checkpoints: an interrupted-then-resumed run ends with the same weights, bit for bit."""

from __future__ import annotations

import pytest
import torch

import sirenpde as sp
from sirenpde.training.checkpoint import CheckpointError, Checkpointing, read_checkpoint, write_checkpoint


class Stop(Exception):
    pass


def problem():
    square = sp.Box((0, 0), (1, 1))
    return sp.poisson(square, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0},
                      points={"pde": 64, "dirichlet:boundary": 32})


def config(sampler: str = "uniform", **kw) -> sp.TrainConfig:
    return sp.TrainConfig(steps=7, lm_steps=3, lbfgs_steps=3, lbfgs_inner=4, validate_every=2, log_every=1,
                          sampler=sampler, seed=3, **kw)


MODEL = sp.ModelConfig(layers=(8, 8), w0_initial=3.0)


def run(checkpointing=None, stop_at=None, **kw):
    def callback(progress):
        if progress.step == stop_at:
            raise Stop

    return sp.train(problem(), config=config(**kw), model_config=MODEL, callback=callback,
                    checkpointing=checkpointing)


def weights(solution):
    return torch.cat([p.detach().reshape(-1) for p in solution.model.parameters()])


@pytest.mark.parametrize("stop_at", [5, 9, 12])      # in Adam, in LM, in L-BFGS
@pytest.mark.parametrize("sampler", ["uniform", "sobol"])
def test_a_resumed_run_ends_with_the_same_weights_bit_for_bit(tmp_path, stop_at, sampler):
    straight = run(sampler=sampler)
    ckpt = Checkpointing(tmp_path / "run.ckpt", key="k", every_steps=2, every_minutes=None)
    with pytest.raises(Stop):
        run(ckpt, stop_at=stop_at, sampler=sampler)
    assert read_checkpoint(ckpt.path, "k")["step"] == (stop_at - 1) // 2 * 2   # the last even step
    resumed = run(Checkpointing(ckpt.path, key="k", every_steps=2, every_minutes=None, resume=True),
                  sampler=sampler)
    assert torch.equal(weights(resumed), weights(straight))
    assert torch.equal(torch.as_tensor(resumed.history["loss"]), torch.as_tensor(straight.history["loss"]))
    assert resumed.history["validation/loss"] == straight.history["validation/loss"]
    assert resumed.info["wall_time"] > read_checkpoint(ckpt.path, "k")["wall"] > 0   # time before counts


def test_a_checkpoint_of_another_configuration_is_refused(tmp_path):
    ckpt = Checkpointing(tmp_path / "run.ckpt", key="first", every_steps=2, every_minutes=None)
    with pytest.raises(Stop):
        run(ckpt, stop_at=3)
    with pytest.raises(CheckpointError, match="another configuration.*delete it"):
        run(Checkpointing(ckpt.path, key="second", resume=True))


def test_resume_without_a_checkpoint_starts_afresh(tmp_path):
    fresh = run(Checkpointing(tmp_path / "none.ckpt", key="k", every_steps=None, every_minutes=None,
                              resume=True))
    assert torch.equal(weights(fresh), weights(run()))


def test_a_torn_newest_checkpoint_falls_back_to_the_previous(tmp_path):
    path = tmp_path / "run.ckpt"
    write_checkpoint(path, {"key": "k", "step": 1})
    write_checkpoint(path, {"key": "k", "step": 2})
    assert read_checkpoint(path, "k")["step"] == 2
    path.write_bytes(path.read_bytes()[:20])   # a file cut short
    assert read_checkpoint(path, "k")["step"] == 1


def test_a_checkpoint_cannot_carry_code(tmp_path):
    path = tmp_path / "run.ckpt"
    torch.save({"format": 1, "key": "k", "hook": print}, path)   # a pickled callable
    assert read_checkpoint(path, "k") is None   # refused by weights_only: unreadable, skipped


def test_a_nan_weight_is_rolled_back_with_a_smaller_learning_rate(caplog):
    corrupted = []

    def corrupt(progress):
        if progress.step == 4 and not corrupted:   # the test hook: once, a weight becomes NaN
            corrupted.append(progress.step)
            with torch.no_grad():
                next(iter(solution_model)).view(-1)[0] = float("nan")

    problem_ = problem()
    model = sp.build_model(problem_, MODEL, seed=3)
    solution_model = list(model.parameters())
    cfg = sp.TrainConfig(steps=12, validate_every=4, log_every=1, seed=3)
    with caplog.at_level("WARNING", logger="sirenpde.training.rollback"):
        solution = sp.train(problem_, model, cfg, callback=corrupt)
    assert solution.info["rollbacks"] == 1
    # corrupted after step 4, just before the state kept at step 4: back to the one kept at step 0
    assert "the loss became nan at step 5: back to step 0 with the learning rate times 0.5" in caplog.text
    assert torch.isfinite(weights(solution)).all()
    assert torch.isfinite(torch.as_tensor(solution.history["loss"])).all()
    assert solution.history["lr"][4] == pytest.approx(cfg.lr * cfg.lr_factor(4) * 0.5)
    assert solution.history["lr"][0] == pytest.approx(cfg.lr * 0.5)


def test_divergence_that_persists_stops_after_the_allowed_rollbacks():
    problem_ = problem()
    model = sp.build_model(problem_, MODEL, seed=3)

    def corrupt(progress):   # every step after the 3rd: a NaN weight again
        if progress.step >= 3:
            with torch.no_grad():
                next(iter(model.parameters())).view(-1)[0] = float("nan")

    with pytest.raises(sp.TrainingError, match=r"after 2 rollback\(s\) each halving the learning rate"):
        sp.train(problem_, model, sp.TrainConfig(steps=20, validate_every=2, log_every=1, max_retries=2),
                 callback=corrupt)


def test_stop_writes_a_checkpoint_and_returns_the_best_iterate_marked_incomplete(tmp_path):
    ckpt = Checkpointing(tmp_path / "run.ckpt", key="k", every_steps=None, every_minutes=None)
    seen = []

    def stop():
        seen.append(1)
        return len(seen) == 6

    with pytest.raises(sp.TrainingInterrupted) as stopped:
        sp.train(problem(), config=config(), model_config=MODEL, checkpointing=ckpt, stop=stop)
    info = stopped.value.solution.info
    assert info["complete"] is False and info["stopped_at"] == 6
    assert read_checkpoint(ckpt.path, "k")["step"] == 6
    resumed = run(Checkpointing(ckpt.path, key="k", every_steps=None, every_minutes=None, resume=True))
    assert torch.equal(weights(resumed), weights(run()))
