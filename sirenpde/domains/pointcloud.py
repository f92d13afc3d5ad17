"""Oriented point clouds: read from .xyz, .ply, .obj, .npy or HDF5, checked, in the user's units.

Every reader returns a :class:`PointCloud` of points (N, 3) and unit normals (N, 3). Normals are
checked (finite, unit length within 1e-3; they are then renormalised exactly); a file without normals
is an error unless ``estimate_normals`` is asked for. The cloud stays in the file's units: the SDF
problem puts it in a cube around it, which the network maps to [−1, 1]³ (aspect ratio kept), so
every output — grids, meshes — comes back in those units.

PLY files are read with plyfile and OBJ files with trimesh (optional extras: ``pip install
sirenpde[sdf]``); .xyz with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["PointCloud", "PointCloudError", "read_point_cloud", "estimate_normals"]

_UNIT_TOLERANCE = 1e-3


class PointCloudError(ValueError):
    """A point-cloud file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, eq=False)
class PointCloud:
    """Points (N, 3) and outward unit normals (N, 3), float64, in the user's units."""

    points: np.ndarray
    normals: np.ndarray

    def __post_init__(self) -> None:
        check_cloud(self.points, self.normals, "the point cloud")

    def __len__(self) -> int:
        return len(self.points)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.points.min(axis=0), self.points.max(axis=0)


def check_cloud(points: np.ndarray, normals: np.ndarray, where: str) -> None:
    """Raise :class:`PointCloudError` unless points and normals are (N, 3), finite, normals of unit length."""
    if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0:
        raise PointCloudError(f"{where}: expected points of shape (N, 3) with N ≥ 1; found {points.shape}")
    if normals.shape != points.shape:
        raise PointCloudError(f"{where}: expected one normal per point, {points.shape};"
                              f" found {normals.shape}")
    for name, values in (("point", points), ("normal", normals)):
        bad = ~np.isfinite(values).all(axis=1)
        if bad.any():
            raise PointCloudError(f"{where}: {int(bad.sum())} {name}s are NaN or infinite (the first is"
                                  f" row {int(np.argmax(bad))})")
    length = np.linalg.norm(normals, axis=1)
    off = np.abs(length - 1) > _UNIT_TOLERANCE
    if off.any():
        first = int(np.argmax(off))
        raise PointCloudError(f"{where}: {int(off.sum())} normals are not of unit length (row {first} has"
                              f" length {length[first]:.4g}); normalise them, or estimate new ones")


def read_point_cloud(path: str | Path, dataset: str | None = None, estimate: bool = False) -> PointCloud:
    """The oriented cloud in ``path`` (.xyz, .ply, .obj, .npy, .h5/.hdf5).

    Args:
        path: the file. ``.xyz``: whitespace-separated ``x y z nx ny nz`` rows (``#`` comments).
            ``.npy``: an (N, 6) array. HDF5: the (N, 6) dataset ``dataset``, or the datasets
            ``points`` and ``normals`` (N, 3) of the group ``dataset`` (default the root).
            ``.ply``: the ``vertex`` element's x, y, z, nx, ny, nz. ``.obj``: ``v`` and ``vn``
            lines (trimesh).
        dataset: HDF5 only, as above.
        estimate: files without normals get normals estimated from the points (see
            :func:`estimate_normals`) instead of an error.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    readers = {".xyz": _read_xyz, ".npy": _read_npy, ".h5": _read_h5, ".hdf5": _read_h5, ".ply": _read_ply,
               ".obj": _read_obj}
    if suffix not in readers:
        raise PointCloudError(f"{path}: unsupported point-cloud type {path.suffix or '(none)'!r}; expected"
                              f" one of {', '.join(readers)}")
    if path.is_dir():
        raise PointCloudError(f"{path}: a folder; expected a point-cloud file (.xyz, .ply, .obj, .npy, .h5)")
    if not path.is_file():
        raise PointCloudError(f"{path}: file not found")
    if dataset is not None and suffix not in (".h5", ".hdf5"):
        raise PointCloudError(f"{path}: `dataset` is for HDF5 files only")
    points, normals = readers[suffix](path, dataset) if suffix in (".h5", ".hdf5") else readers[suffix](path)
    points = np.asarray(points, dtype=np.float64)
    if normals is None:
        if not estimate:
            raise PointCloudError(f"{path}: the points have no normals; give nx ny nz, or ask for"
                                  " estimated ones (estimate_normals: true)")
        normals = estimate_normals(points)
    normals = np.asarray(normals, dtype=np.float64)
    check_cloud(points, normals, str(path))
    return PointCloud(points, normals / np.linalg.norm(normals, axis=1, keepdims=True))


def _split(array: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    if array.ndim != 2 or array.shape[1] not in (3, 6):
        raise PointCloudError(f"{path}: expected N rows of x y z nx ny nz (6 columns, or 3 without"
                              f" normals); found an array of shape {array.shape}")
    return array[:, :3], (array[:, 3:] if array.shape[1] == 6 else None)


def _read_xyz(path: Path):
    try:
        array = np.loadtxt(path, ndmin=2, comments="#")
    except ValueError as err:
        raise PointCloudError(f"{path}: not a table of numbers ({str(err).splitlines()[0]})") from None
    return _split(array, path)


def _read_npy(path: Path):
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise PointCloudError(f"{path}: not a NumPy array file ({str(err).splitlines()[0]})") from None
    return _split(array, path)


def _read_h5(path: Path, dataset: str | None):
    import h5py

    try:
        with h5py.File(path, "r") as f:
            node = f[dataset] if dataset else f
            if isinstance(node, h5py.Dataset):
                return _split(np.asarray(node), path)
            if "points" not in node:
                raise PointCloudError(f"{path}: no dataset `points` in {dataset or 'the root'}; give"
                                      " `dataset:` (an (N, 6) array) or store points and normals")
            normals = np.asarray(node["normals"]) if "normals" in node else None
            return np.asarray(node["points"]), normals
    except KeyError:
        raise PointCloudError(f"{path}: no dataset or group {dataset!r}") from None
    except OSError as err:
        raise PointCloudError(f"{path}: not an HDF5 file ({str(err).splitlines()[0]})") from None


def _read_ply(path: Path):
    plyfile = _optional("plyfile", path)
    try:
        vertex = plyfile.PlyData.read(str(path))["vertex"]
    except KeyError:
        raise PointCloudError(f"{path}: the PLY file has no `vertex` element") from None
    except Exception as err:  # plyfile raises several types for malformed files
        raise PointCloudError(f"{path}: not a readable PLY file ({str(err).splitlines()[0]})") from None
    names = vertex.data.dtype.names
    if not {"x", "y", "z"} <= set(names):
        raise PointCloudError(f"{path}: the vertices have no x, y, z properties; found {', '.join(names)}")
    points = np.column_stack([vertex[a] for a in "xyz"])
    normals = np.column_stack([vertex[a] for a in ("nx", "ny", "nz")]) if "nx" in names else None
    return points, normals


def _read_obj(path: Path):
    _optional("trimesh", path)
    from trimesh.exchange.obj import load_obj

    try:
        with open(path) as f:
            loaded = load_obj(f)
    except Exception as err:  # trimesh raises several types for malformed files
        raise PointCloudError(f"{path}: not a readable OBJ file ({str(err).splitlines()[0]})") from None
    # A file of `v`/`vn` lines only loads flat; one with faces as named geometries (the first used).
    geometry = next(iter(loaded["geometry"].values()), {}) if "geometry" in loaded else loaded
    points = np.asarray(geometry.get("vertices", np.zeros((0, 3))))
    if len(points) == 0:
        raise PointCloudError(f"{path}: the OBJ file has no vertices (`v` lines)")
    normals = geometry.get("vertex_normals")  # only the file's own `vn` lines, never computed ones
    if normals is not None and len(normals) != len(points):
        raise PointCloudError(f"{path}: {len(points)} vertices but {len(normals)} normals (`vn` lines)")
    return points, normals


def _optional(module: str, path: Path):
    try:
        return __import__(module)
    except ImportError:
        raise PointCloudError(f"{path}: reading this file needs {module};"
                              " pip install 'sirenpde[sdf]'") from None


def estimate_normals(points: np.ndarray, neighbours: int = 16) -> np.ndarray:
    """Unit normals from the points alone: the least-variance direction of each point's
    ``neighbours`` nearest points (PCA), turned to point away from the cloud's centroid.

    The orientation rule is right for star-shaped surfaces around their centroid only; for other
    shapes give normals with the points.
    """
    from scipy.spatial import cKDTree

    k = min(neighbours, len(points))
    _, index = cKDTree(points).query(points, k=k)
    local = points[index] - points[index].mean(axis=1, keepdims=True)
    _, vectors = np.linalg.eigh(np.einsum("nki,nkj->nij", local, local))
    normals = vectors[:, :, 0]
    outward = np.einsum("ni,ni->n", normals, points - points.mean(axis=0)) < 0
    normals[outward] *= -1
    return normals
