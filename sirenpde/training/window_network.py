"""A marched window's network: the SIREN it starts from, and the box its inputs are mapped from.

The first window builds its network as configured (with the front input of
:mod:`sirenpde.model.front` when the march has one); every later window starts from a copy of the
previous window's trained network, its first layer refitted to the new, larger box (:func:`rebox`).
"""

from __future__ import annotations

import copy

import torch

from ..constraints.problem import Problem
from ..model.config import ModelConfig, build_model

__all__ = ["window_model", "rebox", "light_cone_box"]


def window_model(window: Problem, networks: list[torch.nn.Module], config: ModelConfig, seed: int,
                 front: dict | None) -> torch.nn.Module:
    """The first window's model as configured (with the ``front`` input, scaled like its space); a
    later one's network the previous window's. Either way its input box (the SIREN's ``lo``/``hi``)
    is :func:`light_cone_box` of the window — for a network carried over, with its first layer
    changed so that it is the same function of space (:func:`rebox`): the reach grows from window
    to window, and a network whose inputs were only rescaled would start as the old field stretched."""
    lo, hi = light_cone_box(window)
    if not networks:
        if front is not None:  # ρ in units of the first window's half-width, like its x
            front = {**front, "scale": float((hi - lo)[:-1].max()) / 2}
        network = build_model(window, config, seed=seed, front=front)
        with torch.no_grad():
            network.network.lo.copy_(torch.as_tensor(lo)), network.network.hi.copy_(torch.as_tensor(hi))
        return network
    network = window.ansatz(copy.deepcopy(networks[-1]).requires_grad_(True))
    rebox(network.network, lo, hi, window.domain.dim - 1)
    return network


def rebox(siren, lo: torch.Tensor, hi: torch.Tensor, kept: int) -> None:
    """Give ``siren`` the input box [lo, hi], its first layer changed so that it is the same
    function of its first ``kept`` inputs as before (the others are only mapped afresh; a front,
    in physical units, is untouched): with x̂ the normalised inputs, x̂_old = a·x̂_new + b, so
    W → W·diag(a) and the bias → bias + W·b."""
    with torch.no_grad():
        old_lo, old_hi = siren.lo.clone(), siren.hi.clone()
        lo, hi = (torch.as_tensor(v, dtype=old_lo.dtype, device=old_lo.device) for v in (lo, hi))
        a, b = (hi - lo) / (old_hi - old_lo), (lo + hi - old_lo - old_hi) / (old_hi - old_lo)
        a[kept:], b[kept:] = 1, 0
        mapped = siren.linears[0].weight[:, : len(a)]
        if siren.linears[0].bias is not None:  # without one, only the scale is kept
            siren.linears[0].bias += mapped @ b.to(mapped.dtype)
        mapped *= a.to(mapped.dtype)
        siren.lo.copy_(lo), siren.hi.copy_(hi)


def light_cone_box(window: Problem) -> tuple[torch.Tensor, torch.Tensor]:
    """The box a window's network maps to [−1, 1]: the domain's in space; in time, centred on the
    window and as long as the space's widest side takes the fastest wave to cross, so that the light
    cone is at 45° in the network's inputs and one first-layer frequency suits space and time
    alike (the window itself, mapped to [−1, 1], would turn every spatial frequency into one
    (width / c) / (t_{k+1} − t_k) times higher in time). Without a speed, the window's own box."""
    lo, hi = (torch.as_tensor(b, dtype=torch.float64).clone() for b in window.domain.bounds())
    if window.speed is None:
        return lo, hi
    middle, half = (lo[-1] + hi[-1]) / 2, float((hi[:-1] - lo[:-1]).max()) / 2 / window.speed
    lo[-1], hi[-1] = middle - half, middle + half
    return lo, hi
