"""The ``problem: poisson`` file: −Δu = f with Dirichlet/Neumann parts and optional supervision."""

from __future__ import annotations

from typing import Literal

from ..constraints.names import constraint_name
from ..constraints.problem import Problem
from ..problems.poisson import poisson
from .compile import Compiler
from .nodes import Expr, PointCount, TermSection
from .schema import FileBase

__all__ = ["PoissonFile"]


class PoissonPDE(TermSection):
    source: Expr = 0.0
    points: PointCount = 2000


class PoissonCondition(TermSection):
    type: Literal["dirichlet", "neumann"]
    on: str = "boundary"
    value: Expr
    points: PointCount = 500


class GradientSupervision(TermSection):
    value: list[Expr]
    points: PointCount = 2000


class LaplacianSupervision(TermSection):
    value: Expr
    points: PointCount = 2000


class PoissonFile(FileBase):
    """−Δu = f in the domain (``pde: null`` drops it), boundary conditions, supervision terms."""

    problem: Literal["poisson"]
    pde: PoissonPDE | None = PoissonPDE()
    boundary: list[PoissonCondition] = []
    gradient: GradientSupervision | None = None
    laplacian: LaplacianSupervision | None = None

    def build(self, compile_: Compiler) -> Problem:
        domain = self.domain.domain
        points: dict[str, int] = {}
        weights: dict[str, float] = {}
        parts = {"dirichlet": {}, "neumann": {}}
        source = None
        if self.pde is not None:
            source = compile_(("pde", "source"), self.pde.source)
            points["pde"], weights["pde"] = self.pde.points, self.pde.weight
        for i, c in enumerate(self.boundary):
            part = compile_.boundary_part(("boundary", i, "on"), domain, c.on)
            name = constraint_name(c.type, part)
            if name in points:
                raise compile_.error(("boundary", i, "on"), f"a second {c.type} condition on {c.on!r}")
            parts[c.type][part] = compile_(("boundary", i, "value"), c.value, normals=True)
            points[name], weights[name] = c.points, c.weight
        gradient = laplacian = None
        if self.gradient is not None:
            if len(self.gradient.value) != domain.dim:
                found = len(self.gradient.value)
                raise compile_.error(("gradient", "value"),
                                     f"expected {domain.dim} components (one per axis), found {found}")
            gradient = [compile_(("gradient", "value", k), v) for k, v in enumerate(self.gradient.value)]
            points["gradient"], weights["gradient"] = self.gradient.points, self.gradient.weight
        if self.laplacian is not None:
            laplacian = compile_(("laplacian", "value"), self.laplacian.value)
            points["laplacian"], weights["laplacian"] = self.laplacian.points, self.laplacian.weight
        return poisson(
            domain, source, dirichlet=parts["dirichlet"], neumann=parts["neumann"], gradient=gradient,
            laplacian=laplacian, exact=compile_.exact(self.exact), axes=compile_.axes,
            points=points, weights=weights, norm=self.norm,
        )
