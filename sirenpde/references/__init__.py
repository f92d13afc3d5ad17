"""Exact and classical reference solutions to measure trained networks against.

Helmholtz: :func:`point_sources_field` (free-space Hankel fields, e^{+iωt} convention) and
:func:`solve_helmholtz_fd` (second-order finite differences with the same PML as the network).
"""

from .hankel import gaussian_source, green_2d, point_sources_field
from .helmholtz_fd import PML, FDResult, solve_helmholtz_fd

__all__ = ["FDResult", "PML", "gaussian_source", "green_2d", "point_sources_field", "solve_helmholtz_fd"]
