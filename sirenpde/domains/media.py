"""Gridded coefficients: a medium such as the squared slowness m(x) given as an array of samples.

The array holds m at the nodes of a regular grid spanning ``lo``..``hi`` (``values[i, j]`` at
``(x_i, y_j)``, NumPy's ``indexing="ij"``, as in the result files). Between nodes m is interpolated
multilinearly (bilinear in 2-D, trilinear in 3-D); outside the grid it takes the value at the
nearest edge, so a grid a little smaller than the domain still defines m everywhere.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch

__all__ = ["GriddedMedium", "GridFileError", "SpatialMedium", "read_grid"]


class GridFileError(ValueError):
    """A gridded file cannot be used; ``part`` says whether the ``file`` or the ``dataset`` is at fault."""

    def __init__(self, message: str, part: Literal["file", "dataset"] = "file"):
        super().__init__(message)
        self.part = part


@dataclass(frozen=True, eq=False)
class GriddedMedium:
    """A coefficient sampled on a regular grid, interpolated multilinearly, clamped outside.

    Attributes:
        values: real samples, shape (n_1, …, n_d), every n_i ≥ 2, all finite.
        lo, hi: the grid's corners (d,), lo < hi; node i of axis a is at lo_a + i·(hi_a − lo_a)/(n_a − 1).
    """

    values: np.ndarray
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    # The grid as a flat tensor per (dtype, device): the residual evaluates m every training step,
    # and copying (on a GPU: uploading) the whole array each time would dominate for large grids.
    _tables: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        values = np.asarray(self.values)
        lo, hi = tuple(float(v) for v in self.lo), tuple(float(v) for v in self.hi)
        if len(lo) != values.ndim or len(hi) != values.ndim:
            raise ValueError(f"the array has {values.ndim} axes, so lo and hi need {values.ndim}"
                             f" coordinates each; found lo={list(lo)}, hi={list(hi)}")
        if not all(a < b for a, b in zip(lo, hi, strict=True)):
            raise ValueError(f"the grid needs lo < hi on every axis; found lo={list(lo)}, hi={list(hi)}")
        if min(values.shape, default=0) < 2:
            raise ValueError(f"expected at least 2 samples along every axis; found shape {values.shape}")
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
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"points must have shape (N, {self.dim}); found {tuple(x.shape)}")
        shape = self.values.shape
        table = self._tables.get((x.dtype, x.device))
        if table is None:
            table = torch.as_tensor(self.values, dtype=x.dtype, device=x.device).reshape(-1)
            self._tables[(x.dtype, x.device)] = table
        lo = torch.as_tensor(self.lo, dtype=x.dtype, device=x.device)
        hi = torch.as_tensor(self.hi, dtype=x.dtype, device=x.device)
        cells = torch.as_tensor([n - 1 for n in shape], dtype=x.dtype, device=x.device)
        t = ((x.detach() - lo) / (hi - lo) * cells).clamp(min=torch.zeros_like(cells), max=cells)
        base = torch.minimum(t.floor(), cells - 1)  # the last node belongs to the last cell
        frac = t - base
        base = base.long()
        strides = [int(np.prod(shape[a + 1:])) for a in range(self.dim)]
        out = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for corner in itertools.product((0, 1), repeat=self.dim):
            weight = torch.ones_like(out)
            index = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
            for a, c in enumerate(corner):
                weight = weight * (frac[:, a] if c else 1 - frac[:, a])
                index = index + (base[:, a] + c) * strides[a]
            out = out + weight * table[index]
        return out


@dataclass(frozen=True, eq=False)
class SpatialMedium:
    """A medium of space in a space-time problem: evaluated on the spatial coordinates of points
    (N, d + 1), time last, which it does not depend on."""

    medium: GriddedMedium

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.medium(x[:, : self.medium.dim])


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
