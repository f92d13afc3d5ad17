"""Plane geometry for Polygon: validation of simple polygons and ear-clipping triangulation.

Everything here runs once, at construction, on float64 numpy arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_vertices", "signed_area", "check_simple", "triangulate"]


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """z-component of ``(a − o) × (b − o)``; > 0 when ``o, a, b`` turn counter-clockwise."""
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def as_vertices(vertices: object) -> np.ndarray:
    """Vertices as a float64 array of shape ``(m, 2)``, or a ValueError naming the problem."""
    try:
        v = np.asarray(vertices, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"Polygon: vertices must be a list of (x, y) pairs, got {vertices!r}"
        ) from None
    if v.ndim != 2 or v.shape[1] != 2:
        raise ValueError(f"Polygon: vertices must have shape (m, 2), got shape {v.shape}")
    if len(v) < 3:
        raise ValueError(f"Polygon: need at least 3 vertices, got {len(v)}")
    if not np.all(np.isfinite(v)):
        raise ValueError("Polygon: vertices must be finite numbers")
    return v


def signed_area(v: np.ndarray) -> float:
    """Shoelace area; positive for counter-clockwise vertices."""
    x, y = v[:, 0], v[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _on_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Is ``p`` (already collinear with ``a, b``) within the segment's bounding box?"""
    return bool(np.all(p >= np.minimum(a, b) - tol) and np.all(p <= np.maximum(a, b) + tol))


def _segments_touch(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, tol: float) -> bool:
    """Do the closed segments ``ab`` and ``cd`` share any point?"""
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    if ((d1 > tol and d2 < -tol) or (d1 < -tol and d2 > tol)) and (
        (d3 > tol and d4 < -tol) or (d3 < -tol and d4 > tol)
    ):
        return True
    lin = tol / max(float(np.max(np.abs(np.stack([a, b, c, d])))), 1e-300)
    return (
        (abs(d1) <= tol and _on_segment(a, c, d, lin))
        or (abs(d2) <= tol and _on_segment(b, c, d, lin))
        or (abs(d3) <= tol and _on_segment(c, a, b, lin))
        or (abs(d4) <= tol and _on_segment(d, a, b, lin))
    )


def check_simple(v: np.ndarray) -> None:
    """Raise ValueError unless ``v`` (shape ``(m, 2)``) is a simple polygon of non-zero area."""
    m = len(v)
    scale = float(np.max(np.ptp(v, axis=0)))
    tol = 1e-12 * max(scale, 1e-300) ** 2
    for i in range(m):
        for j in range(i + 1, m):
            if np.all(np.abs(v[i] - v[j]) <= 1e-12 * scale):
                raise ValueError(
                    f"Polygon: vertices {i} and {j} are the same point {v[i].tolist()}; "
                    "list each corner once (do not close the loop by repeating the first vertex)"
                )
    if abs(signed_area(v)) <= tol:
        raise ValueError("Polygon: the vertices enclose zero area (are they all on one line?)")
    for i in range(m):
        a, b = v[i], v[(i + 1) % m]
        nxt = v[(i + 2) % m]
        # Adjacent edges meet at b; they overlap only if the second one folds back along the first.
        if abs(_cross(a, b, nxt)) <= tol and np.dot(b - a, nxt - b) < 0:
            raise ValueError(f"Polygon: edges {i} and {(i + 1) % m} fold back onto each other")
        for j in range(i + 2, m):
            if (j + 1) % m == i:
                continue  # edge j ends where edge i starts: adjacent
            if _segments_touch(a, b, v[j], v[(j + 1) % m], tol):
                raise ValueError(
                    f"Polygon: edges {i} and {j} intersect, so the polygon is not simple; "
                    "list the vertices in order around the boundary"
                )


def _inside_triangle(
    p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, tol: float
) -> bool:
    """Closed point-in-triangle test for a counter-clockwise triangle ``abc``."""
    return _cross(a, b, p) >= -tol and _cross(b, c, p) >= -tol and _cross(c, a, p) >= -tol


def triangulate(v: np.ndarray) -> np.ndarray:
    """Ear-clipping triangulation of a simple counter-clockwise polygon.

    Args:
        v: vertices, shape ``(m, 2)``, counter-clockwise.

    Returns:
        Triangles, shape ``(m − 2 − z, 3, 2)`` each counter-clockwise, where ``z`` counts
        zero-area triangles (flat vertices) that were dropped.
    """
    scale = float(np.max(np.ptp(v, axis=0)))
    tol = 1e-12 * scale**2
    idx = list(range(len(v)))
    triangles: list[np.ndarray] = []
    while len(idx) > 3:
        ear = _find_ear(v, idx, tol)
        if ear is None:  # only flat vertices remain ears: drop one (it spans no area)
            ear = next((k for k in range(len(idx)) if abs(_corner(v, idx, k)) <= tol), None)
            if ear is None:
                raise ValueError("Polygon: could not triangulate; is the polygon simple?")
        else:
            triangles.append(v[[idx[ear - 1], idx[ear], idx[(ear + 1) % len(idx)]]])
        idx.pop(ear)
    if abs(_cross(*v[idx])) > tol:
        triangles.append(v[idx])
    return np.stack(triangles)


def _corner(v: np.ndarray, idx: list[int], k: int) -> float:
    return _cross(v[idx[k - 1]], v[idx[k]], v[idx[(k + 1) % len(idx)]])


def _find_ear(v: np.ndarray, idx: list[int], tol: float) -> int | None:
    """Position in ``idx`` of a convex vertex whose triangle holds no other vertex."""
    n = len(idx)
    for k in range(n):
        if _corner(v, idx, k) <= tol:
            continue
        a, b, c = v[idx[k - 1]], v[idx[k]], v[idx[(k + 1) % n]]
        others = (idx[j] for j in range(n) if j not in (k, (k - 1) % n, (k + 1) % n))
        if not any(_inside_triangle(v[o], a, b, c, tol) for o in others):
            return k
    return None
