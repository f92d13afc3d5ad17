"""Unknowns: what an inverse problem learns besides the solution — scalars and coefficient fields.

A wave speed ``c`` or a diffusion coefficient ``ν`` fitted to measurements is a scalar unknown; a
spatially varying medium ``m(x)`` (the paper's full-waveform inversion) is a field unknown, a network
of its own. Residuals read them at every evaluation (``unknowns.scalar("c")``,
``unknowns.field("m", x)``), by attribute, so that :func:`~sirenpde.train` can fit them with the
solution's network and checkpoint them with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["Unknowns"]


class Unknowns(nn.Module):
    """Learnable scalars and coefficient networks, trained together with the solution's network.

    Args:
        scalars: name → initial value.
        fields: name → network mapping points (N, d) to values (N, 1).
        exact: name → the true value of a scalar, when known (synthetic data): the solution then
            reports the recovered value's relative error.
        positive: names of scalars kept positive: learnt as log values (a speed, a viscosity), which
            also makes their steps relative rather than absolute.
    """

    def __init__(
        self,
        scalars: Mapping[str, float] | None = None,
        fields: Mapping[str, nn.Module] | None = None,
        exact: Mapping[str, float] | None = None,
        positive: tuple[str, ...] = (),
    ):
        super().__init__()
        scalars, fields, exact = dict(scalars or {}), dict(fields or {}), dict(exact or {})
        clash = set(scalars) & set(fields)
        if clash:
            raise ValueError(f"unknowns {sorted(clash)} are both a scalar and a field; rename one")
        stray = (set(exact) | set(positive)) - set(scalars)
        if stray:
            raise ValueError(f"exact/positive name {sorted(stray)}, which are not scalar unknowns"
                             f" ({', '.join(scalars) or 'none'})")
        for name in positive:
            if not scalars[name] > 0:
                raise ValueError(f"unknown {name!r} is positive but starts at {scalars[name]}; start above 0")
        self.positive = tuple(positive)
        self.initial = {k: float(v) for k, v in scalars.items()}
        self.exact = {k: float(v) for k, v in exact.items()}
        self.scalars = nn.ParameterDict({
            k: nn.Parameter(torch.tensor(math.log(v) if k in positive else float(v), dtype=torch.float64))
            for k, v in scalars.items()})
        self.fields = nn.ModuleDict(fields)

    def scalar(self, name: str) -> torch.Tensor:
        """The scalar's current value, a 0-d tensor that gradients flow through."""
        p = self.scalars[name]
        return p.exp() if name in self.positive else p

    def field(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """The coefficient network ``name`` at points (N, d), as (N,)."""
        return self.fields[name](x)[:, 0]

    def values(self) -> dict[str, float]:
        """Every scalar's current value."""
        return {name: float(self.scalar(name).detach()) for name in self.scalars}

    def report(self) -> dict[str, dict[str, float]]:
        """Per scalar: its value, initial value and, when the exact value is known, that value and
        the relative error |value − exact| / |exact|."""
        out = {}
        for name, value in self.values().items():
            entry = {"value": value, "initial": self.initial[name]}
            if name in self.exact:
                exact = self.exact[name]
                error = abs(value - exact) / abs(exact) if exact else math.nan
                entry.update(exact=exact, relative_error=error)
            out[name] = entry
        return out
