"""Levenberg–Marquardt on the constraint residuals: the optimiser that reaches round-off-level losses.

With squared-L2 constraints the loss is a sum of squares ``Σ_m (w_m/N_m) Σ_x |C_m(x)|² = |R|²`` of
one residual row per point and component, so a Gauss–Newton step is a linear least-squares solve:
``(JᵀJ + λ·D) δ = −JᵀR`` with J = ∂R/∂θ over all network weights θ (and the problem's scalar
unknowns, for an inverse problem; measured values travel with their points) and D the mean of JᵀJ's diagonal
(so λ is scale free). λ shrinks after a step that lowers the loss and grows after one that does not;
a rejected step costs one extra forward pass, not a new Jacobian.

J comes from ``torch.func``: the residual of a single point is differentiated with ``jacrev`` and
``vmap``-ed over the batch, through the closed-form forward derivative engine — so constraints must be
pointwise (they are, by contract) and the network a :class:`~sirenpde.SIREN` (possibly split).
With fewer rows M than weights P the solve uses the M × M system ``(JJᵀ + λD) y = R``, δ = −Jᵀy;
otherwise the P × P one.
The solve is in float64 whatever the training dtype: JᵀJ squares J's condition number.

Each step draws fresh points, like Adam; steps are expensive (a Jacobian and a dense factorisation)
but few are needed. Measured on DeepXDE's k = 4π Helmholtz benchmark (48×3 SIREN, 2 CPU cores):
relative L2 2.4e-4 after 600 Adam + 30 LM steps in 44 s, against 2.8e-3 with 600 Adam + 100 L-BFGS
steps in 62 s.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from ..constraints.least_squares import least_squares_obstacle
from ..constraints.problem import Problem
from ..derivatives.complex import ComplexFields
from ..derivatives.forward import ForwardFields, forward_capable
from ..model.siren import SIREN
from ..sampling.batch import Batch
from .jet_plan import jet_groups

__all__ = ["LevenbergMarquardt", "check_least_squares"]

_MAX_TRIES = 10
_MEMORY_LIMIT = 4 * 2**30  # bytes for J and the normal matrix in float64
_GRAM_BLOCKS = 8


def check_least_squares(problem: Problem, model: nn.Module) -> None:
    """Raise ValueError unless Levenberg–Marquardt can run: a SIREN and squared-L2 constraints only."""
    if not forward_capable(model):
        raise ValueError(
            f"lm_steps needs a sirenpde.SIREN (its Jacobian comes from the forward derivative engine);"
            f" found {type(model).__name__}; use lbfgs_steps instead"
        )
    obstacle = least_squares_obstacle(problem)
    if obstacle is not None:
        raise ValueError(obstacle)
    l1 = [c.name for c in problem.constraints if c.norm != "l2"]
    if l1:
        raise ValueError(
            f"lm_steps needs squared-L2 constraints (a sum of squares); {', '.join(l1)} use another"
            " norm; use lbfgs_steps instead"
        )


class _PointRows(nn.Module):
    """The residual rows of one point for the constraints of one batch, as a module of the weights."""

    def __init__(self, problem: Problem, model: SIREN, batch: Batch):
        super().__init__()
        self.model, self.problem, self.batch = model, problem, batch
        self.groups = jet_groups(problem, model, batch)  # planned outside torch.func's transforms
        # A submodule, so that torch.func swaps the unknowns the residuals read, like the weights.
        self.unknowns = problem.unknowns
        self.widths: list[int] = []  # rows per point of each constraint, known after a call

    def forward(self, x: torch.Tensor, normal: torch.Tensor | None, data: dict) -> torch.Tensor:
        p = self.problem
        fields = ForwardFields(self.model, x[None], p.axes, None if normal is None else normal[None],
                               p.spatial_axes, functional=True, jet_groups=self.groups)
        if p.complex:
            fields = ComplexFields(fields)
        if data:
            fields.data = {k: v[None] for k, v in data.items()}
        rows = []
        for c in self.batch.constraints:
            r = c.residual(fields).reshape(-1)
            rows.append(torch.cat([r.real, r.imag]) if r.is_complex() else r)
        self.widths = [r.numel() for r in rows]
        return torch.cat(rows)


def _gram(jac: torch.Tensor, dual: bool, blocks: int = _GRAM_BLOCKS) -> torch.Tensor:
    """JJᵀ (M, M) if ``dual`` else JᵀJ (P, P), of ``jac`` (M, P). The dense product is most of an LM
    step's time; the Gram matrix is symmetric, so only the blocks on and below the diagonal are
    multiplied and the rest mirrored: 0.28 s against 0.44 s for 2000 rows × 4946 weights in float64
    on two CPU cores, equal to round-off."""
    rows = jac if dual else jac.T  # the Gram matrix's index runs along these rows
    m = rows.shape[0]
    edges = [round(i * m / blocks) for i in range(blocks + 1)]
    gram = rows.new_empty(m, m)
    for lo, hi in zip(edges, edges[1:], strict=False):
        strip = rows[lo:hi] @ rows[:hi].T  # block row i against block rows 0 … i
        gram[lo:hi, :lo] = strip[:, :lo]
        gram[:lo, lo:hi] = strip[:, :lo].T
        diagonal = strip[:, lo:hi]  # symmetric up to round-off: made exactly so
        gram[lo:hi, lo:hi] = diagonal.tril() + diagonal.tril(-1).mT
    return gram


class LevenbergMarquardt:
    """Levenberg–Marquardt steps on ``model``'s weights for ``problem`` (see the module docstring).

    Args:
        problem: squared-L2 constraints only (see :func:`check_least_squares`).
        model: a SIREN; its parameters are updated in place.
        damping: the initial λ, relative to the mean diagonal of the normal matrix.
    """

    def __init__(self, problem: Problem, model: SIREN, damping: float = 1e-3):
        check_least_squares(problem, model)
        self.problem, self.model, self.damping = problem, model, float(damping)
        # The network's weights and the problem's scalar unknowns, by their names in _PointRows.
        self.trained = {f"model.{n}": p for n, p in model.named_parameters()}
        if problem.unknowns is not None:
            self.trained.update({f"unknowns.{n}": p for n, p in problem.unknowns.named_parameters()})
        self.names = list(self.trained)

    def step(self, batches: list[Batch]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One step on fresh ``batches``; returns the loss and each constraint's loss before it."""
        params = {n: p.detach() for n, p in self.trained.items()}
        try:
            with torch.no_grad():
                rows, jac, parts = self._linearise(params, batches)
        except RuntimeError as err:  # e.g. a custom residual calling autograd or .item()
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ValueError(
                f"lm_steps: the residuals cannot be differentiated point by point with torch.func ({first});"
                " use lbfgs_steps instead"
            ) from err
        loss = rows @ rows
        jac64, rows64 = jac.double(), rows.double()
        dual = jac.shape[0] < jac.shape[1]
        normal = _gram(jac64, dual)
        scale = normal.diagonal().mean()
        for _ in range(_MAX_TRIES):
            delta = self._solve(normal, scale, jac64, rows64, dual)
            if delta is not None:
                trial = self._unflatten(params, delta)
                if self._loss(trial, batches) < loss:
                    self._assign(trial)
                    self.damping = max(self.damping / 3, 1e-12)
                    break
            self.damping = min(self.damping * 4, 1e12)
        return loss, parts

    def _solve(self, normal, scale, jac, rows, dual) -> torch.Tensor | None:
        system = normal.clone()
        system.diagonal().add_(self.damping * scale)
        factor, info = torch.linalg.cholesky_ex(system)
        if int(info) != 0:  # not positive definite at this damping: take more
            return None
        if dual:
            return -(jac.T @ torch.cholesky_solve(rows[:, None], factor)[:, 0])
        return -torch.cholesky_solve((jac.T @ rows)[:, None], factor)[:, 0]

    def _linearise(self, params, batches):
        """R (M,), J (M, P) and each constraint's loss, R's rows scaled by √(w/N)."""
        evaluated = [self._rows(params, batch) for batch in batches]
        total_rows = sum(rows.numel() for _, rows, _, _ in evaluated)
        self._check_memory(total_rows, sum(p.numel() for p in params.values()))
        all_rows, all_jac, by_constraint = [], [], {}
        for batch, rows, scale, widths in evaluated:
            f, dims = self._functional(_PointRows(self.problem, self.model, batch)), self._dims(batch)
            # {name: (N, K, …)}
            jac = vmap(jacrev(f), in_dims=dims)(params, batch.x, batch.normals, dict(batch.data))
            jac = torch.cat([jac[n].reshape(*rows.shape, -1) for n in self.names], dim=2)
            start = 0
            for c, width in zip(batch.constraints, widths, strict=True):
                by_constraint[id(c)] = (rows[:, start : start + width] ** 2).sum(1).mean()
                start += width
            all_rows.append((rows * scale).reshape(-1))
            all_jac.append((jac * scale[:, :, None]).reshape(rows.numel(), -1))
        parts = [by_constraint[id(c)] for c in self.problem.constraints]
        return torch.cat(all_rows), torch.cat(all_jac), parts

    def _rows(self, params, batch: Batch) -> tuple[Batch, torch.Tensor, torch.Tensor, list[int]]:
        """The unscaled rows (N, K) of one batch, their scales √(w/N) (1, K), and each constraint's
        number of rows per point."""
        module = _PointRows(self.problem, self.model, batch)
        with torch.no_grad():
            rows = vmap(self._functional(module), in_dims=self._dims(batch))(params, batch.x, batch.normals,
                                                                             dict(batch.data))
        n = batch.x.shape[0]
        scale = torch.cat([torch.full((w,), (float(c.weight) / n) ** 0.5, dtype=rows.dtype,
                                      device=rows.device)
                           for c, w in zip(batch.constraints, module.widths, strict=True)])
        return batch, rows, scale[None, :], module.widths

    def _loss(self, params, batches) -> torch.Tensor:
        evaluated = (self._rows(params, b) for b in batches)
        return sum((((rows * scale) ** 2).sum() for _, rows, scale, _ in evaluated), torch.zeros(()))

    @staticmethod
    def _dims(batch: Batch) -> tuple:
        return (None, 0, None if batch.normals is None else 0, 0)

    @staticmethod
    def _functional(module: _PointRows):
        def f(params, x, normal, data):
            return functional_call(module, params, (x, normal, data))
        return f

    def _unflatten(self, params, delta: torch.Tensor) -> dict[str, torch.Tensor]:
        out, start = {}, 0
        for n in self.names:
            p = params[n]
            out[n] = p + delta[start : start + p.numel()].reshape(p.shape).to(p.dtype)
            start += p.numel()
        return out

    def _assign(self, params) -> None:
        with torch.no_grad():
            for n, p in self.trained.items():
                p.copy_(params[n])

    @staticmethod
    def _check_memory(m: int, p: int) -> None:
        needed = 8 * (m * p + min(m, p) ** 2)
        if needed > _MEMORY_LIMIT:
            raise ValueError(
                f"lm_steps: the Jacobian has {m} rows × {p} weights ({needed / 2**30:.1f} GiB in float64);"
                " lower lm_points_factor or the network size, or use lbfgs_steps"
            )
