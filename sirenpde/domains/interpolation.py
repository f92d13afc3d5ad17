"""Interpolation on a regular grid, one axis at a time: nearest, linear and cubic stencils and their
tensor product, in plain torch operations on the points.

Along an axis of ``n`` nodes, a point at grid position ``t`` (node i at t = i) is interpolated from
``S`` consecutive nodes starting at ``start``, with weights ``w_j(t)``: f(t) = Σ_j w_j(t)·f[start + j].
In d dimensions the interpolant is the tensor product, f(x) = Σ Π_a w_a,j_a · f[start_1 + j_1, …];
its derivative along axis a replaces w_a by its derivative (divided by the spacing h_a). Derivatives
are therefore those of the interpolant, exact and in closed form, never differences of values.

Schemes (``S`` nodes per axis, highest derivative defined):

* ``nearest`` — S = 1, the closest node; piecewise constant, no derivative.
* ``linear`` — S = 2, multilinear; piecewise constant first derivatives, no second derivative.
* ``cubic`` — S = 4, Lagrange interpolation through the 4 nearest nodes (two either side of the
  point; shifted inwards at the grid's edges, so that no stencil leaves the grid). A 4-point
  Lagrange polynomial reproduces every cubic exactly, and so the tensor product reproduces every
  polynomial of degree ≤ 3 in each coordinate (x³y²z …) with its first and second derivatives. It
  was chosen over the alternatives for being local and memory-free: it reads only the 4^d samples
  around the point and needs no other table than the grid itself, which matters for large 3-D and
  space-time grids on a GPU. A cubic B-spline is smoother (C²) but needs a global prefilter and is
  exact on cubics only with not-a-knot ends; Catmull–Rom (Keys) is C¹ but exact only on quadratics;
  a C¹ Hermite scheme exact on cubics needs 2^d derivative tables. The price: the interpolant is
  continuous, while its gradient jumps at the nodes by O(h³·f⁗) and its second derivatives by
  O(h²·f⁗) — small for data that resolve the coefficient, and harmless to collocation at random points.

Everything is indexing and arithmetic on the points (no ``.item()``, no branch on values), so it
runs on the points' device and inside ``torch.func`` transforms (``vmap`` over single points, as
Levenberg–Marquardt does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

__all__ = ["Interpolation", "INTERPOLATIONS", "SMOOTHNESS", "MIN_NODES", "AxisStencil", "axis_stencil",
           "gather", "contract"]

Interpolation = Literal["nearest", "linear", "cubic"]
INTERPOLATIONS: tuple[str, ...] = ("nearest", "linear", "cubic")
SMOOTHNESS: dict[str, int] = {"nearest": 0, "linear": 1, "cubic": 2}
"""The highest derivative order each scheme defines."""
MIN_NODES: dict[str, int] = {"nearest": 2, "linear": 2, "cubic": 4}
"""Samples each axis needs: cubic reads 4 consecutive nodes."""
_WIDTH = {"nearest": 1, "linear": 2, "cubic": 4}


class AxisStencil:
    """One axis's stencil at N points: the first node (N,) and the weights (N, S) of each derivative
    order asked for (order k already divided by h^k)."""

    def __init__(self, start: torch.Tensor, weights: dict[int, torch.Tensor]):
        self.start, self.weights = start, weights

    @property
    def width(self) -> int:
        return next(iter(self.weights.values())).shape[1]


def axis_stencil(t: torch.Tensor, n: int, h: float, scheme: str, orders: Sequence[int]) -> AxisStencil:
    """The stencil of ``scheme`` at grid positions ``t`` (N,) along an axis of ``n`` nodes spaced ``h``.

    ``t`` is clamped to [0, n − 1]: outside the grid the interpolant and its derivatives are those at
    the nearest point of the grid's edge. ``orders`` are the derivative orders wanted (0 = values).

    Raises:
        ValueError: an order beyond what ``scheme`` defines (:data:`SMOOTHNESS`).
    """
    too_high = [k for k in orders if k > SMOOTHNESS[scheme]]
    if too_high:
        need = "interpolation: cubic" if max(too_high) == 2 else "interpolation: linear or cubic"
        raise ValueError(f"derivatives of order {max(too_high)} need {need}; this grid is interpolated"
                         f" {scheme}")
    t = t.clamp(0, n - 1)
    if scheme == "nearest":
        start = torch.round(t).long()
        return AxisStencil(start, {0: torch.ones_like(t)[:, None]})
    base = torch.clamp(t.floor(), max=n - 2)  # the last node belongs to the last cell
    if scheme == "linear":
        f = t - base
        one = torch.ones_like(f)
        weights = {0: torch.stack([1 - f, f], dim=1), 1: torch.stack([-one, one], dim=1) / h}
        return AxisStencil(base.long(), {k: weights[k] for k in orders})
    start = torch.clamp(base - 1, min=0, max=n - 4)  # two nodes either side, shifted inwards at edges
    tau = t - start  # in [0, 3]: the nodes are at τ = 0, 1, 2, 3
    return AxisStencil(start.long(), {k: _lagrange(tau, k) / h**k for k in orders})


def _lagrange(tau: torch.Tensor, order: int) -> torch.Tensor:
    """The 4-point Lagrange basis on nodes 0, 1, 2, 3 (or its first or second derivative) at τ, (N, 4).

    L_j(τ) = Π_{m≠j} (τ − m)/(j − m); the products are expanded so that each derivative is a plain
    polynomial: (τ−1)(τ−2)(τ−3) = τ³ − 6τ² + 11τ − 6, τ(τ−2)(τ−3) = τ³ − 5τ² + 6τ,
    τ(τ−1)(τ−3) = τ³ − 4τ² + 3τ, τ(τ−1)(τ−2) = τ³ − 3τ² + 2τ.
    """
    coefficients = ((-6.0, 11.0, -6.0), (-5.0, 6.0, 0.0), (-4.0, 3.0, 0.0), (-3.0, 2.0, 0.0))
    scales = (-1 / 6, 1 / 2, -1 / 2, 1 / 6)
    columns = []
    for (b, c, d), s in zip(coefficients, scales, strict=True):
        if order == 0:
            p = ((tau + b) * tau + c) * tau + d
        elif order == 1:
            p = (3 * tau + 2 * b) * tau + c
        else:
            p = 6 * tau + 2 * b
        columns.append(s * p)
    return torch.stack(columns, dim=1)


def gather(table: torch.Tensor, shape: Sequence[int], stencils: Sequence[AxisStencil]) -> torch.Tensor:
    """The samples every point's stencil reads, (N, S_1, …, S_d), from the flat ``table`` of a grid
    of ``shape`` (row-major, as ``values.reshape(-1)``)."""
    d = len(shape)
    index = None
    for a, stencil in enumerate(stencils):
        stride = 1
        for n in shape[a + 1:]:
            stride *= n
        offsets = torch.arange(stencil.width, device=stencil.start.device)
        along = (stencil.start[:, None] + offsets) * stride                      # (N, S_a)
        along = along.reshape(along.shape[0], *([1] * a), stencil.width, *([1] * (d - a - 1)))
        index = along if index is None else index + along
    return table[index]


def contract(samples: torch.Tensor, stencils: Sequence[AxisStencil], orders: Sequence[int]) -> torch.Tensor:
    """Σ over the stencil of the samples (N, S_1, …, S_d) times Π_a (weights of order ``orders[a]``
    along axis a): the interpolant (all orders 0) or one of its derivatives, (N,)."""
    out = samples
    for stencil, k in zip(reversed(stencils), reversed(orders), strict=True):
        w = stencil.weights[k]
        out = (out * w.reshape(w.shape[0], *([1] * (out.ndim - 2)), w.shape[1])).sum(-1)
    return out
