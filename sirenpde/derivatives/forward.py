"""A closed-form forward derivative engine for SIRENs behind the :class:`~sirenpde.Fields` seam.

A SIREN's derivatives are sine networks too, so the value, the Jacobian with respect to the inputs and
the second derivatives can be pushed through the layers in one pass: for ``z = w0 (W h + b)``,
``J_z = w0 W J_h`` and ``H_z = w0 W H_h``; for ``h = sin z``, ``J_h = cos z · J_z`` and
``H_h = cos z · H_z − sin z · J_z²``. The rows share one matmul per layer, and autograd then runs a
single backward pass to the weights — instead of one nested reverse pass per derivative, each
through the whole graph. The layers themselves are in :mod:`sirenpde.derivatives.jet_layers`.

The pass carries only the second-order rows asked for (the Laplacian as one row, or the Hessian
diagonal; see :class:`ForwardFields`). Only second-order requests (u_xx, Δu, u_tt) take it; a value
alone is a plain forward pass, and a gradient alone is one reverse pass (forward Jacobians cost more
than that when nothing second-order is needed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import torch

from ..model.ansatz import NO_DATA, AbstractAnsatz
from ..model.siren import SIREN
from .fields import AutogradFields, Fields
from .jet_layers import (
    FirstSineJet,
    Groups,
    Readout,
    SineJet,
    diagonal_groups,
    first_sine_plain,
    sine_jet_plain,
)

__all__ = ["ForwardFields", "compilable_jets", "forward_capable", "model_jets", "siren_jets"]


def forward_capable(model) -> bool:
    """Whether the forward engine can differentiate ``model``: a SIREN, alone or wrapped in an
    ansatz that supports the engine (see :class:`~sirenpde.model.ansatz.AbstractAnsatz`)."""
    if isinstance(model, AbstractAnsatz):
        return model.forward_engine and isinstance(model.network, SIREN)
    return isinstance(model, SIREN)


def model_jets(
    model: SIREN | AbstractAnsatz, x: torch.Tensor, groups: Groups | None = None, *, plain: bool = False,
    data: Mapping = NO_DATA,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`siren_jets` of the SIREN, or of an ansatz's network pushed through its closed-form part
    (which may read the batch's ``data``)."""
    if isinstance(model, AbstractAnsatz):
        groups = diagonal_groups(x.shape[1]) if groups is None else groups
        return model.jets(siren_jets(model.network, x, groups, plain=plain), x, groups, data)
    return siren_jets(model, x, groups, plain=plain)


def compilable_jets(
    model: SIREN | AbstractAnsatz, x: torch.Tensor, groups: Groups | None = None, data: Mapping = NO_DATA
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`model_jets` in plain tensor operations: the function to hand to ``torch.compile``.

    Inductor fuses the plain elementwise steps into a few loops; the hand-written layers would stay
    opaque to it, and compiled they are no faster than eager (``python benchmarks/jet_pass.py``;
    docs/benchmarks.md).
    """
    return model_jets(model, x, groups, plain=True, data=data)


def siren_jets(
    model: SIREN, x: torch.Tensor, groups: Groups | None = None, *, plain: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The SIREN's value (N, c), Jacobian (N, c, d) and grouped second derivatives (N, c, k) at
    points (N, d): ``second[:, :, q]`` sums the pure second derivatives over the axes of ``groups[q]``
    (the Hessian diagonal by default; see :mod:`sirenpde.derivatives.jet_layers`).

    ``plain=True`` uses only plain tensor operations, so that it composes with ``torch.func``
    transforms (vmap, jacrev); the default takes the layers with hand-written backward passes
    (:mod:`sirenpde.derivatives.jet_layers`).
    """
    groups = diagonal_groups(x.shape[1]) if groups is None else groups
    first, *hidden, last = model.linears
    d = x.shape[1]
    if model.front is None:
        scale = (2.0 / (model.hi - model.lo)).to(first.weight.dtype)  # ∂(normalised input)/∂x, per axis
        z = model.w0s[0] * first(model.normalize(x))               # (N, n)
        jz = (model.w0s[0] * first.weight * scale).T               # (d, n): the same at every point
        stack = first_sine_plain(z, jz, groups) if plain else FirstSineJet.apply(z, jz, groups)
    else:  # the front's derivatives differ from point to point: the first layer is a hidden one
        t = _input_jets(model, x, groups) @ (model.w0s[0] * first.weight).T
        bias = None if first.bias is None else model.w0s[0] * first.bias
        stack = sine_jet_plain(t, bias, groups) if plain else SineJet.apply(t, bias, groups)
    for layer, w0 in zip(hidden, model.w0s[1:], strict=True):
        t = stack @ (w0 * layer.weight).T                      # (R, N, n): one matmul for all rows
        bias = None if layer.bias is None else w0 * layer.bias
        stack = sine_jet_plain(t, bias, groups) if plain else SineJet.apply(t, bias, groups)
    out = stack @ last.weight.T if plain else Readout.apply(stack, last.weight)   # (R, N, c)
    value = out[0] if last.bias is None else out[0] + last.bias
    # Copies, not views: (N, c, ·) is small, and torch.compile mishandles outputs that are views of
    # intermediates (a wrong shape on replay, seen with torch 2.13).
    return value, out[1 : 1 + d].permute(1, 2, 0).contiguous(), out[1 + d :].permute(1, 2, 0).contiguous()


def _input_jets(model: SIREN, x: torch.Tensor, groups: Groups) -> torch.Tensor:
    """The first layer's inputs and their jets (1 + d + k, N, d + 1): the mapped coordinates (their
    derivatives the constant map's, no second ones) and the front."""
    d = x.shape[1]
    scale = (2.0 / (model.hi - model.lo)).to(x.dtype)
    eye = torch.eye(d, dtype=x.dtype, device=x.device)
    rows = [model.mapped(x), *((eye[a] * scale).expand_as(x) for a in range(d)),
            *(torch.zeros_like(x) for _ in groups)]
    stack = torch.cat([torch.stack(rows), model.front.jets(x, groups)], dim=2)
    return stack.to(model.linears[0].weight.dtype)


class ForwardFields(Fields):
    """:class:`Fields` of a :class:`~sirenpde.SIREN`, second derivatives by :func:`model_jets`.

    Same arguments as :class:`~sirenpde.derivatives.fields.AutogradFields`, except that ``model``
    must be a SIREN (or an ansatz around one that supports the engine; see :func:`forward_capable`);
    ``functional=True`` computes everything with the forward pass, for use inside ``torch.func``;
    ``jets(model, x, groups, data=…)`` replaces :func:`model_jets` (e.g. a ``torch.compile``-d
    :func:`compilable_jets`).

    The first second-order request decides which rows the pass carries: the Laplacian, or u_tt of
    a non-spatial axis, carries the spatial Laplacian plus one row per non-spatial axis (Poisson:
    ``1 + d + 1`` rows, not ``1 + 2d``); a single spatial u_xx carries the whole Hessian diagonal.
    A later request the rows do not hold (u_xx after Δu alone) runs the pass again with the diagonal.

    ``jet_groups`` plans the pass instead, for residuals known to read second derivatives (see
    :mod:`sirenpde.training.jet_plan`): the first request of anything, the value included, runs it
    with those groups, so a residual that reads u before Δu pays for neither a separate plain pass
    nor a second jet pass. After a batch, :attr:`jet_groups` says what its residuals needed.
    """

    def __init__(
        self,
        model: SIREN | AbstractAnsatz,
        x: torch.Tensor,
        axes: Sequence[str],
        normals: torch.Tensor | None = None,
        spatial_axes: Sequence[str] | None = None,
        *,
        functional: bool = False,
        jets: Callable | None = None,
        jet_groups: Groups | None = None,
    ):
        if not forward_capable(model):
            raise TypeError(
                f"the forward derivative engine needs a sirenpde.SIREN; found {type(model).__name__}"
                " (use derivatives='autograd' for other networks)"
            )
        # Values and first derivatives nobody asked second derivatives for come from autograd.
        # ``functional`` (inside torch.func transforms, where x cannot be made to require grad)
        # takes everything from the forward pass instead.
        self._reverse = None if functional else AutogradFields(model, x, axes, normals, spatial_axes)
        self.x = x if functional else self._reverse.x
        self.normals, self.axes, self._model = normals, tuple(axes), model
        self._spatial_axes, self._functional = spatial_axes, functional
        self._jets_of = jets or functools.partial(model_jets, plain=functional)
        self._lap_axes = tuple(self.axis(a) for a in (spatial_axes or self.axes))
        others = tuple((a,) for a in range(len(self.axes)) if a not in self._lap_axes)
        self._laplacian_groups: Groups = (self._lap_axes, *others)
        self._jets: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._groups: Groups = ()
        self._planned = jet_groups
        self._divergence_taken = False

    @property
    def jet_groups(self) -> Groups | None:
        """The groups the jet pass ran with, or ``None`` where it did not run — or where a
        divergence was taken: its flux must be built from autograd's value and gradient, so such
        residuals are not planned."""
        return None if self._jets is None or self._divergence_taken else self._groups

    @property
    def laplacian_axes(self) -> tuple[int, ...]:
        return self._lap_axes

    @property
    def value(self) -> torch.Tensor:
        if self._jets is None and self._reverse is not None and self._planned is None:
            return self._reverse.value
        return self._all_jets(self._planned or self._laplacian_groups)[0]

    @property
    def gradient(self) -> torch.Tensor:
        if self._jets is None and self._reverse is not None and self._planned is None:
            return self._reverse.gradient
        return self._all_jets(self._planned or self._laplacian_groups)[1]

    def second(self, axis: int | str) -> torch.Tensor:
        group = (self.axis(axis),)
        if group not in self._groups:
            wanted = next((g for g in (self._planned, self._laplacian_groups) if g and group in g), None)
            self._all_jets(wanted or diagonal_groups(len(self.axes)), group)
        return self._jets[2][:, :, self._groups.index(group)]

    @property
    def laplacian(self) -> torch.Tensor:
        if self._jets is None:
            self._all_jets(self._planned or self._laplacian_groups)
        if self._lap_axes in self._groups:
            return self._jets[2][:, :, self._groups.index(self._lap_axes)]
        return sum(self.second(a) for a in self._lap_axes)  # the diagonal: sum its spatial entries

    def at(self, x: torch.Tensor) -> ForwardFields:
        return ForwardFields(self._model, x, self.axes, None, self._spatial_axes, functional=self._functional,
                             jets=self._jets_of)

    def divergence(self, flux: torch.Tensor) -> torch.Tensor:
        # A flux may depend on x in any way; only autograd can differentiate it.
        self._divergence_taken = True
        if self._reverse is None:
            raise ValueError("divergence() needs autograd; it is not available to functional fields")
        return self._reverse.divergence(flux)

    def _all_jets(self, groups: Groups, needed: tuple[int, ...] | None = None):
        """The jets, computed with ``groups`` unless those computed already hold ``needed``."""
        if self._jets is None or (needed is not None and needed not in self._groups):
            self._jets = self._jets_of(self._model, self.x, groups, data=self.data)
            self._groups = groups
        return self._jets
