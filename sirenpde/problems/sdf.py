"""The signed distance function of a surface sampled by an oriented point cloud (the paper's loss).

    Φ = 0                   on the surface                     (surface,         weight 3e3)
    1 − cos(∇Φ, n) = 0      on the surface                     (normal,          weight 1e2)
    ‖∇Φ‖ − 1 = 0            on the surface and everywhere      (eikonal:surface, eikonal; 5e1)
    exp(−α·|Φ|) → 0         everywhere (off the surface)       (off_surface,     weight 1e2, α = 100)
    max(−Φ, 0) = 0          on the cube's faces                 (outside,         weight 1e2)

each as the mean absolute value (the paper's L1; mean squares with ``norm="l2"``). Surface points
are a fresh mini-batch of the cloud each step; "everywhere" is uniform in the domain, a cube around
the cloud 10 % wider than its largest extent. The network maps the cube to [−1, 1]³, so Φ is in the
cloud's units; Φ and α are measured in units of the cube's half-width s (Φ/s, exp(−α|Φ|/s)) so the
paper's weights mean the same for a cloud in metres or in millimetres.

The last term is not the paper's: the cube is wider than the cloud, so its faces are outside the
surface, and saying so removes the spurious sheets of Φ < 0 that otherwise grow at the faces and
corners (where few samples fall) and leave a mesh with open pieces. Weight 0 turns it off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch

from ..constraints.problem import Problem
from ..derivatives.fields import Fields
from ..domains import Box
from ..domains.pointcloud import PointCloud
from ..domains.regions import Boundary, Interior, PointSet
from ._terms import Term, constraints_from_terms

__all__ = ["sdf", "SDF_WEIGHTS", "sdf_domain"]

SDF_WEIGHTS = {"surface": 3e3, "normal": 1e2, "eikonal:surface": 5e1, "eikonal": 5e1, "off_surface": 1e2,
               "outside": 1e2}
"""The paper's weights (its Section 4.2 and Appendix), and ours for ``outside``."""


def sdf_domain(cloud: PointCloud, margin: float = 0.1) -> Box:
    """The cube centred on the cloud's bounding box, its side the largest extent × (1 + margin)."""
    lo, hi = cloud.bounds()
    centre, half = (lo + hi) / 2, float(np.max(hi - lo)) / 2 * (1 + margin)
    if half <= 0:
        raise ValueError("the point cloud is a single point; an SDF needs a surface")
    return Box(tuple(centre - half), tuple(centre + half))


def sdf(
    cloud: PointCloud,
    *,
    alpha: float = 100.0,
    margin: float = 0.1,
    points: Mapping[str, int] | None = None,
    weights: Mapping[str, float] | None = None,
    exact: Callable[[torch.Tensor], torch.Tensor] | None = None,
    axes: tuple[str, str, str] = ("x", "y", "z"),
    norm: str = "l1",
) -> Problem:
    """Fit Φ to the surface sampled by ``cloud``; constraints are named as in :data:`SDF_WEIGHTS`.

    Args:
        cloud: the oriented points, in the user's units.
        alpha: the off-surface term's sharpness, in units of the cube's half-width.
        margin: how much wider than the cloud the cube is (0.1: 10 %).
        points: per-constraint samples per step; surface terms share one batch (default 5000),
            as do the two terms everywhere (default 5000); ``outside`` 1000 on the faces.
        weights: per-constraint weights, default :data:`SDF_WEIGHTS`.
        exact: an exact SDF, points (N, 3) → (N,), for measuring the error.
        axes: the coordinate names.
        norm: ``l1`` (the paper's mean absolute values) or ``l2`` (mean squares, which
            Levenberg–Marquardt steps need).
    """
    domain = sdf_domain(cloud, margin)
    scale = float(domain.hi[0] - domain.lo[0]) / 2
    surface = PointSet(torch.as_tensor(cloud.points), torch.as_tensor(cloud.normals))
    space = Interior(domain)
    terms: list[Term] = [
        ("surface", surface, lambda u: u.value[:, 0] / scale, 5000),
        ("normal", surface, _misalignment, 5000),
        ("eikonal:surface", surface, _eikonal, 5000),
        ("eikonal", space, _eikonal, 5000),
        ("off_surface", space, lambda u: torch.exp(-alpha * u.value[:, 0].abs() / scale), 5000),
        ("outside", Boundary(domain), lambda u: torch.relu(-u.value[:, 0]) / scale, 1000),
    ]
    points = dict(points or {})
    for group in (("surface", "normal", "eikonal:surface"), ("eikonal", "off_surface")):
        given = {points[n] for n in group if n in points}
        if len(given) > 1:  # one batch per region: its terms must agree on its size
            raise ValueError(f"{', '.join(group)} share their points; give them one count,"
                             f" found {sorted(given)}")
        count = given.pop() if given else 5000
        points.update({name: count for name in group})
    constraints = constraints_from_terms(terms, points, {**SDF_WEIGHTS, **dict(weights or {})}, norm)
    return Problem(domain, constraints, axes=tuple(axes), fields=("sdf",), exact=exact, kind="sdf")


def _misalignment(u: Fields) -> torch.Tensor:
    """1 − cos(∇Φ, n)."""
    g = u.gradient[:, 0]
    return 1 - torch.nn.functional.cosine_similarity(g, u.normals.to(g.dtype), dim=1)


def _eikonal(u: Fields) -> torch.Tensor:
    return u.gradient[:, 0].norm(dim=1) - 1
