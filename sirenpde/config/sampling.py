"""A constraint's ``sampling:`` key in a problem file, and the strategy it names.

    sampling: lhs                                  # or uniform, sobol: a plain sampler
    sampling: rad                                  # RAD with its defaults
    sampling: {rad: {k: 1, c: 1, every: 100, pool: 10}}
    sampling: {near: {centers: [[0, 0]], radius: 0.1, fraction: 0.5}}

Absent (or ``null``), the constraint draws from ``training.sampler``. The strategies are described in
:mod:`sirenpde.sampling.strategies` and docs/sampling-and-balancing.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from ..domains import SAMPLERS
from ..sampling.strategies import RAD, NearPoints, Plain, SamplingStrategy
from .nodes import PositiveFloat, Section, Vector

__all__ = ["SamplingNode", "RadNode", "NearNode", "to_strategy"]

_NAMES = (*sorted(SAMPLERS), "rad")


class RadNode(Section):
    """RAD's options (:class:`~sirenpde.RAD`)."""

    k: Annotated[float, Field(ge=0)] = 1.0
    c: Annotated[float, Field(ge=0)] = 1.0
    every: Annotated[int, Field(ge=1)] = 100
    # The pool is pool × points candidates scored at once: capped like a point count.
    pool: Annotated[int, Field(ge=1, le=1000)] = 10


class NearNode(Section):
    """Near-source sampling's options (:class:`~sirenpde.NearPoints`)."""

    centers: Annotated[list[Vector], Field(min_length=1, max_length=10_000)]
    radius: PositiveFloat
    fraction: Annotated[float, Field(gt=0, lt=1)] = 0.5

    @model_validator(mode="after")
    def _one_dimension(self) -> NearNode:
        dims = sorted({len(c) for c in self.centers})
        if dims[0] == 0 or len(dims) != 1:
            raise ValueError(f"centers must be points of one dimension, e.g. [[0, 0], [1, 0]];"
                             f" found {', '.join(map(str, dims))} coordinates")
        return self


class SamplingNode(Section):
    """Exactly one of ``plain`` (a sampler name, also written bare), ``rad`` or ``near``."""

    plain: Literal["uniform", "sobol", "lhs"] | None = None
    rad: RadNode | None = None
    near: NearNode | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value == "rad":
                return {"rad": {}}
            if value in SAMPLERS:
                return {"plain": value}
            raise ValueError(f"unknown sampling {value!r}; expected one of {', '.join(_NAMES)},"
                             " {rad: {k:, c:, every:, pool:}} or {near: {centers:, radius:, fraction:}}")
        if isinstance(value, dict) and "rad" in value and value["rad"] is None:
            return {**value, "rad": {}}
        return value

    @model_validator(mode="after")
    def _one(self) -> SamplingNode:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"sampling is exactly one of {', '.join(_NAMES)}, {{rad: …}} or {{near: …}};"
                             f" found {', '.join(given) or 'none'}")
        return self


def to_strategy(node: SamplingNode | None) -> SamplingStrategy | None:
    """The strategy for :class:`~sirenpde.Constraint`'s ``sampling`` (``None``: the run's sampler).

    Check it against the constraint's region with :func:`sirenpde.sampling.batch_source.check_sampling`.
    """
    if node is None:
        return None
    if node.plain is not None:
        return Plain(node.plain)
    if node.rad is not None:
        r = node.rad
        return RAD(k=r.k, c=r.c, every=r.every, pool=r.pool)
    n = node.near
    return NearPoints(tuple(tuple(c) for c in n.centers), n.radius, n.fraction)
