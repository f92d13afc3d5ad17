"""Known coefficients from data files: a k(x) of a ``problem: custom`` residual read from a grid
(.npy, .h5) or a table (.csv).

The interpolation reproduces what its scheme promises (multilinear data for linear, cubics for cubic,
with their derivatives); tables become grids (as given, or from scattered samples); residuals read
k and its derivatives with both derivative engines and inside Levenberg–Marquardt; every bad file is
one located line from ``sirenpde check``; a tiny problem trains; a saved result keeps k.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from torch import nn

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.domains import make_sampler
from sirenpde.domains.media import GriddedMedium, SpatialMedium
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.levenberg_marquardt import LevenbergMarquardt
from sirenpde.training.loss import evaluate_losses, make_fields

PI = math.pi
GEN = torch.Generator().manual_seed(0)


def samples(f, lo, hi, shape) -> np.ndarray:
    """f at the nodes of a regular grid (``indexing="ij"``)."""
    axes = [np.linspace(a, b, n) for a, b, n in zip(lo, hi, shape, strict=True)]
    return f(*np.meshgrid(*axes, indexing="ij"))


def points_in(lo, hi, n=300) -> torch.Tensor:
    """Random points in the box, and its corners (where the stencils are shifted or clamped)."""
    lo, hi = torch.tensor(lo, dtype=torch.float64), torch.tensor(hi, dtype=torch.float64)
    inside = lo + (hi - lo) * torch.rand(n, len(lo), dtype=torch.float64, generator=GEN)
    corners = torch.cartesian_prod(*[torch.stack([a, b]) for a, b in zip(lo, hi, strict=True)])
    return torch.cat([inside, corners.reshape(-1, len(lo))])


def multilinear(*c):
    return 1 + sum((a + 1) * ca for a, ca in enumerate(c)) + math.prod(c)


def cubic(*c):
    """A polynomial of degree 3 in each coordinate, with cross terms."""
    out = sum(ca**3 - (a + 1) * ca**2 + 0.5 * ca for a, ca in enumerate(c)) + 2.0
    return out + (c[0] ** 2 * c[-1] ** 3 + math.prod(c) if len(c) > 1 else 0)


def analytic(f, x: torch.Tensor):
    """f's value, gradient (N, d) and Hessian diagonal (N, d) by torch.func on the closed form."""
    def g(p):
        return f(*p)
    grad = torch.func.vmap(torch.func.grad(g))(x)
    hess = torch.func.vmap(torch.func.hessian(g))(x)
    return g(x.T), grad, torch.diagonal(hess, dim1=1, dim2=2)


BOXES = {1: ([-1.0], [2.0], (9,)), 2: ([-1.0, 0.5], [2.0, 1.5], (9, 6)),
         3: ([-1.0, 0.5, 0.0], [2.0, 1.5, 1.0], (7, 6, 5)), 4: ([0.0, 0.5, 0.0, 0.0], [1.0, 1.5, 1.0, 2.0],
                                                                  (5, 4, 6, 4))}


# --- interpolation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 3])
def test_linear_is_exact_on_multilinear_data_with_its_gradient(d):
    lo, hi, shape = BOXES[d]
    medium = GriddedMedium(samples(multilinear, lo, hi, shape), lo, hi, "linear")
    x = points_in(lo, hi)
    value, grad, _ = analytic(multilinear, x)
    assert torch.allclose(medium(x), value, atol=1e-12)
    assert torch.allclose(medium.gradient(x), grad, atol=1e-11)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_cubic_is_exact_on_cubics_with_gradient_second_derivatives_and_laplacian(d):
    # d = 4 is a 3-D grid with a time axis: one more grid axis.
    lo, hi, shape = BOXES[d]
    medium = GriddedMedium(samples(cubic, lo, hi, shape), lo, hi, "cubic")
    x = points_in(lo, hi)
    value, grad, diag = analytic(cubic, x)
    jet = medium.jet(x, gradient=True, second=range(d))
    assert torch.allclose(jet.value, value, atol=1e-11)
    assert torch.allclose(jet.gradient, grad, atol=1e-10)
    for a in range(d):
        assert torch.allclose(jet.second[a], diag[:, a], atol=1e-9)
    assert torch.allclose(medium.laplacian(x), diag.sum(1), atol=1e-9)


def test_cubic_derivatives_of_a_smooth_coefficient_converge():
    def k(x, y):
        return np.sin(PI * x) * np.cos(PI * y)

    x = points_in([0, 0], [1, 1])
    errors = []
    for n in (21, 41):
        medium = GriddedMedium(samples(k, [0, 0], [1, 1], (n, n)), (0, 0), (1, 1), "cubic")
        s, c = torch.sin(PI * x), torch.cos(PI * x)
        grad = torch.stack([PI * c[:, 0] * c[:, 1], -PI * s[:, 0] * s[:, 1]], dim=1)
        errors.append(((medium.gradient(x) - grad).abs().max(),
                       (medium.laplacian(x) + 2 * PI**2 * s[:, 0] * c[:, 1]).abs().max()))
    assert errors[1][0] < 2e-4 and errors[1][1] < 5e-2  # |∇k| ≤ π, |Δk| ≤ 2π²
    assert errors[0][0] / errors[1][0] > 6 and errors[0][1] / errors[1][1] > 3  # O(h³) and O(h²)


def test_nearest_takes_the_closest_node_and_has_no_derivative():
    values = samples(lambda x, y: 10 * x + y, [0, 0], [1, 1], (3, 5))
    medium = GriddedMedium(values, (0, 0), (1, 1), "nearest")
    x = torch.tensor([[0.2, 0.2], [0.3, 0.9], [1.2, -1.0], [0.74, 0.6]], dtype=torch.float64)
    assert medium(x).tolist() == [values[0, 1], values[1, 4], values[2, 0], values[1, 2]]
    with pytest.raises(ValueError, match="interpolation: linear or cubic"):
        medium.gradient(x)
    with pytest.raises(ValueError, match="interpolation: cubic"):
        GriddedMedium(values, (0, 0), (1, 1), "linear").second(x, 0)
    with pytest.raises(ValueError, match="at least 4 samples"):
        GriddedMedium(values, (0, 0), (1, 1), "cubic")


# --- problem files --------------------------------------------------------------------------------

PLANE = """\
problem: custom
domain: {box: {lo: [0, 0], hi: [1, 1]}}
fields: [u]
parameters:
  k: KNOWN
constraints:
  pde: {region: interior, residual: "RESIDUAL", points: 32}
  wall: {region: boundary, residual: u, points: 16}
model: {layers: [8]}
training: {steps: 3, device: cpu}
"""


def plane(known: str, residual: str = "k*lap(u) + 1") -> str:
    return PLANE.replace("KNOWN", known).replace("RESIDUAL", residual)


def write_csv(path: Path, **columns) -> Path:
    np.savetxt(path, np.stack(list(columns.values()), axis=1), delimiter=",", header=",".join(columns),
               comments="")
    return path


def build(text: str, folder: Path, **kw) -> sp.config.RunSpec:
    return sp.load_problem_text(text, str(folder / "problem.yaml"), **kw)


def test_a_csv_grid_in_any_order_is_the_grid(tmp_path):
    values = samples(cubic, [0, 0], [1, 1], (6, 5))
    gx, gy = np.meshgrid(np.linspace(0, 1, 6), np.linspace(0, 1, 5), indexing="ij")
    order = np.random.default_rng(0).permutation(values.size)
    write_csv(tmp_path / "k.csv", y=gy.ravel()[order], x=gx.ravel()[order], value=values.ravel()[order])
    spec = build(plane("{file: k.csv, interpolation: cubic, hi: [1, 1]}"), tmp_path)
    medium = spec.coefficients["k"]
    assert np.array_equal(medium.values, values) and medium.lo == (0, 0) and medium.hi == (1, 1)
    x = points_in([0, 0], [1, 1])
    assert torch.allclose(medium(x), analytic(cubic, x)[0], atol=1e-11)


@pytest.mark.parametrize("function, tolerance", [(lambda x, y: 1 + 2 * x - 3 * y, 1e-10),
                                                  (lambda x, y: np.sin(2 * x) * np.exp(y), 2e-2)])
def test_scattered_csv_samples_are_put_on_a_grid(tmp_path, function, tolerance):
    rng = np.random.default_rng(1)
    p = np.concatenate([rng.uniform(size=(600, 2)), [[0, 0], [0, 1], [1, 0], [1, 1]]])
    write_csv(tmp_path / "k.csv", x=p[:, 0], y=p[:, 1], k=function(p[:, 0], p[:, 1]))
    medium = build(plane("{file: k.csv}"), tmp_path).coefficients["k"]
    assert medium.values.shape == (201, 201)
    # Exact on a linear function everywhere; near a smooth one away from the edges, where the random
    # samples thin out and the triangles grow long.
    x = points_in([0, 0], [1, 1]) if tolerance < 1e-6 else points_in([0.1, 0.1], [0.9, 0.9])
    assert np.abs(medium(x).numpy() - function(x[:, 0].numpy(), x[:, 1].numpy())).max() < tolerance


def test_space_time_coefficients_are_spatial_or_vary_in_time(tmp_path):
    text = """\
problem: custom
domain: {spacetime: {space: {box: {lo: [0], hi: [1]}}, t: [0, 2]}}
parameters:
  a: {file: a.npy, lo: [0], hi: [1], interpolation: cubic}
  b: {file: b.csv, interpolation: cubic}
constraints:
  pde: {region: interior, residual: "dt(u) - a*lap(u) - b", points: 8}
"""
    np.save(tmp_path / "a.npy", samples(lambda x: x**3, [0], [1], (5,)))
    gx, gt = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 2, 6), indexing="ij")
    write_csv(tmp_path / "b.csv", x=gx.ravel(), t=gt.ravel(), value=(gx**2 * gt**3).ravel())
    known = build(text, tmp_path).coefficients
    assert isinstance(known["a"], SpatialMedium) and known["b"].dim == 2
    x = points_in([0, 0], [1, 2])
    X, T = x[:, 0], x[:, 1]
    a, b = known["a"].jet(x, True, (0, 1)), known["b"].jet(x, True, (0, 1))
    assert torch.allclose(a.gradient, torch.stack([3 * X**2, 0 * X], 1), atol=1e-11)
    assert torch.allclose(a.second[1], 0 * X) and torch.allclose(b.second[1], 6 * X**2 * T, atol=1e-9)


class Analytic(nn.Module):
    """A closed-form "network": points (N, d) → u(x)."""

    def __init__(self, u):
        super().__init__()
        self.u, self.anchor = u, nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        return self.u(p)[:, None] + self.anchor


DIVERGENCE = "dx(k)*dx(u) + dy(k)*dy(u) + k*lap(u) + f"  # ∇·(k∇u) + f = 0


def residual_on(problem, model, engine="autograd", seed=0) -> dict[str, torch.Tensor]:
    sampler = make_sampler("uniform", torch.Generator().manual_seed(seed), "cpu", torch.float64)
    out = {}
    for batch in draw_batches(problem, sampler):
        fields = make_fields(problem, model, batch, engine)
        out.update({c.name: c.residual(fields).detach() for c in batch.constraints})
    return out


def test_a_residual_with_k_and_its_derivatives_vanishes_on_its_solution(tmp_path):
    """−∇·(k∇u) = f with k = 1 + x²y (a cubic: interpolated exactly), u = sin(πx)sin(πy)."""
    np.save(tmp_path / "k.npy", samples(lambda x, y: 1 + x**2 * y, [0, 0], [1, 1], (6, 6)))
    f = ("-(2*x*y*pi*cos(pi*x)*sin(pi*y) + x**2*pi*sin(pi*x)*cos(pi*y)"
         " - 2*pi**2*(1 + x**2*y)*sin(pi*x)*sin(pi*y))")
    known = "{file: k.npy, lo: [0, 0], hi: [1, 1], interpolation: cubic}"
    text = plane(known, DIVERGENCE.replace("+ f", f"+ {f}"))
    problem = build(text, tmp_path).problem
    u = Analytic(lambda p: torch.sin(PI * p[:, 0]) * torch.sin(PI * p[:, 1]))
    assert residual_on(problem, u)["pde"].abs().max() < 1e-9
    wrong = Analytic(lambda p: torch.sin(PI * p[:, 0]) * torch.sin(PI * p[:, 1]) * (1 + p[:, 0]))
    assert residual_on(problem, wrong)["pde"].abs().max() > 0.1


def test_both_engines_and_levenberg_marquardt_read_k_alike(tmp_path):
    np.save(tmp_path / "k.npy", samples(cubic, [0, 0], [1, 1], (7, 7)))
    text = plane("{file: k.npy, lo: [0, 0], hi: [1, 1], interpolation: cubic}",
                 "k*lap(u) + dx(k)*dx(u) + dyy(k)*u + lap(k) + norm(grad(k))*u")
    problem = build(text.replace("residual: u,", "residual: dn(k)*u + dn(u),"), tmp_path).problem
    model = sp.build_model(problem, sp.ModelConfig(layers=(12, 12), w0_initial=3.0), seed=0).double()
    autograd, forward = residual_on(problem, model, "autograd"), residual_on(problem, model, "forward")
    for name in autograd:
        assert torch.allclose(autograd[name], forward[name], atol=1e-10)
    # LM evaluates each point alone, vmapped: its rows square to the same loss.
    batches = draw_batches(problem, make_sampler("uniform", torch.Generator().manual_seed(0), "cpu",
                                                 torch.float64))
    opt = LevenbergMarquardt(problem, model)
    rows, jac, _ = opt._linearise({n: p.detach() for n, p in opt.trained.items()}, batches)
    total, _ = evaluate_losses(problem, model, batches)
    assert math.isclose(float(rows @ rows), float(total.detach()), rel_tol=1e-10)
    assert torch.isfinite(jac).all()


# --- mistakes, one located line each ---------------------------------------------------------------

SQUARE_K = "{file: k.npy, lo: [0, 0], hi: [1, 1]}"
BAD = {
    "missing file": ("{file: nope.npy, lo: [0, 0], hi: [1, 1]}", None, "parameters.k.file", ["not found"]),
    "folder": ("{file: folder.npy, lo: [0, 0], hi: [1, 1]}", None, "parameters.k.file", ["is a folder"]),
    "csv folder": ("{file: folder.csv}", None, "parameters.k.file", ["is a folder"]),
    "wrong shape": ("{file: line.npy, lo: [0, 0], hi: [1, 1]}", None, "parameters.k.file",
                    ["expected a 2-D array", "(5,)"]),
    "NaN": ("{file: nan.npy, lo: [0, 0], hi: [1, 1]}", None, "parameters.k.file", ["NaN or infinite"]),
    "lo length": ("{file: k.npy, lo: [0], hi: [1, 1]}", None, "parameters.k.lo", ["expected 2 coordinates"]),
    "not increasing": ("{file: k.npy, lo: [0, 1], hi: [1, 1]}", None, "parameters.k.hi", ["hi > lo"]),
    "no lo": ("{file: k.npy, hi: [1, 1]}", None, "parameters.k.lo", ["needs lo and hi"]),
    "short of the domain": ("{file: k.npy, lo: [0, 0], hi: [0.5, 1]}", None, "parameters.k.file",
                            ["reaches outside the data", "x in [0, 1]", "x in [0, 0.5]"]),
    "scattered short": ("{file: scattered.csv}", None, "parameters.k.file", ["reaches outside the data"]),
    "csv column": ("{file: no_y.csv}", None, "parameters.k.file", ["no column 'y'", "it has: x, value"]),
    "csv stray column": ("{file: stray.csv}", None, "parameters.k.file", ["column 'z' is neither"]),
    "csv lo": ("{file: k.csv, lo: [0, 0.5]}", None, "parameters.k.lo", ["does not match", "[0, 0]"]),
    "csv dataset": ("{file: k.csv, dataset: k}", None, "parameters.k.dataset", ["no datasets"]),
    "h5 dataset": ("{file: k.h5, lo: [0, 0], hi: [1, 1]}", None, "parameters.k.dataset", ["needs `dataset`"]),
    "interpolation": ("{file: k.npy, lo: [0, 0], hi: [1, 1], interpolation: quadratic}", None,
                      "parameters.k.interpolation", ["'cubic'", "quadratic"]),
    "key typo": ("{file: k.npy, lo: [0, 0], hi: [1, 1], interp: cubic}", None, "parameters.k.interp",
                 ["unknown key 'interp'", "did you mean 'interpolation'"]),
    "cubic of 3": ("{file: small.npy, lo: [0, 0], hi: [1, 1], interpolation: cubic}", None,
                   "parameters.k.file", ["at least 4 samples"]),
    "lap of linear": (SQUARE_K, "lap(k)*u + lap(u)", "constraints.pde.residual",
                      ["lap(k) needs interpolation: cubic", "interpolation: linear"]),
    "dxx of linear": (SQUARE_K, "dxx(k) + lap(u)", "constraints.pde.residual",
                      ["dxx(k) needs interpolation: cubic"]),
    "dx of nearest": ("{file: k.npy, lo: [0, 0], hi: [1, 1], interpolation: nearest}", "dx(k)*dx(u) + lap(u)",
                      "constraints.pde.residual", ["dx(k) needs interpolation: linear or cubic"]),
    "clash with a field": (None, None, "parameters.u", ["already a field"]),
    "clash with an axis": (None, None, "parameters.x", ["already an axis"]),
}


def bad_files(folder: Path) -> None:
    k = samples(lambda x, y: 1 + x + y, [0, 0], [1, 1], (5, 5))
    np.save(folder / "k.npy", k)
    np.save(folder / "line.npy", k[0])
    np.save(folder / "small.npy", k[:3, :3])
    np.save(folder / "nan.npy", np.where(k > 2.5, np.nan, k))
    (folder / "folder.npy").mkdir()
    (folder / "folder.csv").mkdir()
    with h5py.File(folder / "k.h5", "w") as f:
        f["k"] = k
    g = np.linspace(0, 1, 5)
    gx, gy = (a.ravel() for a in np.meshgrid(g, g, indexing="ij"))
    write_csv(folder / "k.csv", x=gx, y=gy, value=k.ravel())
    write_csv(folder / "no_y.csv", x=gx, value=k.ravel())
    write_csv(folder / "stray.csv", x=gx, y=gy, z=gy, value=k.ravel())
    write_csv(folder / "scattered.csv", x=[0.0, 0.9, 0.5, 0.1], y=[0.0, 0.1, 1.0, 0.8], value=[1, 2, 3, 4.0])


@pytest.mark.parametrize("case", BAD)
def test_check_reports_each_bad_coefficient_in_one_located_line(tmp_path, capsys, case):
    known, residual, key, words = BAD[case]
    bad_files(tmp_path)
    if known is None:  # a name clash: the coefficient itself is fine
        name = key.split(".")[1]
        text = plane(SQUARE_K).replace("  k: ", f"  {name}: ").replace("k*lap(u)", "lap(u)")
    else:
        text = plane(known, residual or "k*lap(u) + 1")
    path = tmp_path / "problem.yaml"
    path.write_text(text)
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"error: {path}:") and f": {key}: " in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]


# --- training and results --------------------------------------------------------------------------

ROD = """\
problem: custom
domain: {box: {lo: [0], hi: [1]}}
parameters:
  k: {file: k.npy, lo: [0], hi: [1], interpolation: cubic}
constraints:
  pde: {region: interior, residual: "dx(k)*dx(u) + k*dxx(u) - 2*x*pi*cos(pi*x) + (1 + x**2)*pi**2*sin(pi*x)",
        points: 64}
  ends: {region: boundary, residual: u, points: 2, weight: 10}
exact: sin(pi*x)
model: {layers: [16, 16], w0_initial: 3}
training: {steps: STEPS, lm_steps: LM, lr: 0.01, device: cpu, seed: 0, validate_every: 10}
output: {resolution: 33}
"""


def rod(folder: Path, steps: int, lm: int) -> Path:
    """(k u')' = −f on [0, 1], k = 1 + x² from a grid, u = sin(πx)."""
    np.save(folder / "k.npy", samples(lambda x: 1 + x**2, [0], [1], (9,)))
    path = folder / "rod.yaml"
    path.write_text(ROD.replace("STEPS", str(steps)).replace("LM", str(lm)))
    return path


@pytest.mark.parametrize("steps, lm, tolerance", [(300, 0, 0.3), (100, 10, 1e-3)])
def test_a_problem_with_k_from_a_file_trains_with_adam_and_with_lm(tmp_path, steps, lm, tolerance):
    solution = sp.solve_file(rod(tmp_path, steps, lm))
    assert solution.info["lm_steps"] == lm
    assert solution.relative_l2()["u"] < tolerance
    assert solution.history["loss"][-1] < 1e-3 * solution.history["loss"][0]


def test_a_saved_result_keeps_k_and_rebuilds_its_residuals_without_the_file(tmp_path):
    run = sp.FileRun.load(rod(tmp_path, 5, 0))
    solution = run.train()
    out = tmp_path / "rod.h5"
    run.save(solution, out)
    with h5py.File(out) as f:
        stored = f["coefficients/k"]
        assert stored.shape == (9,) and stored.attrs["interpolation"] == "cubic"
        assert list(stored.attrs["axes"]) == ["x"] and list(stored.attrs["hi"]) == [1.0]
        text = f.attrs["problem_yaml"]
    loaded = sp.load(out)
    x = np.linspace(0, 1, 17)[:, None]
    assert np.allclose(loaded.evaluate(x), solution.evaluate(x), atol=1e-12)
    k, k_loaded = solution.coefficients["k"], loaded.coefficients["k"]
    assert np.array_equal(k_loaded.values, k.values) and k_loaded.interpolation == "cubic"
    # The data file has moved: the stored samples stand in for it.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(tmp_path / "k.npy", moved / "k.npy")
    with pytest.raises(sp.ConfigError, match="not found"):
        sp.load_problem_text(text, str(tmp_path / "rod.yaml"))
    rebuilt = sp.load_problem_text(text, str(tmp_path / "rod.yaml"), coefficients=loaded.coefficients)
    before = residual_on(run.spec.problem, solution.model.double())
    after = residual_on(rebuilt.problem, loaded.model.double())
    for name in before:
        assert torch.allclose(before[name], after[name], atol=1e-10)


def test_a_spatial_coefficient_of_a_space_time_result_comes_back_spatial(tmp_path):
    medium = GriddedMedium(samples(lambda x: 1 + x, [0], [1], (4,)), (0,), (1,), "nearest")
    model = sp.SIREN([4], 2, 1, bounds=([0.0, 0.0], [1.0, 2.0]))
    solution = sp.Solution(model, ("x", "t"), ("u",), bounds=(np.zeros(2), np.array([1.0, 2.0])),
                           time_axis="t", coefficients={"a": SpatialMedium(medium)})
    sp.save(solution, tmp_path / "r.h5", resolution=5)
    loaded = sp.load(tmp_path / "r.h5").coefficients["a"]
    assert isinstance(loaded, SpatialMedium) and loaded.interpolation == "nearest"
    x = points_in([0, 0], [1, 2])
    assert torch.equal(loaded(x), SpatialMedium(medium)(x))
