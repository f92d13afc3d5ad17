"""Meshes of a level set (an SDF's zero surface): chunked sampling, marching cubes, PLY/OBJ files.

The field is sampled on a grid one x-slab at a time into a float32 array (512³ is 512 MiB), so
memory stays bounded by the grid itself; marching cubes (scikit-image) then extracts the surface
in the solution's own units. A grid without a crossing of the level is an error, never an empty
mesh. Files are written by trimesh, atomically (temporary file, then rename). scikit-image and
trimesh are optional extras: ``pip install sirenpde[sdf]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .solution import Solution

__all__ = ["Mesh", "MeshRequest", "MeshingError", "sample_grid", "extract_mesh", "mesh_solution",
           "MESH_FORMATS"]

MESH_FORMATS = ("ply", "obj")


class MeshingError(RuntimeError):
    """No mesh can be made (no crossing of the level, or a missing optional package)."""


@dataclass(frozen=True)
class MeshRequest:
    """What a problem file asks to be meshed after training: the grid, the files, the level."""

    resolution: int = 256
    formats: tuple[str, ...] = ("ply",)
    level: float = 0.0


@dataclass(frozen=True)
class Mesh:
    """A triangle mesh: vertices (V, 3) float64 in the solution's units, faces (F, 3) int."""

    vertices: np.ndarray
    faces: np.ndarray

    def trimesh(self):
        return _import("trimesh").Trimesh(self.vertices, self.faces, process=False)

    def is_watertight(self) -> bool:
        return bool(self.trimesh().is_watertight)

    def write(self, path: str | Path) -> Path:
        """Write a ``.ply`` or ``.obj`` file (by suffix), atomically."""
        path = Path(path)
        kind = path.suffix.lower().lstrip(".")
        if kind not in MESH_FORMATS:
            raise ValueError(f"{path}: unknown mesh format {path.suffix!r}; expected .ply or .obj")
        with atomic_path(path) as tmp:
            self.trimesh().export(tmp, file_type=kind)
        return path


def sample_grid(
    solution: Solution, resolution: int, channel: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The field on a resolution³ grid over the solution's bounding box, one x-slab at a time.

    Returns:
        values (n, n, n) float32, the grid's corner lo (3,), and its spacing (3,).
    """
    if len(solution.axes) != 3:
        raise MeshingError(f"meshing needs a 3-D solution; this one has axes {', '.join(solution.axes)}")
    if resolution < 2:
        raise MeshingError(f"the mesh grid needs at least 2 points per axis; found {resolution}")
    lo, hi = solution.bounds
    axes = [np.linspace(a, b, resolution) for a, b in zip(lo, hi, strict=True)]
    values = np.empty((resolution,) * 3, dtype=np.float32)
    y, z = np.meshgrid(axes[1], axes[2], indexing="ij")
    slab = np.column_stack([np.zeros(y.size), y.ravel(), z.ravel()])
    for i, x in enumerate(axes[0]):
        slab[:, 0] = x
        values[i] = solution.evaluate(slab)[:, channel].reshape(resolution, resolution)
    return values, np.asarray(lo, dtype=float), (np.asarray(hi) - np.asarray(lo)) / (resolution - 1)


def extract_mesh(values: np.ndarray, lo: np.ndarray, spacing: np.ndarray, level: float = 0.0) -> Mesh:
    """Marching cubes on a grid of samples; raises :class:`MeshingError` when the level is not crossed."""
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if not np.isfinite(values).all():
        raise MeshingError("the field is NaN or infinite on the grid; the training failed")
    if not low < level < high:
        raise MeshingError(f"the field never crosses {level:g} on the grid (it spans {low:.3g} … {high:.3g}):"
                           " there is no surface; train longer or check the point cloud")
    measure = _import("skimage.measure")
    spacing = tuple(float(s) for s in spacing)
    vertices, faces, _, _ = measure.marching_cubes(values, level=level, spacing=spacing)
    return Mesh(vertices.astype(np.float64) + lo, faces.astype(np.int64))


def mesh_solution(solution: Solution, resolution: int, level: float = 0.0) -> Mesh:
    """The level set of a trained 3-D solution, in its units."""
    return extract_mesh(*sample_grid(solution, resolution), level=level)


def _import(module: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        package = "scikit-image" if module.startswith("skimage") else module
        raise MeshingError(f"meshing needs {package}; pip install 'sirenpde[sdf]'") from None
