"""Residual-based adaptive distribution (RAD): a scored candidate pool, and draws from it.

Wu, Zhu, Tan, Kartha & Lu, "A comprehensive study of non-adaptive and residual-based adaptive
sampling for physics-informed neural networks" (CMAME 2023). With ε(x) ≥ 0 a point's penalty,

    p(x) ∝ ε(x)^k / mean_pool(ε^k) + c,

so c sets the floor of the uniform part (c = 1: at least half the mass is spread evenly when ε is
flat, never less than c/(1 + c) of a uniform draw's density), and k sharpens the preference for
large residuals. The pool is refreshed every ``every`` Adam steps; in between, each step's points
are ``torch.multinomial(p, n, replacement=True)`` with the run's generator, so one pool serves many
steps at the cost of one forward pass over it (chunked by ``points``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .batch import Batch

__all__ = ["RadPool", "Scorer", "rad_probabilities"]

Scorer = Callable[[Batch], torch.Tensor]
"""Maps a batch to each point's penalty Σ_m w_m ‖C_m(x)‖ over the batch's constraints, (N,), no grad."""


def rad_probabilities(penalty: torch.Tensor, k: float, c: float) -> torch.Tensor:
    """``p = (ε^k / mean(ε^k) + c) / Σ(…)`` for penalties ε (P,), in float64.

    A non-finite penalty counts 0 (a diverging point must not take the whole pool), and an all-zero
    ε^k is uniform rather than 0/0.
    """
    eps = torch.where(torch.isfinite(penalty), penalty, 0.0).to(torch.float64).clamp_min(0.0)
    e = eps**k
    mean = e.mean()
    relative = torch.where(mean > 0, e / mean.clamp_min(torch.finfo(torch.float64).tiny), 1.0)
    p = relative + c
    return p / p.sum()


@dataclass(frozen=True, eq=False)
class RadPool:
    """A scored candidate pool: ``batch`` (P points, its normals and data) and its probabilities (P,)."""

    batch: Batch
    probabilities: torch.Tensor

    @classmethod
    def scored(cls, batch: Batch, score: Scorer, k: float, c: float, chunk: int) -> RadPool:
        """Score ``batch`` in chunks of ``chunk`` points (one training step's memory) and keep it."""
        n = batch.x.shape[0]
        parts = [score(_rows(batch, slice(i, min(i + chunk, n)))) for i in range(0, n, chunk)]
        return cls(batch, rad_probabilities(torch.cat(parts), k, c))

    def draw(self, n: int, generator: torch.Generator, replacement: bool = True) -> Batch:
        """``n`` points drawn from the pool with probability ``p``, with replacement or without (then
        ``n`` must not exceed the pool)."""
        p = self.probabilities.to(generator.device)
        index = torch.multinomial(p, n, replacement=replacement, generator=generator).to(self.batch.x.device)
        return _rows(self.batch, index)

    def state(self) -> dict:
        b = self.batch
        return {"x": b.x, "normals": b.normals, "data": dict(b.data), "p": self.probabilities}

    @classmethod
    def from_state(cls, state: dict, template: Batch) -> RadPool:
        """The pool of a :meth:`state`, for the constraints and region of ``template``."""
        x = state["x"].to(device=template.x.device)
        normals = None if state["normals"] is None else state["normals"].to(x)
        data = {k: v.to(x.device) for k, v in state["data"].items()}
        batch = dataclasses.replace(template, x=x, normals=normals, data=data)
        return cls(batch, state["p"].to(x.device))


def _rows(batch: Batch, index: slice | torch.Tensor) -> Batch:
    """The batch restricted to some of its points (a slice or an index tensor)."""
    return dataclasses.replace(
        batch, x=batch.x[index], normals=None if batch.normals is None else batch.normals[index],
        data={k: v[index] for k, v in batch.data.items()},
    )
