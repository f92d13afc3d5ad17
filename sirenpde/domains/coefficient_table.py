"""A known coefficient given as a table of samples: columns named like the axes, and its values.

A ``.csv`` file (a header line of names) has one column per coordinate (``x``, ``y`` … and, for a
space-time coefficient, ``t``) and one of values, named ``value`` or like the coefficient. If its
rows form a complete regular grid — every combination of equally spaced coordinates exactly once, in
any order — the grid is used as it is. Otherwise the rows are scattered samples, put on a regular
grid over their bounding box once, when the file is read (:data:`SCATTERED_RESOLUTION` nodes per
axis), by linear interpolation on the Delaunay triangulation of the samples
(``scipy.interpolate.griddata``). Linear rather than radial basis functions: it costs O(N log N)
for N samples where an RBF fit solves a dense N × N system, and it stays within the samples' range —
global RBFs overshoot between unevenly spaced samples, and those spurious wiggles would then enter the
coefficient's derivatives. Grid nodes in the bounding box but outside the samples' convex hull
(corners a random scatter does not reach) take the nearest sample's value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .measurements import MeasurementFileError, read_table
from .media import GridFileError

__all__ = ["SCATTERED_RESOLUTION", "SampledGrid", "read_samples"]

SCATTERED_RESOLUTION: dict[int, int] = {1: 1001, 2: 201, 3: 65, 4: 33}
"""Nodes per axis of the grid scattered samples are put on, by the number of axes (as the result
files' default output grid): about 10⁶ nodes at most, a few seconds of interpolation."""

VALUE_COLUMN = "value"


@dataclass(frozen=True)
class SampledGrid:
    """The samples of a table on a regular grid: ``values`` (n_1, …, n_D) spanning ``lo``..``hi``
    over the table's ``axes``; ``scattered`` when they were interpolated onto it."""

    values: np.ndarray
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    axes: tuple[str, ...]
    scattered: bool


def read_samples(path: str | Path, name: str, axes: Sequence[str],
                 optional: Sequence[str] = ()) -> SampledGrid:
    """The coefficient ``name`` tabulated in the ``.csv`` file ``path``, on a regular grid.

    Args:
        path: the file.
        name: the coefficient's name; its values are the column ``value`` or the column ``name``.
        axes: the coordinate columns the table must have.
        optional: coordinate columns it may have besides (time: a table with ``t`` varies in time).

    Raises:
        GridFileError: the file is missing, unreadable or not a table of numbers; a column is
            missing or not an axis; the samples do not span every axis.
    """
    try:
        table = read_table(path)
    except MeasurementFileError as err:
        raise GridFileError(str(err)) from None
    shown = f"{str(path)!r}"
    used = (*axes, *(a for a in optional if a in table))
    values = _value_column(table, name, shown, axes)
    for column in table:
        if column not in (*used, name, VALUE_COLUMN):
            every_axis = ", ".join((*axes, *optional))
            raise GridFileError(f"{shown}: column {column!r} is neither an axis ({every_axis}) nor the values"
                                f" ({VALUE_COLUMN} or {name}); remove or rename it")
    points = np.stack([table[a] for a in used], axis=1)
    grid = _complete_grid(points, values)
    if grid is not None:
        return SampledGrid(grid[0], grid[1], grid[2], used, scattered=False)
    return _scattered(points, values, used, shown)


def _value_column(table: dict, name: str, shown: str, axes: Sequence[str]) -> np.ndarray:
    missing = [a for a in axes if a not in table]
    has = [c for c in (name, VALUE_COLUMN) if c in table]
    if missing or not has:
        what = repr(missing[0]) if missing else f"{VALUE_COLUMN!r} (or {name!r})"
        raise GridFileError(f"{shown} has no column {what}; expected columns {', '.join(axes)} and"
                            f" {VALUE_COLUMN} (or {name}); it has: {', '.join(table)}")
    if len(has) == 2:
        raise GridFileError(f"{shown} has both a column {name!r} and a column {VALUE_COLUMN!r}; keep one")
    return table[has[0]]


def _complete_grid(points: np.ndarray, values: np.ndarray):
    """(values on the grid, lo, hi) if the rows are every node of a regular grid once; else ``None``."""
    coords = [np.unique(points[:, a]) for a in range(points.shape[1])]
    counts = [len(c) for c in coords]
    if math.prod(counts) != len(values) or min(counts) < 2:
        return None
    for c in coords:
        steps = np.diff(c)
        if not np.allclose(steps, steps.mean(), rtol=1e-4, atol=0):  # text rounds the coordinates
            return None
    grid = np.full(counts, np.nan)
    grid[tuple(np.searchsorted(c, points[:, a]) for a, c in enumerate(coords))] = values
    if np.isnan(grid).any():  # a node given twice, so another is missing
        return None
    return grid, tuple(float(c[0]) for c in coords), tuple(float(c[-1]) for c in coords)


def _scattered(points: np.ndarray, values: np.ndarray, axes: tuple[str, ...], shown: str) -> SampledGrid:
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    lo, hi = points.min(axis=0), points.max(axis=0)
    flat = [a for a, low, high in zip(axes, lo, hi, strict=True) if not high > low]
    if flat:
        raise GridFileError(f"{shown}: every sample has the same {flat[0]} ({lo[axes.index(flat[0])]:g});"
                            f" the samples must span each axis ({', '.join(axes)})")
    d = len(axes)
    if len(values) <= d:
        raise GridFileError(f"{shown}: {len(values)} samples cannot be interpolated over {d} axes; expected"
                            f" at least {d + 1}, or a complete regular grid")
    n = SCATTERED_RESOLUTION[d]
    nodes = np.stack(np.meshgrid(*[np.linspace(a, b, n) for a, b in zip(lo, hi, strict=True)],
                                 indexing="ij"), axis=-1).reshape(-1, d)
    try:
        # rescale: axes of different units (x in metres, t in seconds) weigh alike in the triangulation.
        grid = griddata(points, values, nodes, method="linear", rescale=True)
    except (QhullError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise GridFileError(f"{shown}: the samples cannot be triangulated (do they all lie on a line or"
                            f" plane?): {first}") from None
    hull = np.isfinite(grid)
    if not hull.all():
        grid[~hull] = griddata(points, values, nodes[~hull], method="nearest", rescale=True)
    return SampledGrid(grid.reshape((n,) * d), tuple(float(v) for v in lo), tuple(float(v) for v in hi),
                       axes, scattered=True)
