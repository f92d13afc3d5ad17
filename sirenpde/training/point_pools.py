"""Pools of points whose rows carry precomputed jets of a lift, as batch data.

A lift's jets (g and φ of exact Dirichlet conditions, the initial data of exact initial conditions)
do not depend on the weights, yet differentiating them costs, every step, as much as the network's
own jets for a distance function of many pieces. Drawn from a pool of places fixed before training
— :data:`POOL_FACTOR` times the points a step, at least :data:`MIN_POOL` — with the jets computed
once for the pool (:class:`LiftPoints`), they are read instead.

The points of a march: places kept for the whole march, times fresh in each window.
A window's ansatz needs, at every point, the previous window's u and u_t and their spatial
derivatives (:mod:`sirenpde.model.marched`). Computed by walking back through the earlier windows
they would cost more with every window; so each region of the problem gets a pool of places drawn
once, the start table of each window is computed on the pool once (from the last one), and each
step draws places from the pool and fresh times in the window, the table's rows travelling with
the points as batch data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from ..constraints.problem import Problem
from ..domains import UniformSampler
from ..domains.regions import Boundary, Interior, Region
from ..domains.sampling import Sampler
from ..model.lifted import LIFT, AbstractLift, lift_table
from ..model.marched import START
from .settings import TrainConfig

__all__ = ["Places", "LiftPoints", "WindowPoints", "POOL_FACTOR", "MIN_POOL", "CONE_SHARE", "draw_places",
           "with_lift_pools"]

POOL_FACTOR = 16  # places per point a step: a fresh-looking batch every step, a table cheap to build
MIN_POOL = 4096
CONE_SHARE = 0.5
"""Without the light cone's cutoff (:data:`~sirenpde.training.reach.CONE_BAND` 0; with it every
point is drawn where the network acts), the share of a window's points drawn from the places its
wave can reach (its light cone), the rest uniform over all its places: nowhere less than half the
uniform density — the points ahead of the wave keep the network quiet there — and inside the cone
up to twice it, where a reach's box, cut square and widened by its cutoff band, is mostly ahead of
a round front."""


@dataclass(frozen=True, eq=False)
class Places:
    """A region's pool: points (P, d) drawn once in the whole space-time region (their times are
    replaced at every draw) and their normals (P, d), or ``None``."""

    region: Region
    x: torch.Tensor
    normals: torch.Tensor | None

    @classmethod
    def draw(cls, region: Region, count: int, sampler: Sampler) -> Places:
        x, normals, data = region.draw(count, sampler)
        if data:
            raise ValueError(f"a pool of places cannot carry measured data; {region.describe()} has some")
        return cls(region, x, normals)


def draw_places(problem: Problem, regions: Mapping[int, Region], config: TrainConfig, device: torch.device,
                dtype: torch.dtype, salt: int) -> dict[int, Places]:
    """A pool for each of ``regions`` (by id): :data:`POOL_FACTOR` times the most points a step any
    term draws there (times LM's factor when it draws more), at least :data:`MIN_POOL`; from a
    generator of its own, seeded by the run's seed and ``salt``, so a resumed run draws the same."""
    generator = torch.Generator(device=device).manual_seed(config.seed + salt)
    sampler = UniformSampler(generator=generator, device=device, dtype=dtype)
    counts: dict[int, int] = {}
    for c in problem.constraints:
        if id(c.region) in regions:
            counts[id(c.region)] = max(counts.get(id(c.region), 0), int(c.points))
    factor = max(1.0, config.lm.largest_points_factor if config.lm_steps else 1.0)
    return {key: Places.draw(region, max(MIN_POOL, round(POOL_FACTOR * factor * counts[key])), sampler)
            for key, region in regions.items()}


class _Pooled(Region):
    """A region whose points come from a pool with data attached: :meth:`sample` is :meth:`draw`
    without the data."""

    def sample(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor | None]:
        x, normals, _ = self.draw(n, sampler)
        return x, normals


@dataclass(frozen=True, eq=False)
class LiftPoints(_Pooled):
    """Points of a fixed pool, ``places``, each with its row of the lift's ``table`` (P, c + 1, 1 + 2d)
    as ``data[LIFT]`` (see :func:`~sirenpde.model.lifted.lift_table`)."""

    places: Places
    table: torch.Tensor

    def draw(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor | None,
                                                        Mapping[str, torch.Tensor]]:
        u = sampler.unit(n, 1)
        rows = _picked(_index(u[:, 0], len(self.places.x)), u)
        normals = None if self.places.normals is None else rows(self.places.normals)
        return rows(self.places.x), normals, {LIFT: rows(self.table)}

    def describe(self) -> str:
        return self.places.region.describe()


def with_lift_pools(problem: Problem, config: TrainConfig, device: torch.device,
                    dtype: torch.dtype) -> Problem:
    """``problem`` with the interior and boundary regions of its terms drawn from pools carrying its
    lift's jets, when its ansatz is a lift; unchanged otherwise (and for regions of other kinds)."""
    lift = problem.ansatz.part if problem.ansatz is not None else None
    if not isinstance(lift, AbstractLift):
        return problem
    regions = {id(c.region): c.region for c in problem.constraints if type(c.region) in (Interior, Boundary)}
    if not regions:  # a marched window's points carry their own table
        return problem
    lift = lift.to(device)
    places = draw_places(problem, regions, config, device, dtype, salt=104_723)
    pooled = {key: LiftPoints(pool, lift_table(lift, pool.x)) for key, pool in places.items()}
    constraints = [dataclasses.replace(c, region=pooled.get(id(c.region), c.region))
                   for c in problem.constraints]
    return dataclasses.replace(problem, constraints=tuple(constraints))


def _index(u: torch.Tensor, count: int) -> torch.Tensor:
    """Indices into ``count`` rows from uniform numbers u (N,) in [0, 1)."""
    return (u * count).long().clamp(min=0, max=count - 1)


def _picked(index: torch.Tensor, u: torch.Tensor):
    """Rows ``index`` (N,) of a pool's tensors, in the dtype and on the device of the uniform
    numbers u that picked them (like any region's points)."""
    def rows(values: torch.Tensor) -> torch.Tensor:
        return values[index.to(values.device)].to(dtype=u.dtype, device=u.device)
    return rows


@dataclass(frozen=True, eq=False)
class WindowPoints(_Pooled):
    """Points of one window: places from ``places``, times uniform in [t0, t1], each with its row of
    the window's start ``table`` (P, c, k) as ``data[START]``. With ``cone`` (indices of the places
    the wave can reach by t1), ``share`` of the points come from those places (``None``:
    :data:`CONE_SHARE`)."""

    places: Places
    t0: float
    t1: float
    table: torch.Tensor
    cone: torch.Tensor | None = None
    share: float | None = None

    def draw(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, torch.Tensor | None,
                                                        Mapping[str, torch.Tensor]]:
        u = sampler.unit(n, 2)
        rows = _picked(self._index(u[:, 0]), u)
        x = torch.cat([rows(self.places.x)[:, :-1], self.t0 + (self.t1 - self.t0) * u[:, 1:]], dim=1)
        normals = None if self.places.normals is None else rows(self.places.normals)
        return x, normals, {START: rows(self.table)}

    def _index(self, u: torch.Tensor) -> torch.Tensor:
        """The places' indices for uniform numbers u (N,): below the share one of the cone's
        (u rescaled to [0, 1)), above it any place's (a share of 0: any place's, of 1: the cone's)."""
        count = len(self.places.x)
        share = min(CONE_SHARE if self.share is None else self.share, 1.0)
        if self.cone is None or not len(self.cone) or len(self.cone) == count or share <= 0:
            return _index(u, count)
        in_cone = self.cone.to(u.device)[_index(u / share, len(self.cone))]
        if share == 1:
            return in_cone
        return torch.where(u < share, in_cone, _index((u - share) / (1 - share), count))

    def describe(self) -> str:
        return f"{self.places.region.describe()} in t ∈ [{self.t0:g}, {self.t1:g}]"
