"""Whether a problem can be marched in time (:mod:`sirenpde.training.marching`), as a reason or ``None``:
what ``check`` reports at ``training.windows`` and what training refuses."""

from __future__ import annotations

from ..domains import SpaceTime
from ..model.exact_initial import ExactInitialModel
from .problem import Problem

__all__ = ["marching_obstacle"]


def marching_obstacle(problem: Problem) -> str | None:
    """Why ``problem`` cannot be marched — not space-time, initial conditions not exact, unknowns to
    fit — or ``None``."""
    if not isinstance(problem.domain, SpaceTime):
        return f"time marching needs a space-time domain; found {type(problem.domain).__name__}"
    if problem.ansatz is None or problem.ansatz.wrapper is not ExactInitialModel:
        return ("time marching takes each window's initial data exactly from the window before, so the"
                " problem must impose its own initial conditions exactly (initial: {exact: true};"
                " exact_initial=True in Python)")
    if problem.unknowns is not None:
        return "time marching of a problem with unknowns is not supported: each window would fit them anew"
    return None
