"""The constraint loss: Σ_m w_m · mean‖C_m‖ over one batch per region, from the chosen derivative engine."""

from __future__ import annotations

import torch

from ..constraints.problem import Problem
from ..derivatives.complex import ComplexFields
from ..derivatives.fields import AutogradFields, Fields
from ..derivatives.forward import ForwardFields, forward_capable
from ..sampling.batch import Batch
from ..sampling.rad import Scorer
from .causal import CausalWeights, is_causal_target

__all__ = ["DERIVATIVES", "evaluate_causal_losses", "evaluate_losses", "evaluate_terms", "make_fields",
           "pool_scorer"]

DERIVATIVES = ("auto", "forward", "autograd")
"""Derivative engines: ``forward`` (closed form, SIRENs only), ``autograd``, or ``auto`` (forward for a
SIREN, else autograd)."""


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


def pool_scorer(problem: Problem, model: torch.nn.Module, derivatives: str, jets=None) -> Scorer:
    """The :data:`Scorer` of ``model``: Σ_m w_m · pointwise penalty, detached."""

    def score(batch: Batch) -> torch.Tensor:
        # Derivatives of the autograd engine need a graph even though no weight gradient is wanted.
        with torch.enable_grad():
            fields = make_fields(problem, model, batch, derivatives, jets)
            return sum(float(c.weight) * c.pointwise(fields).detach() for c in batch.constraints)

    return score
