"""HDF5 results: the documented layout, a faithful round trip, and atomic writes."""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
import torch

import sirenpde as sp
import sirenpde.results.hdf5 as io_hdf5
from sirenpde.results.atomic import atomic_path
from sirenpde.results.solution import relative_l2

# A non-square box with a hole, on a non-square grid: a transposed array or a wrong mask shows.
#   −Δu = f with u = sin(πx/2)·sin(πy), so f = (5π²/4)·u.
TEXT = """\
problem: poisson
domain:
  difference:
    base: {box: {lo: [0, 0], hi: [2, 1]}}
    holes: [{disk: {center: [1.5, 0.5], radius: 0.2}}]
pde: {source: 1.25*pi**2*sin(pi*x/2)*sin(pi*y), points: 64}
boundary:
  - {type: dirichlet, on: boundary, value: sin(pi*x/2)*sin(pi*y), points: 32, weight: 10, exact: false}
exact: sin(pi*x/2)*sin(pi*y)
model: {layers: [16, 16], w0_initial: 5}
training: {steps: 20, seed: 1, device: cpu, validate_every: 5}
output: {resolution: [21, 11]}
"""
NX, NY, STEPS = 21, 11, 20


def exact(x, y):
    return np.sin(np.pi * x / 2) * np.sin(np.pi * y)




@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """A tiny solve saved to HDF5: the spec, the Solution, the path and save's return value."""
    spec = sp.load_problem_text(TEXT, "io.yaml")
    solution = sp.train(spec.problem, config=spec.training, model_config=spec.model)
    path = tmp_path_factory.mktemp("io") / "result.h5"
    errors = sp.save(solution, path, resolution=spec.resolution, problem_text=TEXT)
    return SimpleNamespace(spec=spec, solution=solution, path=path, errors=errors)


@pytest.fixture(scope="module")
def stored(result):
    """Every dataset and attribute of the result file, read into memory."""
    data, attrs = {}, {}
    with h5py.File(result.path, "r") as f:
        attrs[""] = dict(f.attrs)

        def visit(name, item):
            attrs[name] = dict(item.attrs)
            if isinstance(item, h5py.Dataset):
                data[name] = item[()]

        f.visititems(visit)
    return SimpleNamespace(data=data, attrs=attrs)


def grid_points() -> np.ndarray:
    x, y = np.linspace(0, 2, NX), np.linspace(0, 1, NY)
    return np.stack([g.reshape(-1) for g in np.meshgrid(x, y, indexing="ij")], axis=1)


# --- the layout -------------------------------------------------------------------------------


def test_root_attributes(result, stored):
    a = stored.attrs[""]
    assert a["format"] == "sirenpde" and a["format_version"] == io_hdf5.FORMAT_VERSION
    assert a["sirenpde_version"] == sp.__version__
    assert a["problem_kind"] == "poisson"
    assert a["problem_yaml"] == TEXT
    assert a["seed"] == 1 and a["steps"] == STEPS and a["lbfgs_steps"] == 0
    assert a["device"] == "cpu"
    assert 0 < a["wall_time"] == pytest.approx(result.solution.info["wall_time"])
    assert bool(a["complete"]) is True
    assert [str(s) for s in a["axes"]] == ["x", "y"] and [str(s) for s in a["fields"]] == ["u"]
    np.testing.assert_array_equal(a["bounds_lo"], [0, 0])
    np.testing.assert_array_equal(a["bounds_hi"], [2, 1])
    assert a["relative_l2_u"] == result.errors["u"]


def test_grid_and_mask(stored):
    x, y, mask = stored.data["grid/x"], stored.data["grid/y"], stored.data["grid/mask"]
    np.testing.assert_allclose(x, np.linspace(0, 2, NX), rtol=0, atol=1e-15)
    np.testing.assert_allclose(y, np.linspace(0, 1, NY), rtol=0, atol=1e-15)
    assert mask.shape == (NX, NY) and mask.dtype == bool
    r2 = (x[:, None] - 1.5) ** 2 + (y[None, :] - 0.5) ** 2
    clear = np.abs(r2 - 0.2**2) > 1e-9  # points on the rim may go either way
    np.testing.assert_array_equal(mask[clear], (r2 > 0.2**2)[clear])
    assert not mask[15, 5] and mask[0, 0] and mask[-1, -1]  # centre of the hole; corners


def test_fields_reference_and_error(result, stored):
    u, ref, err = (stored.data[f"{g}/u"] for g in ("fields", "reference", "error"))
    assert u.shape == ref.shape == err.shape == (NX, NY)
    x, y = stored.data["grid/x"], stored.data["grid/y"]
    np.testing.assert_allclose(ref, exact(x[:, None], y[None, :]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(err, u - ref, rtol=0, atol=1e-12)
    # /fields/u[i, j] is the network at (x[i], y[j]).
    direct = result.solution.evaluate(grid_points()).reshape(NX, NY)
    np.testing.assert_allclose(u, direct, rtol=0, atol=1e-12)


def test_relative_l2_is_recomputable(result, stored):
    u, ref, mask = stored.data["fields/u"], stored.data["reference/u"], stored.data["grid/mask"]
    expected = np.linalg.norm((u - ref)[mask]) / np.linalg.norm(ref[mask])
    stored_value = stored.attrs["error/u"]["relative_l2"]
    assert stored_value == pytest.approx(expected, rel=1e-12)
    assert result.errors == {"u": pytest.approx(expected, rel=1e-12)}
    assert result.solution.relative_l2([NX, NY])["u"] == pytest.approx(expected, rel=1e-12)


def test_history(result, stored):
    names = [c.name for c in result.spec.problem.constraints]
    assert names == ["pde", "dirichlet:boundary"]
    np.testing.assert_array_equal(stored.data["history/step"], np.arange(1, STEPS + 1))
    loss = stored.data["history/loss"]
    assert loss.shape == (STEPS,) and np.all(np.isfinite(loss)) and np.all(loss > 0)
    parts = {n: stored.data[f"history/constraint/{n}"] for n in names}
    assert all(p.shape == (STEPS,) for p in parts.values())
    # The total is Σ w·loss/s² with the file's weights (pde 1, dirichlet 10) and the natural scales.
    s = json.loads(stored.attrs[""]["natural_scales"])
    assert set(s) == set(names) and s["pde"] > 10 * s["dirichlet:boundary"]  # Δ: frequency² larger
    total = parts["pde"] / s["pde"] ** 2 + 10 * parts["dirichlet:boundary"] / s["dirichlet:boundary"] ** 2
    np.testing.assert_allclose(loss, total, rtol=1e-5)
    hist_groups = {k.split("/")[1] for k in stored.data if k.startswith("history/")}
    assert {"step", "loss", "constraint"} <= hist_groups


def test_model_group(result, stored):
    m = stored.attrs["model"]
    assert m["architecture"] == "SIREN" and bool(m["loadable"]) and m["dtype"] == "float32"
    hparams = json.loads(m["hparams"])
    assert hparams["layers"] == [16, 16]
    assert hparams["in_features"] == 2 and hparams["out_features"] == 1
    state = result.solution.model.state_dict()
    assert {f"model/state/{k}" for k in state} == {k for k in stored.data if k.startswith("model/")}
    for key, tensor in state.items():
        np.testing.assert_array_equal(stored.data[f"model/state/{key}"], tensor.cpu().numpy())


# --- load -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(result):
    return sp.load(result.path)


def test_load_reproduces_the_stored_field(loaded, stored):
    """The acceptance criterion: evaluate at the grid points gives /fields/u to 1e-6 relative."""
    values = loaded.evaluate(grid_points())
    assert isinstance(values, np.ndarray) and values.shape == (NX * NY, 1)
    u = stored.data["fields/u"]
    diff = values.reshape(NX, NY) - u
    assert np.linalg.norm(diff) <= 1e-6 * np.linalg.norm(u)
    assert np.max(np.abs(diff)) <= 1e-6 * np.max(np.abs(u))


def test_load_restores_the_metadata(loaded, result):
    assert loaded.axes == ("x", "y") and loaded.fields == ("u",) and loaded.kind == "poisson"
    assert loaded.info["steps"] == STEPS and loaded.info["seed"] == 1
    for key in ("lbfgs_steps", "dtype", "best_step", "best_validation_loss", "wall_time", "device"):
        assert loaded.info[key] == result.solution.info[key], key
    assert loaded.domain is None and loaded.exact is None
    np.testing.assert_array_equal(loaded.history["loss"], result.solution.history["loss"])
    assert set(loaded.history) >= {"step", "loss", "constraint/pde",
                                   "constraint/dirichlet:boundary"}
    np.testing.assert_array_equal(loaded.bounds[0], [0, 0])
    np.testing.assert_array_equal(loaded.bounds[1], [2, 1])


def test_load_matches_the_original_off_the_grid(loaded, result):
    rng = np.random.default_rng(0)
    inside = rng.uniform([0, 0], [2, 1], size=(200, 2))
    outside = rng.uniform([-1, -1], [3, 2], size=(50, 2))  # a SIREN extends beyond its box
    points = np.concatenate([inside, outside])
    np.testing.assert_allclose(loaded.evaluate(points), result.solution.evaluate(points),
                               rtol=1e-6, atol=1e-7)
    one = loaded.evaluate([0.3, 0.7])  # a single point is promoted to (1, d)
    assert one.shape == (1, 1)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        loaded.evaluate(np.zeros((4, 3)))


def test_load_torch_in_torch_out_with_gradients(loaded, result):
    g = torch.Generator().manual_seed(0)
    pts = torch.rand(64, 2, generator=g, dtype=torch.float64) * torch.tensor([2.0, 1.0])
    x = pts.clone().requires_grad_(True)
    u = loaded.evaluate(x)
    assert isinstance(u, torch.Tensor) and u.shape == (64, 1) and u.requires_grad
    (grad,) = torch.autograd.grad(u.sum(), x)
    x0 = pts.clone().requires_grad_(True)
    (grad0,) = torch.autograd.grad(result.solution.evaluate(x0).sum(), x0)
    torch.testing.assert_close(grad, grad0, rtol=1e-5, atol=1e-6)
    # And the gradient is the derivative: compare with central differences of the numpy path.
    h = 1e-3
    for axis in range(2):
        step = np.zeros(2)
        step[axis] = h
        p = pts.numpy()
        fd = (loaded.evaluate(p + step) - loaded.evaluate(p - step))[:, 0] / (2 * h)
        scale = max(1.0, float(np.abs(fd).max()))
        assert np.max(np.abs(grad[:, axis].numpy() - fd)) < 2e-2 * scale


# --- atomic writes ----------------------------------------------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("disk on fire")


def test_failed_save_leaves_nothing(result, tmp_path, monkeypatch):
    monkeypatch.setattr(io_hdf5, "_write_model", _boom)  # fails after most of the file is written
    target = tmp_path / "out.h5"
    with pytest.raises(RuntimeError, match="disk on fire"):
        sp.save(result.solution, target, resolution=[NX, NY])
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_existing_file(result, tmp_path, monkeypatch):
    target = tmp_path / "out.h5"
    target.write_bytes(b"the previous result")
    monkeypatch.setattr(io_hdf5, "_write_history", _boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        sp.save(result.solution, target, resolution=[NX, NY])
    assert target.read_bytes() == b"the previous result"
    assert list(tmp_path.iterdir()) == [target]


def test_save_replaces_an_existing_file(result, tmp_path):
    target = tmp_path / "out.h5"
    target.write_bytes(b"the previous result")
    sp.save(result.solution, target, resolution=5)
    assert list(tmp_path.iterdir()) == [target]
    with h5py.File(target, "r") as f:
        assert f.attrs["format"] == "sirenpde" and f["fields/u"].shape == (5, 5)


# --- what is not a loadable result ------------------------------------------------------------


def test_load_refuses_other_hdf5(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.arange(3)
    with pytest.raises(ValueError, match="not a sirenpde result"):
        sp.load(other)


def test_solution_without_exact_or_siren(tmp_path):
    """No exact solution: no reference or error groups; a foreign model is saved, not loadable."""
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(2.0)
        model.bias.fill_(-1.0)
    history = {"step": [1], "loss": [1.0]}
    solution = sp.Solution(model, ["x"], ["u"], bounds=([0.0], [1.0]), history=history)
    path = tmp_path / "plain.h5"
    assert sp.save(solution, path, resolution=7) == {}
    with h5py.File(path, "r") as f:
        assert "reference" not in f and "error" not in f
        assert f["fields/u"].shape == (7,) and f["grid/mask"][()].all()
        assert not f["model"].attrs["loadable"]
        np.testing.assert_allclose(f["fields/u"][()], 2 * np.linspace(0, 1, 7) - 1, atol=1e-6)
    with pytest.raises(ValueError, match="cannot be rebuilt"):
        sp.load(path)


def test_relative_l2_helper_respects_the_mask():
    mask = np.array([True, True, False])
    ref = np.array([3.0, 4.0, 100.0])
    values = {"u": np.array([3.0, 4.0 + 5.0, -7.0])}
    assert relative_l2(values, {"u": ref}, mask)["u"] == pytest.approx(1.0)
    assert math.isfinite(relative_l2(values, {"u": np.zeros(3)}, mask)["u"])


def test_path_objects_and_strings(result, tmp_path):
    for target in (tmp_path / "a.h5", str(tmp_path / "b.h5")):
        sp.save(result.solution, target, resolution=3)
        assert Path(target).is_file()
        assert sp.load(target).evaluate(np.zeros((2, 2))).shape == (2, 1)


def test_results_get_the_mode_of_a_plainly_created_file(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "r.bin") as tmp:
            open(tmp, "wb").write(b"x")
        assert stat.S_IMODE(os.stat(tmp_path / "r.bin").st_mode) == 0o644   # not mkstemp's 0600
        with pytest.raises(RuntimeError), atomic_path(tmp_path / "r.bin") as tmp:
            open(tmp, "wb").write(b"half")
            raise RuntimeError("interrupted")
        assert (tmp_path / "r.bin").read_bytes() == b"x"                    # the old file is intact
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r.bin"]     # no temporary left
    finally:
        os.umask(umask)
