"""The lifted ansatz u = A(x) + B(x)·N(x): exact boundary and initial conditions.

Lagaris et al. (1998); Sukumar & Srivastava (CMAME 2022). A(x) (the *offset*, one value per
channel) satisfies the conditions, B(x) (the *factor*, one value per point) vanishes where they
hold, and N is the network: whatever N is, u satisfies them — hard Dirichlet (A = g, B = φ, see
:mod:`~sirenpde.model.hard_dirichlet`), initial value and velocity (A = g + τh, B = τ², see
:mod:`~sirenpde.model.exact_initial`).

A and B do not depend on the weights, so their jets are computed once per batch by forward-mode
automatic differentiation on the points (``torch.func.jvp``, nested, along each axis: it composes
with the ``vmap``/``jacrev`` of the Levenberg–Marquardt phase, where reverse mode on x cannot run),
and the network's jets pass through the product rule:

    u = A + B·N,   ∇u = ∇A + N·∇B + B·∇N,
    Σ_{a∈q} u_aa = Σ_{a∈q} (A_aa + N·B_aa + 2·B_a·N_a + B·N_aa).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

import torch
from torch import nn
from torch.func import jvp, vmap

from .ansatz import NO_DATA, AbstractAnsatz, Groups, Jets
from .siren import SIREN

__all__ = ["AbstractLift", "LiftedModel", "lift_jets", "jet_table", "lift_table", "LIFT"]


class AbstractLift(nn.Module, abc.ABC):
    """The closed-form part of a lifted ansatz: the offset A (N, c) and the factor B (N,)."""

    @abc.abstractmethod
    def offset(self, x: torch.Tensor) -> torch.Tensor:
        """A at points (N, d), as (N, c)."""

    @abc.abstractmethod
    def factor(self, x: torch.Tensor) -> torch.Tensor:
        """B at points (N, d), as (N,)."""

    @abc.abstractmethod
    def description(self) -> dict:
        """A JSON-able record from which :meth:`from_description` rebuilds it."""

    @classmethod
    @abc.abstractmethod
    def from_description(cls, description: dict) -> AbstractLift:
        """The lift that :meth:`description` recorded."""

    def both(self, x: torch.Tensor) -> torch.Tensor:
        """A and B side by side, (N, c + 1)."""
        return torch.cat([self.offset(x), self.factor(x)[:, None]], dim=1)

    def jets(self, x: torch.Tensor, groups: Groups, data: Mapping = NO_DATA) -> Jets:
        """The jets of A and B side by side (value (N, c + 1), Jacobian (N, c + 1, d), grouped second
        derivatives (N, c + 1, len(groups))): read from the batch's :data:`LIFT` table where the
        points carry one (:func:`lift_table`), else by :func:`lift_jets`."""
        if LIFT not in data:
            return lift_jets(self.both, x, groups)
        table, d = data[LIFT].to(x.dtype), x.shape[1]
        diagonal = table[:, :, 1 + d :]
        return table[:, :, 0], table[:, :, 1 : 1 + d], torch.stack(
            [diagonal[:, :, list(axes)].sum(dim=2) for axes in groups], dim=2)


LIFT = "lift.jets"
"""The batch data key of a lift's jets at the points (no measured quantity can have this name)."""

_CHUNK = 8192


def jet_table(fn, x: torch.Tensor, axes: range) -> torch.Tensor:
    """The value, first and pure second derivatives along ``axes`` of the pointwise ``fn`` (points
    (N, d) → (N, k)) at x, as a table (N, k, 1 + 2·len(axes)), in chunks (nested forward-mode
    products hold a few copies of every intermediate)."""
    tables = []
    for chunk in x.detach().split(_CHUNK):
        value, jac, second = lift_jets(fn, chunk, tuple((a,) for a in axes))
        tables.append(torch.cat([value[:, :, None], jac[:, :, list(axes)], second], dim=2).detach())
    return torch.cat(tables)


def lift_table(lift: AbstractLift, x: torch.Tensor) -> torch.Tensor:
    """A and B's value, gradient and pure second derivatives at points x (N, d), as a table
    (N, c + 1, 1 + 2d): computed once for a pool of points, then read by :meth:`AbstractLift.jets`."""
    return jet_table(lift.both, x, range(x.shape[1]))


def lift_jets(fn, x: torch.Tensor, groups: Groups) -> Jets:
    """Value (N, k), Jacobian (N, k, d) and grouped second derivatives (N, k, len(groups)) of the
    pointwise function ``fn`` (points (N, d) → (N, k)), by a nested ``jvp`` along each axis, the d
    directions batched by ``vmap``."""
    d = x.shape[1]

    def along(v: torch.Tensor):
        (value, first), (_, second) = jvp(lambda y: jvp(fn, (y,), (v,)), (x,), (v,))
        return value, first, second

    directions = torch.eye(d, dtype=x.dtype, device=x.device)[:, None, :].expand(d, *x.shape)
    values, firsts, seconds = vmap(along)(directions)                    # (d, N, k) each
    grouped = torch.stack([seconds[list(axes)].sum(dim=0) for axes in groups], dim=2)
    return values[0], firsts.permute(1, 2, 0), grouped


class LiftedModel(AbstractAnsatz):
    """``lift.offset(x) + lift.factor(x)·network(x)``; a subclass names its ``kind`` and its lift class."""

    forward_engine = True
    lift_type: type[AbstractLift]

    def __init__(self, network: nn.Module, lift: AbstractLift):
        super().__init__()
        self.network, self.lift = network, lift

    def _dtype(self) -> torch.dtype:
        return next(self.network.parameters()).dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self._dtype())
        return self.lift.offset(x) + self.lift.factor(x)[:, None] * self.network(x)

    def jets(self, network_jets: Jets, x: torch.Tensor, groups: Groups, data: Mapping = NO_DATA) -> Jets:
        """The network's jets through the product rule with the lift's (see the module docstring)."""
        value, jac, second = network_jets
        lifted, lifted_jac, lifted_second = self.lift.jets(x.detach().to(value.dtype), groups, data)
        a, ja, sa = lifted[:, :-1], lifted_jac[:, :-1], lifted_second[:, :-1]
        b, jb, sb = lifted[:, -1:], lifted_jac[:, -1], lifted_second[:, -1]     # (N, 1), (N, d), (N, k)
        cross = torch.stack([sum(jb[:, None, a_] * jac[:, :, a_] for a_ in axes) for axes in groups], dim=2)
        u = a + b * value
        u_jac = ja + value[:, :, None] * jb[:, None, :] + b[:, :, None] * jac
        u_second = sa + value[:, :, None] * sb[:, None, :] + 2 * cross + b[:, :, None] * second
        return u, u_jac, u_second

    def known_data(self, x: torch.Tensor) -> torch.Tensor:
        return self.lift.offset(x.to(self._dtype()))

    def description(self) -> dict:
        return self.lift.description()

    @classmethod
    def from_description(cls, network: SIREN, description: dict) -> LiftedModel:
        return cls(network, cls.lift_type.from_description(description))
