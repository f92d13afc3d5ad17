"""Measurements: values observed at given points, the data an inverse problem is fitted to.

A table has one column per coordinate and one per measured quantity, read from a ``.csv`` file
(a header line names the columns), a ``.npy`` array (the columns are named by the caller), an
``.npz`` archive or an ``.h5`` file (one 1-D array per name). As a region, it hands each step a
mini-batch of rows: the points, and the measured values as ``fields.data[name]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .regions import Region
from .sampling import Sampler

__all__ = ["Measurements", "MeasurementFileError", "read_table"]

_MAX_ROWS = 10_000_000


class MeasurementFileError(ValueError):
    """A table of measurements that cannot be used; the message says what to change."""


def read_table(path: str | Path, columns: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The columns of a table of measurements, name → float64 (N,).

    Args:
        path: a ``.csv`` (header line of names, comma separated), ``.npy`` (a 2-D array; needs
            ``columns``), ``.npz`` or ``.h5``/``.hdf5`` (1-D arrays by name) file.
        columns: the names to read (``.npy``: the names of its columns, in order); by default every
            column of a ``.csv``/``.npz``/``.h5`` file.

    Raises:
        MeasurementFileError: missing or unreadable file, unknown type, missing or unequal columns,
            values that are not finite numbers.
    """
    path = Path(path)
    readers = {".csv": _read_csv, ".npy": _read_npy, ".npz": _read_npz, ".h5": _read_h5, ".hdf5": _read_h5}
    suffix = path.suffix.lower()
    if suffix not in readers:
        raise MeasurementFileError(f"unsupported file type {path.suffix or '(none)'!r} of {str(path)!r};"
                                   " expected .csv, .npy, .npz or .h5")
    if path.is_dir():
        raise MeasurementFileError(f"{str(path)!r} is a folder; expected a data file (.csv, .npy, .npz, .h5)")
    if not path.is_file():
        raise MeasurementFileError(f"file not found: {str(path)!r}; a relative path is relative to the"
                                   " problem file's folder")
    if columns is not None and len(set(columns)) != len(columns):
        raise MeasurementFileError(f"columns {list(columns)} name a column twice; give every column its"
                                   " own name")
    table = readers[suffix](path, None if columns is None else tuple(columns))
    return _checked(table, path)


def _read_csv(path: Path, columns: tuple[str, ...] | None) -> dict[str, np.ndarray]:
    try:
        with open(path, encoding="utf-8") as f:
            header = [name.strip() for name in f.readline().split(",")]
            if not f.readline().strip():
                raise MeasurementFileError(f"{str(path)!r} holds no rows under its header line")
        values = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise MeasurementFileError(f"cannot read {str(path)!r} as CSV numbers under a header line of"
                                   f" names: {str(err).splitlines()[0] if str(err) else err}") from None
    if values.shape[1] != len(header):
        raise MeasurementFileError(f"{str(path)!r}: the header names {len(header)} columns"
                                   f" ({', '.join(header)}) but rows have {values.shape[1]}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise MeasurementFileError(f"{str(path)!r}: the header names column {repeated[0]!r} twice;"
                                   " give every column its own name")
    table = dict(zip(header, values.T, strict=True))
    return _select(table, columns, path)


def _read_npy(path: Path, columns: tuple[str, ...] | None) -> dict[str, np.ndarray]:
    if columns is None:
        raise MeasurementFileError(f"a .npy array has no column names; list them in `columns` for"
                                   f" {str(path)!r}")
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise MeasurementFileError(f"cannot read {str(path)!r} as a .npy array: {err}") from None
    if values.ndim != 2 or values.shape[1] != len(columns):
        raise MeasurementFileError(f"{str(path)!r}: expected a 2-D array with {len(columns)} columns"
                                   f" ({', '.join(columns)}), found shape {values.shape}")
    return dict(zip(columns, values.T, strict=True))


def _read_npz(path: Path, columns: tuple[str, ...] | None) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            table = {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as err:
        raise MeasurementFileError(f"cannot read {str(path)!r} as an .npz archive: {err}") from None
    return _select(table, columns, path)


def _read_h5(path: Path, columns: tuple[str, ...] | None) -> dict[str, np.ndarray]:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            table = {name: np.asarray(item[()]) for name, item in f.items() if isinstance(item, h5py.Dataset)}
    except OSError as err:
        raise MeasurementFileError(f"cannot read {str(path)!r} as HDF5: {err}") from None
    return _select(table, columns, path)


def _select(table: dict, columns: tuple[str, ...] | None, path: Path) -> dict[str, np.ndarray]:
    if columns is None:
        return table
    missing = [c for c in columns if c not in table]
    if missing:
        raise MeasurementFileError(f"{str(path)!r} has no column {missing[0]!r}; it has:"
                                   f" {', '.join(table) or 'none'}")
    return {c: table[c] for c in columns}


def _checked(table: dict, path: Path) -> dict[str, np.ndarray]:
    out = {}
    for name, values in table.items():
        try:
            values = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise MeasurementFileError(f"{str(path)!r}: column {name!r} is not numbers") from None
        if values.ndim != 1:
            raise MeasurementFileError(f"{str(path)!r}: column {name!r} has shape {values.shape};"
                                       " expected one value per row")
        if not np.all(np.isfinite(values)):
            raise MeasurementFileError(f"{str(path)!r}: column {name!r} has NaN or infinite values at"
                                       f" row {int(np.argmin(np.isfinite(values)))}; remove those rows")
        out[name] = values
    lengths = {len(v) for v in out.values()}
    if not out or lengths == {0}:
        raise MeasurementFileError(f"{str(path)!r} holds no rows")
    if len(lengths) > 1:
        raise MeasurementFileError(f"{str(path)!r}: columns have different lengths {sorted(lengths)}")
    if lengths.pop() > _MAX_ROWS:
        raise MeasurementFileError(f"{str(path)!r}: more than {_MAX_ROWS:,} rows")
    return out


@dataclass(frozen=True, eq=False)
class Measurements(Region):
    """Points with measured values, e.g. a sensor record u(x_i, t_i) = u_i.

    A draw of n ≥ N rows returns every row, in order (the whole record, every step); a draw of fewer
    is a fresh random mini-batch, with replacement.

    Attributes:
        points: (N, d) the measurement points.
        values: name → (N,) the values measured there; a residual reads them as ``fields.data[name]``.
    """

    points: torch.Tensor
    values: Mapping[str, torch.Tensor]
    has_data = True
    _copies: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.points.ndim != 2 or len(self.points) == 0:
            raise ValueError("measurements need points of shape (N, d), N ≥ 1;"
                             f" found {tuple(self.points.shape)}")
        for name, v in self.values.items():
            if v.shape != (len(self.points),):
                raise ValueError(f"measured {name!r} has shape {tuple(v.shape)};"
                                 f" expected ({len(self.points)},),"
                                 " one value per point")

    @classmethod
    def from_table(cls, table: Mapping[str, np.ndarray], axes: Sequence[str]) -> Measurements:
        """Points from the columns named like the axes, every other column a measured value."""
        missing = [a for a in axes if a not in table]
        if missing:
            raise ValueError(f"the measurements have no column {missing[0]!r} for that axis; they have:"
                             f" {', '.join(table)}")
        points = torch.as_tensor(np.stack([table[a] for a in axes], axis=1))
        values = {k: torch.as_tensor(v) for k, v in table.items() if k not in axes}
        if not values:
            raise ValueError(f"the measurements have only coordinate columns ({', '.join(table)}); expected"
                             " at least one column of measured values")
        return cls(points, values)

    def sample(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, None]:
        x, _, _ = self.draw(n, sampler)
        return x, None

    def draw(self, n: int, sampler: Sampler) -> tuple[torch.Tensor, None, dict[str, torch.Tensor]]:
        points, values = self._on(sampler.dtype, sampler.device)
        if n >= len(points):
            return points, None, dict(values)
        u = sampler.unit(n, 1)[:, 0]
        index = (u * len(points)).long().clamp(max=len(points) - 1)
        return points[index], None, {k: v[index] for k, v in values.items()}

    def _on(self, dtype: torch.dtype, device: torch.device):
        # Copied (on a GPU: uploaded) once per dtype and device, not each step.
        key = (dtype, device)
        if key not in self._copies:
            self._copies[key] = (self.points.to(dtype=dtype, device=device),
                                 {k: v.to(dtype=dtype, device=device) for k, v in self.values.items()})
        return self._copies[key]

    def describe(self) -> str:
        return f"{len(self.points)} measurements of {', '.join(self.values)}"
