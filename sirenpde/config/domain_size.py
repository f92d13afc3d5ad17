"""Bounds on a domain's size, checked on the file's text before any part of the domain is built.

Building a domain estimates the measure of boundary parts by Monte-Carlo sampling, and a union or
difference inside another estimates its own parts again for every level above it: the cost grows
with the square of the pieces and multiplies with each level. Each polygon is checked for crossing
edges, quadratic in its vertices. These bounds keep `sirenpde check` near a second; the
geometries people draw stay far below them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["MAX_POLYGON", "check_domain_size"]

MAX_LEVELS = 3  # union, difference and spacetime inside each other
MAX_SHAPES = 100  # boxes, disks, balls and polygons in all
MAX_POLYGON = 200  # vertices of one polygon
MAX_VERTICES = 300  # vertices of all polygons
MAX_NESTED_PARTS = 32  # boundary parts of the shapes inside a union/difference inside another


class DomainSize(NamedTuple):
    levels: int
    shapes: int
    vertices: int
    nested_parts: int


def domain_size(root: Any) -> DomainSize:
    """The size of a domain node as written (plain dicts and lists); what is malformed counts as
    little as possible, since the schema reports it. A loop, not recursion: the node may be deep."""
    levels = shapes = vertices = nested_parts = 0
    stack = [(root, 0, 0)]  # (node, enclosing nodes of any kind, enclosing unions/differences)
    while stack:
        node, depth, composites = stack.pop()
        for kind, body in node.items() if isinstance(node, dict) else ():
            inner = (depth + 1, composites + (kind in ("union", "difference")))
            if kind in ("union", "difference", "spacetime"):
                levels = max(levels, depth + 1)
            if kind == "union" and isinstance(body, list):
                stack += [(part, *inner) for part in body]
            elif kind == "difference" and isinstance(body, dict):
                holes = body.get("holes") if isinstance(body.get("holes"), list) else []
                stack += [(part, *inner) for part in (body.get("base"), *holes)]
            elif kind == "spacetime" and isinstance(body, dict):
                stack.append((body.get("space"), *inner))
            else:
                parts = _parts(kind, body)
                shapes += 1
                vertices += parts if kind == "polygon" else 0
                nested_parts += parts if composites >= 2 else 0
    return DomainSize(levels, shapes, vertices, nested_parts)


def _parts(kind: str, body: Any) -> int:
    """Boundary parts of a shape: a box has two per axis, a polygon one per edge."""
    key = {"box": "lo", "polygon": "vertices"}.get(kind)
    listed = body.get(key) if key is not None and isinstance(body, dict) else None
    if not isinstance(listed, list):
        return 1
    return 2 * len(listed) if kind == "box" else len(listed)


def check_domain_size(node: Any) -> None:
    """Raise ValueError (one line: expected, found, the fix) if the domain node is too large."""
    size = domain_size(node)
    if size.levels > MAX_LEVELS:
        raise ValueError(f"expected at most {MAX_LEVELS} levels of union, difference and spacetime inside"
                         f" each other, found {size.levels}; flatten it: a union takes any number of"
                         " pieces, a difference any number of holes")
    if size.shapes > MAX_SHAPES:
        raise ValueError(f"expected at most {MAX_SHAPES} shapes in a domain, found {size.shapes}")
    if size.vertices > MAX_VERTICES:
        raise ValueError(f"expected at most {MAX_VERTICES} polygon vertices in a domain, found"
                         f" {size.vertices}")
    if size.nested_parts > MAX_NESTED_PARTS:
        raise ValueError(f"expected at most {MAX_NESTED_PARTS} boundary parts (a box has 2 per axis, a"
                         " polygon 1 per edge, a disk 1) in unions and differences that lie inside another"
                         f" union or difference, found {size.nested_parts}; move those pieces up a level")
