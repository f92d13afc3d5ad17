"""ComplexFields, complex Solutions, HDF5 round trip and figures of a complex result."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest
import torch
from torch import nn

import sirenpde as sp
import sirenpde.results.plotting as plotting
from sirenpde.derivatives.complex import ComplexFields, to_complex, to_real_channels
from sirenpde.derivatives.fields import AutogradFields

A, B = 1.3, -2.1
AXES = ("x", "y")
PNG = b"\x89PNG\r\n\x1a\n"


class Analytic(nn.Module):
    """u₀ = exp(i(a x + b y)), u₁ = x² + i·y³, as the real channels re u₀, im u₀, re u₁, im u₁."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.anchor = nn.Parameter(torch.zeros((), dtype=torch.float64))  # Solution needs a parameter

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        x, y = p.unbind(1)
        phase = A * x + B * y
        return torch.stack([torch.cos(phase), torch.sin(phase), x**2, y**3], dim=1) + self.anchor


def exact_value(p: torch.Tensor) -> torch.Tensor:
    x, y = p.unbind(1)
    return torch.stack([torch.exp(1j * (A * x + B * y)), x**2 + 1j * y**3], dim=1)


def exact_gradient(p: torch.Tensor) -> torch.Tensor:
    x, y = p.unbind(1)
    u0 = torch.exp(1j * (A * x + B * y))
    return torch.stack(
        [torch.stack([1j * A * u0, 1j * B * u0], dim=1),
         torch.stack([2 * x + 0j, 3j * y**2], dim=1)],
        dim=1,
    )


def exact_second(p: torch.Tensor) -> dict[str, torch.Tensor]:
    x, y = p.unbind(1)
    u0 = torch.exp(1j * (A * x + B * y))
    return {"x": torch.stack([-(A**2) * u0, 2 + 0j * x], dim=1),
            "y": torch.stack([-(B**2) * u0, 6j * y], dim=1)}


def points(n: int = 50, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1


def unit_normals(n: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(n, 2, generator=g, dtype=torch.float64)
    return v / v.norm(dim=1, keepdim=True)


def complex_fields(x: torch.Tensor, normals=None, spatial_axes=None, model=None) -> ComplexFields:
    return ComplexFields(AutogradFields(model or Analytic(), x, AXES, normals, spatial_axes))


def close(actual: torch.Tensor, expected: torch.Tensor, tol: float = 1e-12) -> None:
    assert actual.is_complex() and actual.dtype == torch.complex128
    torch.testing.assert_close(actual, expected, rtol=tol, atol=tol)


# --- the operators against closed forms ----------------------------------------------------------


def test_value_and_gradient_are_complex_closed_forms():
    x = points()
    u = complex_fields(x)
    assert u.value.shape == (50, 2) and u.gradient.shape == (50, 2, 2)
    close(u.value, exact_value(x))
    close(u.gradient, exact_gradient(x))
    for i, name in enumerate(AXES):
        close(u.partial(name), exact_gradient(x)[:, :, i])
        close(u.partial(i), exact_gradient(x)[:, :, i])


def test_second_derivatives_and_laplacian():
    x = points()
    u = complex_fields(x)
    second = exact_second(x)
    for i, name in enumerate(AXES):
        close(u.second(name), second[name])
        close(u.second(i), second[name])
    close(u.laplacian, second["x"] + second["y"])


def test_laplacian_follows_the_spatial_axes():
    x = points()
    u = complex_fields(x, spatial_axes=("x",))
    assert u.laplacian_axes == (0,)
    close(u.laplacian, exact_second(x)["x"])


def test_normal_derivative():
    x, n = points(), unit_normals(50)
    u = complex_fields(x, normals=n)
    close(u.normal_derivative, torch.einsum("ncd,nd->nc", exact_gradient(x), n + 0j))
    with pytest.raises(ValueError, match="normal"):
        _ = complex_fields(x).normal_derivative


def test_divergence_of_a_complex_flux():
    # ∇·(a ∇u) with a = 1 + i x: ∇a·∇u + a Δu = i u_x + (1 + i x) Δu.
    x = points()
    u = complex_fields(x)
    a = 1 + 1j * u.x[:, 0]
    div = u.divergence(a[:, None, None] * u.gradient)
    g, s = exact_gradient(x), exact_second(x)
    a_exact = (1 + 1j * x[:, 0])[:, None]
    close(div, 1j * g[:, :, 0] + a_exact * (s["x"] + s["y"]))


def test_divergence_of_a_real_flux_stays_real():
    # F = (x², x·y) for both channels: ∇·F = 2x + x.
    x = points()
    u = complex_fields(x)
    px, py = u.x.unbind(1)
    flux = torch.stack([px**2, px * py], dim=1)[:, None, :].expand(-1, 2, -1)
    div = u.divergence(flux)
    assert not div.is_complex()
    torch.testing.assert_close(div, (3 * x[:, :1]).expand(-1, 2), rtol=1e-12, atol=1e-12)


def test_the_real_fields_cache_is_shared():
    model = Analytic()
    u = complex_fields(points(), model=model)
    _ = u.value, u.gradient, u.laplacian, u.second("x"), u.value
    assert model.calls == 1


def test_to_complex_and_back_interleave_real_and_imaginary_parts():
    g = torch.Generator().manual_seed(3)
    z = torch.complex(torch.randn(7, 3, generator=g), torch.randn(7, 3, generator=g))
    v = to_real_channels(z)
    assert v.shape == (7, 6) and not v.is_complex()
    torch.testing.assert_close(v[:, 0::2], z.real, rtol=0, atol=0)
    torch.testing.assert_close(v[:, 1::2], z.imag, rtol=0, atol=0)
    torch.testing.assert_close(to_complex(v), z, rtol=0, atol=0)
    r = torch.randn(5, 4, generator=g, dtype=torch.float64)
    torch.testing.assert_close(to_real_channels(to_complex(r)), r, rtol=0, atol=0)


# --- Solution ----------------------------------------------------------------------------------


def _solution(model: nn.Module) -> sp.Solution:
    return sp.Solution(model, AXES, ("u0", "u1"), bounds=((-1, -1), (1, 1)), complex=True)


def test_solution_evaluates_complex_numpy_and_torch():
    solution = _solution(Analytic())
    x = points(20)
    values = solution.evaluate(x.numpy())
    assert isinstance(values, np.ndarray) and values.dtype == np.complex128 and values.shape == (20, 2)
    np.testing.assert_allclose(values, exact_value(x).numpy(), rtol=1e-12, atol=1e-12)
    single = solution.evaluate(x[0].numpy())
    assert single.shape == (1, 2) and single.dtype == np.complex128

    xt = x.clone().requires_grad_(True)
    t = solution.evaluate(xt)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.complex128
    close(t, exact_value(x))
    (grad,) = torch.autograd.grad(t[:, 1].imag.sum(), xt)  # d(y³)/dy: the graph is kept
    torch.testing.assert_close(grad[:, 1], 3 * x[:, 1] ** 2)


def test_solution_of_a_float32_model_still_gives_complex128():
    solution = _solution(Analytic().float())
    values = solution.evaluate(points(10).numpy())
    assert values.dtype == np.complex128
    np.testing.assert_allclose(values, exact_value(points(10)).numpy(), rtol=1e-5, atol=1e-5)


# --- a trained complex problem: HDF5 round trip and figures --------------------------------------

K = 3.0


def plane_wave(x: torch.Tensor) -> torch.Tensor:
    """u = exp(−i k (x + y)/√2): Δu + k²u = 0."""
    return torch.exp(-1j * K * (x[:, 0] + x[:, 1]) / math.sqrt(2))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    problem = sp.helmholtz(sp.Box((0, 0), (1, 1)), K, dirichlet={None: plane_wave}, exact=plane_wave,
                           points={"pde": 64, "dirichlet:boundary": 32})
    assert problem.complex and problem.channels == 2
    solution = sp.train(problem, config=sp.TrainConfig(steps=5, seed=0, device="cpu", validate_every=5),
                        model_config=sp.ModelConfig(layers=(8,), w0_initial=3))
    path = tmp_path_factory.mktemp("complex") / "wave.h5"
    errors = sp.save(solution, path, resolution=(9, 7))
    return solution, path, errors


def test_save_writes_complex_datasets(saved):
    solution, path, errors = saved
    with h5py.File(path, "r") as f:
        assert bool(f.attrs["complex"]) is True
        u, ref, err = (np.asarray(f[g]["u"]) for g in ("fields", "reference", "error"))
        x, y = np.asarray(f["grid/x"]), np.asarray(f["grid/y"])
    for a in (u, ref, err):
        assert a.dtype == np.complex128 and a.shape == (9, 7)
    xx, yy = np.meshgrid(x, y, indexing="ij")
    np.testing.assert_allclose(ref, np.exp(-1j * K * (xx + yy) / math.sqrt(2)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(err, u - ref, rtol=1e-12, atol=1e-12)
    points_ = np.stack([xx.ravel(), yy.ravel()], axis=1)
    np.testing.assert_allclose(u.ravel(), solution.evaluate(points_)[:, 0], rtol=1e-6, atol=1e-7)
    assert errors["u"] == pytest.approx(np.linalg.norm(err) / np.linalg.norm(ref), rel=1e-9)


def test_load_reproduces_the_stored_complex_field(saved):
    _, path, _ = saved
    loaded = sp.load(path)
    assert loaded.complex
    with h5py.File(path, "r") as f:
        u = np.asarray(f["fields/u"])
        x, y = np.asarray(f["grid/x"]), np.asarray(f["grid/y"])
    xx, yy = np.meshgrid(x, y, indexing="ij")
    values = loaded.evaluate(np.stack([xx.ravel(), yy.ravel()], axis=1))
    assert values.dtype == np.complex128 and values.shape == (63, 1)
    assert np.linalg.norm(values[:, 0] - u.ravel()) <= 1e-6 * np.linalg.norm(u)


def test_plot_of_a_complex_result_is_a_grid_of_parts_with_the_phases_and_the_error(saved, tmp_path):
    import matplotlib.pyplot as plt

    _, path, _ = saved
    written = plotting.plot_result(path, tmp_path)
    assert written == [tmp_path / "wave_u.png", tmp_path / "wave_loss.png"]
    for png in written:
        data = png.read_bytes()
        assert data.startswith(PNG) and len(data) > 1000
    name, fig = next(iter(plotting.result_figures(path)))
    try:
        assert name == "wave_u.png"
        titles = [a.get_title() for a in fig.axes if a.images]
        # Rows: network, reference, then the phases and the error; columns: real, imaginary, magnitude.
        assert titles[:6] == [f"{who}: {part}" for who in ("network", "exact solution")
                              for part in ("real part", "imaginary part", "magnitude")]
        assert titles[6:8] == ["network: phase", "exact solution: phase"]
        assert titles[8].startswith("error, relative L2")
    finally:
        plt.close(fig)
