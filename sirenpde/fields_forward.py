"""A closed-form forward derivative engine for SIRENs behind the :class:`~sirenpde.Fields` seam.

A SIREN's derivatives are sine networks too, so the value, the Jacobian with respect to the inputs and
the diagonal of the Hessian can be pushed through the layers in one pass: for ``z = w0 (W h + b)``,
``J_z = w0 W J_h`` and ``H_z = w0 W H_h``; for ``h = sin z``, ``J_h = cos z · J_z`` and
``H_h = cos z · H_z − sin z · J_z²`` (per input axis). The value, the d Jacobian columns and the d
Hessian columns share one matmul per layer, and autograd then runs a single backward pass to the
weights — instead of one nested reverse pass per derivative, each through the whole graph.

Only second-order requests (u_xx, Δu, u_tt) take the forward pass; a value alone is a plain forward
pass, and a gradient alone is one reverse pass (forward Jacobians cost more than that when nothing
second-order is needed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from .fields import AutogradFields, Fields
from .siren import SIREN
from .source_splitting import SplitModel

__all__ = ["ForwardFields", "SineJet", "forward_capable", "model_jets", "siren_jets"]


class SineJet(torch.autograd.Function):
    """The sine step on a jet: rows (z, J_z, H_z) of (N, 1 + 2d, n) → (sin z, cos z·J_z,
    cos z·H_z − sin z·J_z²).

    Written by hand so that the backward pass keeps only the input (the matmul's output) and
    recomputes sin and cos: autograd's own graph would also keep sin z, cos z, J_z² and the
    products, several times the input's size. Its backward is made of tensor operations, so
    ``torch.func`` transforms (vmap, jacrev — the LM phase) go through it.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(t: torch.Tensor) -> torch.Tensor:
        d = (t.shape[1] - 1) // 2
        z, jz, hz = t[:, :1], t[:, 1 : 1 + d], t[:, 1 + d :]
        sz, cz = torch.sin(z), torch.cos(z)
        return torch.cat([sz, cz * jz, cz * hz - sz * jz * jz], dim=1)

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (t,) = ctx.saved_tensors
        d = (t.shape[1] - 1) // 2
        z, jz, hz = t[:, :1], t[:, 1 : 1 + d], t[:, 1 + d :]
        sz, cz = torch.sin(z), torch.cos(z)
        g0, g1, g2 = grad[:, :1], grad[:, 1 : 1 + d], grad[:, 1 + d :]
        dz = cz * g0 - (sz * (jz * g1 + hz * g2) + cz * (jz * jz * g2)).sum(dim=1, keepdim=True)
        return torch.cat([dz, cz * g1 - 2 * sz * jz * g2, cz * g2], dim=1)


def forward_capable(model) -> bool:
    """Whether the forward engine can differentiate ``model``: a SIREN, alone or split."""
    return isinstance(model, (SIREN, SplitModel))


def model_jets(model: SIREN | SplitModel, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`siren_jets`, plus the closed-form part of a :class:`~sirenpde.source_splitting.SplitModel`."""
    if isinstance(model, SplitModel):
        value, jac, hess = siren_jets(model.network, x)
        known = model.known.jets(x.to(value.dtype))
        return value + known[0], jac + known[1], hess + known[2]
    return siren_jets(model, x)


def siren_jets(model: SIREN, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The SIREN's value (N, c), Jacobian (N, c, d) and Hessian diagonal (N, c, d) at points (N, d).

    Only tensor operations: it composes with ``torch.func`` transforms (vmap, jacrev).
    """
    first, *hidden, last = model.linears
    d = x.shape[1]
    dtype = first.weight.dtype
    scale = (2.0 / (model.hi - model.lo)).to(dtype)  # ∂(normalised input)/∂x, per axis
    w0 = model.w0s[0]
    z = w0 * first(model.normalize(x))                          # (N, n)
    jz = (w0 * first.weight * scale).T.unsqueeze(0)             # (1, d, n): the same at every point
    sz, cz = torch.sin(z), torch.cos(z)
    stack = torch.cat([sz.unsqueeze(1), cz.unsqueeze(1) * jz, -sz.unsqueeze(1) * jz**2], dim=1)
    for layer, w0 in zip(hidden, model.w0s[1:], strict=True):
        t = w0 * (stack @ layer.weight.T)                       # (N, 1 + 2d, n): one matmul
        if layer.bias is not None:
            t = torch.cat([t[:, :1] + w0 * layer.bias, t[:, 1:]], dim=1)
        stack = SineJet.apply(t)
    out = stack @ last.weight.T                                 # (N, 1 + 2d, c)
    value = out[:, 0] + last.bias if last.bias is not None else out[:, 0]
    return value, out[:, 1 : 1 + d].transpose(1, 2), out[:, 1 + d :].transpose(1, 2)


class ForwardFields(Fields):
    """:class:`Fields` of a :class:`~sirenpde.SIREN`, second derivatives by :func:`model_jets`.

    Same arguments as :class:`~sirenpde.fields.AutogradFields`, except that ``model`` must be a SIREN
    (or a :class:`~sirenpde.source_splitting.SplitModel`);
    ``functional=True`` computes everything with the forward pass, for use inside ``torch.func``;
    ``jets`` replaces :func:`model_jets` (e.g. by its ``torch.compile``-d self).
    """

    def __init__(
        self,
        model: SIREN | SplitModel,
        x: torch.Tensor,
        axes: Sequence[str],
        normals: torch.Tensor | None = None,
        spatial_axes: Sequence[str] | None = None,
        *,
        functional: bool = False,
        jets: Callable | None = None,
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
        self._jets_of = jets or model_jets
        self._lap_axes = tuple(self.axis(a) for a in (spatial_axes or self.axes))
        self._jets: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._laplacian: torch.Tensor | None = None

    @property
    def laplacian_axes(self) -> tuple[int, ...]:
        return self._lap_axes

    @property
    def value(self) -> torch.Tensor:
        if self._jets is None and self._reverse is not None:
            return self._reverse.value
        return self._all_jets()[0]

    @property
    def gradient(self) -> torch.Tensor:
        if self._jets is None and self._reverse is not None:
            return self._reverse.gradient
        return self._all_jets()[1]

    def second(self, axis: int | str) -> torch.Tensor:
        return self._hessian_diagonal()[:, :, self.axis(axis)]

    @property
    def laplacian(self) -> torch.Tensor:
        if self._laplacian is None:
            h = self._hessian_diagonal()
            self._laplacian = h[:, :, list(self.laplacian_axes)].sum(dim=2)
        return self._laplacian

    def at(self, x: torch.Tensor) -> ForwardFields:
        return ForwardFields(self._model, x, self.axes, None, self._spatial_axes, functional=self._functional,
                             jets=self._jets_of)

    def divergence(self, flux: torch.Tensor) -> torch.Tensor:
        # A flux may depend on x in any way; only autograd can differentiate it.
        if self._reverse is None:
            raise ValueError("divergence() needs autograd; it is not available to functional fields")
        return self._reverse.divergence(flux)

    def _hessian_diagonal(self) -> torch.Tensor:
        return self._all_jets()[2]

    def _all_jets(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self._jets is None:
            self._jets = self._jets_of(self._model, self.x)
        return self._jets
