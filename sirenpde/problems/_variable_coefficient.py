"""A coefficient that varies in space, as the divergence form −∇·(κ∇u) needs it: its gradient at a
batch's points, and the check that it is positive.

A gridded κ differentiates its own interpolant (:meth:`~sirenpde.domains.media.GriddedMedium.gradient`):
autograd cannot see through the table look-up. An expression or a Python callable of the points is
differentiated by ``torch.func.grad`` of Σκ, which is ∇κ at each point because κ is pointwise. A
function transform rather than ``torch.autograd.grad``: inside Levenberg–Marquardt's vmap/jacrev the
points are not a leaf that requires grad, and the transform works there as in an ordinary step.
"""

from __future__ import annotations

import numpy as np
import torch

from ..domains import AbstractDomain, UniformSampler
from ..domains.media import GriddedMedium
from ..expressions.coefficients import Coefficient

__all__ = ["coefficient_gradient", "check_positive"]

_CHECK_POINTS = 4096


def coefficient_gradient(kappa: Coefficient, x: torch.Tensor) -> torch.Tensor:
    """∇κ at points (N, d), shape (N, d). A callable must be differentiable by torch (one that
    detaches its input would read as constant)."""
    if isinstance(kappa, (int, float)):
        return torch.zeros_like(x)
    if isinstance(kappa, GriddedMedium):
        return kappa.gradient(x)
    # .to: a comparison such as (x > 0.5) is a bool tensor, which cannot be differentiated.
    return torch.func.grad(lambda p: kappa(p).to(p.dtype).sum())(x)


def check_positive(kappa: Coefficient, domain: AbstractDomain, axes: tuple[str, ...], seed: int = 0) -> None:
    """Raise ValueError unless κ is real and positive: every sample of a gridded κ, or κ at a few
    thousand points drawn uniformly in ``domain`` (a fixed ``seed``, so a check is repeatable).
    A cubic interpolant may still dip a little below its smallest sample between nodes."""
    if isinstance(kappa, complex):
        raise ValueError(f"the coefficient κ must be real and positive; found {kappa}")
    if isinstance(kappa, (int, float)):
        if not kappa > 0:
            raise ValueError(f"the coefficient κ must be positive; found {kappa}")
        return
    if isinstance(kappa, GriddedMedium):
        smallest = kappa.values.min()
        if not smallest > 0:
            index = [int(i) for i in np.unravel_index(int(kappa.values.argmin()), kappa.values.shape)]
            raise ValueError(f"the coefficient κ must be positive; the grid's smallest sample is {smallest:g}"
                             f" (at index {index})")
        return
    sampler = UniformSampler(torch.Generator().manual_seed(seed), torch.device("cpu"), torch.float64)
    x = domain.sample_interior(_CHECK_POINTS, sampler)
    with torch.no_grad():
        values = kappa(x)
    if values.shape != (len(x),):
        raise ValueError(f"the coefficient must map points (N, {x.shape[1]}) to values (N,); for N = {len(x)}"
                         f" it returned shape {tuple(values.shape)}")
    if values.is_complex():
        raise ValueError("the coefficient κ must be real and positive; it is complex")
    bad = ~(values.to(x.dtype) > 0)  # NaN counts as bad
    if bad.any():
        j = int(bad.nonzero()[0, 0])
        where = ", ".join(f"{a} = {float(v):.4g}" for a, v in zip(axes, x[j], strict=True))
        raise ValueError(f"the coefficient κ must be positive; it is {float(values[j]):g} at {where}"
                         f" ({int(bad.sum())} of {len(x)} points drawn in the domain)")
