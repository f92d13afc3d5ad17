"""The colour conventions of every figure: which colour map and which limits each kind of quantity gets.

- A signed field (it takes both signs): a diverging map centred at zero, limits ±max|value|, so
  white is zero and equal colours are equal values on either side.
- A field of one sign, and a magnitude: a sequential map.
- An error |u − u_ref|: a sequential map on a log scale, with a floor so that zeros show as the
  floor's colour instead of breaking the scale.
- A phase: a cyclic map over [−π, π], so that −π and π get the same colour.

A field and its reference share one scale (:func:`shared_scale`), so that they compare by eye.
Grid points that are not shown (outside the domain, or outside the region where the error is
measured) are NaN and drawn in light grey, never in a colour that reads as a value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SIGNED", "SEQUENTIAL", "ERROR", "PHASE", "Scale", "shared_scale", "magnitude_scale",
           "error_scale", "phase_scale"]

SIGNED = "RdBu_r"
SEQUENTIAL = "viridis"
ERROR = "magma"
PHASE = "twilight"

ERROR_DECADES = 3
"""How far below the largest error the log scale reaches: smaller errors are drawn at the floor."""

_HIDDEN = "0.88"  # the colour of NaN: points that are not shown


@dataclass(frozen=True)
class Scale:
    """A colour map (by name), its limits and whether the scale is logarithmic."""

    cmap: str
    vmin: float
    vmax: float
    log: bool = False

    def norm(self):
        from matplotlib.colors import LogNorm, Normalize

        return (LogNorm if self.log else Normalize)(vmin=self.vmin, vmax=self.vmax)

    def colormap(self):
        import matplotlib

        return matplotlib.colormaps[self.cmap].with_extremes(bad=_HIDDEN)

    def shown(self, values: np.ndarray) -> np.ndarray:
        """``values`` as drawn: on a log scale, the zeros and tiny values raised to the floor."""
        return np.where(np.isnan(values), np.nan, np.maximum(values, self.vmin)) if self.log else values

    def extend(self, values: np.ndarray) -> str:
        """The colour bar's arrows: which ends of the scale some of ``values`` lie beyond."""
        finite = values[np.isfinite(values)]
        below = not self.log and finite.size > 0 and finite.min() < self.vmin
        above = finite.size > 0 and finite.max() > self.vmax
        return "both" if below and above else "min" if below else "max" if above else "neither"


def shared_scale(*arrays: np.ndarray) -> Scale:
    """One scale for a field and its reference (NaN ignored): diverging and symmetric about zero if
    they take both signs, sequential over their range if not."""
    lo, hi = _range(arrays)
    if lo < 0 < hi:
        top = max(-lo, hi)
        return Scale(SIGNED, -top, top)
    if lo == hi:  # a constant field: any range around it
        half = abs(lo) or 1.0
        return Scale(SEQUENTIAL, lo - half, hi + half)
    return Scale(SEQUENTIAL, lo, hi)


def magnitude_scale(*arrays: np.ndarray) -> Scale:
    """Sequential from zero to the largest value of ``arrays`` (NaN ignored)."""
    _, hi = _range(arrays)
    return Scale(SEQUENTIAL, 0.0, hi if hi > 0 else 1.0)


def error_scale(*arrays: np.ndarray) -> Scale:
    """Log scale from the smallest positive error (at most :data:`ERROR_DECADES` below the largest,
    at least one) to the largest; an all-zero error gets an arbitrary scale, drawn at its floor."""
    _, top = _range(arrays)
    if not top > 0:
        return Scale(ERROR, 1e-16, 1e-15, log=True)
    positive = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in arrays])
    floor = max(float(positive.min()), top * 10.0**-ERROR_DECADES)
    # At least one decade: an error that hardly varies is drawn in one colour, not in rounding noise.
    return Scale(ERROR, min(floor, top / 10), top, log=True)


def phase_scale() -> Scale:
    """The phase in radians, over its full range."""
    return Scale(PHASE, -np.pi, np.pi)


def _range(arrays) -> tuple[float, float]:
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:  # nothing to show: a scale that draws nothing wrongly
        return 0.0, 0.0
    return min(float(a.min()) for a in finite), max(float(a.max()) for a in finite)
