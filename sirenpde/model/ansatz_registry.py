"""The closed-form ansätze by kind: what rebuilds the model stored in a result file."""

from __future__ import annotations

from torch import nn

from .ansatz import AbstractAnsatz
from .exact_initial import ExactInitialModel
from .factored import FactoredModel
from .hard_dirichlet import HardDirichletModel
from .source_splitting import SplitModel

__all__ = ["ANSATZE", "rebuild_ansatz"]

ANSATZE: dict[str, type[AbstractAnsatz]] = {
    model.kind: model for model in (SplitModel, FactoredModel, HardDirichletModel, ExactInitialModel)
}


def rebuild_ansatz(kind: str, network: nn.Module, description: dict) -> AbstractAnsatz:
    """The ansatz of ``kind`` around ``network``, from its stored :meth:`~AbstractAnsatz.description`."""
    try:
        wrapper = ANSATZE[kind]
    except KeyError:
        raise ValueError(f"unknown ansatz kind {kind!r}; expected one of {', '.join(ANSATZE)}") from None
    return wrapper.from_description(network, description)
