"""Figures of a result file: each field with its reference and error, the loss curves, and the
figures of space-time and signed-distance results.

:func:`result_figures` builds the figures (matplotlib objects, for a caller to inspect or restyle);
:func:`plot_result` writes them as files. Each figure's suptitle is the problem's ``title`` stored
in the result, else the file's name. matplotlib is imported here only, with the non-interactive Agg
backend (no display needed). The colour conventions are those of :mod:`.plotting_style`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import h5py

from .plotting_fields import field_figure
from .plotting_loss import loss_figure
from .plotting_sdf import sdf_figures
from .plotting_time import Movie, time_figures

__all__ = ["plot_result", "result_figures"]


def plot_result(result: str | Path, folder: str | Path, times=None, animation: str = "gif",
                dpi: int = 110) -> list[Path]:
    """Write the figures of ``result`` into ``folder`` (PNG, and the animation); returns the paths.

    A space-time result also gets snapshots at ``times`` (default: five, evenly spaced), an
    animation (``gif``, ``mp4`` or ``none``) and its error-vs-time curve (see
    :mod:`sirenpde.results.plotting_time`).
    """
    import matplotlib.pyplot as plt

    written = []
    for name, figure in result_figures(result, times, animation):
        path = Path(folder) / name
        try:
            figure.savefig(path, dpi=dpi)
        finally:
            plt.close(figure.figure if isinstance(figure, Movie) else figure)
        written.append(path)
    return written


def result_figures(result: str | Path, times=None, animation: str = "gif") -> Iterator[tuple[str, object]]:
    """(file name, figure) for each figure of ``result``, built one at a time: a matplotlib Figure,
    or for the animation a :class:`~sirenpde.results.plotting_time.Movie`. The caller closes them
    (``matplotlib.pyplot.close``).

    Raises:
        ValueError: ``result`` is not a sirenpde result, or ``times``/``animation`` do not fit it.
    """
    import matplotlib

    matplotlib.use("Agg")
    result = Path(result)
    with h5py.File(result, "r") as f:
        if f.attrs.get("format") != "sirenpde":
            raise ValueError("not a sirenpde result (no format='sirenpde' attribute)")
        title = str(f.attrs.get("title", "")) or result.name
        # Checked before anything is drawn, so that a bad option leaves no files behind.
        timed = time_figures(f, result.stem, title, times, animation) if "time_axis" in f.attrs else ()
        for name in f["fields"]:
            yield f"{result.stem}_{name}.png", field_figure(f, name, title)
        if "step" in f["history"]:  # a solution saved without training has no record to draw
            yield f"{result.stem}_loss.png", loss_figure(f, title)
        yield from timed
        if f.attrs.get("problem_kind") == "sdf":
            yield from sdf_figures(f, result.stem, title)
