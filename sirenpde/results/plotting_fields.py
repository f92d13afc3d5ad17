"""The figure of one field of a result: the network's values, the reference's on the same colour
scale, and the error |u − u_ref| on a log scale where it is measured.

A real field is one row: network, reference, error. A complex field is a grid whose rows are the
network and the reference and whose columns are the real part, the imaginary part and the magnitude;
a third row holds both phases and the error. On a grid of three or more axes the figure shows the
plane of the first two at the middle of the others, and says which in every panel title. A 1-D
result is drawn as curves. The colour conventions are those of :mod:`.plotting_style`; the colour
limits come from the values inside the region where the error is measured, so that the comparison
sets them (values beyond, e.g. at a point source, saturate and the colour bar gets an arrow).
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np

from .plotting_plane import Plane
from .plotting_style import Scale, error_scale, magnitude_scale, phase_scale, shared_scale

__all__ = ["field_figure"]


@dataclass(frozen=True)
class Panel:
    """One image: its title, its values on the plane, its colour scale and its colour bar's label."""

    title: str
    values: np.ndarray
    scale: Scale
    label: str


@dataclass(frozen=True)
class Source:
    """Who computed the values (network or reference), their symbol (``u``, ``u_ref``) and the values."""

    who: str
    symbol: str
    values: np.ndarray


def field_figure(f: h5py.File, name: str, title: str):
    """The figure of field ``name`` of the open result ``f``, with ``title`` as its suptitle."""
    if len(f.attrs["axes"]) == 1:
        return _curves(f, name, title)
    plane = Plane.of(f)
    where = plane.label and f", {plane.label}"
    sources = [Source("network", name, plane.cut(np.asarray(f["fields"][name])))]
    has_reference = "error" in f and name in f["error"]
    if has_reference:
        sources.append(Source(_reference_name(f), f"{name}_ref", plane.cut(np.asarray(f["reference"][name]))))
    region = plane.cut(_region(f)) > 0.5  # NaN (outside the domain) compares False
    draw = _complex_rows if np.iscomplexobj(sources[0].values) else _real_rows
    rows = draw(sources, region, where)
    if has_reference:
        rows[-1].append(_error_panel(f, name, plane, where))
    return _images(plane, rows, title)


def _reference_name(f: h5py.File) -> str:
    kind = str(f.attrs.get("reference_kind", "exact"))
    return "exact solution" if kind == "exact" else f"{kind} reference"


def _real_rows(sources: list[Source], region, where: str) -> list[list[Panel]]:
    scale = shared_scale(*(np.where(region, s.values, np.nan) for s in sources))
    return [[Panel(f"{s.who}{where}", s.values, scale, s.symbol) for s in sources]]


def _complex_rows(sources: list[Source], region, where: str) -> list[list[Panel]]:
    """Rows: network, reference; columns: real part, imaginary part, magnitude; the phases in a row
    below (without a reference: after the magnitude)."""

    def inside(part):
        return [np.where(region, part(s.values), np.nan) for s in sources]

    columns = [("real part", "Re {}", np.real, shared_scale(*inside(np.real))),
               ("imaginary part", "Im {}", np.imag, shared_scale(*inside(np.imag))),
               ("magnitude", "|{}|", np.abs, magnitude_scale(*inside(np.abs)))]
    rows = [[Panel(f"{s.who}: {what}{where}", part(s.values), scale, symbol.format(s.symbol))
             for what, symbol, part, scale in columns] for s in sources]
    phases = [Panel(f"{s.who}: phase{where}", np.angle(s.values), phase_scale(), f"arg {s.symbol} (rad)")
              for s in sources]
    return rows + [phases] if len(sources) > 1 else [rows[0] + phases]


def _error_panel(f: h5py.File, name: str, plane: Plane, where: str) -> Panel:
    error = f["error"][name]
    magnitude = plane.cut(np.where(_region(f), np.abs(np.asarray(error)), np.nan))
    title = f"error, relative L2 {error.attrs['relative_l2']:.2e}{where}"
    return Panel(title, magnitude, error_scale(magnitude), f"|{name} − {name}_ref|")


def _region(f: h5py.File) -> np.ndarray:
    """Where the error is measured: ``/grid/error_mask`` when stored, else the domain."""
    return np.asarray(f["grid/error_mask"] if "error_mask" in f["grid"] else f["grid/mask"])


def _images(plane: Plane, rows: list[list[Panel]], title: str):
    import matplotlib.pyplot as plt

    ncols = max(len(r) for r in rows)
    fig, ax = plt.subplots(len(rows), ncols, figsize=(4.4 * ncols, 3.8 * len(rows)), squeeze=False,
                           layout="constrained")
    handles = []  # the same outlines on every panel: one legend for the figure
    for i, row in enumerate(rows):
        for j, panel in enumerate(row):
            handles = _image(fig, ax[i, j], plane, panel)
        for a in ax[i, len(row):]:
            a.set_axis_off()
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle(title)
    return fig


def _image(fig, a, plane: Plane, panel: Panel) -> list:
    """Draw ``panel`` on the axes ``a``, with its labelled colour bar and the plane's outlines."""
    s = panel.scale
    im = a.imshow(s.shown(panel.values).T, origin="lower", extent=plane.extent, aspect="equal",
                  cmap=s.colormap(), norm=s.norm(), interpolation="nearest")
    fig.colorbar(im, ax=a, shrink=0.85, label=panel.label, extend=s.extend(panel.values))
    a.set_title(panel.title, fontsize=10)
    a.set_xlabel(plane.axes[0])
    a.set_ylabel(plane.axes[1])
    return plane.outline(a)


def _curves(f: h5py.File, name: str, title: str):
    """A 1-D field: network and reference as curves in one panel per part, the error on a log axis."""
    import matplotlib.pyplot as plt

    axis = str(f.attrs["axes"][0])
    x = np.asarray(f["grid"][axis])
    mask = np.asarray(f["grid/mask"])
    value = np.where(mask, np.asarray(f["fields"][name]), np.nan)
    has_reference = "error" in f and name in f["error"]
    reference = np.where(mask, np.asarray(f["reference"][name]), np.nan) if has_reference else None
    parts = ([("real part", np.real), ("imaginary part", np.imag), ("magnitude", np.abs)]
             if np.iscomplexobj(value) else [("", np.real)])
    count = len(parts) + (reference is not None)
    fig, ax = plt.subplots(1, count, figsize=(4.6 * count, 3.6), squeeze=False, layout="constrained")
    for a, (what, part) in zip(ax[0], parts, strict=False):
        a.plot(x, part(value), label="network")
        if reference is not None:
            a.plot(x, part(reference), "--", label="reference")
            a.legend(fontsize=8)
        a.set_title(f"{name}: {what}" if what else name, fontsize=10)
        a.set_xlabel(axis)
        a.set_ylabel(f"{what} of {name}" if what else name)
    if reference is not None:
        error = f["error"][name]
        a = ax[0, -1]
        a.semilogy(x, np.where(_region(f), np.abs(np.asarray(error)), np.nan), color="C3")
        a.set_title(f"error, relative L2 {error.attrs['relative_l2']:.2e}", fontsize=10)
        a.set_xlabel(axis)
        a.set_ylabel(f"|{name} − {name}_ref|")
    fig.suptitle(title)
    return fig
