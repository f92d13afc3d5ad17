"""Figures of a signed-distance result: three mid-slices with the zero contour, and a view of the surface.

Both are drawn from the stored grid: the surface view is marching cubes on it (coarse, for a
picture; the fine mesh is the one ``sirenpde solve`` writes), and needs scikit-image.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

__all__ = ["plot_sdf_figures"]


def plot_sdf_figures(f: h5py.File, stem: str, folder: Path) -> list[Path]:
    """``<stem>_<field>_slices.png`` and, with scikit-image, ``<stem>_<field>_surface.png``."""
    axes = [str(a) for a in f.attrs["axes"]]
    coords = [np.asarray(f["grid"][a]) for a in axes]
    written = []
    for name in f["fields"]:
        values = np.asarray(f["fields"][name])
        reference = np.asarray(f["reference"][name]) if "reference" in f and name in f["reference"] else None
        path = folder / f"{stem}_{name}_slices.png"
        _slices(path, name, axes, coords, values, reference)
        written.append(path)
        try:
            from skimage.measure import marching_cubes
        except ImportError:
            continue
        if values.min() < 0 < values.max():
            spacing = tuple(float(c[1] - c[0]) for c in coords)
            vertices, faces, _, _ = marching_cubes(values, level=0.0, spacing=spacing)
            path = folder / f"{stem}_{name}_surface.png"
            _surface(path, name, axes, vertices + np.array([c[0] for c in coords]), faces)
            written.append(path)
    return written


def _slices(path: Path, name: str, axes, coords, values: np.ndarray, reference) -> None:
    import matplotlib.pyplot as plt

    n = [len(c) // 2 for c in coords]
    cuts = [((0, 1), values[:, :, n[2]], None if reference is None else reference[:, :, n[2]], 2),
            ((0, 2), values[:, n[1], :], None if reference is None else reference[:, n[1], :], 1),
            ((1, 2), values[n[0], :, :], None if reference is None else reference[n[0], :, :], 0)]
    limit = float(np.abs(values).max()) or 1.0
    fig, ax = plt.subplots(1, 3, figsize=(14, 4.3))
    for a, ((i, j), image, ref, k) in zip(ax, cuts, strict=True):
        extent = (coords[i][0], coords[i][-1], coords[j][0], coords[j][-1])
        im = a.imshow(image.T, origin="lower", extent=extent, cmap="RdBu_r", vmin=-limit, vmax=limit)
        a.contour(coords[i], coords[j], image.T, levels=[0.0], colors="k", linewidths=1.2)
        if ref is not None:
            a.contour(coords[i], coords[j], ref.T, levels=[0.0], colors="gold", linewidths=1.0,
                      linestyles="--")
        a.set_xlabel(axes[i])
        a.set_ylabel(axes[j])
        a.set_title(f"{name} at {axes[k]} = {coords[k][n[k]]:.3g}" + ("" if ref is None else
                                                                       " (dashed: exact zero)"))
        fig.colorbar(im, ax=a, shrink=0.85)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _surface(path: Path, name: str, axes, vertices: np.ndarray, faces: np.ndarray) -> None:
    import matplotlib.pyplot as plt
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    fig = plt.figure(figsize=(6, 6))
    a = fig.add_subplot(projection="3d")
    triangles = vertices[faces]
    # Shade each face by how much it faces a light above and in front, for a readable shape.
    normal = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
    light = np.array([0.4, -0.5, 0.77])
    shade = 0.35 + 0.65 * np.clip(np.abs(normal @ light), 0, 1)
    a.add_collection3d(Poly3DCollection(triangles, facecolors=plt.cm.Greys(shade * 0.8), linewidths=0))
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    middle, half = (lo + hi) / 2, float((hi - lo).max()) / 2
    for setter, m in zip((a.set_xlim, a.set_ylim, a.set_zlim), middle, strict=True):
        setter(m - half, m + half)
    a.set_xlabel(axes[0])
    a.set_ylabel(axes[1])
    a.set_zlabel(axes[2])
    a.set_title(f"{name} = 0 ({len(faces)} faces, from the stored grid)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
