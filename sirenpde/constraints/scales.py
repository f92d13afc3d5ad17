"""A problem's own scales, measured once before training: how fast its data vary, and how large each
constraint's residual is for a field of unit size.

Both are read from the constraints themselves, so they hold for every family and for residuals
written in a file:

* **Frequency content.** With the network replaced by zero (inside the problem's ansatz, if it has
  one), a residual is minus its data: −f for −Δu = f, −g for u = g, the initial values of a
  space-time problem. The data's frequency is the Rayleigh quotient √(mean |∇̂d|²) / rms(d − mean d),
  with ∇̂ the gradient in the network's normalised coordinates (each axis scaled by its half-width;
  on a boundary only its tangential part). For d = sin(ξ·x) over whole periods it is |ξ̂|, the
  radians d turns through per unit of normalised input; less than a period reads higher, since the
  mean is taken out (towards a network that bends more, which is the safe side). The problem's
  frequency is the largest of its terms'. A characteristic speed (the wave family's) turns spatial
  frequencies into temporal ones on a space-time domain.
* **Natural scales.** A residual's natural scale is its size, rms(C[u] − C[0]), over sinusoids u of
  unit amplitude at frequencies about the problem's (half to one and a half times it, random
  directions and phases, so that an operator such as Δ + k² is not probed only where it vanishes).
  Dividing each residual by it puts every term in units of u: −Δu = f is divided by about the
  squared frequency, ∂u/∂n = h by the frequency, u = g by one. Weight 1 then means "as important as
  the rest" in every family.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from ..derivatives.complex import ComplexFields
from ..derivatives.fields import AutogradFields
from ..domains import UniformSampler
from ..model.ansatz import AbstractAnsatz
from .constraint import Constraint
from .problem import Problem

__all__ = ["data_frequency", "problem_frequency", "natural_scales", "scaled", "zero_residual",
           "residual_at", "MIN_FREQUENCY"]

MIN_FREQUENCY = math.pi / 2
"""The frequency assumed for data that hardly vary (a quarter period across the normalised cube):
a smooth, non-constant field still needs a network that bends."""

_POINTS = 4096
_PROBES = 8


class _Sinusoids(nn.Module):
    """Σ_j a_j sin(ξ_j · x̂ + φ_j) on each output channel, x̂ the normalised coordinates."""

    def __init__(self, centre, half, frequencies: torch.Tensor, phases: torch.Tensor,
                 amplitude: float, channels: int):
        super().__init__()
        self.centre, self.half = centre, half
        # Parameters (not trained): an ansatz may read its network's dtype from them.
        self.frequencies = nn.Parameter(frequencies, requires_grad=False)  # (J, d)
        self.phases = nn.Parameter(phases, requires_grad=False)  # (J,)
        self.amplitude, self.channels = amplitude, channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xhat = (x - self.centre) / self.half
        waves = torch.sin(xhat @ self.frequencies.T + self.phases).sum(dim=1, keepdim=True)
        return (self.amplitude * waves).expand(-1, self.channels)


def _frame(problem: Problem) -> tuple[torch.Tensor, torch.Tensor]:
    lo, hi = problem.domain.bounds()
    lo, hi = torch.as_tensor(lo, dtype=torch.float64), torch.as_tensor(hi, dtype=torch.float64)
    return (lo + hi) / 2, (hi - lo) / 2


def _residuals(problem: Problem, model: nn.Module, constraint, x, normals, data):
    """The residual rows (N, k), real (a complex residual as its real and imaginary parts), and the
    points they were differentiated at (a leaf that requires grad)."""
    fields = AutogradFields(model, x, problem.axes, normals, problem.spatial_axes)
    points = fields.x
    fields = ComplexFields(fields) if problem.complex else fields
    if data:
        fields.data = dict(data)
    r = constraint.residual(fields).reshape(x.shape[0], -1)
    return (torch.view_as_real(r).reshape(x.shape[0], -1) if r.is_complex() else r), points


def residual_at(problem: Problem, model: nn.Module | None, constraint: Constraint, x: torch.Tensor,
                normals: torch.Tensor | None, data=None) -> torch.Tensor:
    """``constraint``'s residual rows (N, k) for the field ``model`` (``None``: u ≡ 0) with the
    problem's ansatz left out, in float64, detached."""
    bare = dataclasses.replace(problem, ansatz=None)
    x = x.detach().to(torch.float64)
    normals = None if normals is None else normals.to(torch.float64)
    model = _zero(bare) if model is None else model.to(torch.float64)
    with torch.enable_grad():
        return _residuals(bare, model, constraint, x, normals, data or {})[0].detach()


def zero_residual(problem: Problem, constraint: Constraint, x: torch.Tensor, normals: torch.Tensor | None,
                  data=None) -> torch.Tensor:
    """``constraint``'s residual rows (N, k) at u ≡ 0 with the problem's ansatz left out — minus its
    data (−f, −g, …) — in float64, detached."""
    return residual_at(problem, None, constraint, x, normals, data)


def _samples(problem: Problem, seed: int):
    """Points of each :class:`Constraint`'s region, in float64 (constraints of other kinds have no
    residual to probe)."""
    sampler = UniformSampler(torch.Generator().manual_seed(seed), torch.device("cpu"), torch.float64)
    for c in problem.constraints:
        if isinstance(c, Constraint):
            x, normals, data = c.region.draw(_POINTS, sampler)
            yield c, x, normals, {k: v.to(torch.float64) for k, v in data.items()}


def _zero(problem: Problem) -> nn.Module:
    """u with the network replaced by zero: 0, or the ansatz's closed-form part."""
    centre, half = _frame(problem)
    zero = _Sinusoids(centre, half, torch.ones(1, problem.domain.dim, dtype=torch.float64),
                      torch.zeros(1, dtype=torch.float64), 0.0, problem.channels)
    if problem.ansatz is None:
        return zero
    try:
        wrapped = problem.ansatz(zero).to(torch.float64)
        wrapped(centre[None])
    except Exception:  # an ansatz that needs a SIREN inside: the data without it  # noqa: BLE001
        return zero
    return wrapped


# A residual is the user's code, written for the network's fields: one that fails on a probe (it
# reads an attribute the engine sets, divides by u, calls .item()) is left as written.
_PROBE_ERRORS = (Exception,)


def problem_frequency(problem: Problem) -> float:
    """The frequency a network for ``problem`` must hold, in normalised coordinates: its wavenumber
    times the bounding box's largest half-width where it has one (a point source's data would
    report the source's width, not the wave's), else :func:`data_frequency`."""
    if problem.wavenumber is not None:
        return max(1.0, float(problem.wavenumber) * float(_frame(problem)[1].max()))
    return data_frequency(problem)


def data_frequency(problem: Problem, seed: int = 0) -> float:
    """The problem's frequency content in the network's normalised coordinates (radians per unit
    of normalised input), at least :data:`MIN_FREQUENCY`; see the module's docstring."""
    centre, half = _frame(problem)
    zero, found = _zero(problem), MIN_FREQUENCY
    known = zero if isinstance(zero, AbstractAnsatz) and zero.known_data(centre[None]) is not None else None
    probe = _zero(dataclasses.replace(problem, ansatz=None)) if known is not None else zero
    with torch.enable_grad():
        for d, points, normals in _data(problem, probe, known, seed):
            try:
                slope = _normalised_slope(-d, points, normals, half)
            except _PROBE_ERRORS:
                continue
            d = d.detach()
            spread = float((d - d.mean(dim=0)).square().mean())
            if slope is None or not math.isfinite(spread) or spread <= 1e-20 * (1 + float(d.square().mean())):
                continue  # no data, or a constant: nothing to resolve
            found = max(found, math.sqrt(slope / spread))
    return _with_time(problem, found, half)


def _data(problem: Problem, probe: nn.Module, known: AbstractAnsatz | None, seed: int):
    """(d (N, k), the points it was differentiated at, normals) for each constraint: its residual at
    ``probe``, and the data ``known`` imposes there (a lift's g) when given."""
    for c, x, normals, data in _samples(problem, seed):
        try:
            yield (*_residuals(problem, probe, c, x, normals, data), normals)
        except _PROBE_ERRORS:
            pass  # a residual the zero field cannot stand in for (it divides by u, say)
        if known is not None:
            points = x.detach().clone().requires_grad_(True)
            yield known.known_data(points).reshape(x.shape[0], -1), points, normals


def _normalised_slope(d: torch.Tensor, points: torch.Tensor, normals: torch.Tensor | None,
                      half: torch.Tensor) -> float | None:
    """mean over points of Σ_components |∇̂d|², or None when d does not depend on the points. On a
    boundary only the tangential part counts: data given on a surface say nothing of how they would
    vary across it."""
    if not d.requires_grad:
        return None
    total = 0.0
    for j in range(d.shape[1]):
        (grad,) = torch.autograd.grad(d[:, j].sum(), points, retain_graph=True, allow_unused=True)
        if grad is not None:
            grad = grad.detach()
            if normals is not None:
                grad = grad - (grad * normals).sum(dim=1, keepdim=True) * normals
            total += float((grad * half).square().sum(dim=1).mean())
    return total if math.isfinite(total) else None


def _with_time(problem: Problem, frequency: float, half: torch.Tensor) -> float:
    """On a space-time domain with a characteristic speed c, a spatial frequency κ (physical) turns
    into the temporal one c·κ: the frequency grows to √(κ̂² + (c·κ·h_t)²)."""
    spacetime = problem.spatial_axes is not None and len(problem.spatial_axes) < len(problem.axes)
    if problem.speed is None or not spacetime:
        return frequency
    spatial = [problem.axes.index(a) for a in problem.spatial_axes]
    time = [i for i in range(len(problem.axes)) if i not in spatial]
    physical = frequency / float(half[spatial].mean())
    return math.hypot(frequency, problem.speed * physical * float(half[time].max()))


def natural_scales(problem: Problem, frequency: float, seed: int = 0) -> dict[str, float]:
    """Each :class:`Constraint`'s natural scale by name (see the module's docstring); a residual
    that the probes cannot evaluate, or that they leave unchanged, gets 1."""
    centre, half = _frame(problem)
    generator = torch.Generator().manual_seed(seed)
    d = problem.domain.dim
    directions = torch.randn(_PROBES, d, generator=generator, dtype=torch.float64)
    directions /= directions.norm(dim=1, keepdim=True)
    sizes = frequency * (0.5 + torch.rand(_PROBES, 1, generator=generator, dtype=torch.float64))
    phases = 2 * math.pi * torch.rand(_PROBES, generator=generator, dtype=torch.float64)
    probes = [_Sinusoids(centre, half, (sizes * directions)[j:j + 1], phases[j:j + 1], 1.0, problem.channels)
              for j in range(_PROBES)]
    zero = _Sinusoids(centre, half, directions[:1], phases[:1], 0.0, problem.channels)
    scales = {}
    with torch.enable_grad():
        for c, x, normals, data in _samples(problem, seed):
            try:
                base = _residuals(problem, zero, c, x, normals, data)[0].detach()
                size = sum(float((_residuals(problem, u, c, x, normals, data)[0].detach() - base)
                                 .square().mean()) for u in probes) / _PROBES
            except _PROBE_ERRORS:
                size = 1.0
            scales[c.name] = math.sqrt(size) if math.isfinite(size) and size > 1e-12 else 1.0
    return scales


def scaled(problem: Problem, scales: dict[str, float]) -> Problem:
    """The problem with each named constraint's residual divided by its scale: its weight divided
    by the scale squared (squared L2) or by the scale (L1)."""
    constraints = []
    for c in problem.constraints:
        s = scales.get(c.name)
        if s is not None and isinstance(c, Constraint):
            c = dataclasses.replace(c, weight=c.weight / (s * s if c.norm == "l2" else s))
        constraints.append(c)
    return dataclasses.replace(problem, constraints=tuple(constraints))
