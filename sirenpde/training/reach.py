"""Where a wave can be in each window of a march — its *reach* — and the points drawn there.

A wave moves no faster than its speed c. Where the problem's data — initial value and velocity,
source, lateral boundary values — are zero, the solution stays zero until a wave from where they
are not gets there: in window k, within c·(t_{k+1} − t_0) of the data's support. A narrow pulse
in a large box lives on a few per cent of it early on; drawn over the whole box, nearly every
point would sit where nothing happens, and the network would spread its frequencies over all of
it. So each window works on its reach (a box: the data's support grown by c·(t_{k+1} − t_0), and
a band beyond it where the network's part is cut off, :mod:`sirenpde.model.window_frame`). A box
around a round front is mostly ahead of it, so the network's part is also cut off beyond discs that
cover the support's connected parts (:func:`support_parts`), grown by c·(t_{k+1} − t_0)
(:func:`cone_cut`, :mod:`sirenpde.model.cone_cutoff`), and each step draws its points from the
places where that cutoff is not zero (:func:`cut_cone`).

The data's support is measured once, on pools over the whole problem: the initial data's
magnitude |g| + T·|h| and each term's residual at u ≡ 0 (minus its data), each above
:data:`RELATIVE` of its own largest value. Without a speed, or where the data fill the space, a
window's reach is ``None``: the whole space, as without this.

Each window's points (:func:`window_places`) are uniform in its reach. Those inside the previous
window's box are the previous window's places, their start table carried over by the trained
network (:func:`~sirenpde.model.marched.next_table`); those outside it are new, where no network
has acted, and start from the initial data's free flight. Nothing is walked back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..constraints.problem import Problem
from ..constraints.scales import zero_residual
from ..domains import SpaceTime
from ..domains.clipped import Clipped, EmptyPartError, in_box
from ..domains.regions import Boundary, Interior, Region
from ..domains.sampling import Sampler
from ..model.cone_cutoff import ConeCut
from ..model.exact_initial import InitialLift
from ..model.front import parts
from ..model.marched import free_flight, start_table
from ..model.stored_values import as_channels
from .point_pools import Places

__all__ = ["Reach", "Support", "Parts", "support", "reaches", "support_parts", "front_of", "cone_cut",
           "window_region", "window_places", "light_cone", "cut_cone", "start_size", "RELATIVE", "BAND",
           "CONE_BAND", "FRONT_CELLS"]

RELATIVE = 1e-4
"""Data below this fraction of their largest value count as none (a Gaussian's tails)."""

BAND = 0.25
"""The cutoff band's width, as a fraction of the reach's extent along each axis."""

CONE_BAND = 2.0
"""The light cone's cutoff band, in units of the front's smoothing length ε (0: no cutoff)."""

FRONT_CELLS = 8
"""The front's smoothing length ε: the smallest part of the support's size (its measure's d'-th root)
over this."""

JOIN_PLACES = 16
"""Places a cell holds on average where the support's connected parts are found."""

CENTRE_NODES = 4096
"""The nodes of the grid a part of the support's centre is measured on."""


@dataclass(frozen=True)
class Reach:
    """A window's spatial box (the reach and its bands), the bands' widths, and which sides are
    cut (inside the space's bounds)."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]
    band: tuple[float, ...]
    cut_lo: tuple[bool, ...]
    cut_hi: tuple[bool, ...]

    def holds(self, x: torch.Tensor) -> torch.Tensor:
        """Whether points x (N, d' + 1), time last, lie in the box, as (N,) bools."""
        return in_box(x[:, :-1], self.lo, self.hi)


@dataclass(frozen=True)
class Support:
    """Where the data are: spatial positions (M, d') of the pools' places where some datum is not
    negligible, and the interior pools' spacing (a margin for what falls between places)."""

    positions: torch.Tensor
    spacing: float


def support(problem: Problem, places: Mapping[int, Places], initial: InitialLift) -> Support | None:
    """The data's :class:`Support`, measured on ``places`` (pools over the whole problem); ``None``
    without a speed or where no datum is above :data:`RELATIVE` of its largest value."""
    if problem.speed is None:
        return None
    positions, spacing = _support(problem, places, initial)
    return None if positions is None else Support(positions, spacing)


def reaches(problem: Problem, found: Support | None, edges: Sequence[float]) -> list[Reach | None]:
    """Each window's reach (see the module docstring) for windows with ``edges`` t_0 < … < t_K,
    around the data's support ``found``."""
    count = len(edges) - 1
    space = problem.domain.space
    if found is None:
        return [None] * count
    positions, spacing = found.positions, found.spacing
    space_lo, space_hi = (np.asarray(b, float) for b in space.bounds())
    found_lo, found_hi = positions.min(dim=0).values.numpy(), positions.max(dim=0).values.numpy()  # CPU
    out: list[Reach | None] = []
    for k in range(count):
        grow = float(problem.speed) * (edges[k + 1] - edges[0]) + spacing
        lo, hi = found_lo - grow, found_hi + grow
        band = BAND * (hi - lo)
        lo, hi = lo - band, hi + band
        cut_lo, cut_hi = lo > space_lo, hi < space_hi
        if not (cut_lo.any() or cut_hi.any()):
            out.append(None)
            continue
        out.append(Reach(tuple(np.maximum(lo, space_lo).tolist()), tuple(np.minimum(hi, space_hi).tolist()),
                         tuple(band.tolist()), tuple(bool(c) for c in cut_lo),
                         tuple(bool(c) for c in cut_hi)))
    return out


@dataclass(frozen=True)
class Parts:
    """The connected parts of the data's support, each as a centre (its data's) and a radius (its
    farthest place from the centre, and the places' spacing), and ε, the smallest part's size (its
    measure's d'-th root, on cells twice the spacing wide) over :data:`FRONT_CELLS`, at least the
    spacing."""

    centers: list[list[float]]
    radii: list[float]
    width: float


def support_parts(problem: Problem, found: Support, initial: InitialLift) -> Parts:
    """The :class:`Parts` of ``found``: places joined on cells of :data:`JOIN_PLACES` places, at
    least twice their spacing wide."""
    positions, spacing = found.positions.to(torch.float64), found.spacing
    spatial = positions.shape[1]
    # Random places leave gaps: joined on cells of 2× their spacing, a 1-D support falls apart at
    # every cell that drew none (one in e² ≈ 7.4), into dozens of parts. Cells that hold
    # JOIN_PLACES places on average are empty once in e^16; each part is still measured on the
    # finer cells, so that ε does not grow with the coarse ones.
    pieces = parts(positions, spacing * max(2.0, JOIN_PLACES ** (1 / spatial)))
    fine = 2 * spacing
    measures = [len(torch.unique(torch.floor(members / fine).long(), dim=0)) * fine**spatial
                for members, _ in pieces]
    width = max(spacing, min(measures) ** (1 / spatial) / FRONT_CELLS)
    centres = [_centre(problem, initial, members) for members, _ in pieces]
    radii = [float((members - torch.tensor(centre, dtype=members.dtype)).norm(dim=1).max()) + spacing
             for (members, _), centre in zip(pieces, centres, strict=True)]
    return Parts(centres, radii, width)


def front_of(problem: Problem, found: Parts) -> dict:
    """The :class:`~sirenpde.model.front.FrontDistance` of a march around the support's parts
    ``found`` (its scale left to the network's box)."""
    return {"centers": found.centers, "width": found.width, "speed": float(problem.speed),
            "start": float(problem.domain.t0)}


def cone_cut(problem: Problem, found: Parts, elapsed: float) -> ConeCut | None:
    """The cutoff to the support's parts ``found`` grown by c·``elapsed``, its band :data:`CONE_BAND`
    ε (``None`` where that is not positive: no cutoff)."""
    if not CONE_BAND > 0:
        return None
    return ConeCut.of(found.centers, found.radii, found.width, float(problem.speed) * elapsed,
                      CONE_BAND * found.width)


def _centre(problem: Problem, initial: InitialLift, members: torch.Tensor) -> list[float]:
    """A part's centre: the mean of the initial data's magnitude on a grid over the part's box
    (random places would put a pulse's centre a tenth of its width off); its places' mean where
    the initial data are zero there (a part that is a source's or a boundary value's)."""
    lo, hi, spatial = members.min(dim=0).values, members.max(dim=0).values, members.shape[1]
    count = max(2, round(CENTRE_NODES ** (1 / spatial)))
    axes = [torch.linspace(float(a), float(b), count, dtype=torch.float64)
            for a, b in zip(lo, hi, strict=True)]
    grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, spatial)
    at = torch.cat([grid, torch.full_like(grid[:, :1], problem.domain.t0)], dim=1)
    size = as_channels(initial.value, at, 1).abs()[:, 0]
    if initial.velocity is not None:
        size = size + problem.domain.duration * as_channels(initial.velocity, at, 1).abs()[:, 0]
    total = float(size.sum())
    if not (total > 0 and math.isfinite(total)):
        return members.mean(dim=0).tolist()
    return ((size[:, None] * grid).sum(dim=0) / total).tolist()


def _support(problem: Problem, places: Mapping[int, Places],
             initial: InitialLift) -> tuple[torch.Tensor | None, float]:
    """The spatial positions (M, d') where some datum is not negligible (None: nowhere), and the
    interior pools' spacing (a margin for what falls between places). Measured on the CPU, once."""
    t0, duration = problem.domain.t0, problem.domain.duration
    lo, hi = problem.domain.space.bounds()
    volume = float(np.prod(np.asarray(hi) - np.asarray(lo)))
    found, spacing = [], 0.0
    for pool in places.values():
        if not isinstance(pool.region, Interior):
            continue
        at = pool.x.detach().cpu().to(torch.float64)
        found.append(_above(start_size(initial, at, t0, duration), at))
        spacing = max(spacing, (volume / len(at)) ** (1 / (at.shape[1] - 1)))
    for c in problem.constraints:
        pool = places[id(c.region)]
        x, normals = pool.x.detach().cpu(), None if pool.normals is None else pool.normals.detach().cpu()
        residual = zero_residual(problem, c, x, normals).abs()
        found.append(_above(residual.amax(dim=1), x.to(torch.float64)))
    found = [f for f in found if len(f)]
    return (torch.cat(found) if found else None), spacing


def start_size(initial: InitialLift, x: torch.Tensor, t0: float, duration: float) -> torch.Tensor:
    """|g| + T·|h| (N,), the initial data's size over a march of ``duration``, at the places of
    points x (N, d'+1) (their times are replaced by ``t0``)."""
    at = torch.cat([x[:, :-1], torch.full_like(x[:, -1:], t0)], dim=1)
    size = as_channels(initial.value, at, 1).abs()
    if initial.velocity is not None:
        size = size + duration * as_channels(initial.velocity, at, 1).abs()
    return size[:, 0]


def _above(size: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The spatial positions of x where ``size`` exceeds :data:`RELATIVE` of its largest value."""
    largest = float(size.max()) if len(size) else 0.0
    if not (largest > 0 and math.isfinite(largest)):
        return x[:0, :-1]
    return x[size > RELATIVE * largest, :-1]


def light_cone(x: torch.Tensor, found: Support, speed: float, elapsed: float) -> torch.Tensor:
    """The indices (K,) of the places x (N, d' + 1) within speed·elapsed of the support (and its
    spacing, a margin for what falls between places): where the wave can be ``elapsed`` after the
    start. Compared in chunks, so that the distances held at once stay about 4M."""
    positions = found.positions.to(device=x.device, dtype=x.dtype)
    radius = speed * elapsed + found.spacing
    chunk = max(1, 2**22 // max(1, len(positions)))
    near = [torch.cdist(part[:, :-1], positions).amin(dim=1) <= radius for part in x.split(chunk)]
    return torch.nonzero(torch.cat(near) if near else x.new_zeros(0, dtype=torch.bool)).flatten()


def cut_cone(x: torch.Tensor, cut: ConeCut) -> torch.Tensor:
    """The indices (K,) of the places x (N, d' + 1) where the cutoff ``cut`` is not zero: every
    place where a window's network acts."""
    return torch.nonzero(cut.value(x) > 0).flatten()


def window_region(region: Region, reach: Reach | None, t0: float, t1: float) -> Region:
    """``region`` (the whole problem's interior or a lateral part) in the window [t0, t1], cut down
    to ``reach``."""
    whole: SpaceTime = region.domain
    space = whole.space if reach is None else Clipped(whole.space, reach.lo, reach.hi)
    window = SpaceTime(space, t0, t1)
    return Interior(window) if isinstance(region, Interior) else Boundary(window, region.part)


def window_places(region: Region, count: int, sampler: Sampler, initial: InitialLift,
                  previous: tuple[Places, torch.Tensor, Reach | None] | None,
                  reach: Reach | None) -> tuple[Places, torch.Tensor]:
    """Up to ``count`` places uniform in ``region`` (a window's, :func:`window_region`) and their
    start tables; none for a boundary part outside the reach. ``previous``: the last window's
    places, their tables carried to this window's start, and its reach; ``None`` for the first
    window (see the module docstring)."""
    if previous is not None and previous[2] is None and reach is None:
        return previous[0], previous[1]  # the whole space, both times: the same places
    start = region.domain.t0
    try:
        fresh = Places.draw(region, count, sampler)
    except EmptyPartError:  # the part does not cross the reach: no places
        none = torch.empty(0, region.domain.dim, dtype=sampler.dtype, device=sampler.device)
        fresh = Places(region, none, None if isinstance(region, Interior) else none)
    if previous is None:
        return fresh, _flown(initial, fresh.x, start)
    kept, table, before = previous
    inside = before.holds(fresh.x)
    take = min(int(inside.sum()), len(kept.x))
    order = torch.randperm(len(kept.x), generator=sampler.generator, device=sampler.device)[:take]
    new = fresh.x[~inside]
    x = torch.cat([kept.x[order], new])
    normals = None if fresh.normals is None else torch.cat([kept.normals[order], fresh.normals[~inside]])
    return Places(region, x, normals), torch.cat([table[order], _flown(initial, new, start)])


def _flown(initial: InitialLift, x: torch.Tensor, start: float) -> torch.Tensor:
    """The start table at time ``start`` of places x (N, d) that no window's network has touched."""
    probe = x if len(x) else torch.zeros(1, x.shape[1], dtype=x.dtype, device=x.device)
    return free_flight(start_table(initial, probe), start - initial.t0)[: len(x)]
