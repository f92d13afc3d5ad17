"""The loss figure of a result: the total that was minimised, each constraint's own loss, the
validation loss, and where the optimiser changed (Adam → Levenberg–Marquardt → L-BFGS).

The total is weighted (Σ w·L, or Σ (w/s²)·L with natural scales) and the constraints' curves are
not (each L as it is), so a term can sit far above the total; the legend says which is which. The
phases run in a fixed order with the lengths the result stores (``steps``, ``lm_steps``,
``lbfgs_steps``), which is what places the lines between them.
"""

from __future__ import annotations

import h5py
import numpy as np

__all__ = ["loss_figure", "phase_starts"]

PHASES = (("steps", "Adam"), ("lm_steps", "Levenberg–Marquardt"), ("lbfgs_steps", "L-BFGS"))
"""The optimiser phases in the order a run takes them: the result's attribute counting each one's
steps, and its name in the figure."""


def loss_figure(f: h5py.File, title: str):
    """The loss curves of the open result ``f`` (which has a ``/history/step``), suptitle ``title``."""
    import matplotlib.pyplot as plt

    history = f["history"]
    steps = np.asarray(history["step"])
    natural = bool(str(f.attrs.get("natural_scales", "")))
    fig, a = plt.subplots(figsize=(7, 4.3), layout="constrained")
    total = "Σ (w/s²)·L" if natural else "Σ w·L"
    a.semilogy(steps, np.asarray(history["loss"]), color="k", lw=1.4, label=f"total {total} (weighted)")
    for name, curve in history.get("constraint", {}).items():
        a.semilogy(steps, np.asarray(curve), lw=0.8, label=f"{name}: L (unweighted)")
    if "validation" in history and len(history["validation/step"]):
        a.semilogy(np.asarray(history["validation/step"]), np.asarray(history["validation/loss"]), "o",
                   color="0.4", ms=3, label=f"validation {total} (weighted)")
    phases = phase_starts(f.attrs, len(steps))
    for start, name in phases if len(phases) > 1 else []:  # one phase: nothing changed
        if start > 1:  # the line between the last step of one phase and the first of the next
            a.axvline(start - 0.5, color="0.3", ls=":", lw=1.0)
        # The first phase's name at the left edge, each later one's at the line where it begins.
        at, coords = (((start - 0.5, 1.0), ("data", "axes fraction")) if start > 1
                      else ((0.0, 1.0), "axes fraction"))
        a.annotate(name, at, xycoords=coords, xytext=(3, -3), textcoords="offset points", ha="left", va="top",
                   fontsize=8, color="0.3")
    a.set_xlabel("step")
    a.set_ylabel(f"loss: total {total} weighted, terms L unweighted", fontsize=9)
    a.legend(fontsize=8, loc="lower left")
    a.grid(True, which="both", alpha=0.3)
    fig.suptitle(title)
    return fig


def phase_starts(attrs, recorded: int) -> list[tuple[int, str]]:
    """(first step, name) of each phase with steps among the ``recorded`` ones, in order. Empty for a
    result without the step counts (saved from Python without them)."""
    if not all(key in attrs for key, _ in PHASES):
        return []
    starts, first = [], 1
    for key, name in PHASES:
        count = int(attrs[key])
        if count > 0 and first <= recorded:
            starts.append((first, name))
        first += count
    return starts
