"""Checkpoints with sampling strategies and loss balancing: a resumed run ends bit for bit as a straight one.

RAD pools and their probabilities, the extra samplers' streams and the balancers' multipliers (and
their record) are all in the checkpoint (tests/test_checkpoint.py covers the plain run).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.training.checkpoint import Checkpointing, read_checkpoint


class Stop(Exception):
    pass


def problem(pde=None, bc=None):
    square = sp.Box((0, 0), (1, 1))
    p = sp.poisson(square, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0},
                   points={"pde": 64, "dirichlet:boundary": 32})
    sampling = {"pde": pde, "dirichlet:boundary": bc}
    return dataclasses.replace(p, constraints=tuple(dataclasses.replace(c, sampling=sampling[c.name])
                                                    for c in p.constraints))


CASES = {
    "rad": (dict(pde=sp.RAD(every=3, pool=2)), {}),
    "near": (dict(pde=sp.NearPoints([[0.2, 0.3], [0.7, 0.7]], 0.15, 0.4)), {}),
    "lhs+sobol": (dict(pde="sobol", bc="lhs"), {}),
    "lhs-run": ({}, dict(sampler="lhs")),
    "gradnorm": ({}, dict(balance="gradnorm", balance_every=2)),
    "adaptive+rad": (dict(pde=sp.RAD(k=2, c=0.5, every=2, pool=3)), dict(balance="adaptive", balance_lr=0.5)),
}


def run(case: str, checkpointing=None, stop_at=None):
    strategies, options = CASES[case]

    def callback(progress):
        if progress.step == stop_at:
            raise Stop

    cfg = sp.TrainConfig(steps=7, lm_steps=3, lbfgs_steps=3, lbfgs_inner=4, validate_every=2, log_every=1,
                         seed=3, **options)
    model = sp.ModelConfig(layers=(8, 8), w0_initial=3.0)
    return sp.train(problem(**strategies), config=cfg, model_config=model, callback=callback,
                    checkpointing=checkpointing)


def weights(solution):
    return torch.cat([p.detach().reshape(-1) for p in solution.model.parameters()])


@pytest.mark.parametrize("stop_at", [5, 9])      # in Adam (after a pool refresh), in LM
@pytest.mark.parametrize("case", list(CASES))
def test_a_resumed_adaptive_run_ends_with_the_same_weights_bit_for_bit(tmp_path, case, stop_at):
    straight = run(case)
    ckpt = Checkpointing(tmp_path / "run.ckpt", key="k", every_steps=2, every_minutes=None)
    with pytest.raises(Stop):
        run(case, ckpt, stop_at=stop_at)
    state = read_checkpoint(ckpt.path, "k")
    if case == "rad" and stop_at == 5:
        streams = state["sampler"]
        stream = streams[0] if isinstance(streams, list) else streams   # one per process of a job
        assert stream["pools"][0]["x"].shape == (128, 2)   # pool × points candidates kept
    resumed = run(case, dataclasses.replace(ckpt, resume=True))
    assert torch.equal(weights(resumed), weights(straight))
    for key, values in straight.history.items():
        if key.startswith(("loss", "weight/", "constraint/")):
            assert np.array_equal(np.asarray(resumed.history[key]), np.asarray(values)), key


def test_a_plain_constraint_keeps_its_batch_when_another_is_adaptive():
    # RAD on the PDE only: the boundary's points come from the run's stream as before.
    p = problem(pde=sp.RAD(every=3, pool=2))
    assert p.constraints[1].sampling is None
    solution = run("rad")
    assert len(solution.history["loss"]) == 13 and np.isfinite(solution.history["loss"]).all()
