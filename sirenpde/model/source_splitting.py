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


def ein(t: torch.Tensor) -> torch.Tensor:
    """Ein(t) = ∫₀ᵗ (1 − e^{−s})/s ds = E1(t) + ln t + γ, for t ≥ 0 (absolute error < 1e-9)."""
    small = t.clamp(max=_SWITCH)
    term, total = small, small
    for n in range(2, 30):  # Σ (−1)^{n+1} tⁿ/(n·n!)
        term = -term * small * (n - 1) / (n * n)
        total = total + term
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
        """Value (N, 2) and, for ``order=2``, the Jacobian (N, 2, d) and Hessian diagonal (N, 2, d)."""
        value = torch.zeros(x.shape[0], 2, dtype=x.dtype, device=x.device)
        jac = torch.zeros(x.shape[0], 2, x.shape[1], dtype=x.dtype, device=x.device)
        hess = torch.zeros_like(jac)
        a2 = self.width**2
        for c, amp, sigma in zip(self.centers, self.amplitudes, self.sigmas, strict=True):
            dx = x - torch.as_tensor(c, dtype=x.dtype, device=x.device)
            rho = (dx**2).sum(dim=1)  # r²; ψ is a function of r², differentiated through it
            t_s, t_a = rho / (2 * sigma**2), rho / (2 * a2)
            psi = (ein(t_s) - ein(t_a) - math.log(a2 / sigma**2)) / (4 * math.pi)
            parts = torch.tensor([amp.real, amp.imag], dtype=x.dtype, device=x.device)
            value = value + psi[:, None] * parts
            if order == 0:
                continue
            (d1s, d2s), (d1a, d2a) = _ein_derivatives(t_s), _ein_derivatives(t_a)
            psi_r = (d1s / (2 * sigma**2) - d1a / (2 * a2)) / (4 * math.pi)               # dψ/d(r²)
            psi_rr = (d2s / (4 * sigma**4) - d2a / (4 * a2**2)) / (4 * math.pi)          # d²ψ/d(r²)²
            grad = 2 * dx * psi_r[:, None]                                               # (N, d)
            second = 2 * psi_r[:, None] + 4 * dx**2 * psi_rr[:, None]
            jac = jac + parts[None, :, None] * grad[:, None, :]
            hess = hess + parts[None, :, None] * second[:, None, :]
        return (value,) if order == 0 else (value, jac, hess)


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
