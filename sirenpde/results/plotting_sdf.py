"""Figures of a signed-distance result: three mid-slices with the zero contour, and a view of the surface.

Both are drawn from the stored grid: the surface view is marching cubes on it (coarse, for a
picture; the fine mesh is the one ``sirenpde solve`` writes), and needs scikit-image.
"""

from __future__ import annotations

import h5py
import numpy as np

from .plotting_plane import pixel_edges, position
from .plotting_style import shared_scale

__all__ = ["sdf_figures"]


def sdf_figures(f: h5py.File, stem: str, title: str):
    """(file name, figure) of the signed-distance result ``f``: ``<stem>_<field>_slices.png`` and,
    with scikit-image, ``<stem>_<field>_surface.png``; ``title`` is their suptitle."""
    axes = [str(a) for a in f.attrs["axes"]]
    coords = [np.asarray(f["grid"][a]) for a in axes]
    for name in f["fields"]:
        values = np.asarray(f["fields"][name])
        reference = np.asarray(f["reference"][name]) if "reference" in f and name in f["reference"] else None
        yield f"{stem}_{name}_slices.png", _slices(name, axes, coords, values, reference, title)
        try:
            from skimage.measure import marching_cubes
        except ImportError:
            continue
        if values.min() < 0 < values.max():
            spacing = tuple(float(c[1] - c[0]) for c in coords)
            vertices, faces, _, _ = marching_cubes(values, level=0.0, spacing=spacing)
            shifted = vertices + np.array([c[0] for c in coords])
            yield f"{stem}_{name}_surface.png", _surface(name, axes, shifted, faces, title)


def _slices(name: str, axes, coords, values: np.ndarray, reference, title: str):
    import matplotlib.pyplot as plt

    n = [len(c) // 2 for c in coords]
    cuts = [((0, 1), values[:, :, n[2]], None if reference is None else reference[:, :, n[2]], 2),
            ((0, 2), values[:, n[1], :], None if reference is None else reference[:, n[1], :], 1),
            ((1, 2), values[n[0], :, :], None if reference is None else reference[n[0], :, :], 0)]
    # One scale for the three cuts: equal colours are equal distances in all of them.
    scale = shared_scale(*(c[1] for c in cuts))
    fig, ax = plt.subplots(1, 3, figsize=(14, 4.6), layout="constrained")
    for a, ((i, j), image, ref, k) in zip(ax, cuts, strict=True):
        extent = pixel_edges(coords[i]) + pixel_edges(coords[j])
        im = a.imshow(image.T, origin="lower", extent=extent, cmap=scale.colormap(), norm=scale.norm())
        a.contour(coords[i], coords[j], image.T, levels=[0.0], colors="k", linewidths=1.2)
        if ref is not None:
            a.contour(coords[i], coords[j], ref.T, levels=[0.0], colors="gold", linewidths=1.0,
                      linestyles="--")
        a.set_xlabel(axes[i])
        a.set_ylabel(axes[j])
        a.set_title(f"{name}, {position(axes[k], coords[k], n[k])}"
                    + ("" if ref is None else " (dashed: exact zero)"), fontsize=10)
        fig.colorbar(im, ax=a, shrink=0.85, label=f"{name} (signed distance)")
    fig.suptitle(title)
    return fig


def _surface(name: str, axes, vertices: np.ndarray, faces: np.ndarray, title: str):
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
    a.set_title(f"{name} = 0 ({len(faces)} faces, from the stored grid)", fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
