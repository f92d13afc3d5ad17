"""A stored result re-evaluated as a continuous field: on a grid of any resolution (VTK, HDF5 + XDMF
or CSV) or at given points (CSV). Every file is written atomically.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import h5py
import numpy as np

from .atomic import atomic_path
from .hdf5 import save
from .solution import Solution
from .xdmf import xdmf_path

__all__ = ["ExportError", "FORMATS", "export_grid", "read_points", "stored_shape", "values_csv",
           "write_text"]

FORMATS = {"vtk": ".vtr", "xdmf": ".h5", "csv": ".csv"}
"""Export format → the suffix of the file it writes (``xdmf`` writes an HDF5 file and its sidecar)."""


class ExportError(ValueError):
    """Bad input to an export: one line naming the file, what was expected and what was found."""


def export_grid(solution: Solution, out: str | os.PathLike, fmt: str, resolution=None) -> list[Path]:
    """Evaluate ``solution`` on a grid over its bounding box and write it to ``out``.

    Args:
        solution: a continuous solution (e.g. :func:`~sirenpde.load`'s).
        out: the file to write; with ``fmt="xdmf"`` the HDF5 file, its ``.xdmf`` sidecar beside it.
        fmt: ``"vtk"`` (a ``.vtr`` rectilinear grid; a time axis is its last coordinate; complex
            fields as ``u_re``, ``u_im``, ``u_abs``), ``"xdmf"``
            (a full result file, loadable again) or ``"csv"`` (one row per grid point).
        resolution: points per axis, an int or one per axis (by default the solution's own).

    Returns:
        The files written.
    Raises:
        ExportError: an unknown format, a bad resolution, or more axes than the format holds.
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise ExportError(f"{out}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    try:
        grid = solution.grid(resolution)
    except ValueError as err:
        raise ExportError(f"{out}: {err}") from None
    if fmt == "xdmf":
        save(solution, out, resolution=grid.shape, xdmf=True)
        return [out, xdmf_path(out)] if len(_space(solution)) <= 3 else [out]
    points = grid.points()
    values = solution.evaluate(points)
    if fmt == "csv":
        write_text(out, values_csv(solution, points, values))
    else:
        _write_vtr(out, grid, _columns(solution, values, magnitude=True))
    return [out]


def stored_shape(path: str | os.PathLike) -> tuple[int, ...]:
    """The grid points per axis of the arrays stored in the result ``path``."""
    with h5py.File(path, "r") as f:
        return tuple(len(f[f"grid/{axis}"]) for axis in f.attrs["axes"])


def _space(solution: Solution) -> tuple[str, ...]:
    return solution.axes[:-1] if solution.time_axis is not None else solution.axes


def _columns(solution: Solution, values: np.ndarray, magnitude: bool = False) -> dict[str, np.ndarray]:
    """Each field as real columns: ``u``, or ``u_re``, ``u_im`` (and ``u_abs`` with ``magnitude``)."""
    out = {}
    for k, name in enumerate(solution.fields):
        if solution.complex:
            out[f"{name}_re"], out[f"{name}_im"] = values[:, k].real, values[:, k].imag
            if magnitude:
                out[f"{name}_abs"] = np.abs(values[:, k])
        else:
            out[name] = values[:, k]
    return out


def _write_vtr(out: Path, grid, columns: dict[str, np.ndarray]) -> None:
    if len(grid.shape) > 3:
        raise ExportError(f"{out}: a VTK grid has at most 3 axes; this result has {len(grid.shape)}"
                          f" ({', '.join(grid.axes)}): use --format xdmf or csv")
    try:
        from pyevtk.hl import gridToVTK
    except ImportError:
        raise ExportError(f"{out}: the vtk format needs pyevtk: pip install 'sirenpde[export]'") from None
    pad = 3 - len(grid.shape)
    coords = [np.ascontiguousarray(c, dtype=np.float64) for c in grid.coords] + [np.zeros(1)] * pad
    shape = (*grid.shape, *(1,) * pad)
    data = {name: np.ascontiguousarray(v.reshape(shape)) for name, v in columns.items()}
    with atomic_path(out) as tmp:
        written = Path(tmp + ".vtr")  # pyevtk adds the suffix itself
        try:
            gridToVTK(tmp, *coords, pointData=data)
            os.replace(written, tmp)
        finally:
            written.unlink(missing_ok=True)


def values_csv(solution: Solution, points: np.ndarray, values: np.ndarray | None = None) -> str:
    """CSV text: a header ``x,y[,t],u`` (complex: ``u_re,u_im``), then one row per point."""
    values = solution.evaluate(points) if values is None else values
    columns = _columns(solution, values)
    table = np.column_stack([points, *columns.values()])
    lines = [",".join([*solution.axes, *columns])]
    lines += [",".join(map(repr, row)) for row in table.tolist()]  # the shortest exact decimals
    return "\n".join(lines) + "\n"


def write_text(out: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``out`` atomically."""
    out = Path(out)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return out


def read_points(path: str | os.PathLike, axes) -> np.ndarray:
    """Points (N, d) in the order of ``axes`` from a CSV file whose header names the axes (in any
    order) or from an (N, d) ``.npy`` array.

    Raises:
        ExportError: a missing file, another suffix, a wrong header, a wrong number of columns, a
            value that is not a finite number, or no points.
    """
    path, axes = Path(path), tuple(axes)
    if not path.is_file():
        raise ExportError(f"{path}: file not found")
    if path.suffix.lower() == ".npy":
        points = _read_npy(path, axes)
    elif path.suffix.lower() == ".csv":
        points = _read_csv(path, axes)
    else:
        raise ExportError(f"{path}: expected a .csv file with a header naming the axes"
                          f" ({', '.join(axes)}) or an (N, {len(axes)}) .npy array")
    if not len(points):
        raise ExportError(f"{path}: no points; expected at least one row of {', '.join(axes)}")
    if not np.all(np.isfinite(points)):
        raise ExportError(f"{path}: the points must be finite numbers; found NaN or infinity")
    return points


def _read_npy(path: Path, axes: tuple[str, ...]) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise ExportError(f"{path}: not a numeric .npy array ({' '.join(str(err).split())})") from None
    if array.ndim == 1 and len(axes) == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] != len(axes) or array.dtype.kind not in "iuf":
        raise ExportError(f"{path}: expected a real array of shape (N, {len(axes)}) (axes"
                          f" {', '.join(axes)}); found {array.dtype} of shape {array.shape}")
    return array.astype(np.float64)


def _read_csv(path: Path, axes: tuple[str, ...]) -> np.ndarray:
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            rows = [(n, row) for n, row in enumerate(csv.reader(stream), start=1)
                    if any(c.strip() for c in row)]
    except (UnicodeDecodeError, csv.Error) as err:
        raise ExportError(f"{path}: not a CSV text file ({' '.join(str(err).split())})") from None
    if not rows:
        raise ExportError(f"{path}: empty; expected a header naming the axes {', '.join(axes)}")
    header = [c.strip() for c in rows[0][1]]
    unknown = [name for name in header if name not in axes]
    if unknown or sorted(header) != sorted(axes):
        found = f"unknown axis {unknown[0]!r}" if unknown else f"the header {','.join(header)}"
        raise ExportError(f"{path}: line {rows[0][0]}: {found}; expected a header naming the axes"
                          f" {', '.join(axes)} (in any order)")
    order = [header.index(axis) for axis in axes]
    points = np.empty((len(rows) - 1, len(axes)))
    for k, (line, row) in enumerate(rows[1:]):
        if len(row) != len(header):
            raise ExportError(f"{path}: line {line}: expected {len(header)} values"
                              f" ({','.join(header)}); found {len(row)}")
        try:
            points[k] = [float(row[i]) for i in order]
        except ValueError:
            raise ExportError(f"{path}: line {line}: expected numbers; found {','.join(row)}") from None
    return points
