"""Known coefficients in residuals: a coefficient given by data, k(x), behind the :class:`Fields` seam.

A residual asks for ``dx(k)`` the way it asks for ``dx(u)``: a derivative request answered by a
:class:`~sirenpde.Fields`. For a known coefficient that Fields is a :class:`KnownFields`, whose
value and derivatives come from the coefficient's interpolant, in closed form (see
:mod:`sirenpde.domains.interpolation`) — not from autograd through a network, which could not see
through the table look-up. Everything a batch asks of one coefficient comes from one look-up of the
samples around its points.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch

from ..derivatives.fields import Fields
from ..domains.media import Jet

__all__ = ["KnownCoefficient", "KnownFields"]


class KnownCoefficient(Protocol):
    """A coefficient given by data (:class:`~sirenpde.domains.media.GriddedMedium`, or a
    :class:`~sirenpde.domains.media.SpatialMedium` in a space-time problem): points (N, d) → (N,)."""

    interpolation: str

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...

    def jet(self, x: torch.Tensor, gradient: bool = False, second: Sequence[int] = ()) -> Jet: ...


class KnownFields(Fields):
    """A known coefficient on a batch, as one real channel: value (N, 1), gradient (N, 1, d),
    second derivatives (N, 1).

    Args:
        coefficient: the coefficient.
        x: the batch's points (N, d).
        axes: their coordinate names.
        normals: outward unit normals (N, d) on boundary regions (for ``dn(k)``).
        laplacian_axes: the axes Δk sums over (the batch's spatial axes).
        gradient, second: what to compute now, in one look-up (the gradient; the pure second
            derivatives along these axes); anything else asked later is computed then.
    """

    def __init__(self, coefficient: KnownCoefficient, x: torch.Tensor, axes: Sequence[str],
                 normals: torch.Tensor | None, laplacian_axes: Sequence[int], *, gradient: bool = False,
                 second: Sequence[int] = ()):
        self.x, self.normals, self.axes = x, normals, tuple(axes)
        self._coefficient, self._lap_axes = coefficient, tuple(laplacian_axes)
        self._jet = coefficient.jet(x, gradient, tuple(second))

    @property
    def laplacian_axes(self) -> tuple[int, ...]:
        return self._lap_axes

    @property
    def value(self) -> torch.Tensor:
        return self._jet.value[:, None]

    @property
    def gradient(self) -> torch.Tensor:
        if self._jet.gradient is None:
            self._jet = self._coefficient.jet(self.x, True, tuple(self._jet.second))
        return self._jet.gradient[:, None, :]

    def second(self, axis: int | str) -> torch.Tensor:
        i = self.axis(axis)
        if i not in self._jet.second:
            self._jet = self._coefficient.jet(self.x, self._jet.gradient is not None, (*self._jet.second, i))
        return self._jet.second[i][:, None]

    def divergence(self, flux: torch.Tensor) -> torch.Tensor:
        raise ValueError("a known coefficient has no flux of its own; take the divergence of a field's flux")

    def at(self, x: torch.Tensor) -> KnownFields:
        return KnownFields(self._coefficient, x, self.axes, None, self._lap_axes)
