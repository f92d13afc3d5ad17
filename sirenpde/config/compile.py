"""Compile a file's expressions and names against its axes, with errors located in the file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..coefficients import PointExpression, expression
from ..domains import AbstractDomain
from ..expressions import ExpressionError
from .errors import ConfigError
from .yaml_source import YamlSource

__all__ = ["Compiler"]


@dataclass(frozen=True)
class Compiler:
    """Turns expression text at a key path into a coefficient, or a located :class:`ConfigError`."""

    source: YamlSource
    axes: tuple[str, ...]

    def __call__(self, key: tuple, value: str | float, normals: bool = False) -> PointExpression:
        try:
            return expression(value, self.axes, normals=normals)
        except ExpressionError as err:
            raise self.error(key, str(err)) from None

    def error(self, key: tuple, message: str) -> ConfigError:
        return self.source.error(key, message)

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
