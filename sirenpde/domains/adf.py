"""The approximate distance function of a domain's boundary, or of some of its parts.

:func:`boundary_distance` builds, from the pieces of :mod:`sirenpde.domains.distance`, a φ that is 0
on the boundary parts asked for and > 0 in the rest of the region:

* whole boundaries (``parts=None``) of every domain: a box (the product of its slabs), a ball,
  a polygon, a difference (the base and the complements of the holes, conjoined), a union (the
  pieces, disjoined), a space-time domain's lateral boundary (its space's φ). These are signed,
  negative outside — except a lone box's product, which is negative across a face but positive
  beyond a corner (a box that is a piece of a union or difference conjoins its slabs instead);
* parts of a boundary: faces of a box, edges of a polygon, any parts of a ball (it has one), of a
  difference the base's parts (``outer``, or parts the base supports) and whole holes, and of a
  space-time domain the parts its space supports. These are positive on the rest of the region
  only.

A union's parts, a difference's partial holes, and the time slices of a space-time domain are
refused with :class:`UnsupportedBoundaryError`, which says what is supported. Where two pieces of a
union only touch, φ also vanishes on the face they share (an R-function cannot tell it from a
boundary): let the pieces overlap.
"""

from __future__ import annotations

from collections.abc import Sequence

from .ball import Ball
from .base import AbstractDomain
from .box import Box
from .difference import Difference
from .distance import (
    Complement,
    Conjunction,
    Disjunction,
    HalfSpace,
    Product,
    Segments,
    Slab,
    Spatial,
    Sphere,
    join,
)
from .polygon import Polygon
from .spacetime import SpaceTime
from .union import Union

__all__ = ["UnsupportedBoundaryError", "boundary_distance"]

SUPPORTED = ("the whole boundary of any domain; faces of a box; edges of a polygon; a difference's outer"
             " boundary, base parts and whole holes; a space-time domain's lateral parts")


class UnsupportedBoundaryError(ValueError):
    """No distance function is built for these boundary parts; the message lists what is."""


def boundary_distance(domain: AbstractDomain, parts: Sequence[str | None] | None = None):
    """φ for the boundary parts ``parts`` of ``domain`` (``None``, or a ``None`` among them: the
    whole boundary); a callable, points (N, d) → (N,) (see :mod:`sirenpde.domains.distance`).

    Raises:
        UnsupportedBoundaryError: no φ is built for these parts (the message lists what is).
        UnknownPartError: a part the domain does not have.
    """
    names = None if parts is None or None in parts else tuple(dict.fromkeys(parts))
    for name in names or ():
        domain.boundary_measure(name)  # an unknown name fails here, listing the valid ones
    if names is not None and set(names) >= set(domain.boundary_parts()):
        names = None
    if isinstance(domain, SpaceTime):
        if names is not None and {"initial", "final"} & set(names):
            raise UnsupportedBoundaryError(f"no distance function for the time slices; supported:"
                                           f" {SUPPORTED}")
        return Spatial(boundary_distance(domain.space, names))
    if isinstance(domain, Ball):
        return Sphere(domain.center, domain.radius)
    if isinstance(domain, Box):
        return _box(domain, names)
    if isinstance(domain, Polygon):
        edges = tuple(range(len(domain.vertices))) if names is None else tuple(
            domain.boundary_parts().index(n) for n in names)
        return Segments(domain.vertices, edges, signed=names is None)
    if isinstance(domain, Difference):
        return _difference(domain, names)
    if isinstance(domain, Union) and names is None:
        return join([_signed(p) for p in domain.parts], Disjunction)
    raise UnsupportedBoundaryError(f"no distance function for parts {list(names or ())} of a"
                                   f" {type(domain).__name__}; supported: {SUPPORTED}")


def _signed(domain: AbstractDomain):
    """φ of a piece of a union or difference: negative outside, as R-functions need (a box's
    product of slabs is positive beyond its corners, so a piece box conjoins its slabs)."""
    if isinstance(domain, Box):
        return join([Slab(a, domain.lo[a], domain.hi[a]) for a in range(domain.dim)], Conjunction)
    return boundary_distance(domain)


def _box(box: Box, names: tuple[str, ...] | None):
    """The product of the slabs (whole boundary), or of the chosen faces (a slab where both faces
    of an axis are chosen, else a half-space); see :class:`~sirenpde.domains.distance.Product`."""
    lo, hi = box.lo, box.hi
    faces = set(range(2 * box.dim)) if names is None else {box._face_index(n) for n in names}
    pieces, largest = [], []
    for a in range(box.dim):
        low, high, width = 2 * a in faces, 2 * a + 1 in faces, hi[a] - lo[a]
        if low and high:
            pieces.append(Slab(a, lo[a], hi[a]))
            largest.append(width / 4)
        elif low or high:
            pieces.append(HalfSpace(a, lo[a], 1.0) if low else HalfSpace(a, hi[a], -1.0))
            largest.append(width)
    return pieces[0] if len(pieces) == 1 else Product(tuple(pieces), sum(largest) / len(largest))


def _difference(domain: Difference, names: tuple[str, ...] | None):
    """base ∧ ¬hole₁ ∧ …, or the chosen base parts and whole holes, conjoined."""
    if names is None:
        holes = [Complement(_signed(h)) for h in domain.holes]
        return join([_signed(domain.base), *holes], Conjunction)
    base_parts: list[str | None] = []
    holes: set[int] = set()
    for name in names:
        for piece, part in domain._sources(name):
            if piece == 0:
                base_parts.append(part)
            elif part is None or domain.holes[piece - 1].boundary_parts() == (part,):
                holes.add(piece - 1)
            else:
                raise UnsupportedBoundaryError(f"no distance function for part {name!r} of a hole (only"
                                               f" for whole holes); supported: {SUPPORTED}")
    pieces = [boundary_distance(domain.base, base_parts)] if base_parts else []
    pieces += [Complement(_signed(domain.holes[i])) for i in sorted(holes)]
    return join(pieces, Conjunction)
