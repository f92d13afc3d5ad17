"""Settings chosen from the problem: what a problem file leaves out of ``model:`` and ``training:``.

A scientist writes the physics; the network, its first frequency, the residuals' scales and the
optimiser schedule follow from the problem's own scales (:mod:`sirenpde.constraints.scales`):

* ``w0_initial``: the problem's frequency content κ̂ in the network's normalised coordinates — the
  wavenumber times the half-width where there is one, else the data's (at least π/2). A SIREN's
  first layer then starts with the frequencies the solution holds.
* ``layers``: three hidden layers of :data:`WIDTH` units, about 4 900 weights: few enough for
  Levenberg–Marquardt's dense solve to take a step in a fraction of a second on two CPU cores.
  Wider is not better at this budget: with 64 units the unseen 1-D wave over two periods reached
  1.9e-4 in 244 s, with 48 units 1.0e-4 in 104 s; a point source in a PML 8.6e-2 against 7.2e-2.
  Where a wavenumber fills the whole domain with waves, the width grows with it: 16 more units
  for every :data:`FREQUENCY_PER_16_UNITS` of κ̂ past 15. Too narrow a network fails outright,
  with a small loss: a point source in a PML at κ̂ = 15 reached 4.7e-2 with 48 units and 5.5e-1
  with 32 (and 3 000 LM rows); at κ̂ = 20 (the SIREN paper's source) 7.7e-1 with 48 units and
  2.5e-2 with 64 (uniform points, all four).
* ``scales: natural``: every residual divided by its natural scale, so that weight 1 means "as
  important as the rest".
* ``sampler: lhs``: Latin hypercube points, each draw stratified along every axis. A
  Levenberg–Marquardt step with fewer rows than weights fits its own batch almost exactly, so the
  batch's sampling error is what its iterates keep; stratified points carry less of it. On the
  unseen problems it took the point source in a PML from 4.7e-2 to 1.8e-2, advection–diffusion
  from 2.7e-5 to 1.3e-5 and the 1-D wave from 5.1e-5 to 3.6e-5, and left none of them more than
  1.2× worse; single runs of most shipped physics-only files came out 1.04–1.65× worse.
* the schedule: :data:`ADAM_STEPS` Adam steps to find the basin, then :data:`LM_STEPS`
  Levenberg–Marquardt steps on about :data:`LM_ROWS` residual rows each (a row per point and real
  component: a complex field gives two) where the constraints are sums of squares fitted through a
  SIREN, else :data:`LBFGS_STEPS` L-BFGS steps. Rows per step matter more than steps — on a point
  source in a PML (k = 15) 100 steps of 2000 rows reached 7.2e-2, 200 of them 7.3e-2, 100 of
  4100 rows 1.5e-2 — but a step's cost grows with the rows squared: 4000 rows took a manufactured
  Helmholtz problem (complex, k = 15) from 103 s to 290 s, past the budget of a few minutes.
  The last :data:`LM_FINISH_STEPS` steps draw twice the points: the iterates the phase ends on
  (and averages) then fit batches twice as large: on a point source in a PML (k = 15) 1.8e-2 →
  6.7e-3 for seed 0 and 2.6e-2 → 1.4e-2 for seed 1, in 172 s of training against 144 s (the
  file with ``training: {lm_finish_steps: 0}`` added gives the figures without).

* a march in time (``training.windows`` > 1): :data:`MARCH_WIDTH` units and LM rows
  :data:`MARCH_ROWS_PER_WEIGHT` times the weights, counted on the terms every window has (those in
  the space-time interior). A window is a short evolution from exact initial data, and its error
  is carried into every later one, so the fit between LM's points matters most: on the first of
  eight windows of the paper's pulse, 48 units with 1600 rows reached 4.6e-2 at the window's end,
  32 units with 3000 rows 5.8e-3 (`python benchmarks/wave_pulse_join.py`).

A key written in the file is kept as written. The schedule is one choice: writing any of
``steps``, ``lm_steps``, ``lbfgs_steps`` or ``until`` makes all of it the file's.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..constraints.least_squares import least_squares_obstacle
from ..constraints.problem import Problem
from ..constraints.scales import problem_frequency
from ..domains.regions import Interior
from ..model.config import ModelConfig
from .settings import TrainConfig

__all__ = ["Choices", "auto_settings", "ADAM_STEPS", "LM_STEPS", "LM_FINISH_STEPS", "LBFGS_STEPS", "LM_ROWS",
           "LM_MAX_WEIGHTS", "WIDTH", "DEPTH", "MARCH_WIDTH", "MARCH_ROWS_PER_WEIGHT", "SAMPLER",
           "FREQUENCY_PER_16_UNITS", "SCHEDULE_KEYS", "width_for"]

ADAM_STEPS = 1000
LM_STEPS = 100
LBFGS_STEPS = 100
LM_ROWS = 2000
LM_FINISH_STEPS = 10
LM_MAX_WEIGHTS = 200_000  # LM's Jacobian, LM_ROWS × weights in float64: 3.2 GB at this size
WIDTH, DEPTH = 48, 3
MARCH_WIDTH = 32
MARCH_ROWS_PER_WEIGHT = 1.5
SAMPLER = "lhs"
FREQUENCY_PER_16_UNITS = 5.0  # of κ̂ where a wavenumber sets it: 48 units up to κ̂ = 15, 64 to 20
SCHEDULE_KEYS = frozenset({"steps", "lm_steps", "lbfgs_steps", "until"})


@dataclass(frozen=True)
class Choices:
    """The settings a run uses, and what was chosen for it: key → value and reason, one line each."""

    model: ModelConfig
    training: TrainConfig
    picked: dict[str, str]

    def lines(self) -> list[str]:
        return [f"{key}: {why}" for key, why in self.picked.items()]


def auto_settings(problem: Problem, model: ModelConfig | None = None, training: TrainConfig | None = None,
                  written_model: Mapping = (), written_training: Mapping = ()) -> Choices:
    """``model`` and ``training`` (defaults when ``None``) with every key not among the written ones
    chosen from ``problem``; see the module's docstring."""
    model, training = model or ModelConfig(), training or TrainConfig()
    picked: dict[str, str] = {}
    frequency = problem_frequency(problem)
    known = problem.wavenumber is not None
    source = "the wavenumber × half-width" if known else "the data's frequency content"
    if "w0_initial" not in written_model and model.w0_initial == "auto":
        picked["w0_initial"] = f"{frequency:.3g} ({source})"
    if "layers" not in written_model:
        model = dataclasses.replace(model, layers=(width_for(problem, frequency, training.windows),) * DEPTH)
        why = "few enough weights for Levenberg–Marquardt"
        if training.windows > 1 and model.layers[0] == MARCH_WIDTH:
            why = f"{why} with more rows than weights in each window"
        if model.layers[0] > WIDTH:
            why = f"waves at the wavenumber × half-width {frequency:.3g} fill the domain; {why}"
        picked["layers"] = f"{list(model.layers)} ({why})"
    changes: dict = {}
    if "scales" not in written_training:
        changes["scales"] = "natural"
        picked["scales"] = "natural (each residual in units of the solution)"
    if "sampler" not in written_training:
        changes["sampler"] = SAMPLER
        picked["sampler"] = f"{SAMPLER} (Latin hypercube: each batch stratified along every axis)"
    if not SCHEDULE_KEYS & set(written_training):
        changes.update(_schedule(problem, model, training, written_training, picked))
    training = dataclasses.replace(training, **changes) if changes else training
    return Choices(model, training, picked)


def width_for(problem: Problem, frequency: float, windows: int = 1) -> int:
    """Hidden units per layer: :data:`WIDTH`, or 16 per :data:`FREQUENCY_PER_16_UNITS` of the
    normalised ``frequency`` where the problem has a wavenumber (its waves fill the domain, in
    every direction around a source, where data of the same frequency may vary in one place only)."""
    if problem.wavenumber is None:
        return WIDTH if windows == 1 else MARCH_WIDTH
    # The 1e-9 keeps a κ̂ of exactly 15 or 20 (k × half-width in floats) on the narrower side.
    return max(WIDTH, 16 * math.ceil(frequency / FREQUENCY_PER_16_UNITS - 1e-9))


def _schedule(problem: Problem, model: ModelConfig, training: TrainConfig, written: Mapping,
              picked: dict) -> dict:
    weights = sum(a * b for a, b in zip(model.layers, model.layers[1:], strict=False))
    # A march's boundary terms have no rows in the windows whose reach does not meet the boundary.
    counted = problem.constraints
    if training.windows > 1:
        counted = [c for c in problem.constraints if isinstance(c.region, Interior)] or counted
    rows = sum(int(c.points) for c in counted) * (2 if problem.complex else 1)
    wanted = max(LM_ROWS, MARCH_ROWS_PER_WEIGHT * weights) if training.windows > 1 else LM_ROWS
    obstacle = _lm_obstacle(problem, weights)
    if obstacle is None:
        factor = training.lm_points_factor if "lm_points_factor" in written else min(1.0, wanted / rows)
        # Twice the rows need half the weights to keep the Jacobian within LM's memory limit.
        finish = LM_FINISH_STEPS if weights <= LM_MAX_WEIGHTS // 2 else 0
        finish = training.lm_finish_steps if "lm_finish_steps" in written else finish
        chosen = dataclasses.replace(training, lm_points_factor=factor, lm_finish_steps=finish)
        picked["schedule"] = (f"Adam {ADAM_STEPS} + Levenberg–Marquardt {LM_STEPS} on {factor:.2g} of the"
                              f" points, the last {finish} on {chosen.lm_finish_factor:.2g}")
        return {"steps": ADAM_STEPS, "lm_steps": LM_STEPS, "lm_points_factor": factor,
                "lm_finish_steps": finish}
    picked["schedule"] = f"Adam {ADAM_STEPS} + L-BFGS {LBFGS_STEPS} (not Levenberg–Marquardt: {obstacle})"
    return {"steps": ADAM_STEPS, "lbfgs_steps": LBFGS_STEPS}


def _lm_obstacle(problem: Problem, weights: int) -> str | None:
    """Why Levenberg–Marquardt cannot run on ``problem`` with a network of ``weights``, or ``None``."""
    ansatz = problem.ansatz.wrapper if problem.ansatz is not None else None
    if ansatz is not None and not ansatz.forward_engine:  # LM's Jacobian comes from the forward engine
        return f"its {ansatz.__name__} has no forward-engine jets"
    l1 = next((f"{c.name} uses the {c.norm} norm" for c in problem.constraints if c.norm != "l2"), None)
    too_large = f"{weights:,} weights make its Jacobian too large" if weights > LM_MAX_WEIGHTS else None
    return least_squares_obstacle(problem) or l1 or too_large
