"""Source splitting: Ein, the closed-form part's derivatives, its Laplacian, models, files, configs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import torch

import sirenpde as sp
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.derivatives.forward import ForwardFields
from sirenpde.domains import make_sampler
from sirenpde.model.source_splitting import SourceSplitting, SplitModel, ein
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.levenberg_marquardt import LevenbergMarquardt
from sirenpde.training.loss import evaluate_losses

SIGMA, WIDTH = 0.02, 0.1
AMPS = (1 + 1j, -0.5 + 0.25j)
CENTERS = ((0.0, 0.0), (0.3, -0.2))


def known() -> SourceSplitting:
    return SourceSplitting(CENTERS, AMPS, (SIGMA, 0.03), WIDTH)


def points(n=200, scale=0.4, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 2, dtype=torch.float64, generator=g) * 2 - 1) * scale


def gaussian(x, center, sigma):
    r2 = ((x - torch.tensor(center, dtype=x.dtype)) ** 2).sum(1)
    return torch.exp(-r2 / (2 * sigma**2)) / (2 * math.pi * sigma**2)


def test_ein_matches_scipy():
    t = np.concatenate([np.linspace(0, 6, 2001), np.logspace(0.5, 4, 400)])
    expected = scipy.special.exp1(np.maximum(t, 1e-300)) + np.log(np.maximum(t, 1e-300)) + np.euler_gamma
    expected[t == 0] = 0.0
    assert np.abs(ein(torch.tensor(t)).numpy() - expected).max() < 1e-8


def test_jets_match_autograd():
    part, x = known(), points()
    value, jac, hess = part.jets(x)
    fields = AutogradFields(part, x, ("x", "y"))
    auto_grad, auto_second = fields.gradient.detach(), [fields.second(i).detach() for i in range(2)]
    # Autograd differentiates E1's rational approximation (error < 2e-8); the jets are exact.
    assert torch.allclose(value, fields.value, rtol=0, atol=1e-12)
    assert float((jac - auto_grad).abs().max()) < 1e-7 * float(jac.abs().max())
    for i in range(2):
        assert float((hess[:, :, i] - auto_second[i]).abs().max()) < 1e-7 * float(hess.abs().max())


def test_laplacian_is_the_source_minus_the_smeared_source():
    part, x = known(), points(400, scale=0.3)
    _, _, hess = part.jets(x)
    lap = torch.complex(hess[:, 0].sum(1), hess[:, 1].sum(1))
    expected = sum(a * (gaussian(x, c, s) - gaussian(x, c, WIDTH))
                   for a, c, s in zip(AMPS, CENTERS, (SIGMA, 0.03), strict=True))
    assert float((lap - expected).abs().max() / expected.abs().max()) < 1e-9


def test_the_sources_together_are_the_sum_of_each_alone():
    x = points()
    both = known().jets(x)
    alone = [SourceSplitting([c], [a], [s], WIDTH).jets(x) for c, a, s in zip(CENTERS, AMPS, (SIGMA, 0.03),
                                                                             strict=True)]
    for together, first, second in zip(both, *alone, strict=True):
        torch.testing.assert_close(together, first + second, rtol=1e-12, atol=1e-12)


def test_the_closed_form_part_vanishes_beyond_a_few_widths():
    part = SourceSplitting([(0.0, 0.0)], [1.0], [SIGMA], WIDTH)
    far = torch.tensor([[6 * WIDTH, 0.0], [0.0, -8 * WIDTH]], dtype=torch.float64)
    assert float(part(far).abs().max()) < 1e-7
    assert float(part(torch.zeros(1, 2, dtype=torch.float64))[0, 0]) < -0.1  # −ln(a²/σ²)/4π


def test_bad_splittings_are_refused():
    with pytest.raises(ValueError, match="2-D problems"):
        SourceSplitting([(0.0, 0.0, 0.0)], [1.0], [SIGMA], WIDTH)
    with pytest.raises(ValueError, match="must exceed every source's sigma"):
        SourceSplitting([(0.0, 0.0)], [1.0], [SIGMA], SIGMA)


def split_model() -> SplitModel:
    torch.manual_seed(0)
    network = sp.SIREN([16, 16], 2, 2, w0_initial=5.0, bounds=((-1, -1), (1, 1))).double()
    return SplitModel(network, known())


def test_forward_engine_differentiates_the_split_model():
    model, x = split_model(), points()
    a, f = AutogradFields(model, x, ("x", "y")), ForwardFields(model, x, ("x", "y"))
    lap = f.laplacian
    assert float((lap - a.laplacian).abs().max().detach()) < 1e-7 * float(lap.abs().max().detach())
    scale = float(f.gradient.abs().max().detach())
    assert float((f.gradient - a.gradient).abs().max().detach()) < 1e-7 * scale


def helmholtz_problem(**kwargs) -> sp.Problem:
    source = sp.PointSource((0.0, 0.0), 1 + 1j, SIGMA)
    return sp.helmholtz(sp.Box((-1, -1), (1, 1)), 10.0, point_sources=[source], pml=sp.PML(0.4),
                        points={"pde": 50, "source:0": 10}, **kwargs)


def test_helmholtz_splits_2d_sources_by_default():
    problem = helmholtz_problem()
    assert isinstance(problem.known_part, SourceSplitting) and problem.known_part.width == pytest.approx(0.2)
    assert helmholtz_problem(split_sources=False).known_part is None
    model = sp.build_model(problem, sp.ModelConfig(layers=(8,)))
    assert isinstance(model, SplitModel)


def test_lm_rows_include_the_closed_form_part():
    problem = helmholtz_problem()
    model = sp.build_model(problem, sp.ModelConfig(layers=(8,))).double()
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float64)
    batches = draw_batches(problem, sampler)
    optimizer = LevenbergMarquardt(problem, model)
    params = {n: p.detach() for n, p in optimizer.trained.items()}
    rows, _, _ = optimizer._linearise(params, batches)
    total, _ = evaluate_losses(problem, model, batches, "forward")
    assert math.isclose(float(rows @ rows), float(total.detach()), rel_tol=1e-9)


def test_split_solution_round_trips_through_hdf5(tmp_path):
    problem = helmholtz_problem()
    solution = sp.train(problem, config=sp.TrainConfig(steps=2, device="cpu"),
                        model_config=sp.ModelConfig(layers=(8,)))
    sp.save(solution, tmp_path / "split.h5", resolution=11)
    loaded = sp.load(tmp_path / "split.h5")
    x = np.array([[0.0, 0.0], [0.05, 0.01], [0.5, -0.3]])
    np.testing.assert_allclose(loaded.evaluate(x), solution.evaluate(x), rtol=1e-6)
    assert isinstance(loaded.model, SplitModel)


CONFIG = """\
problem: helmholtz
domain: {box: {lo: [-1, -1], hi: [1, 1]}}
k: 10
sources: [{center: [0, 0], sigma: 0.05}]
source_splitting: {width: %s}
pml: {width: 0.4}
"""


def test_problem_files_configure_splitting():
    assert sp.load_problem_text(CONFIG % "auto").problem.known_part.width == pytest.approx(0.2)
    assert sp.load_problem_text(CONFIG % "0.3").problem.known_part.width == pytest.approx(0.3)
    off = CONFIG.replace("{width: %s}", "{enabled: false}")
    assert sp.load_problem_text(off).problem.known_part is None
    with pytest.raises(sp.ConfigError, match=r"<string>:5: source_splitting.width: must exceed every source's"
                                             r" sigma \(largest 0.05\); found 0.04"):
        sp.load_problem_text(CONFIG % "0.04")


def test_three_d_sources_need_splitting_off():
    text = ("problem: helmholtz\ndomain: {box: {lo: [-1, -1, -1], hi: [1, 1, 1]}}\nk: 4\n"
            "sources: [{center: [0, 0, 0]}]\n")
    with pytest.raises(sp.ConfigError, match="source_splitting.enabled: .*3-D; set it to false"):
        sp.load_problem_text(text)
    assert sp.load_problem_text(text + "source_splitting: {enabled: false}\n").problem.known_part is None
