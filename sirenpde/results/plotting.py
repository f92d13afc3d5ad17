"""Figures of a result file: each field, its error where a reference exists, and the loss curves.

matplotlib is imported here only, with the non-interactive Agg backend (no display needed).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from .plotting_sdf import plot_sdf_figures
from .plotting_time import plot_time_figures

__all__ = ["plot_result"]


def plot_result(result: str | Path, folder: str | Path, times=None, animation: str = "gif") -> list[Path]:
    """Write PNG figures of ``result`` into ``folder``; returns the paths written.

    A space-time result also gets snapshots at ``times`` (default: five, evenly spaced), an
    animation (``gif``, ``mp4`` or ``none``) and its error-vs-time curve (see
    :mod:`sirenpde.results.plotting_time`).
    """
    import matplotlib

    matplotlib.use("Agg")
    result, folder = Path(result), Path(folder)
    written = []
    with h5py.File(result, "r") as f:
        if f.attrs.get("format") != "sirenpde":
            raise ValueError("not a sirenpde result (no format='sirenpde' attribute)")
        axes = [str(a) for a in f.attrs["axes"]]
        coords = [np.asarray(f["grid"][a]) for a in axes]
        mask = np.asarray(f["grid/mask"])
        for name in f["fields"]:
            panels = _parts("", np.asarray(f["fields"][name]))
            if "error" in f and name in f["error"]:
                panels += _parts("reference", np.asarray(f["reference"][name]))[:1]
                err = f["error"][name]
                title = f"|error| (relative L2 {err.attrs['relative_l2']:.2e})"
                # Only where the error is measured (e.g. outside a PML and away from sources).
                region = np.asarray(f["grid/error_mask"]) if "error_mask" in f["grid"] else mask
                panels.append((title, np.where(region, np.abs(np.asarray(err)), np.nan)))
            path = folder / f"{result.stem}_{name}.png"
            _field_figure(path, name, axes, coords, mask, panels)
            written.append(path)
        if "step" in f["history"]:  # a solution saved without training has no record to draw
            path = folder / f"{result.stem}_loss.png"
            _loss_figure(path, f["history"])
            written.append(path)
        if "time_axis" in f.attrs:
            written += plot_time_figures(f, result.stem, folder, times, animation)
        if f.attrs.get("problem_kind") == "sdf":
            written += plot_sdf_figures(f, result.stem, folder)
    return written


def _parts(label: str, values: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Panels of a field: itself if real; real part, imaginary part, magnitude and phase if complex."""
    if not np.iscomplexobj(values):
        return [(label or "value", values)]
    prefix = f"{label} " if label else ""
    return [(f"{prefix}real part", values.real), (f"{prefix}imaginary part", values.imag),
            (f"{prefix}magnitude", np.abs(values)), (f"{prefix}phase", np.angle(values))]


def _field_figure(path: Path, name: str, axes, coords, mask, panels) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4), squeeze=False)
    for a, (title, values) in zip(ax[0], panels, strict=True):
        values = np.where(mask, values, np.nan)
        if len(axes) == 1:
            a.plot(coords[0], values)
            a.set_xlabel(axes[0])
        else:
            # Show the first two axes; in 3-D and above take the middle slice of the others.
            middle = tuple(len(c) // 2 for c in coords[2:])
            image = values[(slice(None), slice(None)) + middle]
            extent = (coords[0][0], coords[0][-1], coords[1][0], coords[1][-1])
            im = a.imshow(image.T, origin="lower", extent=extent, aspect="equal", cmap="RdBu_r")
            fig.colorbar(im, ax=a, shrink=0.85)
            a.set_xlabel(axes[0])
            a.set_ylabel(axes[1])
        a.set_title(f"{name}: {title}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _loss_figure(path: Path, history: h5py.Group) -> None:
    import matplotlib.pyplot as plt

    fig, a = plt.subplots(figsize=(6.5, 4))
    steps = np.asarray(history["step"])
    a.semilogy(steps, np.asarray(history["loss"]), color="k", lw=1.2, label="total (weighted)")
    if "constraint" in history:
        for name in history["constraint"]:
            a.semilogy(steps, np.asarray(history["constraint"][name]), lw=0.8, label=name)
    if "validation" in history and len(history["validation/step"]):
        a.semilogy(np.asarray(history["validation/step"]), np.asarray(history["validation/loss"]),
                   "o", ms=3, label="validation")
    a.set_xlabel("step")
    a.set_ylabel("loss")
    a.legend(fontsize=8)
    a.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
