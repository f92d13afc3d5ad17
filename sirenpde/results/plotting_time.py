"""Figures of a space-time result: snapshots at chosen times, an animation, and the error over time.

Everything is drawn from the stored grid (time is its last axis), so a snapshot is taken at the
stored time level nearest to each requested time, and its title gives that level's time.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

__all__ = ["ANIMATIONS", "plot_time_figures"]

ANIMATIONS = ("gif", "mp4", "none")
"""Animation formats: GIF (matplotlib's Pillow writer, always present), MP4 (needs ffmpeg), none."""


def plot_time_figures(
    f: h5py.File, stem: str, folder: Path, times=None, animation: str = "gif"
) -> list[Path]:
    """Snapshots, an animation and the error-vs-time curve of the space-time result ``f``.

    Args:
        f: an open result file with a ``time_axis`` attribute.
        stem: the prefix of the files written.
        folder: where they go.
        times: the snapshot times (default: five, evenly spaced over the interval).
        animation: one of :data:`ANIMATIONS`.
    """
    if animation not in ANIMATIONS:
        raise ValueError(f"unknown animation format {animation!r}; expected one of {', '.join(ANIMATIONS)}")
    axes = [str(a) for a in f.attrs["axes"]]
    coords = [np.asarray(f["grid"][a]) for a in axes]
    t = coords[-1]
    levels = _levels(t, times)
    written = []
    for name in f["fields"]:
        series = {"value": _space_slices(np.asarray(f["fields"][name]).real)}
        if "reference" in f and name in f["reference"]:
            series["reference"] = _space_slices(np.asarray(f["reference"][name]).real)
            series["|error|"] = np.abs(series["value"] - series["reference"])
        path = folder / f"{stem}_{name}_snapshots.png"
        _snapshots(path, name, axes, coords, series, levels)
        written.append(path)
        if animation != "none":
            path = folder / f"{stem}_{name}_animation.{animation}"
            _animate(path, name, axes, coords, series, animation)
            written.append(path)
    if "error_by_time" in f:
        path = folder / f"{stem}_error_by_time.png"
        _error_curve(path, axes[-1], t, {n: np.asarray(d) for n, d in f["error_by_time"].items()})
        written.append(path)
    return written


def _levels(t: np.ndarray, times) -> list[int]:
    if times is None:
        times = np.linspace(t[0], t[-1], 5)
    slack = 1e-9 * (t[-1] - t[0])  # rounding in a time typed on the command line
    outside = [x for x in times if not t[0] - slack <= x <= t[-1] + slack]
    if outside:
        raise ValueError(f"snapshot time {outside[0]:g} is outside the solved interval [{t[0]:g}, {t[-1]:g}]")
    return [int(np.abs(t - x).argmin()) for x in times]


def _space_slices(values: np.ndarray) -> np.ndarray:
    """(space…, nt) → (nt, n1) or (nt, n1, n2): the first two spatial axes, the middle of the others."""
    middle = tuple(n // 2 for n in values.shape[2:-1])
    keep = (slice(None),) * min(2, values.ndim - 1)
    return np.moveaxis(values[keep + middle], -1, 0)


def _snapshots(path: Path, name: str, axes, coords, series: dict, levels: list[int]) -> None:
    import matplotlib.pyplot as plt

    t = coords[-1]
    one_d = series["value"].ndim == 2
    rows = 2 if one_d and len(series) > 1 else (1 if one_d else len(series))
    fig, ax = plt.subplots(rows, len(levels), figsize=(3.6 * len(levels), 3.2 * rows), squeeze=False)
    for j, n in enumerate(levels):
        if one_d:
            _lines(ax[:, j], axes[0], coords[0], series, n)
        else:
            for i, (label, values) in enumerate(series.items()):
                _image(fig, ax[i, j], axes, coords, values[n], _limit(values), label)
        ax[0, j].set_title(f"{name}, {axes[-1]} = {t[n]:.4g}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _lines(column, axis: str, x: np.ndarray, series: dict, n: int) -> None:
    column[0].plot(x, series["value"][n], label="network")
    if "reference" in series:
        column[0].plot(x, series["reference"][n], "--", label="reference")
        column[1].plot(x, series["|error|"][n], color="C3")
        column[1].set_ylabel("|error|")
        column[1].set_xlabel(axis)
    column[0].set_ylim(-1.05 * _span(series), 1.05 * _span(series))
    column[0].legend(fontsize=7)


def _image(fig, a, axes, coords, image: np.ndarray, limit: float, label: str):
    extent = (coords[0][0], coords[0][-1], coords[1][0], coords[1][-1])
    low = 0.0 if label == "|error|" else -limit
    im = a.imshow(image.T, origin="lower", extent=extent, aspect="equal", cmap="RdBu_r", vmin=low, vmax=limit)
    fig.colorbar(im, ax=a, shrink=0.8, label=label)
    a.set_xlabel(axes[0])
    a.set_ylabel(axes[1])
    return im


def _limit(values: np.ndarray) -> float:
    # One colour scale for every time: amplitudes stay comparable across snapshots and frames.
    top = float(np.nanmax(np.abs(values)))
    return top if top > 0 else 1.0


def _span(series: dict) -> float:
    """The largest |value| of the network and the reference: one y-range for both curves."""
    return max(_limit(v) for k, v in series.items() if k != "|error|")


def _animate(path: Path, name: str, axes, coords, series: dict, fmt: str) -> None:
    import matplotlib.pyplot as plt
    from matplotlib import animation

    if fmt == "mp4" and not animation.writers.is_available("ffmpeg"):
        raise ValueError("MP4 needs ffmpeg, which was not found; use --animation gif")
    t = coords[-1]
    one_d = series["value"].ndim == 2
    shown = {"value": series["value"]} if one_d else series
    fig, ax = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 3.6), squeeze=False)
    if one_d:
        artists = [ax[0, 0].plot(coords[0], series["value"][0], label="network")[0]]
        if "reference" in series:
            artists.append(ax[0, 0].plot(coords[0], series["reference"][0], "--", label="reference")[0])
        ax[0, 0].set_ylim(-1.05 * _span(series), 1.05 * _span(series))
        ax[0, 0].legend(fontsize=7)
    else:
        artists = [_image(fig, a, axes, coords, v[0], _limit(v), label)
                   for a, (label, v) in zip(ax[0], shown.items(), strict=True)]

    def frame(n: int):
        for artist, values in zip(artists, series.values(), strict=False):
            artist.set_ydata(values[n]) if one_d else artist.set_data(values[n].T)
        fig.suptitle(f"{name}, {axes[-1]} = {t[n]:.4g}")
        return artists

    movie = animation.FuncAnimation(fig, frame, frames=len(t), blit=False)
    writer = animation.PillowWriter(fps=10) if fmt == "gif" else animation.FFMpegWriter(fps=10)
    movie.save(path, writer=writer)
    plt.close(fig)


def _error_curve(path: Path, axis: str, t: np.ndarray, curves: dict) -> None:
    import matplotlib.pyplot as plt

    fig, a = plt.subplots(figsize=(6, 3.8))
    for name, e in curves.items():
        a.semilogy(t, e, label=name)
    a.set_xlabel(axis)
    a.set_ylabel("relative L2 error")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
