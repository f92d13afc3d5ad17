"""A SIREN's layers acting on jets: value, first derivatives and grouped second derivatives.

A jet is a stack of rows ``(R, N, n)`` for ``N`` points and ``n`` neurons: row 0 the pre-activation
``z``, rows ``1 … d`` its derivatives ``J_a = ∂z/∂x_a``, and one row per *second-order group* ``A_q``
(a tuple of axes) holding ``H_q = Σ_{a ∈ A_q} ∂²z/∂x_a²``. A group of one axis is a Hessian diagonal
entry (u_xx, u_tt); the group of all spatial axes is the Laplacian. Through ``h = sin z``:

    h = sin z,   J_h = cos z · J_z,   H_h,q = cos z · H_z,q − sin z · Σ_{a ∈ A_q} J_z,a².

Carrying only the groups a problem needs keeps the rows per point at ``1 + d + k``: Poisson's
Laplacian needs one second-order row, not d.

Rows first (``(R, N, n)``, not ``(N, R, n)``) so that every row is one contiguous block: the
elementwise work is on whole blocks and the next layer's matmul sees one ``(R·N, n)`` matrix.

Each layer comes twice: an ``autograd.Function`` with a hand-written backward for the training step
(it keeps only its inputs and writes every output row in place into one tensor), and a plain
composition of tensor operations for ``torch.func`` transforms (vmap, jacrev: the LM phase), where
in-place writes cannot go. The tests hold the first to the second.
"""

from __future__ import annotations

import torch

from ..model.ansatz import Groups  # defined with the ansatz protocol, whose jets take them too

__all__ = ["FirstSineJet", "Groups", "Readout", "SineJet", "diagonal_groups", "first_sine_plain",
           "sine_jet_plain", "squared_sums"]


def diagonal_groups(d: int) -> Groups:
    """One group per axis: the Hessian diagonal."""
    return tuple((a,) for a in range(d))


def squared_sums(jac: torch.Tensor, groups: Groups) -> list[torch.Tensor]:
    """``S_q = Σ_{a ∈ A_q} J_a²`` for every group, from Jacobian rows ``jac`` (d, …).

    A chain of ``addcmul`` over the group's rows: a reduction over the leading dimension
    (``square().sum(0)``, ``vector_norm(dim=0)``) is several times slower on the CPU.
    """
    out = []
    for axes in groups:
        total = jac[axes[0]].square()
        for a in axes[1:]:
            total = torch.addcmul(total, jac[a], jac[a])
        out.append(total)
    return out


def first_sine_plain(z: torch.Tensor, jz: torch.Tensor, groups: Groups) -> torch.Tensor:
    """The first sine layer: pre-activation ``z`` (N, n), its constant Jacobian ``jz`` (d, n) and no
    second derivative (the first layer is affine in x) → the jet (1 + d + k, N, n)."""
    s, c = torch.sin(z), torch.cos(z)
    return torch.cat([s[None], c * jz[:, None, :], *((-s * sq)[None] for sq in squared_sums(jz, groups))])


def sine_jet_plain(t: torch.Tensor, bias: torch.Tensor | None, groups: Groups) -> torch.Tensor:
    """A hidden sine layer on the jet ``t`` (R, N, n), a matmul's output; ``bias`` (n,) goes to row 0."""
    d = t.shape[0] - 1 - len(groups)
    z = t[0] if bias is None else t[0] + bias
    s, c = torch.sin(z), torch.cos(z)
    jac = t[1 : 1 + d]
    second = [c * t[1 + d + q] - s * sq for q, sq in enumerate(squared_sums(jac, groups))]
    return torch.stack([s, *(c * jac), *second])


class FirstSineJet(torch.autograd.Function):
    """:func:`first_sine_plain`, keeping its output (whose row 0 is sin z), cos z and ``jz`` for the
    backward."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, jz: torch.Tensor, groups: Groups) -> torch.Tensor:
        d = jz.shape[0]
        out = z.new_empty(1 + d + len(groups), *z.shape)
        s, c = torch.sin(z, out=out[0]), torch.cos(z)
        for a in range(d):
            torch.mul(c, jz[a], out=out[1 + a])
        for q, sq in enumerate(squared_sums(jz, groups)):
            torch.mul(s, sq.neg_(), out=out[1 + d + q])
        ctx.groups = groups
        ctx.save_for_backward(out, c, jz)   # out: kept by the next matmul anyway; its row 0 is sin z
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        out, c, jz = ctx.saved_tensors
        s, d, groups = out[0], jz.shape[0], ctx.groups
        # ∂/∂z: cos z · (g_0 − Σ_q S_q g_q) − sin z · Σ_a jz_a g_a
        value = grad[0].clone()
        jz_grad = torch.stack([(c * grad[1 + a]).sum(0) for a in range(d)])   # from the J rows
        for q, (axes, sq) in enumerate(zip(groups, squared_sums(jz, groups), strict=True)):
            g = grad[1 + d + q]
            value.addcmul_(g, sq, value=-1)
            # ∂/∂jz_a of the group's row −sin z · S_q: −2 jz_a · Σ_N sin z · g_q
            m = (s * g).sum(0)
            for a in axes:
                jz_grad[a].addcmul_(jz[a], m, value=-2)
        value.mul_(c)
        for a in range(d):
            value.addcmul_(grad[1 + a], s * jz[a], value=-1)
        return value, jz_grad, None


class SineJet(torch.autograd.Function):
    """:func:`sine_jet_plain`, keeping only ``t`` (the matmul's output), the bias and its own output
    for the backward.

    The bias is added to row 0 only (the derivatives of a constant vanish), so no copy of ``t`` is
    made. The output costs nothing to keep — the next layer's matmul keeps it anyway — and its row 0
    is sin z, so the backward recomputes only cos z. Autograd's own graph would also keep cos z, the
    squares and the products, several times ``t``'s size.
    """

    @staticmethod
    def forward(ctx, t: torch.Tensor, bias: torch.Tensor | None, groups: Groups) -> torch.Tensor:
        d = t.shape[0] - 1 - len(groups)
        z = t[0] if bias is None else t[0] + bias
        out = torch.empty_like(t)
        s, c = torch.sin(z, out=out[0]), torch.cos(z)
        torch.mul(t[1:], c, out=out[1:])
        for q, sq in enumerate(squared_sums(t[1 : 1 + d], groups)):
            out[1 + d + q].addcmul_(s, sq, value=-1)
        ctx.groups = groups
        ctx.save_for_backward(t, bias, out)   # out: kept by the next matmul anyway; its row 0 is sin z
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        t, bias, out_forward = ctx.saved_tensors
        s, groups = out_forward[0], ctx.groups
        c = torch.cos(t[0] if bias is None else t[0] + bias)
        d = t.shape[0] - 1 - len(groups)
        jac = t[1 : 1 + d]
        out = torch.empty_like(t)
        torch.mul(grad, c, out=out)      # row 0: cos z · g_0; every other row: its own cos z · g_r
        # ∂/∂z of the J and H rows: −sin z · Σ_{r ≥ 1} t_r g_r − cos z · Σ_q S_q g_q
        rows = t[1] * grad[1]
        for r in range(2, t.shape[0]):
            rows.addcmul_(t[r], grad[r])
        for q, (axes, sq) in enumerate(zip(groups, squared_sums(jac, groups), strict=True)):
            g = grad[1 + d + q]
            out[0].addcmul_(sq.mul_(g), c, value=-1)
            # ∂/∂J_a of the group's row: −2 sin z · J_a · g_q
            sg = s * g
            for a in axes:
                out[1 + a].addcmul_(jac[a], sg, value=-2)
        out[0].addcmul_(s, rows, value=-1)
        return out, None if bias is None else out[0].sum(0), None


class Readout(torch.autograd.Function):
    """The linear output layer on a jet, ``stack @ weight.T`` (R, N, c), without the bias.

    By hand because the backward's ``grad @ weight`` is a matmul with an inner size of c — for one
    output channel a product of a column and a row, which BLAS does many times slower than a
    broadcast multiply (3.3 ms against 0.13 ms for 16384 × 256 in a scratch timing).
    """

    @staticmethod
    def forward(stack: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return stack @ weight.T

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        stack, weight = ctx.saved_tensors
        grad_stack = grad * weight[0] if weight.shape[0] == 1 else grad @ weight
        grad_weight = grad.reshape(-1, grad.shape[-1]).T @ stack.reshape(-1, stack.shape[-1])
        return grad_stack, grad_weight
