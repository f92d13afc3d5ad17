"""Time marching: windows joined exactly, start tables equal to the walked-back windows, a marched
standing wave, results stored and loaded, resumed runs bit-exact, and the file keys."""

from __future__ import annotations

import math

import pytest
import torch

import sirenpde as sp
from sirenpde.domains import Box
from sirenpde.model.cone_cutoff import ConeCut
from sirenpde.model.exact_initial import InitialLift
from sirenpde.model.lifted import lift_jets
from sirenpde.model.marched import START, MarchedModel, WindowLift, earlier_windows, next_table, start_table
from sirenpde.model.siren import SIREN
from sirenpde.model.window_frame import Frame
from sirenpde.training.checkpoint import Checkpointing
from sirenpde.training.marching import trained_ends

EDGES = [0.0, 0.3, 0.5, 1.0]


def _initial(second_order: bool = True) -> InitialLift:
    value = sp.expression("sin(pi*x)*cos(y)", ("x", "y", "t"))
    velocity = sp.expression("x*y", ("x", "y", "t")) if second_order else None
    return InitialLift(EDGES[0], value, velocity)


def _networks(count: int = 3) -> list[SIREN]:
    torch.manual_seed(0)
    return [SIREN((12, 12), 3, 1, w0_initial=4.0, bounds=((-1, -1, a), (1, 1, b))).double()
            for a, b in zip(EDGES, EDGES[1:], strict=False)][:count]


def _frames(cut: bool, order: int = 2) -> list[Frame] | None:
    """Scaled frames cut to a box inside the space (one side left uncut) and to a light cone, or None
    (plain τ^p)."""
    if not cut:
        return None
    return [Frame(a, b - a, 0.7, (-0.5, -0.6), (0.4 + 0.1 * k, 0.5), (0.2, 0.3), (True, False), (True, True),
                  ConeCut.of([[0.1, 0.0]], [0.3], 0.05, b - EDGES[0], 0.2))
            for k, (a, b) in enumerate(zip(EDGES, EDGES[1:], strict=False))]


def _points(n: int, t: float | None = None) -> torch.Tensor:
    x = torch.rand(n, 3, dtype=torch.float64) * 2 - 1
    x[:, 2] = torch.rand(n, dtype=torch.float64) if t is None else t
    return x


@pytest.mark.parametrize("cut", [False, True])
@pytest.mark.parametrize("second_order", [True, False])
def test_u_and_u_t_are_continuous_across_every_join_to_round_off(second_order, cut):
    model = MarchedModel(_networks(), EDGES, _initial(second_order), _frames(cut))
    windows = model.windows
    for k in (1, 2):
        at = _points(64, EDGES[k])
        before, after = windows.pair(k - 1, at), windows.pair(k, at)
        torch.testing.assert_close(after[0], before[0], rtol=0, atol=1e-15)
        if second_order:
            torch.testing.assert_close(after[1], before[1], rtol=0, atol=1e-15)
    x = _points(300)  # forward evaluates each point in its own window
    index = model.window_of(x[:, -1])
    expected = torch.cat([windows.pair(int(k), p[None])[0] for k, p in zip(index, x, strict=True)])
    torch.testing.assert_close(model(x), expected)


@pytest.mark.parametrize("cut", [False, True])
@pytest.mark.parametrize("second_order", [True, False])
def test_the_start_tables_carry_the_same_jets_as_the_walked_back_windows(second_order, cut):
    initial, networks, frames = _initial(second_order), _networks(), _frames(cut)
    places = _points(40)
    table = start_table(initial, places)
    for k in range(3):
        lift = WindowLift(earlier_windows(networks[:k], EDGES, initial, frames), k)
        x = places.clone()
        x[:, 2] = EDGES[k] + (EDGES[k + 1] - EDGES[k]) * torch.rand(40, dtype=torch.float64)
        groups = ((0, 1), (2,), (0,))
        walked = lift_jets(lift.both, x, groups)
        looked_up = lift.jets(x, groups, {START: table})
        for a, b in zip(looked_up, walked, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
        table = next_table(table, earlier_windows(networks[:k + 1], EDGES, initial, frames), k, places)


EXACT = "sin(pi*x)*cos(pi*t)"


def _standing_wave(windows: int, steps: int = 200, lm_steps: int = 20, callback=None, checkpointing=None,
                   overlap: float = 0.0):
    problem = sp.wave(Box((0.0,), (1.0,)), 0.0, 2.0, initial_value=sp.expression("sin(pi*x)", ("x", "t")),
                      initial_velocity=0.0, dirichlet={None: 0.0}, exact_initial=True,
                      exact=lambda x: torch.sin(math.pi * x[:, :1]) * torch.cos(math.pi * x[:, 1:2]),
                      points={"pde": 256, "dirichlet:boundary": 32})
    config = sp.TrainConfig(steps=steps, lm_steps=lm_steps, windows=windows, seed=0, validate_every=10,
                            log_every=5, window_overlap=overlap)
    return sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(16, 16), w0_initial=3.0),
                    callback=callback, checkpointing=checkpointing)


def _standing_wave_error(solution) -> float:
    """Relative L2 error of a marched standing wave against sin(πx)·cos(πt) on random points."""
    x = torch.rand(4000, 2)
    x[:, 1] *= 2
    exact = torch.sin(math.pi * x[:, :1]) * torch.cos(math.pi * x[:, 1:2])
    with torch.no_grad():
        return float((solution.model(x) - exact).norm() / exact.norm())


def test_a_marched_standing_wave_matches_the_exact_one_and_reports_its_windows():
    reports = []
    solution = _standing_wave(2, callback=reports.append)
    assert isinstance(solution.model, MarchedModel) and solution.info["windows"] == 2
    assert _standing_wave_error(solution) < 1e-2
    assert [r.window for r in reports][:1] == ["1/2"] and reports[-1].window == "2/2"
    steps = [r.step for r in reports]
    assert steps == sorted(steps) and reports[-1].step == reports[-1].total == 2 * 220
    assert [r.stopped_by for r in reports].count("steps") == 1  # only the march's end


def test_an_overlap_trains_each_window_past_its_edge_but_the_last_and_keeps_the_edges():
    assert trained_ends([0.0, 0.5, 1.0, 1.5, 2.0], 0.25) == [0.625, 1.125, 1.625, 2.0]
    assert trained_ends([0.0, 1.0], 0.5) == [1.0]
    solution = _standing_wave(2, overlap=0.5)
    assert solution.model.edges == [0.0, 1.0, 2.0]
    first = solution.model.networks[0]  # its time box is centred on the interval it was trained on
    assert float(first.lo[-1] + first.hi[-1]) / 2 == pytest.approx(0.75)
    assert _standing_wave_error(solution) < 1e-2


def test_a_marched_solution_is_stored_and_loaded_with_every_window(tmp_path):
    solution = _standing_wave(3, steps=20, lm_steps=0)
    sp.save(solution, tmp_path / "m.h5", resolution=[17, 9])
    back = sp.load(tmp_path / "m.h5")
    assert isinstance(back.model, MarchedModel) and back.model.edges == solution.model.edges
    x = torch.rand(200, 2) * torch.tensor([1.0, 2.0])
    assert torch.equal(back.evaluate(x), solution.evaluate(x))


class Stop(Exception):
    pass


@pytest.mark.parametrize("stop_at", [15, 33])  # in the first window, in the second
def test_a_resumed_march_ends_with_the_same_weights_bit_for_bit(tmp_path, stop_at):
    def stopper(progress):
        if progress.step == stop_at:
            raise Stop

    straight = _standing_wave(2, steps=20, lm_steps=3)
    ckpt = Checkpointing(tmp_path / "run.ckpt", key="k", every_steps=5, every_minutes=None)
    with pytest.raises(Stop):
        _standing_wave(2, steps=20, lm_steps=3, callback=stopper, checkpointing=ckpt)
    resumed = _standing_wave(2, steps=20, lm_steps=3, checkpointing=Checkpointing(
        ckpt.path, key="k", every_steps=5, every_minutes=None, resume=True))
    for a, b in zip(resumed.model.parameters(), straight.model.parameters(), strict=True):
        assert torch.equal(a, b)


WAVE = """problem: wave
domain: {spacetime: {space: {box: {lo: [0], hi: [1]}}, t: [0, 2]}}
initial: {value: sin(pi*x), velocity: 0}
boundary:
  - {type: dirichlet, on: boundary, value: 0}
training: {windows: 2}
"""


def test_a_file_that_marches_imposes_its_initial_data_exactly():
    spec = sp.load_problem_text(WAVE, "w.yaml")
    assert spec.training.windows == 2
    assert {c.name for c in spec.problem.constraints} == {"pde", "dirichlet:boundary"}


@pytest.mark.parametrize("text, key, words", [
    (WAVE.replace("velocity: 0}", "velocity: 0, exact: false}"), "initial.exact", "imposes the initial data"),
    ("""problem: custom
domain: {spacetime: {space: {box: {lo: [0], hi: [1]}}, t: [0, 1]}}
constraints:
  pde: {region: interior, residual: "dt(u) - lap(u)"}
  initial: {region: initial, residual: "u - sin(pi*x)"}
training: {windows: 2}
""", "training.windows", "impose its own initial conditions exactly"),
])
def test_a_march_that_cannot_be_is_refused_in_one_located_line(text, key, words):
    with pytest.raises(sp.ConfigError) as info:
        sp.load_problem_text(text, "w.yaml")
    message = str(info.value)
    assert "\n" not in message and key in message and words in message
