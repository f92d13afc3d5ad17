"""What an image of a result shows: the plane of its first two axes, at one index of each other axis.

The plane knows the slice it is (named in panel titles, e.g. ``z = 0.00``), the domain mask, and the
outlines worth drawing on it: the region where the error is measured (``/grid/error_mask``, when it
is smaller than the domain) and the inner edge of a perfectly matched layer (from the problem text
stored in the result, when it has a ``pml``). A result without them simply gets no outline.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import h5py
import numpy as np
import yaml

__all__ = ["Plane", "pixel_edges", "position"]


@dataclass(frozen=True)
class Plane:
    """The first two axes of a result's grid, at index ``at`` of each further axis.

    ``error_mask`` is None where the error is measured over the whole domain (nothing to outline),
    ``pml`` the (lo, hi) corners of the physical region inside a layer, or None.
    """

    axes: list[str]
    coords: list[np.ndarray]
    mask: np.ndarray
    error_mask: np.ndarray | None
    pml: tuple[np.ndarray, np.ndarray] | None
    time_axis: str | None
    at: tuple[int, ...]

    @classmethod
    def of(cls, f: h5py.File) -> Plane:
        """The plane of the result ``f`` through the middle of every further axis."""
        axes = [str(a) for a in f.attrs["axes"]]
        coords = [np.asarray(f["grid"][a]) for a in axes]
        mask = np.asarray(f["grid/mask"])
        error_mask = np.asarray(f["grid/error_mask"]) if "error_mask" in f["grid"] else None
        if error_mask is not None and np.array_equal(error_mask, mask):
            error_mask = None
        time_axis = str(f.attrs["time_axis"]) if "time_axis" in f.attrs else None
        pml = _pml_box(f)
        return cls(axes, coords, mask, error_mask, pml, time_axis, tuple(len(c) // 2 for c in coords[2:]))

    def moved(self, axis: str, index: int) -> Plane:
        """The same plane at ``index`` of the further axis ``axis`` (e.g. another time level)."""
        k = self.axes.index(axis) - 2
        if k < 0:
            raise ValueError(f"{axis!r} is one of the plane's own axes {self.axes[:2]}")
        return dataclasses.replace(self, at=self.at[:k] + (index,) + self.at[k + 1:])

    def cut(self, values: np.ndarray) -> np.ndarray:
        """The (n_0, n_1) plane of an array on the grid, NaN outside the domain."""
        return np.where(self.mask, values, np.nan)[(slice(None), slice(None)) + self.at]

    @property
    def label(self) -> str:
        """Where the plane lies, e.g. ``"z = 0.00, t = 0.40"`` (empty for a 2-D grid)."""
        return ", ".join(position(a, c, i) for a, c, i in zip(self.axes[2:], self.coords[2:], self.at,
                                                                strict=True))

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """The image's edges: half a cell beyond the first and last grid points, so that each pixel is
        centred on its grid point."""
        return pixel_edges(self.coords[0]) + pixel_edges(self.coords[1])

    def outline(self, a) -> list:
        """Draw the error region's edge (dashed) and the PML's inner edge (dash-dotted) on the axes
        ``a``; returns one legend handle for each drawn."""
        from matplotlib.lines import Line2D
        from matplotlib.patches import Rectangle

        handles = []
        if self.error_mask is not None:
            region = self.error_mask[(slice(None), slice(None)) + self.at].astype(float)
            if 0 < region.sum() < region.size:
                a.contour(*self.coords[:2], region.T, levels=[0.5], colors="k", linewidths=1.0,
                          linestyles="--")
                handles.append(Line2D([], [], color="k", ls="--", lw=1.0, label="error measured inside"))
        if self.pml is not None and self.time_axis not in self.axes[:2]:
            lo, hi = self.pml
            a.add_patch(Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], fill=False, ec="k",
                                  lw=1.0, ls="-."))
            handles.append(Line2D([], [], color="k", ls="-.", lw=1.0, label="inner edge of the PML"))
        return handles


def pixel_edges(coords: np.ndarray) -> tuple[float, float]:
    """Where the pixels of grid points ``coords`` (uniformly spaced) begin and end."""
    half = (coords[-1] - coords[0]) / (2 * (len(coords) - 1)) if len(coords) > 1 else 0.5
    return float(coords[0] - half), float(coords[-1] + half)


def position(axis: str, coords: np.ndarray, index: int) -> str:
    """``"t = 0.40"``: the coordinate at ``index``, with enough decimals to tell grid levels apart."""
    step = float(np.min(np.abs(np.diff(coords)))) if len(coords) > 1 else 1.0
    # Rounded first: a spacing of 0.01 is stored as 0.0099999…, which needs no third decimal.
    decimals = max(2, int(np.ceil(round(-np.log10(step), 6)))) if step > 0 else 2
    return f"{axis} = {coords[index]:.{decimals}f}"


def _pml_box(f: h5py.File) -> tuple[np.ndarray, np.ndarray] | None:
    """The physical box inside a PML of the stored problem text, or None: no PML, or text that does
    not say (a result saved from Python, where the problem text is optional)."""
    try:
        problem = yaml.safe_load(str(f.attrs.get("problem_yaml", "")))
        width = float(problem["pml"]["width"])
    except (yaml.YAMLError, KeyError, TypeError, ValueError):
        return None
    lo, hi = np.asarray(f.attrs["bounds_lo"], float), np.asarray(f.attrs["bounds_hi"], float)
    return lo + width, hi - width
