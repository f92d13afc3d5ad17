"""Machinery shared by Difference and Union: part names, rejection sampling, Monte-Carlo measures.

A composite region is built from pieces. Its boundary is made of the pieces' boundaries, each kept
only where it still bounds the region; its interior is drawn from the pieces and thinned. A
*draw* here is a function ``draw(m, sampler) -> (keep, *tensors)``: it proposes ``m`` candidates
and says which ones to keep (``keep``: bool, shape ``(m,)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from .base import (
    AbstractDomain,
    UnknownPartError,
    rounding_tolerance,
    sample_mixture,
    unknown_part,
)
from .sampling import Sampler, SobolSampler, UniformSampler

Draw = Callable[[int, Sampler], tuple[torch.Tensor, ...]]

# Monte-Carlo measures use this many scrambled Sobol points from a fixed seed, so they are
# deterministic and accurate to about 1e-3 relative for reasonable shapes.
MC_POINTS = 2**16
_GIVE_UP_DRAWS = 50_000
_MIN_RATE = 1e-4
_MAX_BATCH = 2**20


def part_table(prefix: str, piece: AbstractDomain, index: int) -> dict[str, tuple[int, str]]:
    """Public part names of one piece: ``prefix`` alone for a single ``"boundary"``, else
    ``"prefix.part"``; each maps to ``(piece index, the piece's own part name)``."""
    parts = piece.boundary_parts()
    if parts == ("boundary",):
        return {prefix: (index, "boundary")}
    return {f"{prefix}.{p}": (index, p) for p in parts}


def _accepts(piece: AbstractDomain, part: str) -> bool:
    """Does ``piece`` accept ``part`` (possibly an alias it does not list)? Costs a 0-point draw."""
    probe = UniformSampler(torch.Generator(), torch.device("cpu"), torch.float64)
    try:
        piece.sample_boundary(0, probe, part)
    except UnknownPartError:
        return False
    return True


def resolve_part(
    domain: AbstractDomain,
    part: str,
    table: dict[str, tuple[int, str]],
    prefixes: dict[str, int],
    pieces: Sequence[AbstractDomain],
    unprefixed: int | None = None,
) -> tuple[int, str]:
    """Map a public part name to ``(piece index, the piece's part name)``.

    Listed names come from ``table``. Aliases are passed to the piece that accepts them:
    ``"prefix.alias"`` for the piece registered under ``prefix``, or a bare alias for piece
    ``unprefixed`` (the base of a Difference keeps its own names).
    """
    if part in table:
        return table[part]
    if isinstance(part, str):
        prefix, dot, inner = part.partition(".")
        if dot and prefix in prefixes and _accepts(pieces[prefixes[prefix]], inner):
            return prefixes[prefix], inner
        if unprefixed is not None and _accepts(pieces[unprefixed], part):
            return unprefixed, part
    raise unknown_part(domain, part)


def on_boundary(region: AbstractDomain, x: torch.Tensor, normal: torch.Tensor) -> torch.Tensor:
    """Do the piece-boundary points ``x`` with region normals ``normal`` bound ``region``?

    True where a short step against the normal lands in ``region`` and a step along it does
    not. This drops boundary covered by another piece *and* faces shared by two touching pieces,
    yet keeps outer faces that two pieces have in common. The step is ``1e-4`` of the region's
    size (but well above rounding), so only an ``O(1e-4)`` sliver near corners is misjudged.
    """
    lo, hi = region.bounds()
    size = float(np.linalg.norm(hi - lo))
    scale = float(np.max(np.abs(np.concatenate([lo, hi]))))
    step = max(1e-4 * size, 8 * rounding_tolerance(x.dtype, scale))
    return region.contains(x - step * normal) & ~region.contains(x + step * normal)


def boundary_draw(
    region: AbstractDomain,
    pieces: Sequence[AbstractDomain],
    sources: Sequence[tuple[int, str | None]],
    weights: Sequence[float],
    signs: Sequence[float],
    earlier: Sequence[Sequence[AbstractDomain]],
) -> Draw:
    """Proposals from the boundary parts ``sources`` (piece index, part) with probability ∝
    ``weights`` (their measures), yielding ``(keep, points, normals)``.

    Normals of piece ``k`` are multiplied by ``signs[k]`` (−1 turns a hole's outward normal into
    the region's); a point is kept where it bounds ``region`` (see :func:`on_boundary`) and lies
    in none of ``earlier[k]``: boundary that two pieces share is drawn from the first only, so it
    is not counted twice.
    """

    def one(j: int, m: int, sampler: Sampler) -> tuple[torch.Tensor, ...]:
        k, p = sources[j]
        x, normal = pieces[k].sample_boundary(m, sampler, p)
        normal = signs[k] * normal
        return x, normal, on_boundary(region, x, normal) & outside(earlier[k], x)

    def draw(m: int, sampler: Sampler) -> tuple[torch.Tensor, ...]:
        x, normal, kept = sample_mixture(m, sampler, weights, lambda j, mj: one(j, mj, sampler))
        return kept, x, normal

    return draw


def outside(pieces: Sequence[AbstractDomain], x: torch.Tensor) -> torch.Tensor:
    """True where ``x`` (shape ``(N, d)``) lies in none of ``pieces``."""
    hit = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    for piece in pieces:
        hit |= piece.contains(x)
    return ~hit


def collect(n: int, sampler: Sampler, draw: Draw, what: str) -> tuple[torch.Tensor, ...]:
    """Rejection sampling: call ``draw`` until ``n`` candidates are kept.

    Batches are sized from the acceptance rate seen so far.

    Raises:
        ValueError: after ``_GIVE_UP_DRAWS`` proposals the acceptance rate is below ``_MIN_RATE``
            (the region is empty or almost so).
    """
    if n == 0:
        return draw(0, sampler)[1:]
    chunks: list[tuple[torch.Tensor, ...]] = []
    got = drawn = 0
    batch = n + 32
    while got < n:
        kept, *tensors = draw(batch, sampler)
        chunks.append(tuple(t[kept] for t in tensors))
        got += int(kept.sum())
        drawn += batch
        rate = got / drawn
        if drawn >= _GIVE_UP_DRAWS and rate < _MIN_RATE:
            raise ValueError(
                f"{what}: kept {got} of {drawn} candidate points (rate {rate:.1e}), so this is "
                "empty or nearly so: covered by a hole or by another piece, or shared with an "
                "earlier piece that supplies it. Check the pieces and the part's name"
            )
        guess = 1.2 * (n - got) / rate + 32 if got else 4 * batch
        batch = int(min(max(guess, 32), _MAX_BATCH))
    return tuple(torch.cat(parts)[:n] for parts in zip(*chunks, strict=True))


def kept_fraction(draw: Draw) -> float:
    """Fraction of ``MC_POINTS`` deterministic quasi-random proposals that ``draw`` keeps."""
    sampler = SobolSampler(torch.Generator().manual_seed(0), torch.device("cpu"), torch.float64)
    kept = draw(MC_POINTS, sampler)[0]
    return float(kept.double().mean())


def estimate_measure(weights: Sequence[float], draws: Sequence[Draw]) -> float:
    """``Σ_j weights[j] · (fraction of draws[j] kept)``: the measure of what the draws keep."""
    return math.fsum(w * kept_fraction(d) for w, d in zip(weights, draws, strict=True) if w > 0)


def boundary_measure(
    region: AbstractDomain,
    pieces: Sequence[AbstractDomain],
    sources: Sequence[tuple[int, str | None]],
    signs: Sequence[float],
    earlier: Sequence[Sequence[AbstractDomain]],
) -> float:
    """Measure of the part of ``sources`` that bounds ``region``: each part's measure times the
    fraction of it that :func:`boundary_draw` keeps."""
    weights = [pieces[k].boundary_measure(p) for k, p in sources]
    draws = [boundary_draw(region, pieces, [src], [1.0], signs, earlier) for src in sources]
    return estimate_measure(weights, draws)
