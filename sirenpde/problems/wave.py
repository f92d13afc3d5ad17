"""The wave equation in space-time, as constraints.

    (u_tt − c(x)²·Δu − f) / ω² = 0      in Ω × (t0, t1)                       (pde)
    u = g,  u_t = h                      at t = t0                              (initial, initial_velocity)
    u = g,  ∂u/∂n = h                    on Dirichlet and Neumann parts × [t0, t1]
    u_t + c·∂u/∂n = 0                    first-order absorbing parts (outgoing waves leave)
    u, ∂u/∂x_a equal at x_a = lo and hi  periodic axes of a box

Time is the last input coordinate, ``t``; the network normalises it like any other axis. The
interior residual is divided by ω² = (c_max·π/L)², the squared frequency of the slowest mode of the
box (L its longest side), so that it is of the size of u, as the initial and boundary terms are;
the initial-velocity and absorbing residuals, of the size of ω·u, are divided by ω.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch

from ..constraints.names import constraint_name
from ..constraints.problem import Problem
from ..derivatives.fields import Fields
from ..domains import AbstractDomain, Box, SpaceTime
from ..domains.regions import Boundary, Interior
from ..expressions.coefficients import Coefficient, evaluate
from ..model.ansatz import AnsatzFactory
from ..model.exact_initial import ExactInitialModel, InitialLift
from ._terms import Term, constraints_from_terms, neumann_residual, periodic_residual, value_residual

__all__ = ["wave"]


def wave(
    space: AbstractDomain,
    t0: float,
    t1: float,
    *,
    initial_value: Coefficient,
    initial_velocity: Coefficient = 0.0,
    speed: Coefficient = 1.0,
    max_speed: float | None = None,
    source: Coefficient = 0.0,
    dirichlet: Mapping[str | None, Coefficient] | None = None,
    neumann: Mapping[str | None, Coefficient] | None = None,
    absorbing: Sequence[str | None] = (),
    periodic: Sequence[str] = (),
    initial_focus: AbstractDomain | None = None,
    exact: Callable[[torch.Tensor], torch.Tensor] | None = None,
    axes: Sequence[str] | None = None,
    points: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    norm: str = "l2",
    exact_initial: bool = False,
) -> Problem:
    """Build a wave problem on ``space × [t0, t1]``; constraints are named ``pde``, ``initial``,
    ``initial_velocity``, ``dirichlet:<part>``, ``neumann:<part>`` and ``absorbing:<part>``.

    Args:
        space: the spatial domain Ω (its parts name the boundary conditions).
        t0, t1: the time interval.
        initial_value, initial_velocity: g and h at t = t0 (expressions may use t, which is t0 there).
        speed: c(x) (a number, an expression or a callable on the space-time points).
        max_speed: the largest c, for the residual's scale; required when ``speed`` is not a number.
        source: f(x, t).
        dirichlet, neumann: spatial part → g / h on that part × [t0, t1].
        absorbing: spatial parts with the first-order absorbing condition u_t + c·∂u/∂n = 0.
        periodic: spatial axes (of a box) along which u and its derivative are periodic; the
            constraint ``periodic:<axis>`` compares each point of the lower face with its image
            on the upper one.
        initial_focus: a part of the space where the initial data need more samples (a narrow
            pulse): adds ``initial:focus`` and ``initial_velocity:focus``, the same two initial
            terms on points drawn in it.
        exact: optional exact solution, points (N, d + 1) → (N,) or (N, 1).
        axes: coordinate names, time last (default x, y, z by dimension, then t).
        points, weights, norm: as in :func:`~sirenpde.poisson`.
        exact_initial: impose the initial value and velocity exactly, u = g + (t − t0)·h +
            (t − t0)²·N (see :mod:`sirenpde.model.exact_initial`); the initial terms leave the loss
            (and ``initial_focus``, which only adds initial terms, is refused).
    """
    domain = SpaceTime(space, t0, t1)
    if isinstance(speed, (int, float)):
        max_speed = float(speed)
    if max_speed is None or not (max_speed > 0 and math.isfinite(max_speed)):
        raise ValueError(f"max_speed must be a positive number when the speed varies; found {max_speed}")
    axes = tuple(axes or (*("x", "y", "z")[: space.dim], "t"))
    lo, hi = space.bounds()
    omega = max_speed * math.pi / float(max(hi - lo))
    terms: list[Term] = [("pde", Interior(domain), _pde_residual(speed, source, omega**2), 4000)]
    if not exact_initial:
        terms += [("initial", Boundary(domain, "initial"), value_residual(initial_value), 1000),
                  ("initial_velocity", Boundary(domain, "initial"), _velocity(initial_velocity, omega), 1000)]
    elif initial_focus is not None:
        raise ValueError("initial_focus adds initial terms, which exact_initial drops; remove one")
    if initial_focus is not None:
        if initial_focus.dim != space.dim:
            raise ValueError(f"initial_focus is {initial_focus.dim}-D but the space is {space.dim}-D")
        focus = Boundary(SpaceTime(initial_focus, t0, t1), "initial")
        velocity = _velocity(initial_velocity, omega)
        terms += [(constraint_name("initial", "focus"), focus, value_residual(initial_value), 1000),
                  (constraint_name("initial_velocity", "focus"), focus, velocity, 1000)]
    for part, g in (dirichlet or {}).items():
        terms.append((constraint_name("dirichlet", part), Boundary(domain, part), value_residual(g), 1000))
    for part, h in (neumann or {}).items():
        terms.append((constraint_name("neumann", part), Boundary(domain, part), neumann_residual(h), 1000))
    for part in absorbing:
        terms.append((constraint_name("absorbing", part), Boundary(domain, part),
                      _absorbing(speed, omega), 1000))
    for axis in periodic:
        if axis not in axes[:-1] or not isinstance(space, Box):
            raise ValueError(f"periodic conditions need a box and one of its axes {axes[:-1]}; found"
                             f" axis {axis!r} on a {type(space).__name__}")
        a = axes.index(axis)
        face = space.boundary_parts()[2 * a]  # the box's faces are axis-major: min, then max
        terms.append((constraint_name("periodic", axis), Boundary(domain, face),
                      periodic_residual(axis, float(hi[a] - lo[a]), omega / max_speed), 1000))
    constraints = constraints_from_terms(terms, points, weights, norm)
    lift = InitialLift(t0, initial_value, initial_velocity)
    ansatz = AnsatzFactory(ExactInitialModel, lift) if exact_initial else None
    return Problem(domain, constraints, axes=axes, fields=("u",), exact=exact, kind="wave",
                   spatial_axes=axes[:-1], ansatz=ansatz, speed=max_speed)


def _pde_residual(c: Coefficient, f: Coefficient, omega2: float) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        return (u.second("t")[:, 0] - evaluate(c, u) ** 2 * u.laplacian[:, 0] - evaluate(f, u)) / omega2

    return residual


def _velocity(h: Coefficient, omega: float) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        return (u.partial("t")[:, 0] - evaluate(h, u)) / omega

    return residual


def _absorbing(c: Coefficient, omega: float) -> Callable[[Fields], torch.Tensor]:
    def residual(u: Fields) -> torch.Tensor:
        return (u.partial("t")[:, 0] + evaluate(c, u) * u.normal_derivative[:, 0]) / omega

    return residual
