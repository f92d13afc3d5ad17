"""A problem: a domain, the coordinates' names, the fields, and a list of constraints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ..domains import AbstractDomain
from ..model.ansatz import AnsatzFactory
from ..model.source_splitting import SourceSplitting, SplitModel
from .constraint import AbstractConstraint

__all__ = ["Problem"]


@dataclass(frozen=True, eq=False)
class Problem:
    """Everything training needs to know, and nothing about how to train.

    Args:
        domain: the computational domain; its bounding box normalises the network's inputs.
        constraints: the residual-on-region terms of the loss.
        axes: coordinate names, one per input column (default x, y, z by dimension).
        fields: names of the output channels, e.g. ``("u",)``.
        exact: optional exact solution, points (N, d) → values (N, c); enables error reports.
        kind: a label stored with results (``"poisson"``, ``"custom"`` …); the engine ignores it.
        spatial_axes: the axes the Laplacian and divergence act on (all by default; a space-time
            problem leaves out ``t``).
        wavenumber: a characteristic wavenumber (physical units), e.g. Helmholtz's k; it sets the
            default first-layer frequency (see :class:`~sirenpde.ModelConfig`).
        speed: a characteristic speed (the wave family's largest c): on a space-time domain it
            turns the data's spatial frequencies into temporal ones (see
            :func:`~sirenpde.constraints.scales.data_frequency`).
        complex: the fields are complex; the network then has two real outputs per field and
            constraints see complex values (see :class:`~sirenpde.derivatives.complex.ComplexFields`).
        ansatz: a closed-form part of the solution that :func:`~sirenpde.build_model` wraps the
            network in (see :mod:`sirenpde.model.ansatz`): source splitting, the factored
            Eikonal form.
        unknowns: learnable quantities the residuals use besides the network — scalar
            parameters, coefficient networks (see :class:`~sirenpde.model.unknowns.Unknowns`).
            :func:`~sirenpde.train` fits them together with the network, in place, like the model
            it is given; the solution reports their values.
    """

    domain: AbstractDomain
    constraints: tuple[AbstractConstraint, ...]
    axes: tuple[str, ...] | None = None
    fields: tuple[str, ...] = ("u",)
    exact: Callable[[torch.Tensor], torch.Tensor] | None = None
    kind: str = "custom"
    spatial_axes: tuple[str, ...] | None = field(default=None)
    complex: bool = False
    wavenumber: float | None = None
    speed: float | None = None
    ansatz: AnsatzFactory | None = None
    unknowns: torch.nn.Module | None = None

    @property
    def channels(self) -> int:
        """Real network outputs: one per real field, two per complex field."""
        return len(self.fields) * (2 if self.complex else 1)

    @property
    def known_part(self) -> SourceSplitting | None:
        """The source splitting added to the network's output, if that is the ansatz (read-only;
        kept for code written before :attr:`ansatz`)."""
        split = self.ansatz is not None and self.ansatz.wrapper is SplitModel
        return self.ansatz.part if split else None

    def __post_init__(self) -> None:
        object.__setattr__(self, "constraints", tuple(self.constraints))
        d = self.domain.dim
        default = ("x", "y", "z")[:d] if d <= 3 else tuple(f"x{i}" for i in range(d))
        object.__setattr__(self, "axes", tuple(self.axes or default))
        object.__setattr__(self, "fields", tuple(self.fields))
        if len(self.axes) != self.domain.dim:
            raise ValueError(
                f"the domain is {self.domain.dim}-dimensional but {len(self.axes)} axes were named:"
                f" {', '.join(self.axes)}"
            )
        if not self.constraints:
            raise ValueError("a problem needs at least one constraint")
        names = [c.name for c in self.constraints]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"constraint names must be unique; repeated: {', '.join(duplicates)}")
        unknown = set(self.spatial_axes or ()) - set(self.axes)
        if unknown:
            raise ValueError(f"spatial_axes {sorted(unknown)} are not among the axes {self.axes}")

    def exact_values(self, x: torch.Tensor) -> torch.Tensor:
        """The exact solution at points (N, d) as (N, c); raises if the problem has none."""
        if self.exact is None:
            raise ValueError("this problem has no exact solution")
        v = self.exact(x)
        return v.reshape(x.shape[0], -1)
