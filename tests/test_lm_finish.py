"""The end of the Levenberg–Marquardt phase on more points, and the Gram matrix of its solve."""

from __future__ import annotations

import pytest
import torch

import sirenpde as sp
from sirenpde.training.auto import LM_FINISH_STEPS, auto_settings
from sirenpde.training.levenberg_marquardt import _gram
from sirenpde.training.phases import LevenbergMarquardtPhase

UNIT = sp.Box((0, 0), (1, 1))


@pytest.mark.parametrize("shape", [(37, 90), (90, 37), (3, 5), (1, 4)])
@pytest.mark.parametrize("dual", [True, False])
def test_gram_from_its_lower_blocks_is_the_full_product(shape, dual):
    jac = torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    want = jac @ jac.T if dual else jac.T @ jac
    got = _gram(jac, dual)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-13, atol=1e-12)
    assert torch.equal(got, got.T)  # mirrored, not recomputed: exactly symmetric


def test_the_last_steps_draw_the_finish_factor():
    config = sp.TrainConfig(lm_steps=20, lm_points_factor=0.3, lm_finish_steps=5)
    assert config.lm_finish_factor == pytest.approx(0.6)  # twice lm_points_factor unless given
    lm = config.lm
    assert [lm.points_factor_at(left) for left in (20, 6, 5, 1)] == pytest.approx([0.3, 0.3, 0.6, 0.6])
    assert lm.largest_points_factor == pytest.approx(0.6)
    given = sp.TrainConfig(lm_steps=4, lm_points_factor=2.0, lm_finish_steps=2, lm_finish_points_factor=1.0)
    assert given.lm.points_factor_at(1) == 1.0 and given.lm.largest_points_factor == 2.0
    assert sp.TrainConfig(lm_steps=3).lm.points_factor_at(1) == 1.0  # no finish unless asked


def test_finish_points_are_drawn_in_training(monkeypatch):
    problem = sp.poisson(UNIT, 1.0, dirichlet={None: 0.0}, points={"pde": 100, "dirichlet:boundary": 40})
    sizes = []
    step = LevenbergMarquardtPhase.run

    def spy(self, state, run, end):
        draw = run.sampler.draw

        def counted(scale, score=None):
            batches = draw(scale=scale, score=score)
            sizes.append(sum(b.x.shape[0] for b in batches))
            return batches
        monkeypatch.setattr(run.sampler, "draw", counted)
        return step(self, state, run, end)
    monkeypatch.setattr(LevenbergMarquardtPhase, "run", spy)
    config = sp.TrainConfig(steps=5, lm_steps=6, lm_points_factor=0.5, lm_finish_steps=2, device="cpu")
    sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(8, 8)))
    assert sizes == [70] * 4 + [140] * 2


def test_problem_files_get_a_finish_unless_they_write_their_schedule():
    problem = sp.poisson(UNIT, 1.0, dirichlet={None: 0.0})
    chosen = auto_settings(problem)
    assert chosen.training.lm_finish_steps == LM_FINISH_STEPS
    assert chosen.training.lm_finish_factor == pytest.approx(2 * chosen.training.lm_points_factor)
    assert f"the last {LM_FINISH_STEPS} on" in chosen.picked["schedule"]
    written = auto_settings(problem, None, sp.TrainConfig(lm_steps=7), (), {"lm_steps": 7})
    assert written.training.lm_finish_steps == 0


def test_no_finish_where_twice_the_rows_would_not_fit_in_memory():
    problem = sp.poisson(UNIT, 1.0, dirichlet={None: 0.0})
    wide = auto_settings(problem, sp.ModelConfig(layers=(256, 256, 256)), None, {"layers": [256] * 3})
    assert wide.training.lm_steps > 0 and wide.training.lm_finish_steps == 0
