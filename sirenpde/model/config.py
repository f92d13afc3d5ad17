"""Settings for the network, and the builder that turns them and a problem into a model."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from ..constraints.problem import Problem
from ..constraints.scales import problem_frequency
from .ansatz import AbstractAnsatz
from .siren import SIREN

__all__ = ["ModelConfig", "build_model", "first_frequency"]

# Pydantic dataclasses: Python users and YAML files get the same checks, located at the bad key.
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
_Positive = Annotated[float, Field(gt=0)]
_AtLeastOne = Annotated[int, Field(ge=1)]


@dataclass(frozen=True, config=_STRICT)
class ModelConfig:
    """The SIREN: hidden widths, frequencies and initialiser (see :class:`~sirenpde.SIREN`).

    ``w0_initial="auto"`` derives the first layer's frequency from the problem
    (:func:`~sirenpde.constraints.scales.problem_frequency`): for a problem with a characteristic
    wavenumber k (Helmholtz), k times the half-width of the bounding box — the number of radians
    the solution turns through between the centre and the edge of the normalised input cube
    [−1, 1]; otherwise the frequency content of the problem's data, measured the same way.
    """

    layers: Annotated[tuple[_AtLeastOne, ...], Field(min_length=1)] = (64, 64, 64)
    w0: _Positive = 1.0
    w0_initial: _Positive | Literal["auto"] = "auto"
    initializer: Literal["siren", "siren-torch", "pytorch"] = "siren"  # the keys of INITIALIZERS
    c: _Positive = 6.0
    bias: bool = True


def build_model(problem: Problem, config: ModelConfig, seed: int = 0) -> SIREN | AbstractAnsatz:
    """A SIREN sized for ``problem``, its inputs normalised by the domain's bounding box (wrapped in
    the problem's closed-form ``ansatz``, if it has one).

    The initialisation is seeded without touching the global random state.
    """
    lo, hi = problem.domain.bounds()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = SIREN(config.layers, problem.domain.dim, problem.channels, w0=config.w0,
                        w0_initial=first_frequency(problem, config), bias=config.bias,
                        initializer=config.initializer, c=config.c, bounds=(lo, hi))
    return network if problem.ansatz is None else problem.ansatz(network)


def first_frequency(problem: Problem, config: ModelConfig) -> float:
    """The first layer's w0: as configured, or derived from the problem for ``"auto"``."""
    if config.w0_initial != "auto":
        return float(config.w0_initial)
    return problem_frequency(problem)
