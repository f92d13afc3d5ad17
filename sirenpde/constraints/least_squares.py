"""Whether a problem can be fitted as a sum of squares (Levenberg–Marquardt) whatever the network."""

from __future__ import annotations

from .problem import Problem

__all__ = ["least_squares_obstacle"]


def least_squares_obstacle(problem: Problem) -> str | None:
    """Why LM cannot fit this problem whatever the network, or ``None``: a coefficient network
    among the unknowns (its Jacobian would need the autograd engine inside ``torch.func``)."""
    if problem.unknowns is not None and len(problem.unknowns.fields):
        return ("lm_steps fits the network and scalar unknowns, and this problem has a coefficient network"
                f" ({', '.join(problem.unknowns.fields)}); use lbfgs_steps instead")
    return None
