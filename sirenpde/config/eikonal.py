"""The ``problem: eikonal`` file: first-arrival travel times c(x)·‖∇T‖ = 1 from a point source."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from ..constraints.problem import Problem
from ..domains import Box
from ..problems.eikonal import eikonal
from ..references import numpy_field
from ..references.eikonal_fmm import solve_eikonal_fmm
from ..results.solution import Reference
from .compile import Compiler
from .nodes import GriddedNode, Medium, PointCount, Section, TermSection, Vector, reference_input
from .schema import Built, FileBase

__all__ = ["EikonalFile"]


class EikonalPDE(TermSection):
    speed: Medium = 1.0
    points: PointCount = 2000


class FMMOptions(Section):
    resolution: Annotated[int, Field(ge=5, le=4097)] = 401


_MAX_FMM_NODES = 2**27  # a few float64 arrays of this size: a few GB


class FMMReference(Section):
    fmm: FMMOptions = FMMOptions()


_reference_input = reference_input("fmm", ("exact",))


class EikonalFile(FileBase):
    """Travel times from ``source`` in the medium ``pde.speed`` (factored: T = |x − x_s|·τ)."""

    problem: Literal["eikonal"]
    source: Vector
    pde: EikonalPDE = EikonalPDE()
    reference: Annotated[Literal["exact"] | FMMReference, BeforeValidator(_reference_input)] | None = None

    def build_run(self, compile_: Compiler) -> Built:
        problem = self.build(compile_)
        if self.reference is None or self.reference == "exact":
            if self.reference == "exact" and self.exact is None:
                raise compile_.error(("reference",), "`exact` needs the exact solution; add `exact:` or"
                                     " choose fmm")
            return Built(problem)
        if self.exact is not None:
            raise compile_.error(("reference",), "both `exact:` and reference: fmm are given; remove one")
        domain = self.domain.domain
        if not isinstance(domain, Box) or domain.dim not in (2, 3):
            raise compile_.error(("reference",), "the fmm reference solves on a 2-D or 3-D box")
        n, source = self.reference.fmm.resolution, list(self.source)
        if n**domain.dim > _MAX_FMM_NODES:
            raise compile_.error(("reference", "fmm", "resolution"), f"expected at most {_MAX_FMM_NODES:,}"
                                 f" nodes in all, found {n}^{domain.dim} = {n**domain.dim:,};"
                                 " lower the resolution")
        compile_.require(("reference",), "skfmm", "scikit-fmm")
        lo, hi = domain.bounds()
        speed = numpy_field(self._speed(compile_))
        solved = []  # solved once, on first use (when the result is saved)

        def field(points):
            if not solved:
                solved.append(solve_eikonal_fmm(lo, hi, n, source, speed))
            return solved[0](points)

        return Built(problem, Reference("fmm", field))

    def build(self, compile_: Compiler) -> Problem:
        domain = self.domain.domain
        if len(self.source) != domain.dim:
            raise compile_.error(("source",), f"expected {domain.dim} coordinates (one per axis); found"
                                 f" {len(self.source)}")
        speed, exact = self._speed(compile_), compile_.exact(self.exact)  # located errors of their own
        try:
            return eikonal(domain, self.source, speed=speed, exact=exact, axes=compile_.axes,
                           points={"pde": self.pde.points}, weights={"pde": self.pde.weight}, norm=self.norm)
        except ValueError as err:  # the source outside the domain
            raise compile_.error(("source",), str(err)) from None

    def _speed(self, compile_: Compiler):
        speed = self.pde.speed
        if isinstance(speed, GriddedNode):
            return compile_.gridded_speed(("pde", "speed"), speed, self.domain.domain.dim)
        return speed if isinstance(speed, float) else compile_(("pde", "speed"), speed)
