"""Exact and classical reference solutions to measure trained networks against.

Helmholtz: :func:`point_sources_field` (free-space Hankel fields, e^{+iωt} convention) and
:func:`solve_helmholtz_fd` (second-order finite differences with the same PML as the network);
:func:`hankel_reference` and :func:`fd_reference` wrap them as a run's
:class:`~sirenpde.results.solution.Reference`, and :func:`error_region` says where it is compared.

Wave: :func:`solve_wave_fd` (leapfrog finite differences on a 1-D or 2-D box, u = 0 on its edge).

Heat: :func:`solve_heat_fd` (Crank–Nicolson for u_t = a(x)·Δu + f on a 1-D or 2-D box, u = 0 on its edge).

Burgers: :func:`burgers_cole_hopf` (the exact viscous solution from u(x, 0) = −sin(πx), by Cole–Hopf).
"""

from .burgers import burgers_cole_hopf
from .hankel import gaussian_source, green_2d, point_sources_field
from .heat_fd import HeatFDResult, solve_heat_fd
from .helmholtz_fd import PML, FDResult, solve_helmholtz_fd
from .select import error_region, fd_reference, hankel_reference, numpy_field
from .wave_fd import WaveFDResult, solve_wave_fd

__all__ = ["FDResult", "HeatFDResult", "PML", "WaveFDResult", "burgers_cole_hopf", "error_region",
           "fd_reference", "gaussian_source", "green_2d", "hankel_reference", "numpy_field",
           "point_sources_field", "solve_heat_fd", "solve_helmholtz_fd", "solve_wave_fd"]
