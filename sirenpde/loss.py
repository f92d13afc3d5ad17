"""The constraint loss: draw one batch per region, evaluate Σ_m w_m · mean‖C_m‖.

Constraints holding the same region object and point count share a batch and one :class:`Fields`,
so derivatives common to them are computed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from .causal import CausalWeights, is_causal_target
from .constraints import AbstractConstraint
from .domains import Sampler
from .fields import AutogradFields, Fields
from .fields_complex import ComplexFields
from .fields_forward import ForwardFields, forward_capable
from .problem import Problem
from .regions import Region

__all__ = ["Batch", "DERIVATIVES", "draw_batches", "evaluate_causal_losses", "evaluate_losses",
           "evaluate_terms", "make_fields"]

DERIVATIVES = ("auto", "forward", "autograd")
"""Derivative engines: ``forward`` (closed form, SIRENs only), ``autograd``, or ``auto`` (forward for a
SIREN, else autograd)."""


@dataclass(frozen=True, eq=False)
class Batch:
    """Points drawn from one region for the constraints that share it, and the values measured at
    them (``data``: name → (N,), for regions of measurements). ``weights`` (N,), when given,
    multiply each point's penalty: the density ratio of importance sampling
    (:mod:`sirenpde.importance`), so that the mean stays an estimate of the plain mean."""

    region: Region
    x: torch.Tensor
    normals: torch.Tensor | None
    constraints: tuple[AbstractConstraint, ...]
    data: Mapping[str, torch.Tensor] = field(default_factory=dict)
    weights: torch.Tensor | None = None


def draw_batches(problem: Problem, sampler: Sampler, scale: float = 1.0) -> list[Batch]:
    """Fresh points for every constraint; ``scale`` multiplies each point count (min 1)."""
    groups: dict[tuple[int, int], list[AbstractConstraint]] = {}
    for c in problem.constraints:
        groups.setdefault((id(c.region), int(c.points)), []).append(c)
    batches = []
    for (_, n), members in groups.items():
        x, normals, data = members[0].region.draw(max(1, round(n * scale)), sampler)
        batches.append(Batch(members[0].region, x, normals, tuple(members), dict(data)))
    return batches


def make_fields(
    problem: Problem, model: torch.nn.Module, batch: Batch, derivatives: str = "auto", jets=None
) -> Fields:
    """The :class:`Fields` of ``model`` on a batch, from the chosen derivative engine (see DERIVATIVES);
    ``jets`` replaces the forward engine's jet function (a ``torch.compile``-d one)."""
    if derivatives not in DERIVATIVES:
        raise ValueError(
            f"unknown derivative engine {derivatives!r}; expected one of {', '.join(DERIVATIVES)}"
        )
    forward = derivatives == "forward" or (derivatives == "auto" and forward_capable(model))
    if forward:
        fields = ForwardFields(model, batch.x, problem.axes, batch.normals, problem.spatial_axes, jets=jets)
    else:
        fields = AutogradFields(model, batch.x, problem.axes, batch.normals, problem.spatial_axes)
    fields = ComplexFields(fields) if problem.complex else fields
    if batch.data:
        fields.data = batch.data
    return fields


def evaluate_losses(
    problem: Problem, model: torch.nn.Module, batches: list[Batch], derivatives: str = "auto", jets=None
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The weighted total loss and each constraint's unweighted loss, in ``problem.constraints`` order."""
    total, parts, _ = evaluate_causal_losses(problem, model, batches, derivatives, None, jets)
    return total, parts


def evaluate_causal_losses(
    problem: Problem, model: torch.nn.Module, batches: list[Batch], derivatives: str,
    causal: CausalWeights | None, jets=None,
) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor | None]:
    """As :func:`evaluate_losses`, but with ``causal`` the total takes the space-time interior
    residuals causally weighted by time slice (the parts stay plain means); also returns the
    weights, (slices,) (``None`` when no constraint is weighted)."""
    terms, parts, weights = evaluate_terms(problem, model, batches, derivatives, causal, jets)
    total = sum(float(c.weight) * t for c, t in zip(problem.constraints, terms, strict=True))
    return total, parts, weights


def evaluate_terms(
    problem: Problem, model: torch.nn.Module, batches: list[Batch], derivatives: str,
    causal: CausalWeights | None, jets=None,
) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor | None]:
    """Each constraint's term of the total (causally weighted with ``causal``), its plain loss, and
    the causal weights, all in ``problem.constraints`` order; the total is Σ_m w_m · term_m."""
    parts_by_id: dict[int, torch.Tensor] = {}
    terms_by_id: dict[int, torch.Tensor] = {}
    weights = None
    for batch in batches:
        fields = make_fields(problem, model, batch, derivatives, jets)
        for c in batch.constraints:
            if causal is not None and is_causal_target(c):
                penalty = _weighted(c.pointwise(fields), batch)
                terms_by_id[id(c)], weights = causal.loss(batch.x[:, -1], penalty)
                parts_by_id[id(c)] = penalty.mean()
            elif batch.weights is not None:
                parts_by_id[id(c)] = terms_by_id[id(c)] = _weighted(c.pointwise(fields), batch).mean()
            else:
                parts_by_id[id(c)] = terms_by_id[id(c)] = c.loss(fields)
    terms = [terms_by_id[id(c)] for c in problem.constraints]
    return terms, [parts_by_id[id(c)] for c in problem.constraints], weights


def _weighted(penalty: torch.Tensor, batch: Batch) -> torch.Tensor:
    return penalty if batch.weights is None else penalty * batch.weights
