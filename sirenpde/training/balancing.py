"""Loss balancing: a multiplier λ_m per constraint, so the Adam total is ``Σ_m w_m · λ_m · L_m``.

``training.balance`` chooses how the λ_m move (all start at 1, so the constraints' own weights w_m
are the starting point):

* ``fixed`` — λ_m = 1 throughout: the plain weighted loss, computed exactly as without balancing.
* ``gradnorm`` — learning-rate annealing (Wang, Teng & Perdikaris 2021, "Understanding and
  mitigating gradient flow pathologies in physics-informed neural networks", Algorithm 1). Every
  ``balance_every`` Adam steps (from step 0), with the first constraint r as the reference (its λ
  stays 1; put the PDE residual first),

      λ̂_m = max_θ |∇_θ (w_r L_r)| / mean_θ |∇_θ (w_m L_m)|,   λ_m ← (1 − α)·λ_m + α·λ̂_m,

  over the network's weights θ, with α = ``balance_alpha`` (0.1: the paper's 0.9 on the old value).
  The balanced term's mean gradient is then as large as the reference's largest one. A term whose
  gradient vanishes (or is not finite) keeps its λ. Costs one extra backward pass per constraint
  every ``balance_every`` steps.
* ``adaptive`` — self-adaptive weights (McClenny & Braga-Neto's idea at the constraint level, since
  the points are fresh every step): after every Adam step the λ_m take a normalised gradient
  *ascent* step on the total. ∂(total)/∂λ_m = w_m·L_m; divided by the unbalanced total it becomes the
  term's share g_m = w_m L_m / Σ_j w_j L_j (so the learning rate is scale free), and the sum M of
  the λ_m is kept by renormalising:

      λ_m ← M · (λ_m + η·g_m) / Σ_j (λ_j + η·g_j) = (λ_m + η·g_m) · M / (M + η),

  η = ``balance_lr``. The fixed point is λ_m = M·g_m: the terms that are hardest to satisfy get the
  weight, with the total weight unchanged. A step with a non-finite loss leaves λ unchanged.

Balancing acts on the Adam phase only, as causal weighting does: Levenberg–Marquardt, L-BFGS and
the validation loss (which picks the best iterate) use the plain weighted loss. The λ of every Adam
step is recorded (``weight/<name>`` in the history) and checkpointed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..constraints.constraint import AbstractConstraint

__all__ = ["Balancer", "FixedBalance", "GradNormBalance", "AdaptiveBalance", "BALANCERS", "BalanceSettings",
           "make_balancer"]


class Balancer(ABC):
    """Combines the constraints' Adam terms into the total, with multipliers it may learn."""

    @abstractmethod
    def total(self, step: int, terms: Sequence[torch.Tensor],
              parameters: Sequence[torch.Tensor]) -> torch.Tensor:
        """The total ``Σ_m w_m λ_m T_m`` of Adam step ``step`` (0-based) from the constraints' scalar
        terms ``T_m`` (in constraint order, with their graphs); ``parameters``: the network's weights."""

    def state(self) -> dict:
        """What a checkpoint keeps."""
        return {}

    def load_state(self, state: dict) -> None:  # noqa: B027 (most balancers keep nothing)
        """Continue from a :meth:`state`."""

    def history(self, steps: int) -> dict:
        """``weight/<name>``: λ at each of the first ``steps`` Adam steps (empty when λ never moves)."""
        return {}

    @abstractmethod
    def effective_weights(self) -> list[float]:
        """``w_m λ_m`` now, in constraint order: the weight each term enters the total with."""


def _weighted(weights: Sequence[float], terms: Sequence[torch.Tensor]) -> torch.Tensor:
    return sum(w * t for w, t in zip(weights, terms, strict=True))


class FixedBalance(Balancer):
    """λ_m = 1: ``Σ_m w_m T_m``, the same operations in the same order as without a balancer."""

    def __init__(self, weights: Sequence[float]):
        self.weights = [float(w) for w in weights]

    def total(self, step, terms, parameters):
        return _weighted(self.weights, terms)

    def effective_weights(self) -> list[float]:
        return list(self.weights)


class _Multipliers:
    """λ (M,) in float64 on the training device, and its record over the Adam steps."""

    def __init__(self, names: Sequence[str], steps: int, device: torch.device):
        self.names = list(names)
        self.lambdas = torch.ones(len(names), dtype=torch.float64, device=device)
        self.record = torch.ones(steps, len(names), dtype=torch.float64, device=device)

    def total(self, step: int, weights: Sequence[float], terms: Sequence[torch.Tensor]) -> torch.Tensor:
        if step < self.record.shape[0]:
            self.record[step] = self.lambdas
        lam = self.lambdas.to(terms[0].dtype)
        return _weighted(weights, [lam[m] * t for m, t in enumerate(terms)])

    def state(self) -> dict:
        return {"lambdas": self.lambdas.cpu(), "record": self.record.cpu()}

    def load_state(self, state: dict) -> None:
        self.lambdas = state["lambdas"].to(self.lambdas.device)
        self.record = state["record"].to(self.record.device)

    def history(self, steps: int) -> dict:
        rows = self.record[: min(steps, self.record.shape[0])].cpu().numpy()
        return {f"weight/{n}": rows[:, m] for m, n in enumerate(self.names)}


class _Learnt(Balancer, ABC):
    """What the two learning balancers share: the weights, λ and its record."""

    def __init__(self, constraints: Sequence[AbstractConstraint], steps: int, device: torch.device):
        self.weights = [float(c.weight) for c in constraints]
        self.multipliers = _Multipliers([c.name for c in constraints], steps, device)

    def state(self) -> dict:
        return self.multipliers.state()

    def load_state(self, state: dict) -> None:
        self.multipliers.load_state(state)

    def history(self, steps: int) -> dict:
        return self.multipliers.history(steps)

    def effective_weights(self) -> list[float]:
        return [w * lam for w, lam in zip(self.weights, self.multipliers.lambdas.tolist(), strict=True)]


class GradNormBalance(_Learnt):
    """Learning-rate annealing of Wang, Teng & Perdikaris (see the module docstring).

    Args:
        constraints: the problem's constraints; the first is the reference and needs a weight > 0.
        steps: the Adam steps (the length of the record).
        device: the training device.
        every: Adam steps between updates.
        alpha: the update's rate α, 0 < α ≤ 1.
    """

    def __init__(self, constraints, steps, device, every: int = 100, alpha: float = 0.1):
        super().__init__(constraints, steps, device)
        if not self.weights[0] > 0:
            raise ValueError(f"balance: gradnorm scales every term against the first constraint,"
                             f" {constraints[0].name!r}, whose weight is {self.weights[0]:g}; give it a"
                             " weight > 0 or put another constraint first")
        self.every, self.alpha = int(every), float(alpha)

    def total(self, step, terms, parameters):
        if step % self.every == 0 and len(terms) > 1:
            self._anneal(terms, list(parameters))
        return self.multipliers.total(step, self.weights, terms)

    def _anneal(self, terms: Sequence[torch.Tensor], parameters: list[torch.Tensor]) -> None:
        reference = _abs_gradient(self.weights[0] * terms[0], parameters)
        if reference is None:
            return
        lam = self.multipliers.lambdas
        top = reference.max().to(torch.float64)
        for m in range(1, len(terms)):
            g = _abs_gradient(self.weights[m] * terms[m], parameters)
            if g is None:
                continue
            estimate = top / g.mean().to(torch.float64)
            moved = (1 - self.alpha) * lam[m] + self.alpha * estimate
            lam[m] = torch.where(torch.isfinite(moved) & (moved > 0), moved, lam[m])


def _abs_gradient(term: torch.Tensor, parameters: list[torch.Tensor]) -> torch.Tensor | None:
    """|∂term/∂θ| flattened over the parameters it depends on, or ``None`` if it depends on none."""
    if not term.requires_grad:
        return None
    grads = torch.autograd.grad(term, parameters, retain_graph=True, allow_unused=True)
    used = [g.abs().reshape(-1) for g in grads if g is not None]
    return torch.cat(used) if used else None


class AdaptiveBalance(_Learnt):
    """Self-adaptive constraint weights by normalised gradient ascent (see the module docstring).

    Args:
        constraints: the problem's constraints.
        steps: the Adam steps (the length of the record).
        device: the training device.
        lr: the ascent's learning rate η > 0.
    """

    def __init__(self, constraints, steps, device, lr: float = 0.01):
        super().__init__(constraints, steps, device)
        self.lr = float(lr)

    def total(self, step, terms, parameters):
        total = self.multipliers.total(step, self.weights, terms)
        with torch.no_grad():
            lam = self.multipliers.lambdas
            loss = torch.stack([w * t.detach().to(torch.float64)
                                for w, t in zip(self.weights, terms, strict=True)])
            ascended = (lam + self.lr * loss / loss.sum()) * (len(lam) / (len(lam) + self.lr))
            ok = torch.isfinite(ascended).all() & (loss.sum() > 0)
            self.multipliers.lambdas = torch.where(ok, ascended, lam)
        return total


def _fixed(constraints, steps, device, every, alpha, lr) -> Balancer:
    return FixedBalance([c.weight for c in constraints])


def _gradnorm(constraints, steps, device, every, alpha, lr) -> Balancer:
    return GradNormBalance(constraints, steps, device, every=every, alpha=alpha)


def _adaptive(constraints, steps, device, every, alpha, lr) -> Balancer:
    return AdaptiveBalance(constraints, steps, device, lr=lr)


BALANCERS: dict[str, Callable[..., Balancer]] = {
    "fixed": _fixed, "gradnorm": _gradnorm, "adaptive": _adaptive,
}
"""The values of ``training.balance``, each with its factory
``(constraints, steps, device, every, alpha, lr) → Balancer``."""


@dataclass(frozen=True)
class BalanceSettings:
    """A run's balancing, resolved once from ``training.balance`` and its rates (see :meth:`named`)."""

    factory: Callable[..., Balancer]
    every: int = 100
    alpha: float = 0.1
    lr: float = 0.01

    @classmethod
    def named(cls, kind: str, every: int = 100, alpha: float = 0.1, lr: float = 0.01) -> BalanceSettings:
        """The settings of ``training.balance: <kind>`` (a key of :data:`BALANCERS`)."""
        try:
            factory = BALANCERS[kind]
        except KeyError:
            raise ValueError(f"unknown balance {kind!r}; expected one of {', '.join(BALANCERS)}") from None
        return cls(factory, every, alpha, lr)

    def make(self, constraints: Sequence[AbstractConstraint], steps: int, device: torch.device) -> Balancer:
        """A fresh balancer for ``constraints`` over ``steps`` Adam steps."""
        return self.factory(constraints, steps, device, self.every, self.alpha, self.lr)


def make_balancer(kind: str, constraints: Sequence[AbstractConstraint], steps: int, device: torch.device,
                  every: int = 100, alpha: float = 0.1, lr: float = 0.01) -> Balancer:
    """The balancer ``kind`` (a key of :data:`BALANCERS`) for ``constraints`` over ``steps`` Adam steps."""
    return BalanceSettings.named(kind, every, alpha, lr).make(constraints, steps, device)
