"""The constraint loss: Σ_m w_m · mean‖C_m‖ over one batch per region, from the chosen derivative engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..constraints.problem import Problem
from ..derivatives.complex import ComplexFields
from ..derivatives.fields import AutogradFields, Fields
from ..derivatives.forward import ForwardFields, forward_capable
from ..sampling.batch import Batch
from ..sampling.rad import Scorer
from .causal import CausalWeights, is_causal_target
from .jet_plan import jet_groups

__all__ = ["DERIVATIVES", "Engine", "derivative_engine", "evaluate_causal_losses", "evaluate_losses",
           "evaluate_terms", "make_fields", "pool_scorer"]

Engine = Callable[[Problem, torch.nn.Module, Batch, Any], Fields]
"""A derivative engine: ``(problem, model, batch, jets) → Fields`` (``jets``: the forward engine's jet
function, a ``torch.compile``-d one, or ``None``)."""


def _forward(problem: Problem, model: torch.nn.Module, batch: Batch, jets) -> Fields:
    return ForwardFields(model, batch.x, problem.axes, batch.normals, problem.spatial_axes, jets=jets,
                         jet_groups=jet_groups(problem, model, batch))


def _autograd(problem: Problem, model: torch.nn.Module, batch: Batch, jets) -> Fields:
    return AutogradFields(model, batch.x, problem.axes, batch.normals, problem.spatial_axes)


def _auto(model: torch.nn.Module) -> Engine:
    return _forward if forward_capable(model) else _autograd


def _always_forward(model: torch.nn.Module) -> Engine:
    return _forward


def _always_autograd(model: torch.nn.Module) -> Engine:
    return _autograd


DERIVATIVES: dict[str, Callable[[torch.nn.Module], Engine]] = {
    "auto": _auto, "forward": _always_forward, "autograd": _always_autograd,
}
"""Derivative engines, each chosen for a model: ``forward`` (closed form, SIRENs only), ``autograd``,
or ``auto`` (forward for a SIREN, else autograd)."""


def derivative_engine(derivatives: str | Engine, model: torch.nn.Module) -> Engine:
    """The engine named ``derivatives`` (a key of :data:`DERIVATIVES`) for ``model``; an engine
    passes through, so that a run resolves its name once."""
    if not isinstance(derivatives, str):
        return derivatives
    try:
        choose = DERIVATIVES[derivatives]
    except KeyError:
        raise ValueError(
            f"unknown derivative engine {derivatives!r}; expected one of {', '.join(DERIVATIVES)}"
        ) from None
    return choose(model)


def make_fields(
    problem: Problem, model: torch.nn.Module, batch: Batch, derivatives: str | Engine = "auto", jets=None
) -> Fields:
    """The :class:`Fields` of ``model`` on a batch, from the chosen derivative engine (a key of
    :data:`DERIVATIVES` or a resolved :data:`Engine`); ``jets`` replaces the forward engine's jet
    function (a ``torch.compile``-d one)."""
    fields = derivative_engine(derivatives, model)(problem, model, batch, jets)
    fields = ComplexFields(fields) if problem.complex else fields
    if batch.data:
        fields.data = batch.data
    return fields


def evaluate_losses(
    problem: Problem, model: torch.nn.Module, batches: list[Batch], derivatives: str | Engine = "auto",
    jets=None,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The weighted total loss and each constraint's unweighted loss, in ``problem.constraints`` order."""
    total, parts, _ = evaluate_causal_losses(problem, model, batches, derivatives, None, jets)
    return total, parts


def evaluate_causal_losses(
    problem: Problem, model: torch.nn.Module, batches: list[Batch], derivatives: str | Engine,
    causal: CausalWeights | None, jets=None,
) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor | None]:
    """As :func:`evaluate_losses`, but with ``causal`` the total takes the space-time interior
    residuals causally weighted by time slice (the parts stay plain means); also returns the
    weights, (slices,) (``None`` when no constraint is weighted)."""
    terms, parts, weights = evaluate_terms(problem, model, batches, derivatives, causal, jets)
    total = sum(float(c.weight) * t for c, t in zip(problem.constraints, terms, strict=True))
    return total, parts, weights


def evaluate_terms(
    problem: Problem, model: torch.nn.Module, batches: list[Batch], derivatives: str | Engine,
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


def pool_scorer(problem: Problem, model: torch.nn.Module, derivatives: str | Engine, jets=None) -> Scorer:
    """The :data:`Scorer` of ``model``: Σ_m w_m · pointwise penalty, detached."""

    def score(batch: Batch) -> torch.Tensor:
        # Derivatives of the autograd engine need a graph even though no weight gradient is wanted.
        with torch.enable_grad():
            fields = make_fields(problem, model, batch, derivatives, jets)
            return sum(float(c.weight) * c.pointwise(fields).detach() for c in batch.constraints)

    return score
