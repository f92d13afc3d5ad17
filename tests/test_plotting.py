"""Figures of result files in 1-D, 2-D and 3-D, with and without a reference."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.plotting import plot_result

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
