"""The ``problem: helmholtz`` file: Δu + k²·m·u = f for a complex u, with point sources, a PML,
boundary conditions and a reference (exact, Hankel or finite differences) to measure against."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ..constraints.names import constraint_name
from ..constraints.problem import Problem
from ..domains import AbstractDomain, Box
from ..expressions.coefficients import Coefficient
from ..problems.helmholtz import PointSource, helmholtz
from ..problems.pml import PML
from ..references.select import HANKEL_CORE, error_region, fd_reference, hankel_reference
from ..results.solution import ErrorMask, Reference
from .compile import Compiler
from .nodes import (
    Expr,
    GriddedNode,
    Medium,
    PointCount,
    PositiveFloat,
    Section,
    TermSection,
    Vector,
    reference_input,
)
from .poisson import exact_dirichlet
from .schema import Built, FileBase

__all__ = ["HelmholtzFile"]


class HelmholtzPDE(TermSection):
    points: PointCount = 4000


class PointSourceNode(Section):
    center: Vector
    amplitude: Expr = 1.0
    sigma: PositiveFloat = 0.01


class SourceDisc(TermSection):
    radius: PositiveFloat = 0.05
    points: PointCount = 100


class SourceSplittingNode(Section):
    enabled: bool = True
    width: PositiveFloat | Literal["auto"] = "auto"


class PMLNode(Section):
    width: PositiveFloat
    strength: Annotated[float, Field(ge=0)] = 5.0
    power: Annotated[float, Field(ge=1)] = 2.0
    physical_points: Annotated[int, Field(ge=0)] | None = None  # None: the physical region's share


class HelmholtzCondition(TermSection):
    type: Literal["dirichlet", "neumann", "robin", "sommerfeld"]
    on: str = "boundary"
    value: Expr | None = None
    alpha: Expr | None = None
    points: PointCount = 500
    exact: bool | None = None  # None: exact where it works (exact_dirichlet)


class FDOptions(Section):
    # 2049² nodes take the sparse direct solve to several GB: a larger grid is refused by `check`,
    # not by the allocator after training.
    resolution: Annotated[int, Field(ge=3, le=2049)] = 401


class FDReference(Section):
    fd: FDOptions = FDOptions()


_reference_input = reference_input("fd", ("exact", "hankel"))


ReferenceChoice = Annotated[Literal["exact", "hankel"] | FDReference, BeforeValidator(_reference_input)]


class ErrorRegion(Section):
    exclude_sources: Annotated[float, Field(ge=0)] = 0.1


_EQUATIONS = {"dirichlet": "u = value", "neumann": "∂u/∂n = value", "robin": "∂u/∂n + alpha·u = value"}


class HelmholtzFile(FileBase):
    """Δu + k²·m·u = f (PML-stretched where ``pml`` is given), Gaussian point sources, conditions."""

    problem: Literal["helmholtz"]
    k: PositiveFloat
    slowness2: Medium = 1.0
    source: Expr = 0.0
    sources: list[PointSourceNode] = []
    source_disc: SourceDisc = SourceDisc()
    source_splitting: SourceSplittingNode = SourceSplittingNode()
    pml: PMLNode | None = None
    pde: HelmholtzPDE = HelmholtzPDE()
    boundary: list[HelmholtzCondition] = []
    reference: ReferenceChoice | None = None
    error_region: ErrorRegion | None = None

    def build(self, compile_: Compiler) -> Problem:
        return self.build_run(compile_).problem

    def build_run(self, compile_: Compiler) -> Built:
        domain = self.domain.domain
        pml = self._pml(compile_, domain)
        sources = self._point_sources(compile_, domain.dim)
        points, weights = {"pde": self.pde.points}, {"pde": self.pde.weight}
        for i in range(len(sources)):
            name = constraint_name("source", i)
            points[name], weights[name] = self.source_disc.points, self.source_disc.weight
        conditions = self._conditions(compile_, domain, points, weights)
        split = self._split(compile_, domain.dim, sources)
        excluded = ("source splitting is on, and a problem has one ansatz; source_splitting: {enabled: false}"
                    " turns it off") if split else None
        exact = exact_dirichlet(compile_, domain, self.boundary, conditions["dirichlet"], points, weights, 2,
                                excluded)
        slowness2 = self._slowness2(compile_, domain.dim)
        source = compile_(("source",), self.source)
        problem = helmholtz(
            domain, self.k, slowness2=slowness2, source=source, point_sources=sources,
            source_radius=self.source_disc.radius, source_points=self.source_disc.points,
            split_sources=split, split_width=self._split_width(), exact_dirichlet=exact,
            dirichlet=conditions["dirichlet"], neumann=conditions["neumann"], robin=conditions["robin"],
            sommerfeld=conditions["sommerfeld"], exact=compile_.exact(self.exact), axes=compile_.axes,
            pml=pml, physical_points=self.pml and self.pml.physical_points, points=points, weights=weights,
            norm=self.norm,
        )
        reference = self._reference(compile_, sources, source, slowness2, pml)
        return Built(problem, reference, self._error_mask(compile_, sources, pml))

    def _split_width(self) -> float:
        width = self.source_splitting.width
        return 2.0 / self.k if width == "auto" else float(width)

    def _split(self, compile_: Compiler, dim: int, sources: list[PointSource]) -> bool:
        if not (self.source_splitting.enabled and sources):
            return False
        if dim != 2:
            raise compile_.error(("source_splitting", "enabled"),
                                 f"source splitting is implemented for 2-D problems, this one is {dim}-D;"
                                 " set it to false")
        widest = max(s.sigma for s in sources)
        if self._split_width() <= widest:
            raise compile_.error(("source_splitting", "width"),
                                 f"must exceed every source's sigma (largest {widest:g});"
                                 f" found {self._split_width():g}")
        return True

    def _pml(self, compile_: Compiler, domain: AbstractDomain) -> PML | None:
        if self.pml is None:
            return None
        pml = PML(self.pml.width, self.pml.strength, self.pml.power)
        try:
            pml.check_fits(*(tuple(float(v) for v in corner) for corner in domain.bounds()))
        except ValueError as err:
            raise compile_.error(("pml", "width"), str(err)) from None
        if (count := self.pml.physical_points) is not None and count >= self.pde.points:
            raise compile_.error(("pml", "physical_points"), f"must be fewer than pde.points"
                                 f" ({self.pde.points}); found {count}")
        return pml

    def _point_sources(self, compile_: Compiler, dim: int) -> list[PointSource]:
        sources = []
        for i, s in enumerate(self.sources):
            if len(s.center) != dim:
                raise compile_.error(("sources", i, "center"),
                                     f"expected {dim} coordinates (one per axis), found {s.center}")
            amplitude = compile_.constant(("sources", i, "amplitude"), s.amplitude)
            sources.append(PointSource(tuple(s.center), amplitude, s.sigma))
        return sources

    def _conditions(self, compile_: Compiler, domain: AbstractDomain, points: dict, weights: dict) -> dict:
        out: dict[str, Any] = {"dirichlet": {}, "neumann": {}, "robin": {}, "sommerfeld": []}
        for i, c in enumerate(self.boundary):
            key = ("boundary", i)
            _check_condition_keys(compile_, key, c)
            part = compile_.boundary_part(key + ("on",), domain, c.on)
            name = constraint_name(c.type, part)
            if name in points:
                raise compile_.error(key + ("on",), f"a second {c.type} condition on {c.on!r}")
            points[name], weights[name] = c.points, c.weight
            if c.type == "sommerfeld":
                out["sommerfeld"].append(part)
                continue
            value = compile_(key + ("value",), c.value, normals=True)
            if c.type == "robin":
                out["robin"][part] = (compile_(key + ("alpha",), c.alpha, normals=True), value)
            else:
                out[c.type][part] = value
        return out

    def _slowness2(self, compile_: Compiler, dim: int) -> Coefficient:
        m = self.slowness2
        if isinstance(m, float):
            return m
        if isinstance(m, str):
            return compile_(("slowness2",), m)
        return compile_.gridded(("slowness2",), m, dim)

    def _reference(self, compile_: Compiler, sources: list[PointSource], source: Coefficient,
                   slowness2: Coefficient, pml: PML | None) -> Reference | None:
        """The numerical reference; ``None`` for the exact solution (kept by the problem) or none."""
        choice, domain = self.reference, self.domain.domain
        if choice is None or choice == "exact":
            if choice == "exact" and self.exact is None:
                raise compile_.error(("reference",), "`exact` needs the exact solution; add `exact:`, or"
                                     " choose hankel or fd")
            return None
        name = "hankel" if choice == "hankel" else "fd"
        if self.exact is not None:
            raise compile_.error(("reference",), f"both `exact:` and reference: {name} are given; the"
                                 " error is measured against one: remove `exact:` or write reference: exact")
        if domain.dim != 2:
            raise compile_.error(("reference",), f"the {name} reference is 2-D only; this domain is"
                                 f" {domain.dim}-D")
        self._check_radiating(compile_, name)
        if choice == "hankel":
            return self._hankel(compile_, sources)
        if not isinstance(domain, Box):
            raise compile_.error(("reference",), f"the fd reference solves on a box; this domain is a"
                                 f" {type(domain).__name__}: use a box domain or reference: exact")
        lo, hi = domain.bounds()
        return fd_reference(self.k, lo, hi, choice.fd.resolution, point_sources=sources, source=source,
                            slowness2=slowness2, pml=pml)

    def _hankel(self, compile_: Compiler, sources: list[PointSource]) -> Reference:
        m = self.slowness2
        if not isinstance(m, float):
            what = "a gridded file" if isinstance(m, GriddedNode) else f"the expression {m!r}"
            raise compile_.error(("reference",), f"the hankel reference needs a homogeneous medium, but"
                                 f" slowness2 is {what}; use reference: fd for a variable medium")
        if m <= 0:
            raise compile_.error(("reference",), f"the hankel reference needs slowness2 > 0; found {m}")
        if not sources:
            raise compile_.error(("reference",), "the hankel reference is the field of point sources;"
                                 " add `sources:`")
        if self.source != 0.0:
            raise compile_.error(("reference",), "the hankel reference knows point sources only, but"
                                 " `source:` is not 0; use reference: fd")
        radius = self._exclusion_radius(sources)
        sigma = max(s.sigma for s in sources)
        if radius < HANKEL_CORE * sigma:
            key = ("error_region", "exclude_sources") if self.error_region else ("reference",)
            raise compile_.error(key, f"the hankel field holds only well away from a source (r ≫ sigma);"
                                 f" exclude_sources must be at least {HANKEL_CORE:g}·sigma ="
                                 f" {HANKEL_CORE * sigma:g}, found {radius:g}")
        return hankel_reference(self.k, sources, m)

    def _check_radiating(self, compile_: Compiler, name: str) -> None:
        """Hankel and FD fields leave the domain: u = 0 at the outer wall (behind a PML), or, for the
        free-space Hankel field, a Sommerfeld condition. Other conditions pose another problem."""
        allowed = "u = 0 or sommerfeld conditions" if name == "hankel" else "only u = 0 on the box's edge"
        for i, c in enumerate(self.boundary):
            if (c.type == "dirichlet" and c.value == 0.0) or (name == "hankel" and c.type == "sommerfeld"):
                continue
            raise compile_.error(("boundary", i, "type"), f"the {name} reference allows {allowed};"
                                 f" this {c.type} condition poses another problem: remove it or use"
                                 " reference: exact")

    def _exclusion_radius(self, sources: list[PointSource]) -> float:
        return self.error_region.exclude_sources if self.error_region else (0.1 if sources else 0.0)

    def _error_mask(self, compile_: Compiler, sources: list[PointSource],
                    pml: PML | None) -> ErrorMask | None:
        """The physical region (inside the PML) minus discs around the point sources."""
        if self.reference is None and self.exact is None:
            if self.error_region is not None:
                raise compile_.error(("error_region",), "there is no reference to measure against; add"
                                     " `exact:` or `reference:`, or remove error_region")
            return None
        radius = self._exclusion_radius(sources)
        lo, hi = self.domain.domain.bounds()
        return error_region(lo, hi, pml, [s.center for s in sources], radius)


def _check_condition_keys(compile_: Compiler, key: tuple, c: HelmholtzCondition) -> None:
    """``value`` for every type but sommerfeld, ``alpha`` for robin only."""
    if c.type == "sommerfeld" and c.value is not None:
        raise compile_.error(key + ("value",), "a sommerfeld condition takes no value (it is"
                             " ∂u/∂n + i·k·u = 0); remove `value`")
    if c.type != "sommerfeld" and c.value is None:
        raise compile_.error(key + ("value",), f"required key is missing: a {c.type} condition is"
                             f" {_EQUATIONS[c.type]}; add `value`")
    if c.type == "robin" and c.alpha is None:
        raise compile_.error(key + ("alpha",), "required key is missing: a robin condition is"
                             " ∂u/∂n + alpha·u = value; add `alpha`")
    if c.type != "robin" and c.alpha is not None:
        raise compile_.error(key + ("alpha",), f"`alpha` belongs to robin conditions only; remove it"
                             f" or write type: robin (this one is {c.type})")
