"""AbstractDomain: what every region must provide, and the small helpers they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
import torch

from .sampling import Sampler

__all__ = ["AbstractDomain", "UnknownPartError"]


class UnknownPartError(ValueError):
    """A boundary part name that the domain does not have; the message lists the valid ones."""


class AbstractDomain(ABC):
    """A closed region of ``R^d`` with named boundary parts.

    Points are tensors of shape ``(N, d)``; normals are unit outward normals of shape ``(N, d)``.
    All sampling draws only from ``sampler.unit``, so results are in ``sampler.dtype`` on
    ``sampler.device`` and a run is reproducible from its generator.
    """

    @property
    @abstractmethod
    def dim(self) -> int:
        """Spatial dimension ``d``."""

    @abstractmethod
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounding box.

        Returns:
            ``(lo, hi)``, float64 arrays of shape ``(d,)``.
        """

    @abstractmethod
    def contains(self, x: torch.Tensor) -> torch.Tensor:
        """Membership test (the closed set, up to rounding).

        Args:
            x: points, shape ``(N, d)``.

        Returns:
            Bool tensor of shape ``(N,)``.
        """

    @abstractmethod
    def sample_interior(self, n: int, sampler: Sampler) -> torch.Tensor:
        """Draw ``n`` fresh points uniformly in volume.

        Returns:
            Points of shape ``(n, d)``.
        """

    @abstractmethod
    def boundary_parts(self) -> tuple[str, ...]:
        """Names of the boundary parts, in a fixed order."""

    def boundary_groups(self) -> tuple[str, ...]:
        """Extra names that select several parts at once (e.g. a Difference's ``"outer"``)."""
        return ()

    @abstractmethod
    def sample_boundary(
        self, n: int, sampler: Sampler, part: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``n`` fresh points uniformly (by length/area) on a boundary part.

        Args:
            n: number of points.
            sampler: source of unit-cube draws.
            part: a name from :meth:`boundary_parts`, or ``None`` for the whole boundary.

        Returns:
            ``(points, normals)``, both of shape ``(n, d)``; normals are unit and outward.

        Raises:
            UnknownPartError: ``part`` is unknown (a ValueError listing the valid names).
        """

    @abstractmethod
    def boundary_measure(self, part: str | None = None) -> float:
        """Length/area of a boundary part (``None``: the whole boundary)."""

    @abstractmethod
    def volume(self) -> float:
        """Length/area/volume of the region."""


def check_count(n: int, where: str) -> None:
    """Reject a point count that is not an int ``>= 0``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"{where}: number of points must be an int >= 0, got {n!r}")


def unknown_part(
    domain: AbstractDomain, part: object, extra: Sequence[str] = ()
) -> UnknownPartError:
    """The error for a boundary part that does not exist, listing the valid names."""
    names = ", ".join((*domain.boundary_parts(), *domain.boundary_groups(), *extra))
    return UnknownPartError(
        f"{type(domain).__name__}: unknown boundary part {part!r}; expected one of {names} "
        "(or None for the whole boundary)"
    )


def rounding_tolerance(dtype: torch.dtype, scale: float) -> float:
    """Absolute slack for membership tests, so points sampled on a boundary count as inside."""
    return 16.0 * torch.finfo(dtype).eps * scale


def choose(n: int, sampler: Sampler, weights: Sequence[float]) -> torch.Tensor:
    """Pick one of ``len(weights)`` alternatives per point, with probability ∝ weight.

    Returns:
        Long tensor of shape ``(n,)`` with values in ``[0, len(weights))``.
    """
    w = torch.as_tensor(weights, dtype=torch.float64)
    cum = (torch.cumsum(w, 0) / w.sum()).to(device=sampler.device, dtype=sampler.dtype)
    u = sampler.unit(n, 1)[:, 0].contiguous()
    return torch.searchsorted(cum, u, right=True).clamp_(max=len(weights) - 1)


def sample_mixture(
    n: int,
    sampler: Sampler,
    weights: Sequence[float],
    draw: Callable[[int, int], tuple[torch.Tensor, ...]],
) -> tuple[torch.Tensor, ...]:
    """Draw ``n`` points from a mixture: each point comes from alternative ``k`` w.p. ∝ weight.

    Args:
        n: number of points.
        sampler: source of unit-cube draws (one ``(n, 1)`` draw picks the alternatives).
        weights: one non-negative weight per alternative (e.g. the area of each face).
        draw: ``draw(k, m)`` returns a tuple of tensors with leading dimension ``m``, drawn from
            alternative ``k``; every alternative returns the same shapes and dtypes.

    Returns:
        The tuple of tensors with leading dimension ``n``, in random alternative order.
    """
    if n == 0:
        return draw(0, 0)
    which = choose(n, sampler, weights)
    out: list[torch.Tensor] | None = None
    for k in range(len(weights)):
        mask = which == k
        m = int(mask.sum())
        if m == 0:
            continue
        pieces = draw(k, m)
        if out is None:
            out = [p.new_empty((n, *p.shape[1:])) for p in pieces]
        for o, p in zip(out, pieces, strict=True):
            o[mask] = p
    if out is None:  # cannot happen for n > 0: some alternative is always picked
        raise RuntimeError("no boundary piece was drawn; report this as a bug")
    return tuple(out)
