"""The parts of a problem file every family shares: domain, axes, exact solution, model, training, output.

Each domain node validates by building its :mod:`sirenpde.domains` object, so a geometric error
(a degenerate polygon, a hole that swallows the square) is reported at the node that caused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..constraints.problem import Problem
from ..domains import AbstractDomain, Ball, Box, Difference, Polygon, SpaceTime, Union
from ..model.config import ModelConfig
from ..results.meshing import MeshRequest
from ..results.solution import ErrorMask, Reference
from ..training.settings import TrainConfig
from .compile import Compiler
from .domain_size import MAX_POLYGON, check_domain_size
from .nodes import Expr, GridCount, Section, Vector

__all__ = ["Built", "DomainNode", "OutputSection", "FileBase"]


class BoxNode(Section):
    lo: Vector
    hi: Vector


class BallNode(Section):
    center: Vector
    radius: Annotated[float, Field(gt=0)]


class PolygonNode(Section):
    vertices: Annotated[list[Vector], Field(max_length=MAX_POLYGON)]


class DifferenceNode(Section):
    base: DomainNode
    holes: Annotated[list[DomainNode], Field(min_length=1)]
    names: list[str] | None = None


class SpaceTimeNode(Section):
    space: DomainNode
    t: Annotated[Vector, Field(min_length=2, max_length=2)]


class DomainNode(Section):
    """Exactly one of ``box``, ``disk``/``ball``, ``polygon``, ``difference``, ``union``, ``spacetime``."""

    box: BoxNode | None = None
    disk: BallNode | None = None
    ball: BallNode | None = None
    polygon: PolygonNode | None = None
    difference: DifferenceNode | None = None
    union: Annotated[list[DomainNode], Field(min_length=2)] | None = None
    spacetime: SpaceTimeNode | None = None
    _domain: AbstractDomain = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:  # before any part of it is built
        check_domain_size(data)
        return data

    @model_validator(mode="after")
    def _build(self) -> DomainNode:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a domain is exactly one of {', '.join(type(self).model_fields)};"
                f" found {', '.join(given) or 'none'}"
            )
        self._domain = _BUILDERS[given[0]](getattr(self, given[0]))
        return self

    @property
    def domain(self) -> AbstractDomain:
        return self._domain


def _ball(node: BallNode) -> AbstractDomain:
    return Ball(tuple(node.center), node.radius)


def _disk(node: BallNode) -> AbstractDomain:
    if len(node.center) != 2:
        raise ValueError(f"a disk needs a 2-D center; found {len(node.center)} coordinates (use ball)")
    return _ball(node)


def _difference(node: DifferenceNode) -> AbstractDomain:
    holes = tuple(h.domain for h in node.holes)
    domain = Difference(node.base.domain, holes, tuple(node.names) if node.names else None)
    if domain.volume() == 0:  # otherwise `check` passes and `solve` fails in the sampler
        raise ValueError("Difference: the holes cover the whole base; nothing is left to solve on")
    return domain


_BUILDERS = {
    "box": lambda n: Box(tuple(n.lo), tuple(n.hi)),
    "disk": _disk,
    "ball": _ball,
    "polygon": lambda n: Polygon(tuple(tuple(v) for v in n.vertices)),
    "difference": _difference,
    "union": lambda parts: Union(tuple(p.domain for p in parts)),
    "spacetime": lambda n: SpaceTime(n.space.domain, n.t[0], n.t[1]),
}


class OutputSection(Section):
    """Where the result goes, how finely it is sampled, and the run's checkpoints."""

    path: str | None = None
    resolution: GridCount | list[GridCount] | None = None
    checkpoint_every: Annotated[int, Field(ge=1)] | None = 500
    checkpoint_minutes: Annotated[float, Field(gt=0)] | None = 10.0
    resume: bool = False


@dataclass(frozen=True)
class Built:
    """What a file builds: the problem, and what its solution is measured against and where.

    Attributes:
        problem: the constraints to train on (with its exact solution, if any).
        reference: a numerical reference, for files without an exact solution.
        error_mask: where errors are measured, points (N, d) → bool (N,); ``None``: the whole domain.
        mesh: the level surface to extract after training (``problem: sdf``), or ``None``.
        coefficients: the known coefficients read from data files, by name (``problem: custom``),
            to be stored with the result.
    """

    problem: Problem
    reference: Reference | None = None
    error_mask: ErrorMask | None = None
    mesh: MeshRequest | None = None
    coefficients: Mapping[str, object] = field(default_factory=dict)


class FileBase(Section):
    """Keys every problem file has; a family adds its own ``build`` (or ``build_run``)."""

    problem: str
    title: str = ""
    axes: list[str] | None = None
    domain: DomainNode
    exact: Expr | None = None
    norm: Literal["l2", "l1"] = "l2"
    model: ModelConfig = ModelConfig()
    training: TrainConfig = TrainConfig()
    output: OutputSection = OutputSection()

    def build(self, compile_: Compiler) -> Problem:
        """The problem this file describes; located :class:`ConfigError` for what cannot be built."""
        raise NotImplementedError

    def build_run(self, compile_: Compiler) -> Built:
        """The problem and its reference; by default the exact solution, over the whole domain."""
        return Built(self.build(compile_))

    def axis_names(self) -> tuple[str, ...]:
        """The coordinate names: as given, or x, y, z (then t for space-time) by dimension."""
        d = self.domain.domain.dim
        if self.axes is not None:
            if len(self.axes) != d or len(set(self.axes)) != d:
                raise ValueError(f"axes must be {d} distinct names for this domain; found {self.axes}")
            return tuple(self.axes)
        spatial = d - 1 if self.domain.spacetime is not None else d
        names = ("x", "y", "z")[:spatial] if spatial <= 3 else tuple(f"x{i}" for i in range(spatial))
        return names + (("t",) if self.domain.spacetime is not None else ())


for _model in (DifferenceNode, SpaceTimeNode, DomainNode):
    _model.model_rebuild()
