"""The derivative seam: one object per batch of points hands out u, ∇u, Δu, u_xx … once each.

Constraints never differentiate by themselves; they ask a :class:`Fields` for named quantities.
Everything is computed lazily on first request and cached for the batch, so two constraints on the
same points share the work. Today the quantities come from reverse-mode autograd; a closed-form
forward engine can replace :class:`AutogradFields` without any constraint noticing.

Shapes: points ``x`` (N, d); value (N, c); gradient (N, c, d); Laplacian and single second
derivatives (N, c); normals (N, d) where the region has them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import torch

__all__ = ["Fields", "AutogradFields"]


class Fields(ABC):
    """The field and its derivatives on one batch of points.

    Attributes:
        x: the points, (N, d), in the problem's (physical) units.
        normals: outward unit normals (N, d) for boundary regions, else ``None``.
        axes: the coordinate names, e.g. ``("x", "y")`` or ``("x", "t")``.
        data: values measured at the points, by name, each (N,) — set for regions of
            measurements (:class:`~sirenpde.domains.measurements.Measurements`), else empty.
    """

    x: torch.Tensor
    normals: torch.Tensor | None
    axes: tuple[str, ...]
    data: Mapping[str, torch.Tensor] = MappingProxyType({})

    @property
    @abstractmethod
    def value(self) -> torch.Tensor:
        """u, (N, c)."""

    @property
    @abstractmethod
    def gradient(self) -> torch.Tensor:
        """∇u, (N, c, d): derivative of every channel along every axis."""

    @abstractmethod
    def second(self, axis: int | str) -> torch.Tensor:
        """A pure second derivative such as u_xx or u_tt, (N, c)."""

    @abstractmethod
    def divergence(self, flux: torch.Tensor) -> torch.Tensor:
        """∇·F of a flux F (N, c, d) built from this batch's quantities; returns (N, c)."""

    @abstractmethod
    def at(self, x: torch.Tensor) -> Fields:
        """The same network's fields at other points x (N, d), from the same engine, without
        normals: for conditions that link each point to another (periodic ones)."""

    @property
    def laplacian(self) -> torch.Tensor:
        """Δu over the spatial axes given by ``laplacian_axes`` (all axes by default), (N, c)."""
        return sum(self.second(i) for i in self.laplacian_axes)

    @property
    def laplacian_axes(self) -> tuple[int, ...]:
        return tuple(range(len(self.axes)))

    def axis(self, axis: int | str) -> int:
        """The index of a coordinate given by index or name."""
        if isinstance(axis, str):
            if axis not in self.axes:
                raise ValueError(f"unknown axis {axis!r}; expected one of {', '.join(self.axes)}")
            return self.axes.index(axis)
        if not 0 <= axis < len(self.axes):
            raise ValueError(f"axis {axis} out of range for {len(self.axes)} coordinates")
        return axis

    def partial(self, axis: int | str) -> torch.Tensor:
        """A first derivative such as u_x or u_t, (N, c)."""
        return self.gradient[:, :, self.axis(axis)]

    @property
    def normal_derivative(self) -> torch.Tensor:
        """∂u/∂n = ∇u · n on a boundary, (N, c)."""
        if self.normals is None:
            raise ValueError("the normal derivative needs a boundary region; this one has no normals")
        return torch.einsum("ncd,nd->nc", self.gradient, self.normals.to(self.gradient.dtype))


class AutogradFields(Fields):
    """:class:`Fields` computed by reverse-mode autograd (graphs kept for the weight update).

    Args:
        model: maps points (N, d) to values (N, c).
        x: the points, (N, d); they are detached and made to require grad here.
        axes: coordinate names, one per column of ``x``.
        normals: outward unit normals (N, d) on boundary regions.
        spatial_axes: the axes the Laplacian sums over (e.g. all but ``t``); all by default.
    """

    def __init__(
        self,
        model: Callable[[torch.Tensor], torch.Tensor],
        x: torch.Tensor,
        axes: Sequence[str],
        normals: torch.Tensor | None = None,
        spatial_axes: Sequence[str] | None = None,
    ):
        if x.ndim != 2 or x.shape[1] != len(axes):
            raise ValueError(f"points must have shape (N, {len(axes)}); found {tuple(x.shape)}")
        if normals is not None and normals.shape != x.shape:
            raise ValueError(
                f"normals must have the points' shape {tuple(x.shape)};"
                f" found {tuple(normals.shape)}"
            )
        self.x = x.detach().requires_grad_(True)
        self.normals = normals
        self.axes = tuple(axes)
        self._model = model
        self._spatial_axes = spatial_axes
        self._lap_axes = tuple(self.axis(a) for a in (spatial_axes or self.axes))
        self._value: torch.Tensor | None = None
        self._gradient: torch.Tensor | None = None
        self._second: dict[int, torch.Tensor] = {}
        self._laplacian: torch.Tensor | None = None

    @property
    def laplacian_axes(self) -> tuple[int, ...]:
        return self._lap_axes

    @property
    def value(self) -> torch.Tensor:
        if self._value is None:
            u = self._model(self.x)
            if u.ndim != 2 or u.shape[0] != self.x.shape[0]:
                raise ValueError(
                    f"the model must map points (N, d) to values (N, c); for N = {self.x.shape[0]}"
                    f" it returned {tuple(u.shape)}"
                )
            self._value = u
        return self._value

    @property
    def laplacian(self) -> torch.Tensor:
        if self._laplacian is None:
            self._laplacian = sum(self.second(i) for i in self._lap_axes)
        return self._laplacian

    def at(self, x: torch.Tensor) -> AutogradFields:
        return AutogradFields(self._model, x, self.axes, None, self._spatial_axes)

    @property
    def gradient(self) -> torch.Tensor:
        if self._gradient is None:
            u = self.value
            self._gradient = torch.stack([self._grad(u[:, k]) for k in range(u.shape[1])], dim=1)
        return self._gradient

    def second(self, axis: int | str) -> torch.Tensor:
        i = self.axis(axis)
        if i not in self._second:
            g = self.gradient[:, :, i]
            self._second[i] = torch.stack(
                [self._grad(g[:, k])[:, i] for k in range(g.shape[1])], dim=1
            )
        return self._second[i]

    def divergence(self, flux: torch.Tensor) -> torch.Tensor:
        if flux.ndim != 3 or flux.shape[0] != self.x.shape[0] or flux.shape[2] != len(self.axes):
            raise ValueError(f"flux must have shape (N, c, {len(self.axes)}); found {tuple(flux.shape)}")
        return torch.stack(
            [
                sum(self._grad(flux[:, k, i])[:, i] for i in self._lap_axes)
                for k in range(flux.shape[1])
            ],
            dim=1,
        )

    def _grad(self, y: torch.Tensor) -> torch.Tensor:
        # create_graph so that higher derivatives and the weight update can differentiate through.
        if not y.requires_grad:  # e.g. the gradient of a linear model is constant: its derivative is 0
            return torch.zeros_like(self.x)
        (g,) = torch.autograd.grad(y.sum(), self.x, create_graph=True, allow_unused=True)
        return torch.zeros_like(self.x) if g is None else g
