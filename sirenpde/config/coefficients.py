"""Known coefficients of a ``problem: custom`` file: fields given by data, k(x) or k(x, t).

    parameters:
      k: {file: conductivity.npy, lo: [0, 0], hi: [1, 1], interpolation: cubic}
      a: {file: diffusivity.csv}            # columns x, y[, t] and value (or a)

A ``.npy`` or ``.h5`` array (``dataset`` names it) is a regular grid spanning ``lo``..``hi``; a
``.csv`` table is a regular grid or scattered samples (:mod:`sirenpde.domains.coefficient_table`),
its extent taken from the data. In a space-time problem a grid with one axis per spatial coordinate
is constant in time; one with an axis more (time last) varies in time. The data must cover the
domain, and a residual may differentiate the coefficient only as far as its interpolation allows
(``lap(k)`` needs ``cubic``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..domains import AbstractDomain
from ..domains.coefficient_table import read_samples
from ..domains.interpolation import SMOOTHNESS, Interpolation
from ..domains.media import GriddedMedium, GridFileError, SpatialMedium
from ..expressions.compiler import Expression
from ..expressions.derivative_requests import derivative_request
from ..expressions.known_fields import KnownCoefficient
from ..model.config import ModelConfig
from ..model.siren import SIREN
from .compile import Compiler
from .nodes import Section, Vector

__all__ = ["CoefficientNode", "KnownCoefficient", "known_coefficient", "check_derivatives",
           "coefficient_network"]

_SECOND_ORDER = ("dd", "lap")
_TABLES = (".csv",)


class CoefficientNode(Section):
    """A coefficient given by data: a grid in a .npy/.h5 file spanning ``lo``..``hi``, or a .csv table
    (whose extent is in the data: ``lo``/``hi`` optional, and checked against it when given)."""

    file: str
    dataset: str | None = None
    lo: Vector | None = None
    hi: Vector | None = None
    interpolation: Interpolation = "linear"


def known_coefficient(compile_: Compiler, name: str, node: CoefficientNode, domain: AbstractDomain,
                      spatial: tuple[str, ...] | None) -> GriddedMedium | SpatialMedium:
    """The coefficient ``parameters.<name>``, checked to cover ``domain``; ``spatial`` names the
    spatial axes of a space-time problem (``None`` otherwise). One stored in a result (the
    compiler's ``stored``) replaces the file."""
    key = ("parameters", name)
    axes = compile_.axes
    space = spatial if spatial is not None else axes
    stored = compile_.stored.get(name)
    if stored is not None:
        medium = stored.medium if isinstance(stored, SpatialMedium) else stored
    elif Path(node.file).suffix.lower() in _TABLES:
        medium = _from_table(compile_, key, name, node, space, axes[len(space):])
    else:
        dims = (len(space), len(axes)) if spatial is not None else (len(axes),)
        if node.lo is None or node.hi is None:
            side = "lo" if node.lo is None else "hi"
            kind = Path(node.file).suffix or "data"
            raise compile_.error(key + (side,), f"a grid in a {kind} file needs lo and hi, its corners"
                                 " (a .csv table has them in its coordinates)")
        medium = compile_.grid(key, node.file, node.dataset, node.lo, node.hi, node.interpolation, dims)
    _check_covers(compile_, key, medium, domain, axes)
    return SpatialMedium(medium) if medium.dim < len(axes) else medium


def _from_table(compile_: Compiler, key: tuple, name: str, node: CoefficientNode, space: tuple[str, ...],
                time: tuple[str, ...]) -> GriddedMedium:
    if node.dataset is not None:
        raise compile_.error(key + ("dataset",), "a .csv table has no datasets; remove `dataset`")
    try:
        table = read_samples(compile_.path(node.file), name, space, time)
    except GridFileError as err:
        raise compile_.error(key + ("file",), str(err)) from None
    extent = [b - a for a, b in zip(table.lo, table.hi, strict=True)]
    for side, given, found in (("lo", node.lo, table.lo), ("hi", node.hi, table.hi)):
        if given is None:
            continue
        off = len(given) != len(found) or any(
            abs(g - f) > 1e-6 * e for g, f, e in zip(given, found, extent, strict=True))
        if off:
            raise compile_.error(key + (side,), f"{side} {_shown(given)} does not match the table's"
                                 f" {_shown(found)} ({', '.join(table.axes)}); leave {side} out: a .csv table"
                                 " has its extent in its coordinates")
    try:
        return GriddedMedium(table.values, table.lo, table.hi, node.interpolation)
    except ValueError as err:
        raise compile_.error(key + ("file",), f"{node.file!r}: {err}") from None


def _check_covers(compile_: Compiler, key: tuple, medium: GriddedMedium, domain: AbstractDomain,
                  axes: tuple[str, ...]) -> None:
    """Refuse data that stop short of the domain's bounding box on some axis (rounding aside)."""
    lo, hi = domain.bounds()
    n = medium.dim
    short = [a for a in range(n) if medium.lo[a] > lo[a] + 1e-9 * (hi[a] - lo[a])
             or medium.hi[a] < hi[a] - 1e-9 * (hi[a] - lo[a])]
    if short:
        def extent(low, high) -> str:
            return ", ".join(f"{axes[a]} in [{low[a]:.6g}, {high[a]:.6g}]" for a in range(n))

        raise compile_.error(key + ("file",), f"the domain reaches outside the data: domain {extent(lo, hi)};"
                             f" data {extent(medium.lo, medium.hi)}; give data that cover the domain")


def check_derivatives(compile_: Compiler, key: tuple, expression: Expression,
                      known: dict[str, KnownCoefficient]) -> None:
    """Refuse a derivative of a known coefficient beyond what its interpolation defines."""
    for q in expression.quantities:
        if q.field not in known:
            continue
        order = 2 if derivative_request(q, compile_.axes).op in _SECOND_ORDER else 1
        scheme = known[q.field].interpolation
        if order > SMOOTHNESS[scheme]:
            need = "interpolation: cubic" if order == 2 else "interpolation: linear or cubic"
            raise compile_.error(key, f"{q.text} needs {need}; {q.field} is read with interpolation: {scheme}"
                                 f" (set parameters.{q.field}.interpolation)")


def _shown(values) -> str:
    return f"[{', '.join(f'{v:.6g}' for v in values)}]"


def coefficient_network(config: ModelConfig, bounds, seed: int) -> SIREN:
    """A SIREN for a learnt coefficient field m(x): one output, inputs normalised by the domain's
    box ``bounds`` (lo, hi), seeded with ``seed`` so that a file always starts from the same network."""
    lo, hi = bounds
    w0_initial = 30.0 if config.w0_initial == "auto" else float(config.w0_initial)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return SIREN(config.layers, len(lo), 1, w0=config.w0, w0_initial=w0_initial, bias=config.bias,
                     initializer=config.initializer, c=config.c, bounds=(lo, hi))
