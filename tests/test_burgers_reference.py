"""The Cole–Hopf reference of the viscous Burgers benchmark: its conditions, symmetry, convergence, the
PDE itself, and the published largest slope."""

import math

import numpy as np
import pytest

from sirenpde.references import burgers_cole_hopf

NU = 0.01 / math.pi


def test_initial_condition_is_minus_sine():
    x = np.linspace(-1, 1, 41)
    assert np.array_equal(burgers_cole_hopf(x, 0.0), -np.sin(np.pi * x))
    # Just after t = 0 the integral form meets the initial data continuously.
    assert np.abs(burgers_cole_hopf(x, 1e-9) + np.sin(np.pi * x)).max() < 1e-6


def test_walls_are_zero():
    t = np.linspace(0, 1, 21)
    assert np.abs(burgers_cole_hopf(np.ones_like(t), t)).max() < 1e-13
    assert np.abs(burgers_cole_hopf(-np.ones_like(t), t)).max() < 1e-13


def test_odd_in_x():
    x, t = np.meshgrid(np.linspace(0, 1, 57), np.linspace(0, 1, 11), indexing="ij")
    assert np.abs(burgers_cole_hopf(-x, t) + burgers_cole_hopf(x, t)).max() < 1e-13


def test_doubling_the_nodes_changes_nothing():
    x, t = np.meshgrid(np.linspace(-1, 1, 128), np.linspace(0, 1, 26), indexing="ij")
    u = burgers_cole_hopf(x, t)
    assert np.abs(burgers_cole_hopf(x, t, nodes=2048) - u).max() < 1e-8
    # The shock is there: at t = 1 the solution drops by 1.4 across |x| < 0.03 (a few ν/|u|).
    assert burgers_cole_hopf(-0.03, 1.0) - burgers_cole_hopf(0.03, 1.0) > 1.4


def _fd_residual(x: np.ndarray, t: float, h: float) -> tuple[float, float]:
    """max |u_t + u·u_x − ν·u_xx| by centred differences of step h, and the size of the terms."""
    u = burgers_cole_hopf(x, t)
    u_t = (burgers_cole_hopf(x, t + h) - burgers_cole_hopf(x, t - h)) / (2 * h)
    right, left = burgers_cole_hopf(x + h, t), burgers_cole_hopf(x - h, t)
    u_x, u_xx = (right - left) / (2 * h), (right - 2 * u + left) / h**2
    residual = u_t + u * u_x - NU * u_xx
    return float(np.abs(residual).max()), float(np.abs(u_t).max() + np.abs(u * u_x).max())


@pytest.mark.parametrize("t", [0.1, 0.2, 0.8])
def test_pde_residual_by_finite_differences(t):
    """The residual is the differences' O(h²) error only: small against the terms and falling
    fourfold when h halves. At t = 0.8 the shock is left out (|x| > 0.2), where u is smooth on the
    scale h."""
    x = np.linspace(-0.95, 0.95, 39)
    x = x[np.abs(x) > 0.2] if t > 0.5 else x
    coarse, scale = _fd_residual(x, t, 1e-3)
    fine, _ = _fd_residual(x, t, 5e-4)
    assert coarse < 3e-5 * scale  # measured 1.3e-5 at t = 0.2, where the front steepens
    assert 3.5 < coarse / fine < 4.5


def test_largest_slope_of_basdevant_et_al():
    """Basdevant et al. (1986), Computers & Fluids 14, 23–41: max over t of |u_x(0, t)| is 152.00516, reached
    at t = 1.6037/π. u_x by centred differences with one Richardson step (error O(h⁴))."""

    def slope(t: float) -> float:
        def centred(h: float) -> float:
            return float((burgers_cole_hopf(h, t) - burgers_cole_hopf(-h, t)) / (2 * h))

        return (4 * centred(1e-5) - centred(2e-5)) / 3

    # Golden-section search for the steepest moment in [0.49, 0.53].
    lo, hi, g = 0.49, 0.53, (math.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        lo, hi = (lo, b) if slope(a) < slope(b) else (a, hi)
    t_max = (lo + hi) / 2
    assert abs(t_max * math.pi - 1.6037) < 5e-4
    assert abs(-slope(t_max) - 152.00516) < 2e-4
