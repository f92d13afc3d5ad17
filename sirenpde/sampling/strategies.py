"""How one constraint's points are drawn: the sampling strategies a :class:`~sirenpde.Constraint` may name.

A constraint's ``sampling`` is ``None`` (the run's sampler, ``training.sampler``) or one of:

* :class:`Plain` — plain Monte-Carlo from a named sampler: ``Plain("uniform")``, ``Plain("sobol")``
  or ``LatinHypercube()`` = ``Plain("lhs")``; the strings ``"uniform"``, ``"sobol"``, ``"lhs"`` mean
  the same.
* :class:`RAD` — residual-based adaptive distribution (Wu et al. 2023): every ``every`` Adam steps a
  candidate pool of ``pool × points`` points is drawn from the region and scored by the pointwise
  penalty ε(x); each step's points are drawn from the pool with probability
  ``p(x) ∝ ε(x)^k / mean(ε^k) + c``.
* :class:`NearPoints` — importance sampling near sources: a ``fraction`` of the points from balls of
  ``radius`` around ``centers`` (within the region), the rest from the whole region; each point's
  penalty is multiplied by ``p_region(x) / p_mixture(x)``, so the loss stays an unbiased estimate of
  the plain mean penalty.

These are specifications only (frozen, comparable); the machinery lives in
:mod:`sirenpde.sampling.batch_source`, :mod:`sirenpde.sampling.rad` and
:mod:`sirenpde.sampling.importance`. RAD shapes the points of every phase (Adam,
Levenberg–Marquardt, L-BFGS), near-source sampling those of Adam; validation always draws plainly
from the region (see docs/sampling-and-balancing.md).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from ..domains import SAMPLERS

__all__ = ["SamplingStrategy", "Plain", "LatinHypercube", "RAD", "NearPoints", "as_strategy"]


class SamplingStrategy(ABC):
    """How one constraint's points are drawn (see the module docstring)."""

    @property
    @abstractmethod
    def adaptive(self) -> bool:
        """Whether it adapts to the network or reweights points (RAD, near-source), rather than only
        choosing a sampler."""


@dataclass(frozen=True)
class Plain(SamplingStrategy):
    """Plain Monte-Carlo points from the sampler named ``kind``: ``uniform``, ``sobol`` or ``lhs``."""

    kind: str

    def __post_init__(self) -> None:
        if self.kind not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.kind!r}; expected one of {', '.join(sorted(SAMPLERS))}")

    @property
    def adaptive(self) -> bool:
        return False


def LatinHypercube() -> Plain:  # noqa: N802 (reads like a class, as Disk does)
    """Latin hypercube points (:class:`~sirenpde.domains.LatinHypercubeSampler`): ``Plain("lhs")``."""
    return Plain("lhs")


def _finite(value: float, what: str, low: float, strict: bool) -> float:
    value = float(value)
    ok = math.isfinite(value) and (value > low if strict else value >= low)
    if not ok:
        raise ValueError(f"{what} must be a finite number {'>' if strict else '≥'} {low:g}; found {value!r}")
    return value


def _count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be an int ≥ 1; found {value!r}")
    return value


@dataclass(frozen=True)
class RAD(SamplingStrategy):
    """Residual-based adaptive distribution (Wu, Zhu, Tan, Kartha & Lu 2023).

    Every ``every`` Adam steps (from step 0) a pool of ``pool × points`` candidates is drawn from
    the region and scored with ε(x) = Σ_m w_m ‖C_m(x)‖ over the constraints sharing the batch (for
    one constraint, its own penalty: p is unchanged by the factor w); then
    ``p(x) = (ε(x)^k / mean_pool(ε^k) + c) / Σ_pool(…)``, and each step draws its ``points`` from
    the pool with replacement, ``torch.multinomial(p)``. k = 0 or c → ∞ is uniform over the pool;
    large k and c = 0 is greedy. The points are not reweighted: RAD deliberately weights the loss
    towards high residuals (as in the paper). Levenberg–Marquardt steps and the L-BFGS batch draw
    from a pool scored afresh just before (an LM step costs far more than the scoring).

    Args:
        k: exponent of the residual (≥ 0).
        c: the uniform floor (≥ 0), in units of the mean.
        every: Adam steps between pool refreshes (≥ 1).
        pool: the pool holds ``pool × points`` candidates (≥ 1).
    """

    k: float = 1.0
    c: float = 1.0
    every: int = 100
    pool: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _finite(self.k, "RAD: k", 0.0, strict=False))
        object.__setattr__(self, "c", _finite(self.c, "RAD: c", 0.0, strict=False))
        _count(self.every, "RAD: every")
        _count(self.pool, "RAD: pool")

    @property
    def adaptive(self) -> bool:
        return True


@dataclass(frozen=True)
class NearPoints(SamplingStrategy):
    """Importance sampling near sources: ``fraction`` of each batch from balls around ``centers``.

    Of n points, m = round(fraction·n) come from the balls B_j of ``radius`` around the J centres
    (as equal as possible a share each, uniform in B_j ∩ Ω by rejection), the other n − m uniformly
    from the region Ω. With the balance heuristic of multiple importance sampling each point's
    penalty is multiplied by

        r(x) = p_Ω(x) / p_mix(x) = 1 / ((n − m)/n + Σ_j (m_j/n) · |Ω| · 1[x ∈ B_j] / |B_j ∩ Ω|),

    which keeps ``mean(r·ε)`` an unbiased estimate of the mean of ε over Ω (the plain loss) while
    putting more points where the solution is steep. Only for a region's interior (uniform in
    volume); |B_j ∩ Ω| is exact when the ball lies inside Ω and otherwise estimated once from 2¹⁶
    Sobol points of the ball (error ~1e-4 relative).

    Args:
        centers: J points of the region's dimension, e.g. ``[[0.0, 0.0]]``.
        radius: the balls' radius (> 0).
        fraction: the share of each batch drawn near the centres, 0 < fraction < 1 (the region part
            must stay to cover Ω, or the estimate would ignore everything outside the balls).
    """

    centers: tuple[tuple[float, ...], ...]
    radius: float
    fraction: float = 0.5

    def __post_init__(self) -> None:
        centers = _as_centers(self.centers)
        object.__setattr__(self, "centers", centers)
        object.__setattr__(self, "radius", _finite(self.radius, "NearPoints: radius", 0.0, strict=True))
        fraction = float(self.fraction)
        if not (0.0 < fraction < 1.0):
            raise ValueError(f"NearPoints: fraction must lie strictly between 0 and 1;"
                             f" found {self.fraction!r}")
        object.__setattr__(self, "fraction", fraction)

    @property
    def adaptive(self) -> bool:
        return True


def _as_centers(value: Sequence[Sequence[float]]) -> tuple[tuple[float, ...], ...]:
    try:
        centers = tuple(tuple(float(v) for v in c) for c in value)
    except (TypeError, ValueError):
        raise ValueError(f"NearPoints: centers must be a list of points such as [[0, 0]];"
                         f" found {value!r}") from None
    if not centers or len({len(c) for c in centers}) != 1 or not centers[0]:
        raise ValueError(f"NearPoints: centers must be a non-empty list of points of one dimension;"
                         f" found {value!r}")
    if not all(math.isfinite(v) for c in centers for v in c):
        raise ValueError(f"NearPoints: centers must be finite; found {value!r}")
    return centers


def as_strategy(value: SamplingStrategy | str | None) -> SamplingStrategy | None:
    """A constraint's ``sampling`` as a strategy: ``None`` stays, a sampler name becomes :class:`Plain`."""
    if value is None or isinstance(value, SamplingStrategy):
        return value
    if isinstance(value, str):
        return Plain(value)
    raise TypeError(f"sampling must be None, a sampler name ({', '.join(sorted(SAMPLERS))}) or a"
                    f" SamplingStrategy such as RAD() or NearPoints(...); found {type(value).__name__}")
