"""training.until: a run that stops when it is done — by tolerance, by a time budget or by a step cap."""

from __future__ import annotations

import h5py
import pytest
import torch

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.training.checkpoint import Checkpointing, read_checkpoint
from sirenpde.training.until import MIN_FRACTION, WINDOW


class Stop(Exception):
    pass


MODEL = sp.ModelConfig(layers=(8, 8), w0_initial=3.0)


def problem():
    square = sp.Box((0, 0), (1, 1))
    return sp.poisson(square, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0},
                      points={"pde": 32, "dirichlet:boundary": 16})


def config(**kw) -> sp.TrainConfig:
    settings = dict(steps=200, lr=3e-3, validate_every=2, log_every=1, seed=3, device="cpu", dtype="float64")
    return sp.TrainConfig(**{**settings, **kw})


def run(cfg: sp.TrainConfig, callback=None, checkpointing=None) -> sp.Solution:
    return sp.train(problem(), config=cfg, model_config=MODEL, callback=callback, checkpointing=checkpointing)


def weights(solution) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in solution.model.parameters()])


TOLERANT = dict(lm_steps=2, until=sp.Until(tolerance=0.3))


@pytest.fixture(scope="module")
def tolerant():
    """A run whose Adam phase the tolerance ends early, followed by two LM steps; and its reports."""
    seen = []
    return run(config(**TOLERANT), seen.append), seen


def test_tolerance_ends_adam_early_and_lm_follows_at_once(tolerant):
    solution, seen = tolerant
    info, history = solution.info, solution.history
    adam = info["steps"]
    assert info["stopped_by"] == "tolerance"
    assert MIN_FRACTION * 200 <= adam < 200 and adam >= 2 * (WINDOW + 1)   # early, but not too early
    assert adam % 2 == 0 and adam in history["validation/step"]                 # right after a validation
    assert info["lm_steps"] == 2 and len(history["loss"]) == adam + 2           # LM starts right after
    assert history["step"] == list(range(1, adam + 3))
    assert [p.phase for p in seen[-3:]] == ["adam", "lm", "lm"] and seen[-3].step == adam
    assert seen[-1].step == seen[-1].total == adam + 2 and seen[-1].stopped_by == "tolerance"
    assert all(p.stopped_by is None for p in seen[:-1])
    # The criterion held where it stopped, and at no validation before it.
    losses = history["validation/loss"][: history["validation/step"].index(adam) + 1]
    before, recent = min(losses[:-WINDOW]), min(losses[-WINDOW:])
    assert before - recent <= 0.3 * before


def test_until_steps_caps_adam_as_training_steps_would():
    capped = run(config(steps=500, until=20))
    plain = run(config(steps=20))
    assert capped.info["steps"] == 20 and capped.info["stopped_by"] == "steps"
    assert torch.equal(weights(capped), weights(plain))    # the schedule runs over the 20 steps too
    assert capped.history["lr"] == plain.history["lr"]
    assert "stopped_by" not in plain.info                   # without until, the info is as ever


def test_a_time_budget_ends_every_phase_within_the_budget_and_one_step():
    seen = []
    budget = 2.0
    solution = run(config(steps=100_000, lm_steps=100_000, validate_every=50, until="2 s"), seen.append)
    info = solution.info
    assert info["stopped_by"] == "time"
    # Adam had its share, LM the rest; both were cut.
    assert 0 < info["steps"] < 100_000 and 0 < info["lm_steps"] < 100_000
    assert len(solution.history["loss"]) == info["steps"] + info["lm_steps"]
    assert budget <= info["wall_time"] < budget + 3.0   # one tiny step; generous for a loaded machine
    assert seen[-1].stopped_by == "time" and seen[-1].step == seen[-1].total
    assert info["steps"] + info["lm_steps"] in solution.history["validation/step"]   # the last is validated


@pytest.mark.parametrize("offset", [-3, 0, 1, 2])   # in Adam, at its last step, just after it, in LM
def test_a_resumed_until_run_ends_as_the_uninterrupted_one(tmp_path, tolerant, offset):
    straight = tolerant[0]
    stop_at = straight.info["steps"] + offset

    def callback(progress):
        if progress.step == stop_at:
            raise Stop

    ckpt = Checkpointing(tmp_path / "run.ckpt", key="k", every_steps=1, every_minutes=None)
    with pytest.raises(Stop):
        run(config(**TOLERANT), callback, ckpt)
    written = read_checkpoint(ckpt.path, "k")
    assert written["step"] == stop_at - 1
    assert written["ended"] == ({"adam": straight.info["steps"]} if offset > 0 else {})
    resumed = run(config(**TOLERANT), checkpointing=Checkpointing(ckpt.path, key="k", every_steps=1,
                                                                 every_minutes=None, resume=True))
    assert torch.equal(weights(resumed), weights(straight))
    assert torch.equal(torch.as_tensor(resumed.history["loss"]), torch.as_tensor(straight.history["loss"]))
    assert resumed.history["validation/loss"] == straight.history["validation/loss"]
    assert {k: resumed.info[k] for k in ("steps", "lm_steps", "stopped_by")} == {
        k: straight.info[k] for k in ("steps", "lm_steps", "stopped_by")}


BASE = """\
problem: poisson
domain:
  box: {lo: [0, 0], hi: [1, 1]}
pde:
  source: 2*pi**2*sin(pi*x)*sin(pi*y)
  points: 32
boundary:
  - {type: dirichlet, on: boundary, value: 0, points: 16}
exact: sin(pi*x)*sin(pi*y)
model: {layers: [8, 8], w0_initial: 3}
training:
  steps: 30
  device: cpu
  until: UNTIL
output: {resolution: 11}
"""


@pytest.mark.parametrize("text, until", [
    ("'2 min'", sp.Until(time=120.0)),
    ("5000", sp.Until(steps=5000)),
    ("{time: 90 s}", sp.Until(time=90.0)),
    ("{time: 1.5 h, tolerance: 1e-3}", sp.Until(tolerance=1e-3, time=5400.0)),
    ("{time: 42, steps: 7}", sp.Until(time=42.0, steps=7)),
])
def test_until_forms_in_a_file(text, until):
    training = sp.load_problem_text(BASE.replace("UNTIL", text)).training
    assert training.until == until
    assert training.adam.steps == (until.steps or 30)


@pytest.mark.parametrize("text, key, words", [
    ("{time: 2 parsecs}", "training.until.time", "expected a duration such as 90, '90 s', '2 min'"),
    ("{time: -5}", "training.until.time", "more than 0 s; found -5"),
    ("{time: true}", "training.until.time", "found True"),
    ("soon", "training.until", "found 'soon'"),
    ("2.5", "training.until", "a step count (until: 5000) or a time budget"),
    ("{tolerance: 0}", "training.until.tolerance", "greater than 0"),
    ("{steps: 0}", "training.until.steps", "greater than or equal to 1"),
    ("{stepz: 3}", "training.until.stepz", "did you mean 'steps'?"),
    ("{}", "training.until", "at least one of tolerance, time, steps"),
])
def test_bad_until_is_one_located_line(text, key, words):
    with pytest.raises(sp.ConfigError) as info:
        sp.load_problem_text(BASE.replace("UNTIL", text), "f.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"f.yaml:14: {key}: ") and words in message


def test_the_cli_and_the_result_file_say_what_stopped_the_run(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text(BASE.replace("UNTIL", "{steps: 12}"))
    out = tmp_path / "p.h5"
    assert main(["solve", str(path), "--quiet", "--out", str(out)]) == 0
    summary = capsys.readouterr().out.splitlines()[0]
    assert "(12 Adam steps in" in summary and summary.endswith(" on cpu; stopped by steps)")
    with h5py.File(out) as f:
        assert f.attrs["stopped_by"] == "steps" and f.attrs["steps"] == 12
