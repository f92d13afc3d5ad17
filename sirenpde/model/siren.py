"""Sine activations, the SIREN network and its initialisers.

Sitzmann et al. (2020), "Implicit Neural Representations with Periodic Activation Functions".
The constructor follows the `siren-torch` signature users already know; the default initialiser is
the paper's, which keeps the input of every sine distributed like N(0, 1) at any depth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .front import FrontDistance

__all__ = ["SIREN", "Sine", "siren_uniform_", "INITIALIZERS"]


class Sine(nn.Module):
    """Elementwise ``sin(w0 * x)``."""

    def __init__(self, w0: float = 1.0):
        super().__init__()
        self.w0 = float(w0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.w0 * x)

    def extra_repr(self) -> str:
        return f"w0={self.w0:g}"


def siren_uniform_(tensor: torch.Tensor, mode: str = "fan_in", c: float = 6) -> torch.Tensor:
    """Fill ``tensor`` in place from U(-sqrt(c / fan), +sqrt(c / fan)), as in `siren-torch`.

    Args:
        tensor: a weight of shape (out_features, in_features).
        mode: ``"fan_in"`` (keeps forward activations stable) or ``"fan_out"``.
        c: the constant in the bound; 6 gives unit-variance pre-activations after a sine.
    """
    fan = nn.init._calculate_correct_fan(tensor, mode)
    bound = math.sqrt(c / fan)
    with torch.no_grad():
        return tensor.uniform_(-bound, bound)


def _init_paper(linears: Sequence[nn.Linear], w0: float, w0_initial: float, c: float) -> None:
    # First layer U(-1/n, 1/n): times w0_initial it spans a few periods over [-1, 1].
    # Later layers U(-sqrt(c/n)/w0, sqrt(c/n)/w0): w0 * W h is then ~N(0, 1) for h = sin(N(0, 1)).
    # Hidden biases are scaled by 1/w0 too: PyTorch's default U(±1/sqrt(n)) times w0 = 30 would add
    # variance w0²/(3n) to each sine's input (std 1.47 instead of 1 at n = 256). The first layer's
    # bias keeps the default: there it only spreads the phases.
    first, *rest = linears
    with torch.no_grad():
        fan = first.weight.shape[1]
        first.weight.uniform_(-1.0 / fan, 1.0 / fan)
        for layer in rest:
            n = layer.weight.shape[1]
            layer.weight.uniform_(-math.sqrt(c / n) / w0, math.sqrt(c / n) / w0)
            if layer.bias is not None:
                layer.bias.uniform_(-1.0 / math.sqrt(n) / w0, 1.0 / math.sqrt(n) / w0)


def _init_siren_torch(linears: Sequence[nn.Linear], w0: float, w0_initial: float, c: float) -> None:
    # The `siren-torch` package: U(-sqrt(c/n), sqrt(c/n)) for every layer, whatever w0 is.
    for layer in linears:
        siren_uniform_(layer.weight, mode="fan_in", c=c)


def _init_torch_default(linears: Sequence[nn.Linear], w0: float, w0_initial: float, c: float) -> None:
    """Leave PyTorch's default Linear initialisation (for ablations)."""


INITIALIZERS = {
    "siren": _init_paper,
    "siren-torch": _init_siren_torch,
    "pytorch": _init_torch_default,
}
"""Initialiser names: ``siren`` is the paper's scheme (default), ``siren-torch`` the package's."""


class SIREN(nn.Module):
    """A multilayer perceptron with sine activations.

    ``x -> sin(w0_initial (W0 x + b0)) -> sin(w0 (W1 h + b1)) -> ... -> W_L h + b_L`` (linear output).

    Args:
        layers: hidden widths, e.g. ``[64, 64, 64]`` (one sine layer each).
        in_features: input dimension d.
        out_features: output channels c (a complex field uses two).
        w0: frequency factor of the hidden layers.
        w0_initial: frequency factor of the first layer.
        bias: whether the linear layers have biases.
        initializer: a key of :data:`INITIALIZERS`; ``"siren"`` (the paper's) by default.
        c: the constant of the uniform bound.
        bounds: optional ``(lo, hi)`` of the problem's bounding box; inputs are mapped affinely to
            [-1, 1]^d inside the model so the domain can be in any units.
        front: optional arguments of a :class:`~sirenpde.model.front.FrontDistance`, fed to the
            first layer as one more input after the d mapped ones (space-time inputs only).

    Shapes: input (N, d), output (N, c).
    """

    def __init__(
        self,
        layers: Sequence[int],
        in_features: int,
        out_features: int,
        w0: float = 1.0,
        w0_initial: float = 30.0,
        bias: bool = True,
        initializer: str = "siren",
        c: float = 6,
        *,
        bounds: tuple[Sequence[float], Sequence[float]] | None = None,
        front: Mapping | None = None,
    ):
        super().__init__()
        widths = [int(w) for w in layers]
        if not widths or min(widths) < 1 or in_features < 1 or out_features < 1:
            raise ValueError(
                f"SIREN needs at least one hidden layer and positive sizes; found layers={list(layers)},"
                f" in_features={in_features}, out_features={out_features}"
            )
        if initializer not in INITIALIZERS:
            raise ValueError(
                f"unknown initializer {initializer!r}; expected one of {', '.join(INITIALIZERS)}"
            )
        self.hparams = dict(
            layers=widths, in_features=int(in_features), out_features=int(out_features),
            w0=float(w0), w0_initial=float(w0_initial), bias=bool(bias),
            initializer=initializer, c=float(c),
        )
        # The front (if any) is one more input of the first layer, after the mapped coordinates.
        self.front = None if front is None else FrontDistance(**front)
        if self.front is not None:
            self.hparams["front"] = self.front.description
        sizes = [int(in_features) + (self.front is not None), *widths, int(out_features)]
        self.linears = nn.ModuleList(
            nn.Linear(a, b, bias=bias) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.w0s = [float(w0_initial)] + [float(w0)] * (len(widths) - 1)
        INITIALIZERS[initializer](list(self.linears), float(w0), float(w0_initial), float(c))
        lo, hi = _bounds_tensors(bounds, int(in_features))
        self.register_buffer("lo", lo)
        self.register_buffer("hi", hi)

    @property
    def in_features(self) -> int:
        return self.hparams["in_features"]

    @property
    def out_features(self) -> int:
        return self.hparams["out_features"]

    def mapped(self, x: torch.Tensor) -> torch.Tensor:
        """Physical points (N, d) mapped affinely from the bounding box to [-1, 1]^d, in x's dtype."""
        return 2.0 * (x - self.lo) / (self.hi - self.lo) - 1.0

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """The first layer's input: :meth:`mapped` (and the front appended), in its dtype."""
        h = self.mapped(x)
        if self.front is not None:
            h = torch.cat([h, self.front(x).to(h.dtype)], dim=1)
        return h.to(self.linears[0].weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.normalize(x)
        for layer, w0 in zip(self.linears[:-1], self.w0s, strict=True):
            h = torch.sin(w0 * layer(h))
        return self.linears[-1](h)

    def preactivations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The argument of every sine, ``w0 * (W h + b)``, layer by layer (for diagnostics)."""
        h, out = self.normalize(x), []
        for layer, w0 in zip(self.linears[:-1], self.w0s, strict=True):
            z = w0 * layer(h)
            out.append(z)
            h = torch.sin(z)
        return out


def _bounds_tensors(bounds, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    if bounds is None:
        return -torch.ones(d, dtype=torch.float64), torch.ones(d, dtype=torch.float64)
    lo = torch.as_tensor(bounds[0], dtype=torch.float64).reshape(-1)
    hi = torch.as_tensor(bounds[1], dtype=torch.float64).reshape(-1)
    if lo.numel() != d or hi.numel() != d or not bool(torch.all(hi > lo)):
        raise ValueError(
            f"bounds must be two length-{d} sequences with lo < hi; found lo={lo.tolist()}, hi={hi.tolist()}"
        )
    return lo, hi
