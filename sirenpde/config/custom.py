"""The ``problem: custom`` file: fields, parameters and constraints written as residual expressions.

    fields: [u]
    parameters: {nu: 0.01/pi, lam: {initial: 0.5, exact: 1.0}, k: {file: k.csv, interpolation: cubic}}
    constraints:
      pde:     {region: interior, residual: "dt(u) + lam*u*dx(u) - nu*dxx(u)", points: 2000}
      initial: {region: initial,  residual: "u + sin(pi*x)"}
      sensors: {region: {data: {file: data/u.csv}}, residual: "u - u_obs"}

The language is in docs/constraint-language.md; the operators in :mod:`sirenpde.expressions.residual`.
"""

from __future__ import annotations

import keyword
from typing import Annotated, Any, Literal

import numpy as np
import torch
from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from ..constraints.constraint import Constraint
from ..constraints.problem import Problem
from ..domains.measurements import MeasurementFileError, Measurements, read_table
from ..domains.regions import Boundary, Interior, Region
from ..expressions.coefficients import normal_names
from ..expressions.compiler import ExpressionError, compile_expression
from ..expressions.residual import NORMAL_DERIVATIVE, ExpressionResidual, operator_names
from ..expressions.vocabulary import CONSTANTS, FUNCTIONS, VECTOR_NORM
from ..model.config import ModelConfig
from ..model.unknowns import Unknowns
from ..results.solution import Reference
from ..sampling.batch_source import check_sampling
from .coefficients import (
    CoefficientNode,
    KnownCoefficient,
    check_derivatives,
    coefficient_network,
    known_coefficient,
)
from .compile import Compiler
from .nodes import Expr, GriddedNode, Section, TermSection, expression_input
from .sampling import SamplingNode, to_strategy
from .schema import Built, DomainNode, FileBase

__all__ = ["CustomFile"]


class UnknownNode(Section):
    """A learnable scalar (``initial``, optionally ``exact`` and ``positive``) or coefficient field
    (``network``: the settings of its own SIREN)."""

    initial: float | None = None
    exact: float | None = None
    positive: bool = False
    network: ModelConfig | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> UnknownNode:
        if (self.initial is None) == (self.network is None):
            raise ValueError("an unknown is a scalar with `initial:` or a field with `network:`; give one")
        if self.network is not None and (self.exact is not None or self.positive):
            raise ValueError("`exact` and `positive` apply to scalar unknowns, not to a `network`")
        return self


def _parameter_input(value: Any) -> Any:
    return value if isinstance(value, dict) else expression_input(value)


def _parameter_kind(value: Any) -> str:
    # A mapping with `file` is data, any other mapping an unknown: only that form's mistakes are told.
    # (The tags are no keys of a file, so that error locations skip them.)
    if isinstance(value, CoefficientNode) or (isinstance(value, dict) and "file" in value):
        return "known-coefficient"
    return "unknown-parameter" if isinstance(value, (dict, UnknownNode)) else "constant-parameter"


Parameter = Annotated[Annotated[UnknownNode, Tag("unknown-parameter")]
                      | Annotated[CoefficientNode, Tag("known-coefficient")]
                      | Annotated[Expr, Tag("constant-parameter")], Discriminator(_parameter_kind),
                      BeforeValidator(_parameter_input)]


class DataNode(Section):
    file: str
    columns: list[str] | None = None


class DataRegionNode(Section):
    data: DataNode


class InsideRegionNode(Section):
    """The interior of a smaller domain inside the problem's: a strip around a shock, a disc
    around a source — points drawn there alone, for a constraint that stresses that part."""

    inside: DomainNode


class ConstraintNode(TermSection):
    region: str | DataRegionNode | InsideRegionNode = "interior"
    residual: Expr | Annotated[list[Expr], Field(min_length=1)]
    sampling: SamplingNode | None = None


class CustomFile(FileBase):
    """Any PDE: residual expressions of the fields and their derivatives, each on a region."""

    problem: Literal["custom"]
    fields: Annotated[list[str], Field(min_length=1)] | dict[str, Literal["real", "complex"]] = ["u"]
    parameters: dict[str, Parameter] = {}
    constraints: Annotated[dict[str, ConstraintNode], Field(min_length=1)]
    exact: Expr | dict[str, Expr] | None = None
    reference: GriddedNode | None = None

    def build_run(self, compile_: Compiler) -> Built:
        names = _Names(self, compile_)
        domain = self.domain.domain
        regions: dict[str, Region] = {}
        constraints = []
        for name, node in self.constraints.items():
            key = ("constraints", name)
            region = self._region(compile_, key + ("region",), node.region, regions)
            residual = self._residual(compile_, key + ("residual",), node.residual, region, names)
            sampling = None if node.sampling is None else to_strategy(node.sampling)
            constraint = Constraint(name, region, residual, node.points, node.weight, self.norm, sampling)
            try:
                check_sampling(constraint)
            except ValueError as err:
                raise compile_.error(key + ("sampling",), str(err)) from None
            constraints.append(constraint)
        problem = Problem(domain, tuple(constraints), axes=compile_.axes, fields=names.fields,
                          exact=self._exact(compile_, names.fields), kind="custom",
                          spatial_axes=names.spatial, complex=names.complex, unknowns=names.unknowns)
        return Built(problem, reference=self._reference(compile_, names), coefficients=names.known)

    def _region(self, compile_: Compiler, key: tuple, spec, regions: dict) -> Region:
        """The region named ``spec`` — shared by every constraint that names it, so they share points."""
        # One region per distinct table: `u.csv` and `./u.csv` are the same measurements.
        if isinstance(spec, DataRegionNode):
            label = f"data:{(compile_.path(spec.data.file).resolve(), spec.data.columns)}"
        else:
            label = spec if isinstance(spec, str) else f"inside:{id(spec)}"
        if label not in regions:
            regions[label] = _make_region(compile_, key, spec, self.domain.domain)
        return regions[label]

    def _residual(self, compile_: Compiler, key: tuple, text, region: Region, names: _Names):
        texts = text if isinstance(text, list) else [text]
        keys = [key + (i,) for i in range(len(texts))] if isinstance(text, list) else [key]
        parts = [names.residual(compile_, k, t, region) for k, t in zip(keys, texts, strict=True)]
        if len(parts) == 1:
            return parts[0]
        return lambda u: torch.stack([part(u) for part in parts], dim=1)

    def _exact(self, compile_: Compiler, fields: tuple[str, ...]):
        if self.exact is None:
            return None
        given = self.exact if isinstance(self.exact, dict) else {fields[0]: self.exact}
        if not isinstance(self.exact, dict) and len(fields) > 1:
            raise compile_.error(("exact",), f"expected one expression per field ({', '.join(fields)}),"
                                 " as a mapping such as {u: ..., v: ...}")
        if set(given) != set(fields):
            raise compile_.error(("exact",), f"expected an expression for each field ({', '.join(fields)}),"
                                 f" found {', '.join(given)}")
        keys = {f: ("exact", f) if isinstance(self.exact, dict) else ("exact",) for f in fields}
        columns = [compile_(keys[f], given[f]) for f in fields]
        return lambda x: torch.stack([c(x) for c in columns], dim=1)

    def _reference(self, compile_: Compiler, names: _Names) -> Reference | None:
        if self.reference is None:
            return None
        if self.exact is not None:
            raise compile_.error(("reference",), "both `exact:` and `reference:` are given; remove one")
        if len(names.fields) != 1 or names.complex:
            raise compile_.error(("reference",), "a gridded reference holds one real field; this problem"
                                 f" has {', '.join(names.fields)}")
        medium = compile_.gridded(("reference",), self.reference, self.domain.domain.dim)

        def values(points: np.ndarray) -> np.ndarray:
            return medium(torch.as_tensor(points, dtype=torch.float64)).numpy()

        return Reference(f"file {self.reference.file}", values)


def _make_region(compile_: Compiler, key: tuple, spec, domain) -> Region:
    if isinstance(spec, InsideRegionNode):
        part = spec.inside.domain
        lo, hi = part.bounds()
        outer_lo, outer_hi = domain.bounds()
        if part.dim != domain.dim or (lo < outer_lo - 1e-12).any() or (hi > outer_hi + 1e-12).any():
            raise compile_.error(key + ("inside",), f"expected a {domain.dim}-D domain within the problem's"
                                 f" bounding box {outer_lo.tolist()}..{outer_hi.tolist()}; found"
                                 f" {lo.tolist()}..{hi.tolist()}")
        return Interior(part)
    if isinstance(spec, DataRegionNode):
        data = spec.data
        try:
            table = read_table(compile_.path(data.file), data.columns)
            region = Measurements.from_table(table, compile_.axes)
        except (MeasurementFileError, ValueError) as err:
            raise compile_.error(key + ("data", "file"), str(err)) from None
        outside = ~domain.contains(region.points)
        if outside.any():
            row = int(outside.nonzero()[0, 0])
            where = f"the first in row {row + 1} at {region.points[row].tolist()}"
            raise compile_.error(key + ("data", "file"), f"{int(outside.sum())} measurement points lie"
                                 f" outside the domain, {where}; remove them or enlarge the domain")
        return region
    if spec == "interior":
        return Interior(domain)
    if spec in ("boundary", *domain.boundary_parts(), *domain.boundary_groups()):
        return Boundary(domain, compile_.boundary_part(key, domain, spec))
    valid = ", ".join(("interior", "boundary", *domain.boundary_parts(), *domain.boundary_groups()))
    raise compile_.error(key, f"unknown region {spec!r}; expected one of: {valid},"
                         " or {data: {file: ...}}")


class _Names:
    """Every name a residual may use, checked once against each other: axes, normals, fields,
    constants, known coefficients, unknowns; and what they build (the unknowns, the spatial axes)."""

    def __init__(self, spec: CustomFile, compile_: Compiler):
        self.axes = compile_.axes
        self.spatial = self.axes[:-1] if spec.domain.spacetime is not None else None
        kinds = spec.fields if isinstance(spec.fields, dict) else dict.fromkeys(spec.fields, "real")
        if len(set(kinds.values())) > 1:
            raise compile_.error(("fields",), "fields must be all real or all complex; found"
                                 f" {', '.join(f'{k}: {v}' for k, v in kinds.items())}")
        self.fields, self.complex = tuple(kinds), "complex" in kinds.values()
        operators = operator_names(self.axes, normals=True)
        if len(set(operators)) != len(operators):
            raise compile_.error(("axes",), f"axis names {list(self.axes)} make two operators of the same"
                                 " name (such as dxx for x and xx); rename an axis")
        taken = {**dict.fromkeys(self.axes, "an axis"), **dict.fromkeys(normal_names(self.axes), "a normal"),
                 **dict.fromkeys((*CONSTANTS, *FUNCTIONS, *operators, VECTOR_NORM), "built in")}
        for name in self.fields:
            self._check(compile_, ("fields",), name, taken)
            taken[name] = "a field"
        self.constants: dict[str, complex | float] = {}
        self.known: dict[str, KnownCoefficient] = {}  # coefficients given by data files
        scalars, networks, exact, positive = {}, {}, {}, []
        for name, node in spec.parameters.items():
            key = ("parameters", name)
            self._check(compile_, key, name, taken)
            taken[name] = "a parameter"
            if isinstance(node, CoefficientNode):
                self.known[name] = known_coefficient(compile_, name, node, spec.domain.domain, self.spatial)
            elif not isinstance(node, UnknownNode):
                value = compile_.constant(key, node)
                self.constants[name] = value.real if value.imag == 0 else value
            elif node.network is None:
                scalars[name] = node.initial
                exact.update({} if node.exact is None else {name: node.exact})
                if node.positive:
                    positive.append(name)
            else:
                seed = spec.training.seed + 1 + len(networks)  # each network's own, from the run's
                networks[name] = coefficient_network(node.network, spec.domain.domain.bounds(), seed)
        try:
            learnt = scalars or networks
            self.unknowns = Unknowns(scalars, networks, exact, tuple(positive)) if learnt else None
        except ValueError as err:
            raise compile_.error(("parameters",), str(err)) from None
        self.scalars, self.networks = tuple(scalars), tuple(networks)

    @staticmethod
    def _check(compile_: Compiler, key: tuple, name: str, taken: dict) -> None:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise compile_.error(key, f"name {name!r} is not usable in expressions; expected letters, digits"
                                 " and _, not starting with a digit")
        if name in taken:
            raise compile_.error(key, f"name {name!r} is already {taken[name]}; choose another name")

    def residual(self, compile_: Compiler, key: tuple, text, region: Region) -> ExpressionResidual:
        normals = isinstance(region, Boundary)
        data = tuple(region.values) if isinstance(region, Measurements) else ()
        clash = set(data) & {*self.fields, *self.constants, *self.scalars, *self.networks, *self.known}
        if clash:
            raise compile_.error(key, f"the measurements' column {sorted(clash)[0]!r} has the name of a field"
                                 " or parameter; rename the column")
        # Normals and dn are known everywhere, so that using them off a boundary gets its own message.
        names = (*self.axes, *normal_names(self.axes), *self.fields, *self.constants,
                 *self.scalars, *self.networks, *self.known, *data)
        operators = operator_names(self.axes, True)
        operands = (*self.fields, *self.known)  # a known coefficient is differentiated like a field
        try:
            expression = compile_expression(text, names, operators, operands)
        except ExpressionError as err:  # noted; a zero stands in so that the rest is checked too
            compile_.found.append(compile_.error(key, str(err)))
            expression = compile_expression("0", names, operators, operands)
        check_derivatives(compile_, key, expression, self.known)
        off_boundary = sorted((expression.used_names & set(normal_names(self.axes))) | {
            q.text for q in expression.quantities if q.operator == NORMAL_DERIVATIVE})
        if off_boundary and not normals:
            raise compile_.error(key, f"{off_boundary[0]} needs the outward normal, which exists on boundary"
                                 f" regions only; this constraint is on {region.describe()}")
        return ExpressionResidual(expression, self.axes, self.fields, self.constants, self.scalars,
                                  self.networks, self.unknowns, self.known)
