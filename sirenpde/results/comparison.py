"""A solution against its exact solution or numerical reference, on one grid, computed once.

A numerical reference (a finite-difference solve, say) can cost more than the training it checks,
so it is evaluated here, explicitly, and the :class:`Comparison` is handed to whatever needs it —
the HDF5 writer, the error report, the error-versus-time curve — instead of each of them solving it
again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .solution import Grid, Solution, relative_l2, relative_l2_by_time

__all__ = ["Comparison", "compare"]


@dataclass(frozen=True, eq=False)
class Comparison:
    """A solution's fields on a grid, and, where it has one, its reference there.

    Attributes:
        grid: the grid the arrays live on.
        values: field name → values, shaped like the grid.
        kind: ``"exact"``, the numerical reference's kind, or ``None`` (nothing to compare with).
        reference: field name → reference values on the grid, or ``None``.
        error_mask: where errors are measured (inside the domain and the solution's error mask),
            shaped like the grid; ``None`` without a reference.
        errors: field name → relative L2 error over ``error_mask`` (empty without a reference).
        by_time: a space-time solution's relative L2 error at each time level, field name → (nt,);
            ``None`` for other solutions or without a reference.
    """

    grid: Grid
    values: dict[str, np.ndarray]
    kind: str | None
    reference: dict[str, np.ndarray] | None
    error_mask: np.ndarray | None
    errors: dict[str, float]
    by_time: dict[str, np.ndarray] | None

    @property
    def times(self) -> np.ndarray:
        """The time levels of :attr:`by_time` (the grid's last axis)."""
        return self.grid.coords[-1]


def compare(solution: Solution, resolution: int | Sequence[int] | None = None) -> Comparison:
    """Evaluate ``solution`` and its reference on its grid (``resolution`` points per axis, by default
    the solution's own); the reference is evaluated here, once.

    Raises:
        ValueError: a field is NaN or infinite somewhere on the grid.
    """
    grid = solution.grid(resolution)
    values = solution.on_grid(grid)
    for name, v in values.items():  # a NaN field is never exported as a result
        if not np.all(np.isfinite(v)):
            raise ValueError(f"the field {name} is not finite (NaN or inf) on the output grid; nothing"
                             " was written")
    reference = solution.reference_on_grid(grid)
    if reference is None:
        return Comparison(grid, values, None, None, None, {}, None)
    mask = solution.error_mask_on_grid(grid)
    by_time = relative_l2_by_time(values, reference, mask) if solution.time_axis is not None else None
    return Comparison(grid, values, solution.reference_kind, reference, mask,
                      relative_l2(values, reference, mask), by_time)
