"""Gridded coefficients: a medium such as the squared slowness m(x), or a known coefficient k(x) of a
custom residual, given as an array of samples.

The array holds the coefficient at the nodes of a regular grid spanning ``lo``..``hi``
(``values[i, j]`` at ``(x_i, y_j)``, NumPy's ``indexing="ij"``, as in the result files). Between
nodes it is interpolated (:mod:`sirenpde.domains.interpolation`: nearest, multilinear or cubic);
outside the grid it takes the value at the nearest edge, so a grid a little smaller than the domain
still defines a medium everywhere. A space-time coefficient is a grid with time as its last axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import torch

from .interpolation import INTERPOLATIONS, MIN_NODES, Interpolation, axis_stencil, contract, gather

__all__ = ["GriddedMedium", "GridFileError", "Jet", "SpatialMedium", "read_grid"]


class GridFileError(ValueError):
    """A gridded file cannot be used; ``part`` says whether the ``file`` or the ``dataset`` is at fault."""

    def __init__(self, message: str, part: Literal["file", "dataset"] = "file"):
        super().__init__(message)
        self.part = part


class Jet(NamedTuple):
    """A coefficient at N points and the derivatives asked for: ``gradient`` (N, d) when asked,
    ``second`` axis → the pure second derivative along it (N,)."""

    value: torch.Tensor
    gradient: torch.Tensor | None
    second: dict[int, torch.Tensor]


@dataclass(frozen=True, eq=False)
class GriddedMedium:
    """A coefficient sampled on a regular grid, interpolated, clamped outside.

    Attributes:
        values: real samples, shape (n_1, …, n_d), all finite; every n_i ≥ 2 (≥ 4 for cubic).
        lo, hi: the grid's corners (d,), lo < hi; node i of axis a is at lo_a + i·(hi_a − lo_a)/(n_a − 1).
        interpolation: ``"nearest"``, ``"linear"`` (multilinear, the default) or ``"cubic"``
            (4-point Lagrange per axis, exact on cubics; see :mod:`sirenpde.domains.interpolation`).
            Linear has first derivatives, cubic first and second ones.
    """

    values: np.ndarray = field(repr=False)  # a repr of shape, corners and scheme, not of every sample
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    interpolation: Interpolation = "linear"
    # The grid as a flat tensor per (dtype, device): the residual evaluates m every training step,
    # and copying (on a GPU: uploading) the whole array each time would dominate for large grids.
    _tables: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        values = np.asarray(self.values)
        lo, hi = tuple(float(v) for v in self.lo), tuple(float(v) for v in self.hi)
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f"unknown interpolation {self.interpolation!r}; expected one of:"
                             f" {', '.join(INTERPOLATIONS)}")
        if len(lo) != values.ndim or len(hi) != values.ndim:
            raise ValueError(f"the array has {values.ndim} axes, so lo and hi need {values.ndim}"
                             f" coordinates each; found lo={list(lo)}, hi={list(hi)}")
        if not all(a < b for a, b in zip(lo, hi, strict=True)):
            raise ValueError(f"the grid needs lo < hi on every axis; found lo={list(lo)}, hi={list(hi)}")
        fewest = MIN_NODES[self.interpolation]
        if min(values.shape, default=0) < fewest:
            raise ValueError(f"expected at least {fewest} samples along every axis for interpolation:"
                             f" {self.interpolation}; found shape {values.shape}")
        if not np.issubdtype(values.dtype, np.number) or np.iscomplexobj(values):
            raise ValueError(f"expected real numbers; found an array of {values.dtype}")
        bad = ~np.isfinite(values)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{int(bad.sum())} values are NaN or infinite (the first at index"
                             f" {list(first)}); every sample must be a finite number")
        object.__setattr__(self, "values", values.astype(np.float64))
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    @property
    def dim(self) -> int:
        return self.values.ndim

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Values (N,) at points (N, d), in the points' dtype and on their device."""
        return self.jet(x).value

    def gradient(self, x: torch.Tensor) -> torch.Tensor:
        """The interpolant's gradient (N, d) at points (N, d): piecewise constant for linear."""
        return self.jet(x, gradient=True).gradient

    def second(self, x: torch.Tensor, axis: int) -> torch.Tensor:
        """The pure second derivative along ``axis`` (N,) at points (N, d); cubic only."""
        return self.jet(x, second=(axis,)).second[axis]

    def laplacian(self, x: torch.Tensor, axes: Sequence[int] | None = None) -> torch.Tensor:
        """Σ of the second derivatives over ``axes`` (all by default), (N,); cubic only."""
        axes = tuple(range(self.dim)) if axes is None else tuple(axes)
        return sum(self.jet(x, second=axes).second.values(), torch.zeros_like(x[:, 0]))

    def jet(self, x: torch.Tensor, gradient: bool = False, second: Sequence[int] = ()) -> Jet:
        """The value and the derivatives asked for, from one look-up of the samples around each point.

        Raises:
            ValueError: points not (N, d), or a derivative the interpolation does not define.
        """
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"points must have shape (N, {self.dim}); found {tuple(x.shape)}")
        shape, d = self.values.shape, self.dim
        table = self._tables.get((x.dtype, x.device))
        if table is None:
            table = torch.as_tensor(self.values, dtype=x.dtype, device=x.device).reshape(-1)
            self._tables[(x.dtype, x.device)] = table
        # Derivatives come from the interpolant, not from autograd through the look-up.
        x = x.detach()
        stencils = []
        for a in range(d):
            orders = [0] + [1] * gradient + [2] * (a in second)
            t = (x[:, a] - self.lo[a]) / (self.hi[a] - self.lo[a]) * (shape[a] - 1)
            h = (self.hi[a] - self.lo[a]) / (shape[a] - 1)
            stencils.append(axis_stencil(t, shape[a], h, self.interpolation, orders))
        samples = gather(table, shape, stencils)

        def along(a: int, k: int) -> torch.Tensor:
            return contract(samples, stencils, [k if b == a else 0 for b in range(d)])

        value = along(0, 0)
        grad = torch.stack([along(a, 1) for a in range(d)], dim=1) if gradient else None
        return Jet(value, grad, {a: along(a, 2) for a in second})


@dataclass(frozen=True, eq=False)
class SpatialMedium:
    """A medium of space in a space-time problem: evaluated on the spatial coordinates of points
    (N, d + 1), time last, which it does not depend on (its time derivatives are zero)."""

    medium: GriddedMedium

    @property
    def interpolation(self) -> str:
        return self.medium.interpolation

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.medium(x[:, : self.medium.dim])

    def gradient(self, x: torch.Tensor) -> torch.Tensor:
        return self.jet(x, gradient=True).gradient

    def second(self, x: torch.Tensor, axis: int) -> torch.Tensor:
        return self.jet(x, second=(axis,)).second[axis]

    def jet(self, x: torch.Tensor, gradient: bool = False, second: Sequence[int] = ()) -> Jet:
        d = self.medium.dim
        inner = self.medium.jet(x[:, :d], gradient, tuple(a for a in second if a < d))
        still = torch.zeros_like(x[:, d:])
        grad = None if inner.gradient is None else torch.cat([inner.gradient, still], dim=1)
        return Jet(inner.value, grad, {a: inner.second[a] if a < d else still[:, 0] for a in second})

def read_grid(path: str | Path, dataset: str | None = None) -> np.ndarray:
    """The array stored in ``path``: a ``.npy`` file, or the dataset ``dataset`` of an ``.h5`` file.

    Raises:
        GridFileError: the file is missing or unreadable, of another kind, or the dataset is
            missing (``part="dataset"``) or given for a ``.npy`` file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".h5", ".hdf5"):
        raise GridFileError(f"unsupported file type {path.suffix or '(none)'!r} of {str(path)!r};"
                            " expected a .npy or an .h5 file")
    if path.is_dir():
        raise GridFileError(f"{str(path)!r} is a folder; expected a .npy or an .h5 file")
    if not path.is_file():
        raise GridFileError(f"file not found: {str(path)!r}; a relative path is relative to the"
                            " problem file's folder")
    if suffix == ".npy":
        if dataset is not None:
            raise GridFileError("a .npy file holds one array and has no datasets; remove `dataset`",
                                "dataset")
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise GridFileError(f"cannot read {str(path)!r} as a .npy array: {err}") from None
    return _read_h5(path, dataset)


def _read_h5(path: Path, dataset: str | None) -> np.ndarray:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            names: list[str] = []
            f.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
            if dataset is None:
                raise GridFileError(f"an .h5 file needs `dataset`, the name of the array; this file has:"
                                    f" {', '.join(names) or 'no datasets'}", "dataset")
            if dataset not in names:
                raise GridFileError(f"no dataset {dataset!r} in {str(path)!r}; it has:"
                                    f" {', '.join(names) or 'no datasets'}", "dataset")
            return np.asarray(f[dataset][()])
    except OSError as err:
        raise GridFileError(f"cannot read {str(path)!r} as HDF5: {err}") from None
