"""Which second derivatives a batch's residuals read, learnt once so the forward engine plans its pass.

The forward engine computes what a residual asks for, in the order it asks: a value first comes from a
plain pass of the network, a Laplacian then from the jet pass — which carries the value as its first
row anyway. A Helmholtz residual reads ``u`` before its derivatives, so every step paid for the plain
pass (and its backward) on top of the jets. Inside Levenberg–Marquardt's per-point Jacobian, where
everything comes from jets, a PML residual's ``u`` began a pass carrying the Laplacian, which ran
again for u_xx and u_yy apiece. Telling :class:`~sirenpde.derivatives.forward.ForwardFields` the
groups up front runs one pass whatever the order.

The groups come from evaluating the batch's constraints once on two of its points, per problem and set
of constraints: no declaration to keep in step with the residual, the same answer in every run (so a
resumed run plans as the uninterrupted one did), and no random numbers drawn. A residual that takes a
divergence, or fails on two points, is not planned and keeps the request-order behaviour.
"""

from __future__ import annotations

import weakref

import torch

from ..constraints.problem import Problem
from ..derivatives.complex import ComplexFields
from ..derivatives.forward import ForwardFields
from ..model.ansatz import Groups
from ..sampling.batch import Batch

__all__ = ["jet_groups"]

_PROBE_POINTS = 2
_PLANS: weakref.WeakKeyDictionary[Problem, dict[tuple[str, ...], Groups | None]] = weakref.WeakKeyDictionary()


def jet_groups(problem: Problem, model: torch.nn.Module, batch: Batch) -> Groups | None:
    """The second-derivative groups ``batch``'s constraints read through the forward engine, or
    ``None`` where they read none (or are not planned; see the module docstring)."""
    plans = _PLANS.setdefault(problem, {})
    key = tuple(c.name for c in batch.constraints)
    if key not in plans:
        plans[key] = _probe(problem, model, batch)
    return plans[key]


def _probe(problem: Problem, model: torch.nn.Module, batch: Batch) -> Groups | None:
    few = slice(0, _PROBE_POINTS)
    normals = None if batch.normals is None else batch.normals[few]
    fields = ForwardFields(model, batch.x[few], problem.axes, normals, problem.spatial_axes)
    seen = ComplexFields(fields) if problem.complex else fields
    if batch.data:
        seen.data = {name: values[few] for name, values in batch.data.items()}
    try:
        with torch.enable_grad():
            for c in batch.constraints:
                c.loss(seen)
    except Exception:  # noqa: BLE001 — a plan is only a speed-up; the real evaluation reports errors
        return None
    return fields.jet_groups
