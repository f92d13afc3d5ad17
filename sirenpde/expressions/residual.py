"""A residual written as text — ``dt(u) + u*dx(u) - nu*dxx(u)`` — evaluated through the derivative seam.

The text is compiled by :mod:`sirenpde.expressions` (never ``eval``); each derivative operator it
applies becomes one request to the batch's :class:`~sirenpde.Fields`, so the forward engine serves
it where it can and constraints on the same points share the work.

Operators, for every axis ``a`` (``x``, ``t`` …) and field ``u``:

====================  ==========================================================
``da(u)``             ∂u/∂a                          (``dx(u)``, ``dt(u)``)
``daa(u)``            ∂²u/∂a²                        (``dxx(u)``, ``dtt(u)``)
``lap(u)``            Δu over the spatial axes (not ``t``)
``dn(u)``             ∂u/∂n, the outward normal derivative (boundaries only)
``norm(grad(u))``     |∇u| over the spatial axes
====================  ==========================================================

The same operators apply to a known coefficient ``k`` (a field given by data): ``dx(k)``,
``lap(k)`` … come from its interpolant (:mod:`sirenpde.expressions.known_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from ..derivatives.fields import Fields
from .compiler import Expression
from .derivative_requests import (
    LAPLACIAN,
    NORMAL_DERIVATIVE,
    DerivativeRequest,
    derivative_request,
    operator_names,
)
from .known_fields import KnownCoefficient, KnownFields

__all__ = ["ExpressionResidual", "operator_names", "NORMAL_DERIVATIVE", "LAPLACIAN"]


@dataclass(frozen=True, eq=False)
class ExpressionResidual:
    """A compiled residual: fields (N,) → the expression's values (N,).

    Attributes:
        expression: compiled with the names below as variables, and operators from
            :func:`operator_names` applied to ``fields``.
        axes: the coordinates, bound to the points' columns.
        fields: the network's fields in channel order (values of complex ones are complex).
        constants: name → a number.
        scalars: names of learnable scalars, read from ``unknowns`` at every call.
        coefficient_fields: names of learnable coefficient networks, evaluated at the points.
        unknowns: the problem's :class:`~sirenpde.model.unknowns.Unknowns`, when it has any.
        known: name → a coefficient given by data (:class:`~sirenpde.domains.media.GriddedMedium`),
            read by value and, through the same operators as the fields, by derivative.
        requests: each derivative the expression reads, by its text, resolved once here.
    """

    expression: Expression
    axes: tuple[str, ...]
    fields: tuple[str, ...]
    constants: Mapping[str, complex | float] = field(default_factory=dict)
    scalars: tuple[str, ...] = ()
    coefficient_fields: tuple[str, ...] = ()
    unknowns: torch.nn.Module | None = None
    known: Mapping[str, KnownCoefficient] = field(default_factory=dict)
    requests: Mapping[str, DerivativeRequest] = field(init=False, repr=False)
    _channels: Mapping[str, int] = field(init=False, repr=False)  # field name → its column of u.value

    def __post_init__(self) -> None:
        quantities = self.expression.quantities
        object.__setattr__(self, "requests", {q.text: derivative_request(q, self.axes) for q in quantities})
        object.__setattr__(self, "_channels", {name: k for k, name in enumerate(self.fields)})

    def _known_fields(self, u: Fields) -> dict[str, KnownFields]:
        """Each known coefficient the expression reads, with what it asks of it computed at once."""
        out = {}
        differentiated = {r.field for r in self.requests.values() if r.field in self.known}
        for name in (set(self.known) & self.expression.used_names) | differentiated:
            asked = [r for r in self.requests.values() if r.field == name]
            gradient = any(r.op in ("d", "dn", "norm_grad") for r in asked)
            second = {u.axis(r.axis) for r in asked if r.op == "dd"}
            second |= set(u.laplacian_axes) if any(r.op == "lap" for r in asked) else set()
            out[name] = KnownFields(self.known[name], u.x, u.axes, u.normals, u.laplacian_axes,
                                    gradient=gradient, second=tuple(sorted(second)))
        return out

    def __call__(self, u: Fields) -> torch.Tensor:
        # The axes come first: the expression takes its dtype and device from its first input.
        env: dict[str, torch.Tensor] = {a: u.x[:, i] for i, a in enumerate(self.axes)}
        used = self.expression.used_names
        for i, a in enumerate(self.axes):
            if "n" + a in used:
                env["n" + a] = u.normals[:, i].to(u.x.dtype)
        for k, name in enumerate(self.fields):
            if name in used:
                env[name] = u.value[:, k]
        for name in used & set(self.constants):
            value = self.constants[name]
            dtype = u.x.dtype.to_complex() if isinstance(value, complex) else u.x.dtype
            env[name] = torch.tensor(value, dtype=dtype, device=u.x.device)
        for name in used & set(self.scalars):
            env[name] = self.unknowns.scalar(name)
        for name in used & set(self.coefficient_fields):
            env[name] = self.unknowns.field(name, u.x)
        for name in used & set(u.data):
            env[name] = u.data[name]
        known = self._known_fields(u) if self.known else {}
        for name in used & set(known):
            env[name] = known[name].value[:, 0]
        for key, request in self.requests.items():
            source = known.get(request.field)
            env[key] = request(u, self._channels[request.field]) if source is None else request(source, 0)
        return self.expression(env)
