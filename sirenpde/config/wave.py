"""The ``problem: wave`` file: u_tt = c²·Δu + f on a space-time domain, initial and boundary conditions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator

from ..domains import Box, SpaceTime
from ..problem import Problem
from ..problems.wave import wave
from ..references import numpy_field, solve_wave_fd
from ..solution import Reference
from .compile import Compiler
from .helmholtz import FDReference, _reference_input
from .schema import Built, Expr, FileBase, PositiveFloat, PositiveInt, Section, Weight

__all__ = ["WaveFile"]


class WavePDE(Section):
    speed: Expr = 1.0
    max_speed: PositiveFloat | None = None
    source: Expr = 0.0
    points: PositiveInt = 4000
    weight: Weight = 1.0


class WaveInitial(Section):
    value: Expr
    velocity: Expr = 0.0
    points: PositiveInt = 1000
    weight: Weight = 1.0


class WaveCondition(Section):
    type: Literal["dirichlet", "neumann", "absorbing"]
    on: str = "boundary"
    value: Expr | None = None
    points: PositiveInt = 1000
    weight: Weight = 1.0


WaveReference = Annotated[Literal["exact"] | FDReference, BeforeValidator(_reference_input)]


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
            (("initial", "value"), self.initial.value), (("initial", "velocity"), self.initial.velocity),
            (("pde", "speed"), self.pde.speed), (("pde", "source"), self.pde.source))]
        lo, hi = space.bounds()
        solved = []  # solved once, on first use (when the result is saved)

        def field(points):
            if not solved:
                solved.append(solve_wave_fd(lo, hi, choice.fd.resolution, domain.t0, domain.t1, *fields))
            return solved[0](points)

        return Reference("fd", field)

    def build(self, compile_: Compiler) -> Problem:
        domain = self.domain.domain
        if not isinstance(domain, SpaceTime):
            raise compile_.error(("domain",), "a wave problem needs a space-time domain:"
                                 " domain: {spacetime: {space: {...}, t: [t0, t1]}}")
        points = {"pde": self.pde.points, "initial": self.initial.points,
                  "initial_velocity": self.initial.points}
        weights = {"pde": self.pde.weight, "initial": self.initial.weight,
                   "initial_velocity": self.initial.weight}
        parts: dict[str, dict] = {"dirichlet": {}, "neumann": {}, "absorbing": {}}
        for i, c in enumerate(self.boundary):
            key = ("boundary", i)
            part = compile_.boundary_part(key + ("on",), domain, c.on)
            name = f"{c.type}:{part or 'boundary'}"
            if name in points:
                raise compile_.error(key + ("on",), f"a second {c.type} condition on {c.on!r}")
            if (c.value is None) != (c.type == "absorbing"):
                expected = "no value" if c.type == "absorbing" else "a value"
                raise compile_.error(key + ("value",), f"{c.type} conditions take {expected}")
            value = None if c.value is None else compile_(key + ("value",), c.value, normals=True)
            parts[c.type][part] = value
            points[name], weights[name] = c.points, c.weight
        speed = self.pde.speed
        if not isinstance(speed, (int, float)):
            if self.pde.max_speed is None:
                raise compile_.error(("pde", "max_speed"), "required when the speed is an expression"
                                     " (the largest c, which sets the residual's scale)")
            speed = compile_(("pde", "speed"), speed)
        return wave(
            domain.space, domain.t0, domain.t1,
            initial_value=compile_(("initial", "value"), self.initial.value),
            initial_velocity=compile_(("initial", "velocity"), self.initial.velocity),
            speed=speed, max_speed=self.pde.max_speed, source=compile_(("pde", "source"), self.pde.source),
            dirichlet=parts["dirichlet"], neumann=parts["neumann"], absorbing=list(parts["absorbing"]),
            exact=compile_.exact(self.exact), axes=compile_.axes, points=points, weights=weights,
            norm=self.norm,
        )
