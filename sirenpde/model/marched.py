"""A solution marched in time: one network per window [t_k, t_{k+1}], joined exactly.

Window k holds

    u_k(x, t) = g_k(x) + τ·h_k(x) + B_k(x, t)·N_k(x, t),   τ = t − t_k,

with (g_0, h_0) the problem's initial value and velocity and (g_k, h_k) = (u_{k−1}, ∂_t u_{k−1}) at
t = t_k: whatever the networks are, u and u_t are continuous at every join (a first-order problem,
u_k = g_k + B_k·N_k, joins u only). B_k = (τ/Δ)²·s_k·χ_k(x) (τ/Δ to the first power for a
first-order problem) is the window's :class:`~sirenpde.model.window_frame.Frame`: scaled to the data,
cut off outside the window's reach; with s_k = Δ² and no cutoff it is the τ² of the exact
initial-condition ansatz of :mod:`~sirenpde.model.exact_initial`, its initial data taken from the
window before.

Evaluating window k walks back through the earlier ones, in closed form per window,

    u_k = g_k + τ·h_k + w_k,   ∂_t u_k = h_k + ∂_t w_k,   w_k = B_k·N_k,

with ∂_t w_k from one forward-mode product (``jvp``), so the cost grows linearly with k and
everything composes with the nested ``jvp`` that differentiates a lift.

Training does not walk back: a window's points keep their places (a pool per region, fresh times
each step; see :mod:`sirenpde.training.reach` for how the places follow the wave), and each carries
its window's *start table* — g_k, h_k and their first and pure second spatial derivatives — as
batch data under :data:`START`. The table of window 0 comes from the initial data; the next, at
places kept, from this one's and the trained network's spatial jets at the join,

    g_{k+1} = g_k + Δ·h_k + w_k,   h_{k+1} = h_k + ∂_t w_k   at t_{k+1},   Δ = t_{k+1} − t_k,

applied to every column (each is linear in the jets), so a window costs the same whatever its k.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torch.func import jvp

from .ansatz import NO_DATA, Groups, Jets
from .exact_initial import InitialLift
from .lifted import AbstractLift, LiftedModel, jet_table
from .stored_values import as_channels
from .window_frame import Frame

__all__ = ["MarchedModel", "WindowLift", "WindowModel", "earlier_windows", "plain_frames", "START",
           "start_table", "next_table", "free_flight"]

START = "window.start"
"""The batch data key of a window's start table (no measured quantity can have this name)."""


class _Windows:
    """The trained windows before the current one: networks, edges, frames (one per window, the
    current one's too; plain τ^p where not given) and the initial data, walked back in closed form.
    Not a module, so that the networks it holds are never trained again."""

    def __init__(self, networks: Sequence[nn.Module], edges: Sequence[float], initial: InitialLift,
                 frames: Sequence[Frame] | None = None):
        self.networks, self.edges, self.initial = list(networks), [float(t) for t in edges], initial
        self.frames = list(frames) if frames is not None else plain_frames(self.edges, self.order)

    @property
    def second_order(self) -> bool:
        return self.initial.velocity is not None

    @property
    def order(self) -> int:
        return 2 if self.second_order else 1

    def free(self, k: int):
        """w_k = B_k·N_k as a function of the points (N, d) → (N, 1)."""
        frame, network = self.frames[k], self.networks[k]
        return lambda y: frame.factor(y, self.order)[:, None] * network(y)

    def start(self, k: int, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(g_k, h_k) at the spatial positions of points x (N, d), each (N, 1); h is None for a
        first-order problem."""
        at = torch.cat([x[:, :-1], torch.full_like(x[:, -1:], self.edges[k])], dim=1)
        if k == 0:
            g = as_channels(self.initial.value, at, 1)
            return g, as_channels(self.initial.velocity, at, 1) if self.second_order else None
        return self.pair(k - 1, at)

    def pair(self, k: int, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(u_k, ∂_t u_k) of window k at points x (N, d), each (N, 1) (∂_t u only for a
        second-order problem, where the next window needs it)."""
        g, h = self.start(k, x)
        tau = (x[:, -1:] - self.edges[k])
        if not self.second_order:
            return g + self.free(k)(x), None
        along_t = torch.zeros_like(x)
        along_t[:, -1] = 1
        w, w_t = jvp(self.free(k), (x,), (along_t,))
        return g + tau * h + w, h + w_t


def plain_frames(edges: Sequence[float], order: int) -> list[Frame]:
    """Frames B = τ^order for the windows between ``edges``: the ansatz of a march saved before frames."""
    return [Frame.plain(a, b - a, order) for a, b in zip(edges, edges[1:], strict=False)]


def earlier_windows(networks: Sequence[nn.Module], edges: Sequence[float], initial: InitialLift,
                    frames: Sequence[Frame] | None = None) -> _Windows:
    """The windows trained so far (``networks``, in order), from which the next one starts;
    ``frames`` holds theirs and the next one's."""
    return _Windows(networks, edges, initial, frames)


def _spatial_jets(fn, x: torch.Tensor) -> torch.Tensor:
    """Value, spatial gradient and pure second spatial derivatives of ``fn`` (points (N, d) → (N, c))
    at x, as a table (N, c, 1 + 2·(d − 1))."""
    return jet_table(fn, x, range(x.shape[1] - 1))


def start_table(initial: InitialLift, x: torch.Tensor) -> torch.Tensor:
    """Window 0's start table at the places of points x (N, d): the jets of g_0 (and h_0)."""
    windows = _Windows([], [initial.t0], initial)

    def start(at: torch.Tensor) -> torch.Tensor:
        g, h = windows.start(0, at)
        return g if h is None else torch.cat([g, h], dim=1)
    return _spatial_jets(start, x.detach())


def next_table(table: torch.Tensor, windows: _Windows, k: int, x: torch.Tensor) -> torch.Tensor:
    """The start table of window k + 1 from window k's ``table`` and trained network (the last of
    ``windows``), at the same places x (N, d) (see the module docstring)."""
    t_next = windows.edges[k + 1]
    step, free = t_next - windows.edges[k], windows.free(k)
    at = torch.cat([x[:, :-1], torch.full_like(x[:, -1:], t_next)], dim=1).detach()
    if table.shape[1] == 1:  # first order: g_{k+1} = g_k + w_k
        return table + _spatial_jets(free, at)

    def both(y: torch.Tensor) -> torch.Tensor:
        return torch.cat(jvp(free, (y,), (torch.zeros_like(y) + along_t,)), dim=1)
    along_t = torch.zeros(at.shape[1], dtype=at.dtype, device=at.device)
    along_t[-1] = 1
    jets = _spatial_jets(both, at)
    g, h, w, w_t = table[:, :1], table[:, 1:], jets[:, :1], jets[:, 1:]
    return torch.cat([g + step * h + w, h + w_t], dim=1)


def free_flight(table: torch.Tensor, step: float) -> torch.Tensor:
    """The start table ``step`` later where no window's network acts (outside every reach):
    g + step·h and h, or g alone for a first-order problem."""
    if table.shape[1] == 1:
        return table
    return torch.cat([table[:, :1] + step * table[:, 1:], table[:, 1:]], dim=1)


class WindowLift(AbstractLift):
    """A = g_k + τ·h_k (or g_k), B = τ² (or τ) for window k, its start taken from the windows
    before it (see the module docstring), or from the batch's start table where it has one."""

    def __init__(self, earlier: _Windows, k: int):
        super().__init__()
        self.earlier, self.k = earlier, int(k)

    def offset(self, x: torch.Tensor) -> torch.Tensor:
        g, h = self.earlier.start(self.k, x)
        return g if h is None else g + (x[:, -1:] - self.earlier.edges[self.k]) * h

    def factor(self, x: torch.Tensor) -> torch.Tensor:
        return self.earlier.frames[self.k].factor(x, self.earlier.order)

    def jets(self, x: torch.Tensor, groups: Groups, data: Mapping = NO_DATA) -> Jets:
        if START not in data:
            return super().jets(x, groups, data)
        table, d = data[START].to(x.dtype), x.shape[1]
        spatial = d - 1
        tau = (x[:, -1:] - self.earlier.edges[self.k])                           # (N, 1)
        columns = (slice(0, 1), slice(1, 1 + spatial), slice(1 + spatial, None))  # value, ∂_a, ∂_aa
        g_value, g_grad, g_second = (table[:, 0, c] for c in columns)
        zero = torch.zeros_like(tau)
        if self.earlier.second_order:
            h_value, h_grad, h_second = (table[:, 1, c] for c in columns)
            a = g_value + tau * h_value
            a_jac = torch.cat([g_grad + tau * h_grad, h_value], dim=1)
            a_diag = torch.cat([g_second + tau * h_second, zero], dim=1)
        else:
            a, a_jac, a_diag = g_value, torch.cat([g_grad, zero], dim=1), torch.cat([g_second, zero], dim=1)
        b, b_jac, b_diag = self.earlier.frames[self.k].jets(x.detach(), self.earlier.order)
        value = torch.cat([a, b[:, None]], dim=1)                                   # (N, 2)
        jac = torch.stack([a_jac, b_jac], dim=1)                                   # (N, 2, d)
        diag = torch.stack([a_diag, b_diag], dim=1)                                # (N, 2, d)
        second = torch.stack([diag[:, :, list(axes)].sum(dim=2) for axes in groups], dim=2)
        return value, jac, second

    def description(self) -> dict:
        raise ValueError("a window is stored with the whole marched solution, not alone")

    @classmethod
    def from_description(cls, description: dict) -> WindowLift:
        raise ValueError("a window is stored with the whole marched solution, not alone")


class WindowModel(LiftedModel):
    """Window k while it trains: ``g_k + τ·h_k + τ²·network`` (see :class:`WindowLift`)."""

    kind = "window"
    lift_type = WindowLift


class MarchedModel(nn.Module):
    """u on [t_0, t_K], window by window (see the module docstring); time is the last input.

    Args:
        networks: N_0 … N_{K−1}, one per window (SIRENs, each normalising its own window's box).
        edges: t_0 < t_1 < … < t_K.
        initial: the problem's initial value and velocity (:class:`InitialLift` at t_0).
    """

    kind = "marched"

    def __init__(self, networks: Sequence[nn.Module], edges: Sequence[float], initial: InitialLift,
                 frames: Sequence[Frame] | None = None):
        super().__init__()
        if len(edges) != len(networks) + 1 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ValueError(f"expected {len(networks) + 1} increasing window edges for {len(networks)}"
                             f" networks; found {list(edges)}")
        if float(edges[0]) != initial.t0:
            raise ValueError(f"the first window starts at t = {edges[0]}, the initial data at {initial.t0}")
        self.networks = nn.ModuleList(networks)
        self.initial = initial
        self.edges = [float(t) for t in edges]
        order = 1 if initial.velocity is None else 2
        self.frames = list(frames) if frames is not None else plain_frames(self.edges, order)

    @property
    def windows(self) -> _Windows:
        return _Windows(list(self.networks), self.edges, self.initial, self.frames)

    def window_of(self, t: torch.Tensor) -> torch.Tensor:
        """The window index (N,) of each time; a join belongs to the later window, t_K to the last."""
        inner = torch.as_tensor(self.edges[1:-1], dtype=t.dtype, device=t.device)
        return torch.bucketize(t.contiguous(), inner, right=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(next(self.networks.parameters()).dtype)
        index, windows = self.window_of(x[:, -1]), self.windows
        u = torch.empty(x.shape[0], 1, dtype=x.dtype, device=x.device)
        for k in range(len(self.networks)):
            mine = index == k
            if bool(mine.any()):
                u[mine] = windows.pair(k, x[mine])[0]
        return u

    def description(self) -> dict:
        return {"edges": self.edges, "initial": self.initial.description(),
                "frames": [f.description() for f in self.frames]}

    @classmethod
    def from_description(cls, networks: Sequence[nn.Module], description: dict) -> MarchedModel:
        frames = description.get("frames")  # absent: a march saved before frames, plain τ^p
        return cls(networks, description["edges"], InitialLift.from_description(description["initial"]),
                   None if frames is None else [Frame.from_description(f) for f in frames])
