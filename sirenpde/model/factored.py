"""A closed-form factor times the network: T = |x − x_s|·τ(x) for travel times from a point source.

A travel time is a cone at its source (∇T jumps direction there); a network fits it badly, but the
factor τ = T/|x − x_s| is smooth (1/c(x_s) at the source). The problem carries the factor; the
model multiplies it in, so everything downstream — constraints, grids, files — sees T itself.

τ is the exponential of the network's output: the Eikonal equation ‖∇T‖ = 1/c is also solved by
−T, and an unconstrained τ does converge to the negative branch; a positive τ rules it out (and
a slowness of any unit is a bias away from τ = e⁰ = 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .ansatz import NO_DATA, AbstractAnsatz, Groups, Jets

__all__ = ["DistanceFactor", "FactoredModel"]


class DistanceFactor(nn.Module):
    """|x − x_s|, (N, 1), for a source point x_s."""

    def __init__(self, source: Sequence[float]):
        super().__init__()
        self.register_buffer("source", torch.as_tensor([float(v) for v in source], dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != self.source.shape[0]:
            raise ValueError(f"points have {x.shape[1]} coordinates but the source has"
                             f" {self.source.shape[0]}")
        return torch.linalg.vector_norm(x - self.source.to(x.dtype), dim=1, keepdim=True)

    def description(self) -> dict:
        """What rebuilds it (stored with results)."""
        return {"kind": "distance", "source": self.source.tolist()}

    @staticmethod
    def from_description(description: dict) -> DistanceFactor:
        if description.get("kind") != "distance":
            raise ValueError(f"unknown factor {description.get('kind')!r}")
        return DistanceFactor(description["source"])


class FactoredModel(AbstractAnsatz):
    """``factor(x) · exp(network(x))``: the network learns log τ of the smooth, positive factor τ.

    Only autograd differentiates it: the forward engine has no jets for the factored form.
    """

    kind = "factor"
    forward_engine = False

    def __init__(self, network: nn.Module, factor: DistanceFactor):
        super().__init__()
        self.network, self.factor = network, factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.factor(x) * torch.exp(self.network(x))

    def jets(self, network_jets: Jets, x: torch.Tensor, groups: Groups, data: Mapping = NO_DATA) -> Jets:
        raise NotImplementedError("the forward derivative engine does not differentiate the factored"
                                  " form; use derivatives='autograd'")

    def description(self) -> dict:
        return self.factor.description()

    @classmethod
    def from_description(cls, network: nn.Module, description: dict) -> FactoredModel:
        return cls(network, DistanceFactor.from_description(description))
