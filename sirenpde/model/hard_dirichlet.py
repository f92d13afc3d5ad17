"""Hard Dirichlet conditions: u = g + φ·N, exactly g where the distance function φ vanishes.

Sukumar & Srivastava (CMAME 2022). φ is an approximate distance function of the Dirichlet parts
(:func:`~sirenpde.domains.adf.boundary_distance`: 0 there, > 0 in the rest of the region), g the
boundary value's own expression, used as its extension into the region (so it must be twice
differentiable inside). Whatever the network N is, u = g on those parts: the Dirichlet term of
the loss is identically zero and is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ..domains.adf import boundary_distance
from ..domains.distance import description as distance_description
from ..domains.distance import distance_from_description
from ..expressions.coefficients import PointExpression
from .ansatz import AnsatzFactory
from .lifted import AbstractLift, LiftedModel
from .stored_values import Value, as_channels, value_description, value_from_description

__all__ = ["DirichletLift", "HardDirichletModel", "dirichlet_ansatz"]


class DirichletLift(AbstractLift):
    """A = g (N, channels), B = φ (N,).

    Args:
        distance: φ, points (N, d) → (N,), one of :mod:`sirenpde.domains.distance`'s functions.
        value: g: a number, a :class:`~sirenpde.expressions.coefficients.PointExpression`
            (storable), or a callable of the points (runs, but is not storable).
        channels: 1 for a real field, 2 for a complex one (its (re, im) pair).
    """

    def __init__(self, distance, value: Value, channels: int = 1):
        super().__init__()
        if channels not in (1, 2):
            raise ValueError(f"hard Dirichlet conditions are for one real or complex field; found {channels}"
                             " channels")
        self.distance, self.value, self.channels = distance, value, channels

    def offset(self, x: torch.Tensor) -> torch.Tensor:
        return as_channels(self.value, x, self.channels)

    def factor(self, x: torch.Tensor) -> torch.Tensor:
        return self.distance(x)

    def description(self) -> dict:
        return {"distance": distance_description(self.distance), "value": value_description(self.value),
                "channels": self.channels}

    @classmethod
    def from_description(cls, description: dict) -> DirichletLift:
        return cls(distance_from_description(description["distance"]),
                   value_from_description(description["value"]), int(description["channels"]))


class HardDirichletModel(LiftedModel):
    """``g(x) + φ(x)·network(x)`` (see :class:`DirichletLift`)."""

    kind = "hard_dirichlet"
    lift_type = DirichletLift


def dirichlet_ansatz(domain, dirichlet: Mapping[str | None, Value], channels: int = 1) -> AnsatzFactory:
    """The factory of a :class:`HardDirichletModel` imposing every condition of ``dirichlet``
    (boundary part → g, ``None`` the whole boundary) exactly.

    Raises:
        ValueError: one line saying what is supported — the parts take different values, the value
            uses the normal, or no distance function is built for these parts of this domain.
    """
    if not dirichlet:
        raise ValueError("exact Dirichlet conditions need at least one Dirichlet condition")
    values = list(dirichlet.values())
    keys = [_same_value_key(v) for v in values]
    if any(k != keys[0] for k in keys[1:]):
        raise ValueError("exact Dirichlet conditions need one value on all their parts (a single expression;"
                         " where(...) can piece it together); found different values")
    if isinstance(values[0], PointExpression) and values[0].uses_normals:
        raise ValueError("an exact Dirichlet value cannot use the normal (it is extended into the domain);"
                         " write it in the coordinates")
    distance = boundary_distance(domain, list(dirichlet))
    return AnsatzFactory(HardDirichletModel, DirichletLift(distance, values[0], channels))


def _same_value_key(value: Value) -> object:
    """Values compare by their stored form (the same text compiled twice is the same value)."""
    try:
        return repr(value_description(value))
    except ValueError:
        return id(value)
