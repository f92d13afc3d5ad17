"""A result made readable by visualisation tools: the XDMF sidecar (ParaView, VisIt) and HDF5
dimension scales (xarray with h5netcdf, HDFView). Layout: docs/hdf5-format.md.

The arrays under ``/fields`` are stored with the first axis slowest (``ij`` order). XDMF's rectilinear
meshes (``2DRectMesh``/``3DRectMesh``) pair their first coordinate array with the *fastest* data
index, so pointing them at our arrays would show x and z (or x and y) swapped — a mirror image.
A curvilinear mesh (``2DSMesh``/``3DSMesh``) lists its dimensions slowest first and carries the
coordinates of every point, so it takes the arrays as stored; the points are written once, to
``/xdmf/points``, and shared by every field and time level.
"""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np

from .atomic import atomic_path
from .solution import Grid

__all__ = ["attach_dimension_scales", "write_xdmf_arrays", "write_xdmf", "xdmf_path"]

logger = logging.getLogger(__name__)

GRID_ARRAYS = ("fields", "reference", "error", "unknowns")
"""The groups whose arrays live on the grid, in the order their attributes are listed."""

_SUFFIX = {"fields": "", "reference": "_reference", "error": "_error", "unknowns": ""}
_PARTS = {"re": np.real, "im": np.imag, "abs": np.abs}
_MASKS = ("mask", "error_mask")


def xdmf_path(h5_path: str | os.PathLike) -> Path:
    """The sidecar of ``h5_path``: the same name with ``.xdmf`` (``result.h5`` → ``result.xdmf``)."""
    h5_path = Path(h5_path)
    side = h5_path.with_suffix(".xdmf")
    return side if side != h5_path else h5_path.with_name(h5_path.name + ".xdmf")


def attach_dimension_scales(f: h5py.File, axes) -> None:
    """Make each ``/grid/<axis>`` a dimension scale and attach it to the matching axis of every array
    on the grid (the masks, fields, reference, error and fitted coefficient fields)."""
    scales = [f[f"grid/{axis}"] for axis in axes]
    for axis, scale in zip(axes, scales, strict=True):
        scale.make_scale(axis)
    for dataset in _grid_datasets(f, tuple(len(s) for s in scales)):
        for i, (axis, scale) in enumerate(zip(axes, scales, strict=True)):
            dataset.dims[i].attach_scale(scale)
            dataset.dims[i].label = axis


def _grid_datasets(f: h5py.File, shape: tuple[int, ...]):
    paths = [f"grid/{m}" for m in _MASKS if f"grid/{m}" in f]
    paths += [f"{g}/{name}" for g in GRID_ARRAYS if g in f for name in f[g]]
    return [f[p] for p in paths if f[p].shape == shape]


def write_xdmf_arrays(f: h5py.File, grid: Grid, time_axis: str | None) -> bool:
    """Write what an XDMF reader needs and the layout does not hold as is, under ``/xdmf``: the
    spatial points, the masks as bytes (HDF5 stores booleans as an enum that readers do not convert)
    and, for complex arrays, their real part, imaginary part and magnitude.

    Returns:
        Whether XDMF can show the grid: False (and nothing written) above three spatial axes.
    """
    space = grid.coords[:-1] if time_axis is not None else grid.coords
    if not 1 <= len(space) <= 3:
        logger.info("no XDMF sidecar: %d spatial axes (XDMF meshes have 1 to 3)", len(space))
        return False
    mesh = np.meshgrid(*space, indexing="ij")
    columns = [m.reshape(-1) for m in mesh]
    if len(columns) == 1:  # a line is drawn in the plane y = 0
        columns.append(np.zeros_like(columns[0]))
    f.create_dataset("xdmf/points", data=np.stack(columns, axis=1), compression="gzip")
    for mask in _MASKS:
        if f"grid/{mask}" in f:
            f.create_dataset(f"xdmf/grid/{mask}", data=f[f"grid/{mask}"][()].astype(np.uint8),
                             compression="gzip")
    for group in GRID_ARRAYS:
        for name, dataset in f.get(group, {}).items():
            if dataset.dtype.kind == "c":
                values = dataset[()]
                for part, take in _PARTS.items():
                    f.create_dataset(f"xdmf/{group}/{name}_{part}", data=take(values),
                                     compression="gzip")
    return True


def write_xdmf(h5_path: str | os.PathLike) -> Path:
    """Write the XDMF 3 sidecar of the result ``h5_path`` (saved with its ``/xdmf`` arrays) beside
    it, atomically; it points into the HDF5 file by its file name. Returns the sidecar's path.

    Raises:
        ValueError: the result has no ``/xdmf`` arrays, or more than three spatial axes.
    """
    h5_path = Path(h5_path)
    with h5py.File(h5_path, "r") as f:
        root = _document(f, h5_path.name)
    ET.indent(root)
    out = xdmf_path(h5_path)
    with atomic_path(out) as tmp:
        ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    return out


def _document(f: h5py.File, file_name: str) -> ET.Element:
    if "xdmf/points" not in f:
        raise ValueError(f"{file_name}: no /xdmf arrays; save the result with xdmf=True")
    axes = [str(a) for a in f.attrs["axes"]]
    time_axis = f.attrs.get("time_axis")
    shape = tuple(len(f[f"grid/{axis}"]) for axis in axes)
    space = shape[:-1] if time_axis is not None else shape
    if not 1 <= len(space) <= 3:
        raise ValueError(f"{file_name}: XDMF meshes have 1 to 3 spatial axes; this result has {len(space)}")
    sources = _sources(f, shape)
    root = ET.Element("Xdmf", Version="3.0")
    domain = ET.SubElement(root, "Domain")
    title = str(f.attrs.get("title", "") or f.attrs.get("problem_kind", "result"))
    if time_axis is None:
        _grid(domain, title, file_name, f, space, sources, None)
        return root
    series = ET.SubElement(domain, "Grid", Name=title, GridType="Collection", CollectionType="Temporal")
    for level, t in enumerate(np.asarray(f[f"grid/{time_axis}"])):
        grid = _grid(series, f"{title} {time_axis}={t:.6g}", file_name, f, space, sources, level)
        ET.SubElement(grid, "Time", Value=repr(float(t)))
    return root


def _sources(f: h5py.File, shape: tuple[int, ...]) -> list[tuple[str, str]]:
    """(attribute name, dataset path) of every array on the grid that XDMF can point at."""
    out = []
    for group in GRID_ARRAYS:
        for name, dataset in f.get(group, {}).items():
            if dataset.shape != shape:
                continue
            label = f"{name}{_SUFFIX[group]}"
            if dataset.dtype.kind == "c":
                out += [(f"{label}_{part}", f"xdmf/{group}/{name}_{part}") for part in _PARTS]
            else:
                out.append((label, f"{group}/{name}"))
    out += [(mask, f"xdmf/grid/{mask}") for mask in _MASKS if f"xdmf/grid/{mask}" in f]
    return out


def _grid(parent, name, file_name, f, space, sources, level) -> ET.Element:
    """One spatial grid; ``level`` picks a time level of space-time arrays (their last axis)."""
    grid = ET.SubElement(parent, "Grid", Name=name, GridType="Uniform")
    dims = space if len(space) > 1 else (*space, 1)
    kind = "3DSMesh" if len(space) == 3 else "2DSMesh"
    ET.SubElement(grid, "Topology", TopologyType=kind, Dimensions=_dims(dims))
    geometry = ET.SubElement(grid, "Geometry", GeometryType="XYZ" if len(space) == 3 else "XY")
    _hdf_item(geometry, file_name, f["xdmf/points"], "xdmf/points")
    for label, path in sources:
        attribute = ET.SubElement(grid, "Attribute", Name=label, AttributeType="Scalar", Center="Node")
        if level is None:
            _hdf_item(attribute, file_name, f[path], path)
        else:
            _slab_item(attribute, file_name, f[path], path, level)
    return grid


def _slab_item(parent, file_name, dataset, path, level) -> None:
    """The time level ``level`` of a space-time array: start, stride and count along each axis."""
    space = dataset.shape[:-1]
    slab = ET.SubElement(parent, "DataItem", ItemType="HyperSlab", Type="HyperSlab",
                         Dimensions=_dims(space))  # the slab's shape, its length-1 time axis dropped
    rows = [(*(0,) * len(space), level), (1,) * dataset.ndim, (*space, 1)]
    selection = ET.SubElement(slab, "DataItem", Dimensions=f"3 {dataset.ndim}", Format="XML",
                              NumberType="UInt", Precision="4")
    selection.text = "  ".join(_dims(row) for row in rows)
    _hdf_item(slab, file_name, dataset, path)


def _hdf_item(parent, file_name, dataset, path) -> None:
    number, precision = _number_type(dataset.dtype)
    item = ET.SubElement(parent, "DataItem", Dimensions=_dims(dataset.shape), Format="HDF",
                         NumberType=number, Precision=str(precision))
    item.text = f"{file_name}:/{path}"


def _number_type(dtype: np.dtype) -> tuple[str, int]:
    kind = {"f": "Float", "i": "Int", "u": "UInt"}[dtype.kind]
    if kind == "UInt" and dtype.itemsize == 1:
        kind = "UChar"
    return kind, dtype.itemsize


def _dims(values) -> str:
    return " ".join(str(int(v)) for v in values)
