"""Compile a file's expressions and names against its axes, with errors located in the file."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..domains import AbstractDomain
from ..domains.media import GriddedMedium, GridFileError, read_grid
from ..expressions.coefficients import PointExpression, expression
from ..expressions.compiler import ExpressionError, compile_expression
from .errors import ConfigError
from .nodes import GriddedNode
from .yaml_source import YamlSource

__all__ = ["Compiler"]


@dataclass(frozen=True)
class Compiler:
    """Turns expression text at a key path into a coefficient, or a located :class:`ConfigError`.

    A bad expression does not stop the build: its error joins :attr:`found` and a stand-in (zero)
    takes its place, so that one ``check`` reports every bad expression of a file.
    """

    source: YamlSource
    axes: tuple[str, ...]
    found: list[ConfigError] = field(default_factory=list, compare=False)
    # Known coefficients by parameter name, used instead of the files the text names: those stored in
    # a result, when its problem is built again from the stored text (the files may have moved).
    stored: Mapping[str, object] = field(default_factory=dict, compare=False)
    # What the build chose where the file left it open: key → value and reason (printed by `check`).
    picked: dict[str, str] = field(default_factory=dict, compare=False)

    def __call__(self, key: tuple, value: str | float, normals: bool = False) -> PointExpression:
        try:
            return expression(value, self.axes, normals=normals)
        except ExpressionError as err:
            self.found.append(self.error(key, str(err)))
            return expression(0.0, self.axes, normals=normals)

    def error(self, key: tuple, message: str) -> ConfigError:
        return self.source.error(key, message)

    def require(self, key: tuple, module: str, package: str) -> None:
        """Refuse ``key`` now if what it asks for needs an optional package that is not installed."""
        if importlib.util.find_spec(module) is None:
            raise self.error(key, f"this needs {package}, which is not installed: pip install"
                             f" 'sirenpde[sdf]' (or pip install {package})")

    def path(self, name: str) -> Path:
        """A file named in the problem file: relative to that file's folder (to the current folder
        for text that has no file)."""
        folder = Path(self.source.path).parent if self.source.path != "<string>" else Path()
        return folder / name

    def constant(self, key: tuple, value: str | float) -> complex:
        """A number such as ``2``, ``'1+1j'`` or ``'exp(1j*pi/4)'``: an expression of no variable."""
        try:
            return complex(compile_expression(value, ())({}).item())
        except ExpressionError as err:
            raise self.error(key, f"{err}; a constant such as 2 or '1+1j' is expected here") from None

    def gridded(self, key: tuple, node: GriddedNode, dim: int) -> GriddedMedium:
        """The coefficient sampled in ``node.file`` (relative to the problem file), interpolated."""
        return self.grid(key, node.file, node.dataset, node.lo, node.hi, node.interpolation, (dim,))

    def grid(self, key: tuple, file: str, dataset: str | None, lo: list[float], hi: list[float],
             interpolation: str, dims: tuple[int, ...]) -> GriddedMedium:
        """A regular grid of samples spanning lo..hi in a .npy or .h5 ``file``, of one of ``dims`` axes;
        every mistake is reported at its key below ``key`` (``file``, ``dataset``, ``lo``, ``hi``)."""
        try:
            values = read_grid(self.path(file), dataset)
        except GridFileError as err:
            raise self.error(key + (err.part,), str(err)) from None
        if values.ndim not in dims:
            expected = " or ".join(f"{d}-D" for d in dims)
            raise self.error(key + ("file",), f"expected a {expected} array (one axis per coordinate) in"
                             f" {file!r}, found shape {values.shape}")
        for side, corner in (("lo", lo), ("hi", hi)):
            if len(corner) != values.ndim:
                raise self.error(key + (side,), f"expected {values.ndim} coordinates (one per axis of the"
                                 f" array), found {corner}")
        if not all(a < b for a, b in zip(lo, hi, strict=True)):
            raise self.error(key + ("hi",), f"expected hi > lo on every axis; found lo={lo}, hi={hi}")
        try:
            return GriddedMedium(values, tuple(lo), tuple(hi), interpolation)
        except ValueError as err:
            raise self.error(key + ("file",), f"{file!r}: {err}") from None

    def gridded_speed(self, key: tuple, node: GriddedNode, dim: int) -> GriddedMedium:
        """A gridded wave speed: :meth:`gridded`, and every sample positive."""
        medium = self.gridded(key, node, dim)
        if medium.values.min() <= 0:
            raise self.error(key + ("file",), f"speeds must be positive; the grid's smallest is"
                             f" {medium.values.min():g}")
        return medium

    def boundary_part(self, key: tuple, domain: AbstractDomain, name: str) -> str | None:
        """A boundary part name checked against the domain (``boundary`` = the whole boundary)."""
        if name == "boundary" and name not in domain.boundary_parts():
            return None
        try:
            domain.boundary_measure(name)
        except ValueError:
            valid = ", ".join(("boundary", *domain.boundary_parts(), *domain.boundary_groups()))
            raise self.error(key, f"unknown boundary part {name!r}; expected one of: {valid}") from None
        return name

    def exact(self, value: str | float | None) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """The ``exact:`` solution as a function of points (N, d) → (N, 1), or ``None``."""
        if value is None:
            return None
        expr = self(("exact",), value)
        return lambda x: expr(x).reshape(-1, 1)
