"""The ``problem: wave`` file: u_tt = c²·Δu + f on a space-time domain, initial and boundary conditions."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator

from ..constraints.names import constraint_name
from ..constraints.problem import Problem
from ..domains import Box, SpaceTime
from ..domains.media import SpatialMedium
from ..problems.wave import wave
from ..references import numpy_field, solve_wave_fd
from ..results.solution import Reference
from .compile import Compiler
from .helmholtz import FDReference, _reference_input
from .nodes import Expr, GriddedNode, Medium, PointCount, PositiveFloat, TermSection
from .schema import Built, DomainNode, FileBase

__all__ = ["WaveFile"]


class WavePDE(TermSection):
    speed: Medium = 1.0
    max_speed: PositiveFloat | None = None
    source: Expr = 0.0
    points: PointCount = 4000


class WaveInitial(TermSection):
    value: Expr
    velocity: Expr = 0.0
    focus: DomainNode | None = None
    focus_points: PointCount = 1000
    exact: bool | None = None  # None: exact when the run marches in time (training.windows > 1)


class WaveCondition(TermSection):
    type: Literal["dirichlet", "neumann", "absorbing", "periodic"]
    on: str = "boundary"
    axis: str | None = None
    value: Expr | None = None


WaveReference = Annotated[Literal["exact"] | FDReference, BeforeValidator(_reference_input)]


_KEPT_BYTES = 2 * 2**30


def _kept(times: tuple, resolution: int, dim: int) -> tuple:
    """The times the fd solve keeps: those asked for, unless they would not fit in memory."""
    size = len(times) * resolution**dim * 8
    if size > _KEPT_BYTES:
        raise ValueError(f"the fd reference at {len(times)} distinct times would hold {size / 2**30:.1f} GiB;"
                         " evaluate it at fewer times (output.resolution) or lower fd.resolution")
    return times


class WaveFile(FileBase):
    """u_tt = c²Δu + f on ``domain: {spacetime: …}``; ``initial`` sets u and u_t at the first time."""

    problem: Literal["wave"]
    pde: WavePDE = WavePDE()
    initial: WaveInitial
    boundary: list[WaveCondition] = []
    reference: WaveReference | None = None

    def build_run(self, compile_: Compiler) -> Built:
        return Built(self.build(compile_), self._reference(compile_))

    def _reference(self, compile_: Compiler) -> Reference | None:
        """``reference: fd``: leapfrog finite differences on the same box with u = 0 on its edge."""
        choice, domain = self.reference, self.domain.domain
        if choice is None or choice == "exact":
            if choice == "exact" and self.exact is None:
                raise compile_.error(("reference",), "`exact` needs the exact solution; add `exact:` or"
                                     " choose fd")
            return None
        if self.exact is not None:
            raise compile_.error(("reference",), "both `exact:` and reference: fd are given; remove one")
        space = domain.space if isinstance(domain, SpaceTime) else None
        if not isinstance(space, Box) or space.dim > 2:
            raise compile_.error(("reference",), "the fd reference solves on a 1-D or 2-D box")
        zero = [c for c in self.boundary if c.type == "dirichlet" and c.on == "boundary" and c.value == 0]
        if len(self.boundary) != 1 or not zero:
            raise compile_.error(("reference",), "the fd reference has u = 0 on the box's edge: give"
                                 " exactly one condition, {type: dirichlet, on: boundary, value: 0}")
        fields = [numpy_field(compile_(key, value)) for key, value in (
            (("initial", "value"), self.initial.value), (("initial", "velocity"), self.initial.velocity))]
        fields += [numpy_field(self._speed(compile_, space.dim)[0]),
                   numpy_field(compile_(("pde", "source"), self.pde.source))]
        lo, hi = space.bounds()
        solved: dict = {}  # the last solve, by the times it kept

        def field(points):
            times = tuple(np.unique(np.asarray(points)[:, -1]))
            if times not in solved:
                solved.clear()
                solved[times] = solve_wave_fd(lo, hi, choice.fd.resolution, domain.t0, domain.t1, *fields,
                                              keep=_kept(times, choice.fd.resolution, space.dim))
            return solved[times](points)

        return Reference("fd", field)

    def build(self, compile_: Compiler) -> Problem:
        domain = self.domain.domain
        if not isinstance(domain, SpaceTime):
            raise compile_.error(("domain",), "a wave problem needs a space-time domain:"
                                 " domain: {spacetime: {space: {...}, t: [t0, t1]}}")
        points, weights = {"pde": self.pde.points}, {"pde": self.pde.weight}
        marching = self.training.windows > 1
        if marching and self.initial.exact is False:
            raise compile_.error(("initial", "exact"), "time marching (training.windows > 1) imposes the"
                                 " initial data exactly; remove exact: false")
        exact_initial = marching if self.initial.exact is None else self.initial.exact
        if not exact_initial:
            points |= {"initial": self.initial.points, "initial_velocity": self.initial.points}
            weights |= {"initial": self.initial.weight, "initial_velocity": self.initial.weight}
        focus = self.initial.focus.domain if self.initial.focus is not None else None
        if focus is not None and exact_initial:
            raise compile_.error(("initial", "focus"), "exact: true imposes the initial data exactly,"
                                 " so there are no initial terms to focus; remove focus")
        if focus is not None:
            if focus.dim != domain.space.dim:
                raise compile_.error(("initial", "focus"), f"expected a {domain.space.dim}-D domain like the"
                                     f" space; found a {focus.dim}-D one")
            for name in (constraint_name("initial", "focus"), constraint_name("initial_velocity", "focus")):
                points[name], weights[name] = self.initial.focus_points, self.initial.weight
        parts: dict[str, dict] = {"dirichlet": {}, "neumann": {}, "absorbing": {}, "periodic": {}}
        for i, c in enumerate(self.boundary):
            name, part, value = self._condition(compile_, domain, ("boundary", i), c)
            if name in points:
                field, where = ("axis", f"axis {c.axis!r}") if c.type == "periodic" else ("on", repr(c.on))
                raise compile_.error(("boundary", i, field), f"a second {c.type} condition on {where}")
            parts[c.type][part] = value
            points[name], weights[name] = c.points, c.weight
        speed, max_speed = self._speed(compile_, domain.space.dim)
        return wave(
            domain.space, domain.t0, domain.t1,
            initial_value=compile_(("initial", "value"), self.initial.value),
            initial_velocity=compile_(("initial", "velocity"), self.initial.velocity),
            speed=speed, max_speed=max_speed, source=compile_(("pde", "source"), self.pde.source),
            dirichlet=parts["dirichlet"], neumann=parts["neumann"], absorbing=list(parts["absorbing"]),
            periodic=list(parts["periodic"]), initial_focus=focus,
            exact=compile_.exact(self.exact), axes=compile_.axes, points=points, weights=weights,
            norm=self.norm, exact_initial=exact_initial,
        )

    def _condition(self, compile_: Compiler, domain: SpaceTime, key: tuple, c: WaveCondition):
        """(constraint name, part or periodic axis, compiled value) of one boundary condition."""
        if c.type == "periodic":
            spatial = compile_.axes[:-1]
            if c.axis not in spatial:
                raise compile_.error(key + ("axis",), f"periodic conditions need `axis:`, one of"
                                     f" {', '.join(spatial)}; found {c.axis!r}")
            if not isinstance(domain.space, Box):
                raise compile_.error(key + ("type",), "periodic conditions need a box as the space")
            if c.value is not None:
                raise compile_.error(key + ("value",), "periodic conditions take no value")
            return constraint_name("periodic", c.axis), c.axis, None
        if c.axis is not None:
            raise compile_.error(key + ("axis",), f"`axis` is for periodic conditions, not {c.type}")
        part = compile_.boundary_part(key + ("on",), domain, c.on)
        if (c.value is None) != (c.type == "absorbing"):
            expected = "no value" if c.type == "absorbing" else "a value"
            raise compile_.error(key + ("value",), f"{c.type} conditions take {expected}")
        value = None if c.value is None else compile_(key + ("value",), c.value, normals=True)
        return constraint_name(c.type, part), part, value

    def _speed(self, compile_: Compiler, dim: int):
        """c(x) and its maximum: a number, an expression (max_speed given) or a gridded file."""
        speed, max_speed = self.pde.speed, self.pde.max_speed
        if isinstance(speed, GriddedNode):
            medium = compile_.gridded_speed(("pde", "speed"), speed, dim)
            return SpatialMedium(medium), max_speed or float(medium.values.max())
        if isinstance(speed, (int, float)):
            return speed, max_speed
        if max_speed is None:
            raise compile_.error(("pde", "max_speed"), "required when the speed is an expression"
                                 " (the largest c, which sets the residual's scale)")
        return compile_(("pde", "speed"), speed), max_speed
