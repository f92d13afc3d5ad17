"""Solution: a trained network as a continuous field — evaluate anywhere, on grids, against references."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..derivatives.complex import to_complex
from ..domains import AbstractDomain, SpaceTime

__all__ = ["Solution", "Grid", "Reference", "default_resolution", "relative_l2", "relative_l2_by_time"]

_CHUNK = 65536  # points per forward pass when evaluating, to bound memory on large grids


def default_resolution(dim: int) -> int:
    """Grid points per axis used when none is given: dense in 1-D/2-D, bounded in 3-D and above."""
    return {1: 2001, 2: 201, 3: 65}.get(dim, 17)


@dataclass(frozen=True)
class Grid:
    """A tensor-product grid over the bounding box.

    Attributes:
        axes: coordinate names.
        coords: one 1-D array per axis.
        mask: boolean array of shape ``[len(c) for c in coords]``: True inside the domain.
    """

    axes: tuple[str, ...]
    coords: tuple[np.ndarray, ...]
    mask: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.coords)

    def points(self) -> np.ndarray:
        """All grid points as (N, d) in C order (the last axis varies fastest)."""
        mesh = np.meshgrid(*self.coords, indexing="ij")
        return np.stack([m.reshape(-1) for m in mesh], axis=1)


@dataclass(frozen=True, eq=False)
class Reference:
    """A reference solution known as numbers rather than a formula (a Hankel field, a finite-difference
    solve): points (N, d) → values (N, c), numpy, possibly complex.

    Attributes:
        kind: how it was obtained (``"hankel"``, ``"fd"`` …); stored with results.
        function: the map from points (N, d) to values (N, c) or (N,).
    """

    kind: str
    function: Callable[[np.ndarray], np.ndarray]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Values (N, c) at points (N, d)."""
        return np.asarray(self.function(points)).reshape(len(points), -1)


ErrorMask = Callable[[np.ndarray], np.ndarray]
"""Where an error is measured: points (N, d) → bool (N,)."""


class Solution:
    """A continuous, differentiable solution.

    Args:
        model: network mapping points (N, d) to values (N, c).
        axes: coordinate names.
        fields: names of the output channels.
        domain: the domain (for grid masks and error norms); ``None`` for a loaded file.
        exact: optional exact solution, points (N, d) → (N, c).
        reference: a numerical reference, used when there is no ``exact``.
        error_mask: where errors are measured (with the domain's mask): points (N, d) → bool (N,);
            ``None`` for everywhere in the domain. A PML layer or a singular source is left out so.
        kind: the problem family label.
        history: the training record (``step``, ``loss``, ``constraint/<name>`` …).
        info: training metadata (steps, seed, device, wall time …).
        bounds: the bounding box, when there is no domain.
        complex: the network's channels are (real, imaginary) pairs of complex fields.
        time_axis: the name of the time coordinate (always the last axis) of a space-time
            solution; by default the last axis when ``domain`` is a :class:`~sirenpde.SpaceTime`.
        unknowns: the fitted unknowns of an inverse problem (:class:`~sirenpde.model.unknowns.Unknowns`).
        parameters: the fitted scalars' report, name → {value, initial, exact, relative_error};
            by default taken from ``unknowns`` (a loaded file passes it directly).
        resolution: the grid points per axis of :meth:`grid` when none is given (an int or one per
            axis; by default by dimension, see :func:`default_resolution`).
        coefficients: the known coefficients its residuals read, by name, each a callable of points
            (N, d) → (N,) (:class:`~sirenpde.domains.media.GriddedMedium`); saved with the result.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        axes: Sequence[str],
        fields: Sequence[str],
        *,
        domain: AbstractDomain | None = None,
        exact: Callable[[torch.Tensor], torch.Tensor] | None = None,
        kind: str = "custom",
        history: dict | None = None,
        info: dict | None = None,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
        complex: bool = False,
        reference: Reference | None = None,
        error_mask: ErrorMask | None = None,
        time_axis: str | None = None,
        unknowns: torch.nn.Module | None = None,
        parameters: dict[str, dict[str, float]] | None = None,
        resolution: int | Sequence[int] | None = None,
        coefficients: Mapping[str, Callable[[torch.Tensor], torch.Tensor]] | None = None,
    ):
        self.model = model.eval()
        self.resolution = resolution
        self.reference, self.error_mask = reference, error_mask
        self.axes, self.fields = tuple(axes), tuple(fields)
        self.domain, self.exact, self.kind, self.complex = domain, exact, kind, bool(complex)
        self.history, self.info = dict(history or {}), dict(info or {})
        if bounds is None and domain is None:
            raise ValueError("a Solution needs a domain or explicit bounds")
        lo, hi = bounds if bounds is not None else domain.bounds()
        self.bounds = (np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64))
        if time_axis is None and isinstance(domain, SpaceTime):
            time_axis = self.axes[-1]
        if time_axis is not None and time_axis != self.axes[-1]:
            raise ValueError(f"the time axis must be the last axis {self.axes[-1]!r}; found {time_axis!r}")
        self.time_axis = time_axis
        self.unknowns = unknowns
        self.coefficients = dict(coefficients or {})
        self.parameters = parameters if parameters is not None else (
            unknowns.report() if unknowns is not None else {})

    def replace(self, **changes) -> Solution:
        """A new Solution with the same model and ``changes`` to the constructor's arguments — e.g.
        the reference a problem file names, or ``info`` with a title — built complete."""
        current = dict(
            model=self.model, axes=self.axes, fields=self.fields, domain=self.domain, exact=self.exact,
            kind=self.kind, history=self.history, info=self.info, complex=self.complex,
            bounds=self.bounds if self.domain is None else None, reference=self.reference,
            error_mask=self.error_mask, time_axis=self.time_axis, unknowns=self.unknowns,
            parameters=self.parameters, resolution=self.resolution, coefficients=self.coefficients)
        return Solution(**{**current, **changes})

    @property
    def _param(self) -> torch.Tensor:
        return next(self.model.parameters())

    def evaluate(self, points):
        """Field values at points (N, d) → (N, c); numpy in gives numpy out, torch in gives torch out.

        Complex problems give complex values. Torch inputs keep their autograd graph, so
        derivatives of the solution can be taken.
        """
        if isinstance(points, torch.Tensor):
            return self._forward(points)
        x = np.asarray(points, dtype=np.float64)
        x = x.reshape(1, -1) if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != len(self.axes):
            raise ValueError(f"points must have shape (N, {len(self.axes)}); found {x.shape}")
        p = self._param
        out = []
        with torch.no_grad():
            for chunk in np.array_split(x, max(1, -(-len(x) // _CHUNK))):
                t = torch.as_tensor(chunk, dtype=p.dtype, device=p.device)
                out.append(self._channels(self.model(t)).cpu().numpy())
        if not out:
            return np.zeros((0, len(self.fields)), dtype=complex if self.complex else float)
        return np.concatenate(out, axis=0).astype(np.complex128 if self.complex else np.float64)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != len(self.axes):
            raise ValueError(f"points must have shape (N, {len(self.axes)}); found {tuple(x.shape)}")
        p = self._param
        return self._channels(self.model(x.to(device=p.device, dtype=p.dtype))).to(device=x.device)

    def _channels(self, v: torch.Tensor) -> torch.Tensor:
        return to_complex(v) if self.complex else v

    def unknown_fields_on_grid(self, grid: Grid) -> dict[str, np.ndarray]:
        """Each fitted coefficient field (an inverse problem's m(x)) on the grid, NaN outside."""
        if self.unknowns is None or not len(self.unknowns.fields):
            return {}
        p = next(self.unknowns.parameters())
        x = torch.as_tensor(grid.points(), dtype=p.dtype, device=p.device)
        out = {}
        with torch.no_grad():
            for name in self.unknowns.fields:
                values = self.unknowns.field(name, x).cpu().numpy().reshape(grid.shape)
                out[name] = np.where(grid.mask, values, np.nan)
        return out

    def grid(self, resolution: int | Sequence[int] | None = None) -> Grid:
        """A grid over the bounding box; ``resolution`` points per axis (an int or one per axis)."""
        d = len(self.axes)
        res = resolution or self.resolution or default_resolution(d)
        counts = [int(res)] * d if np.isscalar(res) else [int(r) for r in res]
        if len(counts) != d or min(counts) < 2:
            raise ValueError(f"resolution needs {d} counts ≥ 2; found {res}")
        coords = tuple(np.linspace(lo, hi, n) for lo, hi, n in zip(*self.bounds, counts, strict=True))
        grid = Grid(self.axes, coords, np.ones(counts, dtype=bool))
        if self.domain is not None:
            x = torch.as_tensor(grid.points(), dtype=torch.float64)
            mask = self.domain.contains(x).cpu().numpy().reshape(counts)
            grid = Grid(self.axes, coords, mask)
        return grid

    def on_grid(self, grid: Grid) -> dict[str, np.ndarray]:
        """Each field's values on ``grid``, shaped like the grid."""
        values = self.evaluate(grid.points())
        return {name: values[:, k].reshape(grid.shape) for k, name in enumerate(self.fields)}

    @property
    def reference_kind(self) -> str | None:
        """``"exact"``, the numerical reference's kind, or ``None`` when there is nothing to compare with."""
        if self.exact is not None:
            return "exact"
        return self.reference.kind if self.reference is not None else None

    def reference_on_grid(self, grid: Grid) -> dict[str, np.ndarray] | None:
        """The exact solution (else the numerical reference) on ``grid``, or ``None`` without either."""
        if self.exact is not None:
            with torch.no_grad():
                x = torch.as_tensor(grid.points(), dtype=torch.float64)
                ref = self.exact(x).reshape(x.shape[0], -1).cpu().numpy()
        elif self.reference is not None:
            ref = self.reference(grid.points())
        else:
            return None
        return {name: ref[:, k].reshape(grid.shape) for k, name in enumerate(self.fields)}

    def error_mask_on_grid(self, grid: Grid) -> np.ndarray:
        """Where errors are measured on ``grid``: inside the domain and inside ``error_mask``."""
        if self.error_mask is None:
            return grid.mask
        inside = np.asarray(self.error_mask(grid.points()), dtype=bool).reshape(grid.shape)
        return grid.mask & inside

    def relative_l2(self, resolution: int | Sequence[int] | None = None) -> dict[str, float]:
        """‖u − u_ref‖₂ / ‖u_ref‖₂ per field over the grid points inside the domain and ``error_mask``."""
        grid = self.grid(resolution)
        ref = self.reference_on_grid(grid)
        if ref is None:
            raise ValueError("no reference: give `exact:` (or `reference:`) in the problem to measure"
                             " the error")
        return relative_l2(self.on_grid(grid), ref, self.error_mask_on_grid(grid))


def relative_l2(values: dict, reference: dict, mask: np.ndarray) -> dict[str, float]:
    """Relative L2 error per field over the masked points."""
    out = {}
    for name, ref in reference.items():
        num = np.linalg.norm((values[name] - ref)[mask])
        den = np.linalg.norm(ref[mask])
        out[name] = float(num / den) if den > 0 else float(num)
    return out


def relative_l2_by_time(values: dict, reference: dict, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Relative L2 error per field at each time level of a space-time grid (time the last axis), (nt,)."""
    out = {}
    for name, ref in reference.items():
        err = np.where(mask, values[name] - ref, 0)
        ref = np.where(mask, ref, 0)
        space = tuple(range(ref.ndim - 1))
        num = np.sqrt((np.abs(err) ** 2).sum(axis=space))
        den = np.sqrt((np.abs(ref) ** 2).sum(axis=space))
        out[name] = np.divide(num, den, out=num.copy(), where=den > 0)
    return out
