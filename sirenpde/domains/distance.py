"""Approximate distance functions (ADFs): φ = 0 on a boundary, φ > 0 inside, smooth in between.

Sukumar & Srivastava, "Exact imposition of boundary conditions with distance functions in
physics-informed deep neural networks" (CMAME 389, 2022). Each piece of a region has a closed-form
ADF normalised to first order (|∇φ| = 1 on its boundary, away from corners), and pieces combine by
R-functions of order 0, which keep that normalisation (a box's slabs multiply instead, see
:class:`Product`):

    φ₁ ∧ φ₂ = φ₁ + φ₂ − √(φ₁² + φ₂²)      (conjunction: intersections, differences)
    φ₁ ∨ φ₂ = φ₁ + φ₂ + √(φ₁² + φ₂²)      (disjunction: unions)

A slab a ≤ x ≤ b is ((x − a)(b − x))/(b − a), a box the normalised product of its slabs; a ball
(R² − |x − c|²)/(2R); a polygon's edges are segment ADFs with trimming functions, joined by
R-equivalence (m = 1). Whole-boundary ADFs are *signed*: negative outside, so that they compose.
An ADF of part of a boundary (some faces of a box, some edges of a polygon) vanishes on those
parts only and is positive on the rest of the region; outside it has no meaning. The conjunction
and the R-equivalence are not smooth at corners, where two pieces' boundaries meet: second
derivatives grow like 1/r there (points land on corners with probability 0).

An ADF is a frozen dataclass: ``phi(x)`` maps points (N, d) to (N,) in x's dtype, and
``description()`` is a JSON-able record that :func:`distance_from_description` rebuilds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch

__all__ = ["Complement", "Conjunction", "Disjunction", "HalfSpace", "Product", "Segments", "Slab", "Spatial",
           "Sphere", "conjunction", "disjunction", "distance_from_description"]


def _sqrt(s: torch.Tensor) -> torch.Tensor:
    """√s, its derivatives finite where s = 0 (a corner, a point on a segment): clamped to the
    smallest normal number there, which changes φ by less than 1e-19."""
    return torch.sqrt(s.clamp_min(torch.finfo(s.dtype).tiny))


def conjunction(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """R₀-conjunction: ≥ 0 where both are, zero where either is zero and the other is ≥ 0."""
    return a + b - _sqrt(a * a + b * b)


def disjunction(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """R₀-disjunction: > 0 where either is, zero on the boundary of the union."""
    return a + b + _sqrt(a * a + b * b)


@dataclass(frozen=True)
class Slab:
    """lo ≤ x_axis ≤ hi: ((x − lo)(hi − x))/(hi − lo)."""

    axis: int
    lo: float
    hi: float

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        s = x[:, self.axis]
        return (s - self.lo) * (self.hi - s) / (self.hi - self.lo)


@dataclass(frozen=True)
class HalfSpace:
    """side·(x_axis − at) ≥ 0: one face of a box."""

    axis: int
    at: float
    side: float

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.side * (x[:, self.axis] - self.at)


@dataclass(frozen=True)
class Sphere:
    """|x − c| ≤ R: (R² − |x − c|²)/(2R)."""

    center: tuple[float, ...]
    radius: float

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        c = torch.as_tensor(self.center, dtype=x.dtype, device=x.device)
        return (self.radius**2 - ((x - c) ** 2).sum(dim=1)) / (2 * self.radius)


@dataclass(frozen=True)
class Segments:
    """Edges ``edges`` of the polygon ``vertices`` (edge i runs from vertex i to i + 1), joined by
    R-equivalence: φ = 1/Σ 1/φ_i = Π φ_i / Σ_j Π_{i≠j} φ_i (no division by a vanishing φ_i).

    Each segment's φ_i = √(f² + ((√(t² + f⁴) − t)/2)²), with f the signed distance to its line and
    t = ((L/2)² − |x − x_c|²)/L the trimming function (Sukumar & Srivastava, §5.1). ``signed``
    makes φ negative outside the polygon (every edge given: a whole boundary, which may compose).
    """

    vertices: tuple[tuple[float, float], ...]
    edges: tuple[int, ...]
    signed: bool

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        v = torch.as_tensor(self.vertices, dtype=x.dtype, device=x.device)
        index = torch.as_tensor(self.edges, device=x.device)
        a, b = v[index], v[(index + 1) % len(self.vertices)]
        length = torch.linalg.vector_norm(b - a, dim=1)
        rel = x[:, None, :] - a                                       # (N, m, 2)
        f = (rel[..., 0] * (b - a)[:, 1] - rel[..., 1] * (b - a)[:, 0]) / length
        t = ((length / 2) ** 2 - ((x[:, None, :] - (a + b) / 2) ** 2).sum(dim=2)) / length
        phi = _sqrt(f**2 + ((_sqrt(t**2 + f**4) - t) / 2) ** 2)      # (N, m)
        ones = torch.ones_like(phi[:, :1])
        before = torch.cumprod(torch.cat([ones, phi[:, :-1]], dim=1), dim=1)           # Π_{i<j} φ_i
        after = torch.cumprod(torch.cat([ones, phi[:, 1:].flip(1)], dim=1), dim=1).flip(1)  # Π_{i>j} φ_i
        total = before[:, -1] * phi[:, -1] / (before * after).sum(dim=1)
        return torch.where(self._inside(x, v), total, -total) if self.signed else total

    @staticmethod
    def _inside(x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Even-odd rule (exact on the boundary does not matter: φ is 0 there)."""
        a, b = v, torch.roll(v, -1, dims=0)
        px, py = x[:, :1], x[:, 1:2]
        crosses = (a[:, 1] > py) != (b[:, 1] > py)
        dy = torch.where(crosses, b[:, 1] - a[:, 1], torch.ones_like(a[:, 1]))
        x_hit = a[:, 0] + (py - a[:, 1]) * (b[:, 0] - a[:, 0]) / dy
        return (crosses & (px < x_hit)).sum(dim=1) % 2 == 1


@dataclass(frozen=True)
class Product:
    """Π φ_k / scale^(k − 1): the intersection of a box's slabs or faces, smooth at its corners (where
    the R-conjunction's second derivatives blow up). ``scale`` is the mean of the pieces' largest
    values in the box, so that |∇φ| = 1 at the face centres of a cube (near 1 for other boxes)."""

    parts: tuple
    scale: float

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.parts[0](x)
        for part in self.parts[1:]:
            out = out * part(x)
        return out / self.scale ** (len(self.parts) - 1)


@dataclass(frozen=True)
class Conjunction:
    """The intersection of the pieces (R₀-conjunction, folded left)."""

    parts: tuple

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.parts[0](x)
        for part in self.parts[1:]:
            out = conjunction(out, part(x))
        return out


@dataclass(frozen=True)
class Disjunction:
    """The union of the pieces (R₀-disjunction, folded left)."""

    parts: tuple

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.parts[0](x)
        for part in self.parts[1:]:
            out = disjunction(out, part(x))
        return out


@dataclass(frozen=True)
class Complement:
    """−φ: the outside of a signed piece (a hole)."""

    part: object

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return -self.part(x)


@dataclass(frozen=True)
class Spatial:
    """A spatial ADF on space-time points (time last): φ(x, t) = φ_space(x)."""

    part: object

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.part(x[:, :-1])


_KINDS = {"slab": Slab, "half_space": HalfSpace, "sphere": Sphere, "segments": Segments, "product": Product,
          "conjunction": Conjunction, "disjunction": Disjunction, "complement": Complement,
          "spatial": Spatial}
_NAMES = {cls: name for name, cls in _KINDS.items()}


def description(phi) -> dict:
    """A JSON-able record of the ADF ``phi``, which :func:`distance_from_description` rebuilds."""
    kind = _NAMES[type(phi)]
    if isinstance(phi, (Conjunction, Disjunction, Product)):
        extra = {"scale": phi.scale} if isinstance(phi, Product) else {}
        return {"kind": kind, "parts": [description(p) for p in phi.parts], **extra}
    if isinstance(phi, (Complement, Spatial)):
        return {"kind": kind, "part": description(phi.part)}
    return {"kind": kind, **asdict(phi)}


def distance_from_description(record: dict):
    """The ADF that :func:`description` recorded."""
    fields = dict(record)
    kind = fields.pop("kind", None)
    if kind not in _KINDS:
        raise ValueError(f"unknown distance function {kind!r}; expected one of {', '.join(_KINDS)}")
    if "parts" in fields:
        parts = tuple(distance_from_description(p) for p in fields.pop("parts"))
        return _KINDS[kind](parts, **fields)
    if "part" in fields:
        return _KINDS[kind](distance_from_description(fields["part"]))
    if kind == "segments":
        return Segments(tuple(tuple(p) for p in fields["vertices"]), tuple(fields["edges"]), fields["signed"])
    if kind == "sphere":
        return Sphere(tuple(fields["center"]), fields["radius"])
    return _KINDS[kind](**fields)


def join(parts: Sequence, combine: type) -> object:
    """One piece alone, else their ``combine`` (:class:`Conjunction` or :class:`Disjunction`)."""
    return parts[0] if len(parts) == 1 else combine(tuple(parts))
