"""The walls a march holds exactly: box sides where u = 0 and the data the march starts from are zero.

There the windows' B carries :class:`~sirenpde.model.walls.Walls`' factor and the sides' terms
leave the loss (see that module for why). A lateral term qualifies when it is a value condition
— its residual is u itself, less data: probed with a sinusoid, C[u] − C[0] = u at its places —
whose data are zero there, on places that all lie on the box's sides, where the initial value and
velocity are zero as well (each below :data:`~sirenpde.training.reach.RELATIVE` of the initial
data's largest size, the support's own threshold). A region is held only when every term on it
qualifies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import torch
from torch import nn

from ..constraints.constraint import Constraint
from ..constraints.problem import Problem
from ..constraints.scales import residual_at, zero_residual
from ..domains import Box
from ..domains.regions import Boundary
from ..model.exact_initial import InitialLift
from ..model.walls import Walls
from .point_pools import Places
from .reach import RELATIVE, start_size

__all__ = ["zero_walls", "WALL_CELLS"]

log = logging.getLogger(__name__)

WALL_CELLS = 2.0
"""The wall factor's length, in units of the front's smoothing length ε: as sharp as the light
cone's cutoff band (:data:`~sirenpde.training.reach.CONE_BAND`). 0: no walls, every lateral term
stays in the loss."""

_ON_SIDE = 1e-9
"""A place is on a side within this fraction of the box's largest extent."""

_SAME = 1e-9
"""C[u] − C[0] equals u to this fraction of u's largest size."""


class _Probe(nn.Module):
    """u = 1 + sin(a·x + 0.3): every value and derivative non-zero somewhere."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.linspace(1.3, 2.1, x.shape[1], dtype=x.dtype, device=x.device)
        return (1 + torch.sin(x @ a + 0.3))[:, None]


def zero_walls(problem: Problem, places: Mapping[int, Places], initial: InitialLift,
               width: float) -> tuple[Walls | None, frozenset[int]]:
    """The :class:`Walls` (length :data:`WALL_CELLS` × ``width``) of ``problem``'s march, or ``None``,
    and the ids of the regions whose terms it holds (see the module docstring)."""
    space = problem.domain.space
    if not isinstance(space, Box) or not WALL_CELLS > 0:
        return None, frozenset()
    lo, hi = (tuple(float(v) for v in b) for b in space.bounds())
    d = len(lo)
    sizes = (float(_start_size(problem, pool, initial).max()) for pool in places.values() if len(pool.x))
    largest = max(sizes, default=0.0)
    held: dict[int, bool] = {}
    at_lo, at_hi = [False] * d, [False] * d
    for c in problem.constraints:
        region = c.region
        if not isinstance(region, Boundary) or region.part in ("initial", "final"):
            continue
        pool = places[id(region)]
        sides = _sides(pool.x[:, :-1].detach().cpu().to(torch.float64), lo, hi)
        ok = (isinstance(c, Constraint) and sides is not None
              and _zero_value_condition(problem, c, pool, initial, largest))
        held[id(region)] = held.get(id(region), True) and ok
        if ok:
            for a, high in sides:
                (at_hi if high else at_lo)[a] = True
    regions = frozenset(key for key, ok in held.items() if ok)
    if not regions:
        return None, regions
    names = ", ".join(c.name for c in problem.constraints if id(c.region) in regions)
    log.info("march: u = 0 held exactly on the walls of %s, which leave the windows' loss", names)
    return Walls(lo, hi, tuple(at_lo), tuple(at_hi), WALL_CELLS * width), regions


def _start_size(problem: Problem, pool: Places, initial: InitialLift) -> torch.Tensor:
    """The initial data's size |g| + T·|h| (P,) at the pool's places."""
    return start_size(initial, pool.x.detach().cpu().to(torch.float64), problem.domain.t0,
                      problem.domain.duration)


def _sides(x: torch.Tensor, lo, hi) -> set[tuple[int, bool]] | None:
    """The box sides (axis, at the high end) the places x (N, d') lie on; ``None`` if one lies on none."""
    tolerance = _ON_SIDE * max(h - low for low, h in zip(lo, hi, strict=True))
    found, placed = set(), torch.zeros(len(x), dtype=torch.bool)
    for a, (low, high) in enumerate(zip(lo, hi, strict=True)):
        for edge, is_high in ((low, False), (high, True)):
            on = (x[:, a] - edge).abs() <= tolerance
            if bool(on.any()):
                found.add((a, is_high))
                placed |= on
    return found if len(x) and bool(placed.all()) else None


def _zero_value_condition(problem: Problem, c: Constraint, pool: Places, initial: InitialLift,
                          largest: float) -> bool:
    """Whether ``c`` is u = 0 at the pool's places, where the initial data are zero too."""
    normals = None if pool.normals is None else pool.normals.detach().cpu()
    x = pool.x.detach().cpu()
    try:
        base = zero_residual(problem, c, x, normals)
        probed = residual_at(problem, _Probe(), c, x, normals)
    except Exception:  # noqa: BLE001  a residual the probes cannot stand in for is left as a term
        return False
    u = _Probe()(x.to(torch.float64))
    if probed.shape != u.shape or not bool(torch.isfinite(probed).all()):
        return False
    threshold = RELATIVE * largest
    return (float((probed - base - u).abs().max()) <= _SAME * float(u.abs().max())
            and float(base.abs().max()) <= threshold
            and float(_start_size(problem, pool, initial).max()) <= threshold)
