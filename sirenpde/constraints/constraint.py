"""Constraints: a residual paired with a region, a point count, a weight and a norm.

A problem is a list of constraints ``C_m(x, u, ∇u, Δu, …) = 0`` on regions ``Ω_m``; training
minimises ``Σ_m w_m · mean_{x ∈ Ω_m} ‖C_m(x)‖`` over fresh samples. Nothing here knows a PDE.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..derivatives.fields import Fields
from ..domains.regions import Region
from ..sampling.strategies import SamplingStrategy, as_strategy

__all__ = ["AbstractConstraint", "Constraint", "Residual", "NORMS"]

Residual = Callable[[Fields], torch.Tensor]
"""A residual maps the batch's :class:`Fields` to (N,) or (N, k) values that should vanish."""


def _squared_l2(r: torch.Tensor) -> torch.Tensor:
    # |r|² per component (complex: modulus squared), summed over components.
    return (r.abs() ** 2 if r.is_complex() else r * r).reshape(r.shape[0], -1).sum(1)


def _l1(r: torch.Tensor) -> torch.Tensor:
    return r.abs().reshape(r.shape[0], -1).sum(1)


NORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"l2": _squared_l2, "l1": _l1}
"""Per-point penalties ‖C(x)‖, (N, …) → (N,): ``l2`` the squared Euclidean norm (default), ``l1`` the
1-norm. The loss is their mean over the batch."""


class AbstractConstraint(ABC):
    """Everything the training engine reads from a constraint; a subclass implements :meth:`loss`.

    Attributes:
        name: unique within a problem; labels the loss in logs and in the HDF5 history.
        region: where the constraint holds; the engine draws its points there.
        points: samples per training step.
        weight: w_m in the total loss.
        norm: the per-point penalty, a key of :data:`NORMS` (what Levenberg–Marquardt checks).
        sampling: how its points are drawn; ``None`` for the run's sampler (``training.sampler``).
    """

    name: str
    region: Region
    points: int
    weight: float
    norm: str = "l2"
    sampling: SamplingStrategy | None = None

    @abstractmethod
    def loss(self, fields: Fields) -> torch.Tensor:
        """The scalar ``mean ‖C(x)‖`` over the batch (unweighted)."""

    def pointwise(self, fields: Fields) -> torch.Tensor:
        """Each point's penalty ‖C(x)‖, (N,), whose mean is the loss: what RAD, near-source sampling
        and causal weights need. A constraint whose loss is not such a mean has none."""
        raise NotImplementedError(
            f"constraint {self.name!r} ({type(self).__name__}) has no pointwise penalty, which RAD,"
            " near-source sampling and causal weights need; use a sirenpde.Constraint or implement"
            " pointwise(fields)"
        )


@dataclass(frozen=True, eq=False)
class Constraint(AbstractConstraint):
    """``residual(fields) = 0`` on ``region``, enforced with ``points`` fresh samples per step.

    Args:
        name: unique within a problem; labels the loss in logs and in the HDF5 history.
        region: where the constraint holds.
        residual: maps :class:`Fields` to (N,) or (N, k) residual values.
        points: samples per training step.
        weight: w_m in the total loss.
        norm: a key of :data:`NORMS`.
        sampling: how its points are drawn (:mod:`sirenpde.sampling.strategies`): ``None`` for the
            run's sampler, a sampler name (``"uniform"``, ``"sobol"``, ``"lhs"``), :func:`LatinHypercube`,
            :class:`RAD` or :class:`NearPoints`.
    """

    name: str
    region: Region
    residual: Residual
    points: int = 1000
    weight: float = 1.0
    norm: str = "l2"
    sampling: SamplingStrategy | str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a constraint needs a non-empty name")
        if int(self.points) < 1:
            raise ValueError(f"constraint {self.name!r}: points must be ≥ 1; found {self.points}")
        if not (float(self.weight) >= 0 and float(self.weight) < float("inf")):
            raise ValueError(f"constraint {self.name!r}: weight must be finite and ≥ 0; found {self.weight}")
        try:
            object.__setattr__(self, "sampling", as_strategy(self.sampling))
        except (TypeError, ValueError) as err:
            raise ValueError(f"constraint {self.name!r}: {err}") from None
        if self.norm not in NORMS:
            raise ValueError(
                f"constraint {self.name!r}: unknown norm {self.norm!r}; expected one of {', '.join(NORMS)}"
            )

    def loss(self, fields: Fields) -> torch.Tensor:
        return self.pointwise(fields).mean()

    def pointwise(self, fields: Fields) -> torch.Tensor:
        """Each point's penalty ‖C(x)‖, (N,); the loss is its mean."""
        r = self.residual(fields)
        if r.ndim == 0 or r.shape[0] != fields.x.shape[0]:
            raise ValueError(
                f"constraint {self.name!r}: the residual must have one row per point, shape (N,) or (N, k);"
                f" found {tuple(r.shape)} for N = {fields.x.shape[0]}"
            )
        return NORMS[self.norm](r)
