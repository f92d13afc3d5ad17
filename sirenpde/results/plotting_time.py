"""Figures of a space-time result: snapshots at chosen times, an animation, and the error over time.

Everything is drawn from the stored grid (time is its last axis), so a snapshot is taken at the
stored time level nearest to each requested time, and its title gives that level's time. Every
snapshot and frame of a field shares one colour scale (the network's and the reference's values
over all times), so that amplitudes compare across times; the error shares one log scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from .plotting_plane import Plane, position
from .plotting_style import Scale, error_scale, shared_scale

__all__ = ["ANIMATIONS", "Movie", "time_figures"]

ANIMATIONS = ("gif", "mp4", "none")
"""Animation formats: GIF (matplotlib's Pillow writer, always present), MP4 (needs ffmpeg), none."""


@dataclass(frozen=True)
class Movie:
    """An animation and the figure it redraws; saved like a figure, by :meth:`savefig`."""

    figure: object
    frames: object

    def savefig(self, path: Path, dpi: int) -> None:
        from matplotlib import animation

        writer = animation.FFMpegWriter(fps=10) if path.suffix == ".mp4" else animation.PillowWriter(fps=10)
        self.frames.save(path, writer=writer, dpi=dpi)


def time_figures(f: h5py.File, stem: str, title: str, times=None, animation: str = "gif"):
    """(file name, figure or :class:`Movie`) of the space-time result ``f``: each field's snapshots
    at ``times`` (default: five, evenly spaced) and animation (one of :data:`ANIMATIONS`), and the
    error-vs-time curve when there is a reference. ``title`` is every figure's suptitle.

    Raises:
        ValueError: a time outside the solved interval, or an animation format that cannot be written
            (checked here, before any figure is drawn).
    """
    from matplotlib import animation as mpl_animation

    if animation not in ANIMATIONS:
        raise ValueError(f"unknown animation format {animation!r}; expected one of {', '.join(ANIMATIONS)}")
    if animation == "mp4" and not mpl_animation.writers.is_available("ffmpeg"):
        raise ValueError("MP4 needs ffmpeg, which was not found; use --animation gif")
    plane = Plane.of(f)
    return _figures(f, plane, _levels(plane.coords[-1], times), stem, title, animation)


def _figures(f: h5py.File, plane: Plane, levels: list[int], stem: str, title: str, animation: str):
    t = plane.coords[-1]
    for name in f["fields"]:
        layers = _layers(f, name)
        yield f"{stem}_{name}_snapshots.png", _snapshots(plane, layers, levels, title)
        if animation != "none":
            yield f"{stem}_{name}_animation.{animation}", _animate(plane, layers, title)
    if "error_by_time" in f:
        curves = {n: np.asarray(d) for n, d in f["error_by_time"].items()}
        yield f"{stem}_error_by_time.png", _error_curve(plane.axes[-1], t, curves, title)


@dataclass(frozen=True)
class Layer:
    """What one row of snapshots shows: who computed it, its colour bar label, its values on the
    whole grid (real parts; NaN where not shown) and the scale shared by all times."""

    who: str
    label: str
    values: np.ndarray
    scale: Scale


def _layers(f: h5py.File, name: str) -> list[Layer]:
    """The network's values; with a reference, also the reference and the error."""
    mask = np.asarray(f["grid/mask"])
    value = np.where(mask, np.asarray(f["fields"][name]).real, np.nan)
    if not ("error" in f and name in f["error"]):
        return [Layer("network", name, value, shared_scale(value))]
    region = np.asarray(f["grid/error_mask"] if "error_mask" in f["grid"] else mask)
    reference = np.where(mask, np.asarray(f["reference"][name]).real, np.nan)
    error = np.where(region, np.abs(np.asarray(f["error"][name])), np.nan)
    signed = shared_scale(np.where(region, value, np.nan), np.where(region, reference, np.nan))
    return [Layer("network", name, value, signed), Layer("reference", f"{name}_ref", reference, signed),
            Layer("error", f"|{name} − {name}_ref|", error, error_scale(error))]


def _levels(t: np.ndarray, times) -> list[int]:
    if times is None:
        times = np.linspace(t[0], t[-1], 5)
    slack = 1e-9 * (t[-1] - t[0])  # rounding in a time typed on the command line
    outside = [x for x in times if not t[0] - slack <= x <= t[-1] + slack]
    if outside:
        raise ValueError(f"snapshot time {outside[0]:g} is outside the solved interval [{t[0]:g}, {t[-1]:g}]")
    return [int(np.abs(t - x).argmin()) for x in times]


def _snapshots(plane: Plane, layers: list[Layer], levels: list[int], title: str):
    """One column per time level; in 1-D two rows of curves (values, error), else one row of images
    per layer with one colour bar for the row."""
    import matplotlib.pyplot as plt

    one_d = len(plane.axes) == 2  # space is the plane's first axis, time its second
    rows = min(len(layers), 2) if one_d else len(layers)
    fig, ax = plt.subplots(rows, len(levels), figsize=(3.4 * len(levels) + 1.2, 3.0 * rows), squeeze=False,
                           layout="constrained")
    for j, n in enumerate(levels):
        when = position(plane.axes[-1], plane.coords[-1], n)
        if one_d:
            _lines(ax[:, j], plane, layers, n)
            ax[0, j].set_title(when, fontsize=10)
            continue
        at = plane.moved(plane.axes[-1], n)
        for i, layer in enumerate(layers):
            im = _image(ax[i, j], at, at.cut(layer.values), layer.scale)
            ax[i, j].set_title(f"{layer.who}, {when}", fontsize=10)
            if j == len(levels) - 1:  # one colour bar per row: the scale is the row's
                fig.colorbar(im, ax=ax[i, :], shrink=0.9, label=layer.label,
                             extend=layer.scale.extend(layer.values))
    fig.suptitle(title)
    return fig


def _lines(column, plane: Plane, layers: list[Layer], n: int) -> None:
    """Network and reference at time level ``n`` in ``column[0]``, the error (log axis) in ``column[1]``."""
    x = plane.coords[0]
    for layer, style in zip(layers[:2], ("-", "--"), strict=False):
        column[0].plot(x, layer.values[:, n], style, label=layer.who)
    _value_limits(column[0], layers[0].scale)
    column[0].set_ylabel(layers[0].label)
    column[0].legend(fontsize=7)
    if len(layers) == 3:
        error = layers[2]
        column[1].semilogy(x, error.scale.shown(error.values[:, n]), color="C3")
        column[1].set_ylim(error.scale.vmin, 2 * error.scale.vmax)
        column[1].set_ylabel(error.label)
    column[-1].set_xlabel(plane.axes[0])


def _value_limits(a, scale: Scale) -> None:
    """The same y-range at every time, from zero when the values are of one sign."""
    a.set_ylim(min(1.05 * scale.vmin, 0.0), 1.05 * scale.vmax)


def _image(a, plane: Plane, image: np.ndarray, scale: Scale):
    im = a.imshow(scale.shown(image).T, origin="lower", extent=plane.extent, aspect="equal",
                  cmap=scale.colormap(), norm=scale.norm(), interpolation="nearest")
    a.set_xlabel(plane.axes[0])
    a.set_ylabel(plane.axes[1])
    plane.outline(a)
    return im


def _animate(plane: Plane, layers: list[Layer], title: str) -> Movie:
    """One frame per stored time level: in 1-D the network's and the reference's curves, else one
    image per layer."""
    import matplotlib.pyplot as plt
    from matplotlib import animation

    t = plane.coords[-1]
    one_d = len(plane.axes) == 2
    panels = 1 if one_d else len(layers)
    fig, ax = plt.subplots(1, panels, figsize=(4.4 * panels, 3.8), squeeze=False, layout="constrained")
    if one_d:
        layers = layers[:2]
        artists = [ax[0, 0].plot(plane.coords[0], layer.values[:, 0], style, label=layer.who)[0]
                   for layer, style in zip(layers, ("-", "--"), strict=False)]
        _value_limits(ax[0, 0], layers[0].scale)
        ax[0, 0].set_xlabel(plane.axes[0])
        ax[0, 0].legend(fontsize=7)
    else:
        first = plane.moved(plane.axes[-1], 0)
        artists = []
        for a, layer in zip(ax[0], layers, strict=True):
            artists.append(_image(a, first, first.cut(layer.values), layer.scale))
            a.set_title(layer.who, fontsize=10)
            fig.colorbar(artists[-1], ax=a, shrink=0.85, label=layer.label,
                         extend=layer.scale.extend(layer.values))
    # Lay the figure out once, for the first frame: the frames differ only in their data and time.
    fig.suptitle(f"{title}\n{position(plane.axes[-1], t, 0)}")
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")

    def frame(n: int):
        for artist, layer in zip(artists, layers, strict=True):
            if one_d:
                artist.set_ydata(layer.values[:, n])
            else:
                artist.set_data(layer.scale.shown(plane.moved(plane.axes[-1], n).cut(layer.values)).T)
        fig.suptitle(f"{title}\n{position(plane.axes[-1], t, n)}")
        return artists

    return Movie(fig, animation.FuncAnimation(fig, frame, frames=len(t), blit=False))


def _error_curve(axis: str, t: np.ndarray, curves: dict, title: str):
    import matplotlib.pyplot as plt

    fig, a = plt.subplots(figsize=(6, 3.8), layout="constrained")
    for name, e in curves.items():
        a.semilogy(t, e, label=name)
    a.set_xlabel(axis)
    a.set_ylabel("relative L2 error")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8)
    fig.suptitle(title)
    return fig
