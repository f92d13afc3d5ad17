"""Figures of result files in 1-D, 2-D and 3-D, with and without a reference."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.results.plotting import plot_result

PNG = b"\x89PNG\r\n\x1a\n"


def _linear_result(folder, dim: int, exact: bool) -> str:
    """A result file from a fixed linear 'network' u = Σ x_i (no training needed)."""
    model = torch.nn.Linear(dim, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.zero_()
    history = {"step": [1, 2, 3], "loss": [1.0, 0.5, 0.25], "constraint/pde": [1.0, 0.5, 0.25],
               "validation/step": [3], "validation/loss": [0.3]}
    reference = (lambda x: x.sum(dim=1, keepdim=True) + 0.01) if exact else None
    solution = sp.Solution(model, ["x", "y", "z"][:dim], ["u"], bounds=([0.0] * dim, [1.0] * dim),
                           exact=reference, history=history)
    path = folder / f"r{dim}.h5"
    sp.save(solution, path, resolution=5)
    return path


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("exact", [True, False], ids=["reference", "no reference"])
def test_plot_result_writes_pngs(tmp_path, dim, exact):
    path = _linear_result(tmp_path, dim, exact)
    figs = tmp_path / "figs"
    figs.mkdir()
    written = plot_result(path, figs)
    assert written == [figs / f"r{dim}_u.png", figs / f"r{dim}_loss.png"]
    for png in written:
        assert png.read_bytes().startswith(PNG)


def test_plot_result_refuses_other_files(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ValueError, match="not a sirenpde result"):
        plot_result(other, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.h5"]


def _spacetime_result(folder, space_dim: int, resolution) -> str:
    """A space-time result from the fixed 'network' u = Σ x_i + t, against u + 0.01 (no training)."""
    dim = space_dim + 1
    model = torch.nn.Linear(dim, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.zero_()
    axes = [*["x", "y"][:space_dim], "t"]
    solution = sp.Solution(model, axes, ["u"], bounds=([0.0] * dim, [1.0] * dim),
                           exact=lambda x: x.sum(dim=1, keepdim=True) + 0.01,
                           history={"step": [1], "loss": [1.0]}, time_axis="t")
    path = folder / f"st{space_dim}.h5"
    sp.save(solution, path, resolution=resolution)
    return path


def test_the_error_at_each_time_is_stored(tmp_path):
    from sirenpde.results.hdf5 import read_error_by_time

    times, curves = read_error_by_time(_spacetime_result(tmp_path, 1, [6, 4]))
    x = np.linspace(0, 1, 6)[:, None]
    reference = x + times[None, :] + 0.01
    expected = 0.01 * np.sqrt(6) / np.linalg.norm(reference, axis=0)
    assert np.allclose(times, np.linspace(0, 1, 4)) and np.allclose(curves["u"], expected)
    with h5py.File(tmp_path / "st1.h5") as f:
        assert f.attrs["time_axis"] == "t"
    assert read_error_by_time(_linear_result(tmp_path, 2, exact=True)) is None


@pytest.mark.parametrize("space_dim", [1, 2])
def test_space_time_results_get_snapshots_an_animation_and_the_error_curve(tmp_path, space_dim):
    from PIL import Image

    path = _spacetime_result(tmp_path, space_dim, [7] * space_dim + [5])
    written = plot_result(path, tmp_path, times=[0.0, 0.5, 1.0])
    names = [p.name for p in written]
    stem = f"st{space_dim}"
    assert names == [f"{stem}_u.png", f"{stem}_loss.png", f"{stem}_u_snapshots.png",
                     f"{stem}_u_animation.gif", f"{stem}_error_by_time.png"]
    with Image.open(tmp_path / f"{stem}_u_animation.gif") as gif:
        assert gif.n_frames == 5                      # one frame per stored time level
    for png in written:
        if png.suffix == ".png":
            assert png.read_bytes().startswith(PNG)


def test_snapshot_times_outside_the_interval_and_unknown_formats_are_refused(tmp_path):
    path = _spacetime_result(tmp_path, 1, [5, 3])
    with pytest.raises(ValueError, match="snapshot time 2 is outside the solved interval"):
        plot_result(path, tmp_path, times=[0.5, 2.0])
    with pytest.raises(ValueError, match="unknown animation format 'avi'"):
        plot_result(path, tmp_path, animation="avi")
    names = [p.name for p in plot_result(path, tmp_path, animation="none")]
    assert "st1_u_animation.gif" not in names


def test_mp4_without_ffmpeg_says_to_use_gif(tmp_path):
    from matplotlib import animation

    if animation.writers.is_available("ffmpeg"):
        pytest.skip("ffmpeg is installed here")
    with pytest.raises(ValueError, match="MP4 needs ffmpeg.*use --animation gif"):
        plot_result(_spacetime_result(tmp_path, 1, [5, 3]), tmp_path, animation="mp4")


def test_a_loaded_space_time_solution_knows_its_time_axis(tmp_path):
    model = sp.SIREN([8], in_features=2, out_features=1, bounds=([0.0, 0.0], [1.0, 2.0]))
    domain = sp.SpaceTime(sp.Box((0,), (1,)), 0.0, 2.0)
    solution = sp.Solution(model, ["x", "t"], ["u"], domain=domain)
    assert solution.time_axis == "t"
    sp.save(solution, tmp_path / "s.h5", resolution=[5, 3])
    assert sp.load(tmp_path / "s.h5").time_axis == "t"
    with pytest.raises(ValueError, match="the time axis must be the last axis 't'; found 'x'"):
        sp.Solution(model, ["x", "t"], ["u"], domain=domain, time_axis="x")
