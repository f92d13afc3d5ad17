"""Source splitting: the steep static part of each point source's field in closed form.

A Gaussian point source of standard deviation σ (0.01 in the SIREN paper) makes the field steep on
the scale σ, and a network fitting the residual pointwise finds it cheaper to build a local bump that
does not radiate than the outgoing wave (measured: relative L2 ≈ 0.9 on the paper's problem). As in
classical solvers' singularity subtraction, the solution is written

    u = Σ_s A_s·ψ_s(x − c_s) + network(x),   ψ(x) = [Ein(r²/2σ²) − Ein(r²/2a²) − ln(a²/σ²)] / 4π

in 2-D, with Ein(t) = ∫₀ᵗ (1 − e^{−s})/s ds. Then Δψ = N_σ − N_a exactly (unit-mass Gaussians of
widths σ and a) and ψ vanishes like a Gaussian beyond a, so the network sees the same PDE with the
source smeared to width a (2/k by default, about a third of a wavelength) plus the smooth term −k²·A·ψ —
and still has to produce the whole outgoing wave. Nothing is approximated: u is the same function, the
PDE is the same, only the part the network must learn is easier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .ansatz import NO_DATA, AbstractAnsatz, Groups, Jets
from .siren import SIREN

__all__ = ["SourceSplitting", "SplitModel", "ein"]

_EULER = 0.5772156649015329
# Abramowitz & Stegun 5.1.54: x·eˣ·E1(x) as a rational function, |error| < 2e-8 for x ≥ 1.
_NUM = (8.5733287401, 18.0590169730, 8.6347608925, 0.2677737343)
_DEN = (9.5733223454, 25.6329561486, 21.0996530827, 3.9584969228)
_SWITCH = 2.0  # the series below, E1's rational form above
# Ein(t) = Σ_{n≥1} (−1)^{n+1} tⁿ/(n·n!): twenty terms leave less than 1e-13 at t = 2.
_SERIES = tuple((-1) ** (n + 1) / (n * math.factorial(n)) for n in range(1, 21))


def ein(t: torch.Tensor) -> torch.Tensor:
    """Ein(t) = ∫₀ᵗ (1 − e^{−s})/s ds = E1(t) + ln t + γ, for t ≥ 0 (absolute error < 1e-9)."""
    small = t.clamp(max=_SWITCH)
    total = torch.full_like(small, _SERIES[-1])
    for c in reversed(_SERIES[:-1]):  # Horner's rule: two operations a term
        total = total * small + c
    total = total * small
    big = t.clamp(min=_SWITCH)
    num = (((big + _NUM[0]) * big + _NUM[1]) * big + _NUM[2]) * big + _NUM[3]
    den = (((big + _DEN[0]) * big + _DEN[1]) * big + _DEN[2]) * big + _DEN[3]
    return torch.where(t < _SWITCH, total, torch.log(big) + _EULER + torch.exp(-big) / big * num / den)


def _ein_derivatives(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Ein'(t) = (1 − e^{−t})/t and Ein''(t) = (t·e^{−t} − 1 + e^{−t})/t², stable at small t."""
    tiny = t < 1e-3
    s = torch.where(tiny, torch.ones_like(t), t)
    first = torch.where(tiny, 1 - t / 2 + t**2 / 6, -torch.expm1(-s) / s)
    second = torch.where(tiny, -0.5 + t / 3 - t**2 / 8, (s * torch.exp(-s) + torch.expm1(-s)) / s**2)
    return first, second


class SourceSplitting(nn.Module):
    """Σ_s A_s·ψ_s for 2-D Gaussian point sources, as interleaved (re, im) channels (N, 2).

    Args:
        centers: one (x, y) per source.
        amplitudes: complex A_s.
        sigmas: each source's standard deviation σ_s.
        width: a, the width the network sees the sources smeared to (a > σ_s).
    """

    def __init__(self, centers: Sequence[Sequence[float]], amplitudes: Sequence[complex],
                 sigmas: Sequence[float], width: float):
        super().__init__()
        if any(len(c) != 2 for c in centers):
            raise ValueError("source splitting is implemented for 2-D problems; set split_sources: false")
        if not all(width > s > 0 for s in sigmas):
            raise ValueError(f"the splitting width must exceed every source's sigma; found width={width},"
                             f" sigmas={list(sigmas)}")
        self.centers = [tuple(float(v) for v in c) for c in centers]
        self.amplitudes = [complex(a) for a in amplitudes]
        self.sigmas = [float(s) for s in sigmas]
        self.width = float(width)

    def description(self) -> dict:
        """A JSON-able record from which :meth:`from_description` rebuilds this object."""
        return dict(centers=self.centers, amplitudes=[[a.real, a.imag] for a in self.amplitudes],
                    sigmas=self.sigmas, width=self.width)

    @classmethod
    def from_description(cls, d: dict) -> SourceSplitting:
        return cls(d["centers"], [complex(re, im) for re, im in d["amplitudes"]], d["sigmas"], d["width"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.jets(x, order=0)[0]

    def jets(self, x: torch.Tensor, order: int = 2) -> tuple[torch.Tensor, ...]:
        """Value (N, 2) and, for ``order=2``, the Jacobian (N, 2, d) and Hessian diagonal (N, 2, d).

        Every source at once, as columns: the number of operations does not grow with the number of
        sources (a loop over them launched the same small kernels again for each)."""
        like = dict(dtype=x.dtype, device=x.device)
        count, a2 = len(self.centers), self.width**2
        dx = x[:, None, :] - torch.as_tensor(self.centers, **like)  # (N, S, d)
        rho = (dx**2).sum(dim=2)  # r²; ψ is a function of r², differentiated through it
        over_s = torch.as_tensor([1 / (2 * s**2) for s in self.sigmas], **like)  # t_s = r²/(2σ²)
        t = torch.cat([rho * over_s, rho / (2 * a2)], dim=1)  # (N, 2S): t_s, then t_a
        logs = torch.as_tensor([math.log(a2 / s**2) for s in self.sigmas], **like)
        e = ein(t)
        psi = (e[:, :count] - e[:, count:] - logs) / (4 * math.pi)  # (N, S)
        parts = torch.as_tensor([[a.real, a.imag] for a in self.amplitudes], **like)  # (S, 2)
        value = psi @ parts
        if order == 0:
            return (value,)
        d1, d2 = _ein_derivatives(t)
        psi_r = (d1[:, :count] * over_s - d1[:, count:] / (2 * a2)) / (4 * math.pi)  # dψ/d(r²)
        psi_rr = (d2[:, :count] * over_s**2 - d2[:, count:] / (4 * a2**2)) / (4 * math.pi)  # d²ψ/d(r²)²
        grad = 2 * dx * psi_r[:, :, None]  # (N, S, d)
        second = 2 * psi_r[:, :, None] + 4 * dx**2 * psi_rr[:, :, None]
        return value, torch.einsum("nsd,sc->ncd", grad, parts), torch.einsum("nsd,sc->ncd", second, parts)


class SplitModel(AbstractAnsatz):
    """A SIREN plus the closed-form :class:`SourceSplitting` part: ``u = known(x) + network(x)``."""

    kind = "source_splitting"
    forward_engine = True

    def __init__(self, network: SIREN, known: SourceSplitting):
        super().__init__()
        self.network, self.known = network, known

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x) + self.known(x.to(self.network.linears[0].weight.dtype))

    def jets(self, network_jets: Jets, x: torch.Tensor, groups: Groups, data: Mapping = NO_DATA) -> Jets:
        """The network's jets plus the known part's, in closed form."""
        value, jac, second = network_jets
        known_value, known_jac, known_hess = self.known.jets(x.to(value.dtype))
        known_second = torch.stack([known_hess[:, :, list(axes)].sum(dim=2) for axes in groups], dim=2)
        return value + known_value, jac + known_jac, second + known_second

    def description(self) -> dict:
        return self.known.description()

    @classmethod
    def from_description(cls, network: SIREN, description: dict) -> SplitModel:
        return cls(network, SourceSplitting.from_description(description))
