"""The closed-form ansatz: a network wrapped in a known part, u = A(x, network(x)).

A problem may know part of its solution in closed form — the steep static part of a point
source's field (:mod:`~sirenpde.model.source_splitting`), the distance to a travel time's source
(:mod:`~sirenpde.model.factored`). The model is then the network wrapped in that part, and
everything downstream — constraints, grids, files — sees u itself. Three consumers need more than
the wrapped forward pass, and each asks the wrapper, never its type:

* the forward derivative engine: :attr:`AbstractAnsatz.forward_engine` says whether it can
  differentiate the wrapper, and :meth:`AbstractAnsatz.jets` turns the network's jets into u's;
* the HDF5 writer: :attr:`AbstractAnsatz.kind` names the ``/model`` attribute that stores
  :meth:`AbstractAnsatz.description`;
* the reader: :meth:`AbstractAnsatz.from_description` rebuilds the wrapper around the loaded
  network, its class found by kind in :data:`~sirenpde.model.ansatz_registry.ANSATZE`.

A bare network is no ansatz: it is its own model.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

import torch
from torch import nn

__all__ = ["AbstractAnsatz", "AnsatzFactory", "Groups", "Jets", "NO_DATA"]

NO_DATA: Mapping = MappingProxyType({})
"""A batch without data."""

Groups = tuple[tuple[int, ...], ...]
"""Second-order groups: for each second-order row, the axes whose pure second derivatives it sums."""

Jets = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
"""Value (N, c), Jacobian (N, c, d) and grouped second derivatives (N, c, len(groups))."""


class AbstractAnsatz(nn.Module, abc.ABC):
    """A network wrapped in a closed-form part; ``forward`` is the solution u at points (N, d).

    A subclass is constructed as ``cls(network, part)`` (see :class:`AnsatzFactory`) and sets:

    Attributes:
        kind: its key in the registry, and the ``/model`` attribute of a result file that holds
            its :meth:`description` as JSON (docs/hdf5-format.md).
        forward_engine: whether :meth:`jets` is implemented, so that the forward derivative
            engine can differentiate it; otherwise only autograd can.
        network: the wrapped network (a :class:`~sirenpde.SIREN` for the forward engine and files).
    """

    kind: ClassVar[str]
    forward_engine: ClassVar[bool]
    network: nn.Module

    @abc.abstractmethod
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """u at points (N, d), as (N, c)."""

    @abc.abstractmethod
    def jets(self, network_jets: Jets, x: torch.Tensor, groups: Groups, data: Mapping = NO_DATA) -> Jets:
        """u's jets at points ``x`` (N, d), given the network's there (see :data:`Jets`); each
        second-order row ``q`` sums the pure second derivatives over the axes of ``groups[q]``.
        ``data`` is the batch's (:attr:`~sirenpde.derivatives.fields.Fields.data`): a closed-form part
        may find its own jets there, computed once for the points' pool (a marched window's start)."""

    def known_data(self, x: torch.Tensor) -> torch.Tensor | None:
        """The data the closed-form part imposes at points (N, d), (N, c) — a lift's offset g — for
        the frequency probe of the settings chosen from the problem
        (:func:`~sirenpde.constraints.scales.data_frequency`), which measures them directly: the
        equation's residual at u = g all but vanishes when g is the solution itself. ``None`` (the
        default): the closed-form part is a piece of the solution to probe through (a split source)."""
        return None

    @abc.abstractmethod
    def description(self) -> dict:
        """A JSON-able record of the closed-form part, from which :meth:`from_description` rebuilds it."""

    @classmethod
    @abc.abstractmethod
    def from_description(cls, network: nn.Module, description: dict) -> AbstractAnsatz:
        """The ansatz around ``network`` whose closed-form part :meth:`description` recorded."""


@dataclass(frozen=True, eq=False)
class AnsatzFactory:
    """What a problem carries to say its model is an ansatz: ``factory(network)`` builds it.

    Args:
        wrapper: the ansatz class, e.g. :class:`~sirenpde.model.source_splitting.SplitModel`.
        part: its closed-form part, e.g. a
            :class:`~sirenpde.model.source_splitting.SourceSplitting`.
    """

    wrapper: type[AbstractAnsatz]
    part: nn.Module

    def __call__(self, network: nn.Module) -> AbstractAnsatz:
        return self.wrapper(network, self.part)
