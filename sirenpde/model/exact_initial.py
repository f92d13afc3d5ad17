"""Exact initial conditions: u = g(x) + τ·h(x) + τ²·N(x, t), τ = t − t0 (time the last coordinate).

Lagaris et al. (1998). At t = t0, u = g and u_t = h whatever the network N is, so the initial-value
and initial-velocity terms of the loss are identically zero and are dropped. A first-order problem
(no velocity) takes u = g(x) + τ·N. The initial data are evaluated at (x, t0), so an expression that
mentions t sees t0, as the soft initial terms do.
"""

from __future__ import annotations

import torch

from .lifted import AbstractLift, LiftedModel
from .stored_values import Value, as_channels, value_description, value_from_description

__all__ = ["ExactInitialModel", "InitialLift"]


class InitialLift(AbstractLift):
    """A = g + τ·h (or g), B = τ² (or τ), on one real field.

    Args:
        t0: the initial time.
        value: g (a number, a storable expression, or a callable of the space-time points).
        velocity: h; ``None`` for a first-order problem (u = g + τ·N).
    """

    def __init__(self, t0: float, value: Value, velocity: Value | None = None):
        super().__init__()
        self.t0, self.value, self.velocity = float(t0), value, velocity

    def _at_t0(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tau = x[:, -1] - self.t0
        return torch.cat([x[:, :-1], torch.full_like(x[:, -1:], self.t0)], dim=1), tau

    def offset(self, x: torch.Tensor) -> torch.Tensor:
        start, tau = self._at_t0(x)
        g = as_channels(self.value, start, 1)
        return g if self.velocity is None else g + tau[:, None] * as_channels(self.velocity, start, 1)

    def factor(self, x: torch.Tensor) -> torch.Tensor:
        tau = x[:, -1] - self.t0
        return tau if self.velocity is None else tau**2

    def description(self) -> dict:
        velocity = None if self.velocity is None else value_description(self.velocity)
        return {"t0": self.t0, "value": value_description(self.value), "velocity": velocity}

    @classmethod
    def from_description(cls, description: dict) -> InitialLift:
        velocity = description.get("velocity")
        return cls(description["t0"], value_from_description(description["value"]),
                   None if velocity is None else value_from_description(velocity))


class ExactInitialModel(LiftedModel):
    """``g + τ·h + τ²·network`` (see :class:`InitialLift`)."""

    kind = "exact_initial"
    lift_type = InitialLift
