"""The leapfrog wave reference: second-order convergence in 1-D and 2-D, energy, and its input checks."""

from __future__ import annotations

import numpy as np
import pytest

from sirenpde.references import solve_wave_fd

PI = np.pi


def standing_1d(p):
    x, t = p[:, 0], p[:, 1]
    return np.sin(PI * x) * np.cos(2 * PI * t) + 0.5 * np.sin(4 * PI * x) * np.cos(8 * PI * t)


def initial_1d(p):
    return np.sin(PI * p[:, 0]) + 0.5 * np.sin(4 * PI * p[:, 0])


def error_1d(n: int) -> float:
    r = solve_wave_fd([0.0], [1.0], n, 0.0, 1.0, initial_1d, speed=2.0)
    x, t = np.meshgrid(r.coords[0], r.times, indexing="ij")
    exact = standing_1d(np.column_stack([x.ravel(), t.ravel()]))
    return float(np.linalg.norm(np.moveaxis(r.u, 0, -1).ravel() - exact) / np.linalg.norm(exact))


def test_second_order_in_1d():
    coarse, fine = error_1d(41), error_1d(81)
    assert fine < 1e-2
    assert 3.6 < coarse / fine < 4.4  # measured 4.00


def test_second_order_in_2d_and_interpolation():
    def final_error(n):
        r = solve_wave_fd([0, 0], [1, 1], n, 0.0, 0.8, lambda p: np.sin(PI * p[:, 0]) * np.sin(PI * p[:, 1]))
        pts = np.array([[0.3, 0.6, 0.8], [0.5, 0.5, 0.8], [0.71, 0.2, 0.8]])
        exact = np.sin(PI * pts[:, 0]) * np.sin(PI * pts[:, 1]) * np.cos(np.sqrt(2) * PI * 0.8)
        phase = np.cos(np.sqrt(2) * PI * 0.8)
        grid = np.sin(PI * r.coords[0])[:, None] * np.sin(PI * r.coords[1])[None, :] * phase
        return np.abs(r.u[-1] - grid).max(), np.abs(r(pts) - exact).max()

    (coarse, _), (fine, interpolated) = final_error(21), final_error(41)
    assert 3.6 < coarse / fine < 4.4
    assert interpolated < 5e-3  # linear interpolation between nodes (h = 0.025)


def energy_drift(n: int) -> float:
    # E = ½∫(u_t² + c²u_x²): u_t by central differences in time, u_x on cell midpoints.
    r = solve_wave_fd([0.0], [1.0], n, 0.0, 1.0, initial_1d, speed=2.0)
    dt, h = r.times[1] - r.times[0], r.coords[0][1] - r.coords[0][0]
    ut = (r.u[2:] - r.u[:-2]) / (2 * dt)
    ux = np.diff(r.u[1:-1], axis=1) / h
    energy = 0.5 * h * ((ut**2).sum(axis=1) + 4 * (ux**2).sum(axis=1))
    return float(np.abs(energy / energy[0] - 1).max())


def test_energy_is_conserved_to_second_order():
    coarse, fine = energy_drift(41), energy_drift(81)
    assert fine < 1e-2 and coarse / fine > 3.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="1-D and 2-D boxes"):
        solve_wave_fd([0, 0, 0], [1, 1, 1], 5, 0, 1, lambda p: p[:, 0])
    with pytest.raises(ValueError, match="n ≥ 3 nodes per axis and 0 < cfl ≤ 1; found n=2"):
        solve_wave_fd([0], [1], 2, 0, 1, lambda p: p[:, 0])


def test_kept_times_match_the_full_record_and_interpolate_between_levels():
    full = solve_wave_fd([0.0], [1.0], 81, 0.0, 1.0, initial_1d, speed=2.0)
    on_levels = full.times[[0, 1, 7, len(full.times) - 1]]
    kept = solve_wave_fd([0.0], [1.0], 81, 0.0, 1.0, initial_1d, speed=2.0, keep=on_levels[::-1])
    assert np.array_equal(kept.times, on_levels)
    assert np.allclose(kept.u, full.u[[0, 1, 7, -1]], atol=1e-12)
    # Between levels the cubic-in-time value is as accurate as the scheme at the levels themselves.
    between = (full.times[10] + full.times[11]) / 2
    r = solve_wave_fd([0.0], [1.0], 81, 0.0, 1.0, initial_1d, speed=2.0, keep=[between])
    x = r.coords[0]
    exact = standing_1d(np.column_stack([x, np.full_like(x, between)]))
    at_level = standing_1d(np.column_stack([x, np.full_like(x, full.times[10])]))
    assert np.abs(r.u[0] - exact).max() < 1.5 * np.abs(full.u[10] - at_level).max() + 1e-6
    assert np.allclose(r(np.column_stack([x, np.full_like(x, between)])), r.u[0])


def test_kept_times_outside_the_interval_are_refused():
    with pytest.raises(ValueError, match=r"keep needs times within \[0, 1\]; found \[1.5\]"):
        solve_wave_fd([0.0], [1.0], 11, 0.0, 1.0, initial_1d, keep=[1.5])
