"""AutogradFields: every operator against closed-form derivatives, finite differences, caching."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import sirenpde as sp
from sirenpde.derivatives.fields import AutogradFields

A, B = 1.7, -0.6
AXES = ("x", "y", "z")


class Analytic(nn.Module):
    """u₀ = sin(a x)·exp(b y)·(1 + z²), u₁ = x²·y³, u₂ = 5 (a channel independent of the points)."""

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        x, y, z = p.unbind(1)
        return torch.stack(
            [torch.sin(A * x) * torch.exp(B * y) * (1 + z**2), x**2 * y**3, 0 * x + 5], dim=1
        )


def exact_gradient(p: torch.Tensor) -> torch.Tensor:
    x, y, z = p.unbind(1)
    s, c, e, q, zero = torch.sin(A * x), torch.cos(A * x), torch.exp(B * y), 1 + z**2, 0 * x
    return torch.stack(
        [
            torch.stack([A * c * e * q, B * s * e * q, s * e * 2 * z], dim=1),
            torch.stack([2 * x * y**3, 3 * x**2 * y**2, zero], dim=1),
            torch.stack([zero, zero, zero], dim=1),
        ],
        dim=1,
    )


def exact_second(p: torch.Tensor) -> dict[str, torch.Tensor]:
    x, y, z = p.unbind(1)
    s, e, q, zero = torch.sin(A * x), torch.exp(B * y), 1 + z**2, 0 * x
    return {
        "x": torch.stack([-(A**2) * s * e * q, 2 * y**3, zero], dim=1),
        "y": torch.stack([B**2 * s * e * q, 6 * x**2 * y, zero], dim=1),
        "z": torch.stack([2 * s * e, zero, zero], dim=1),
    }


def points(n: int = 64, d: int = 3, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(n, d, generator=g, dtype=torch.float64) - 1


def close(actual: torch.Tensor, expected: torch.Tensor, rtol: float = 1e-12) -> None:
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=rtol)


# --- closed forms --------------------------------------------------------------------------------


def test_value_and_gradient_match_closed_forms():
    x = points()
    u = AutogradFields(Analytic(), x, AXES)
    close(u.value, Analytic()(x))
    assert u.gradient.shape == (64, 3, 3)
    close(u.gradient, exact_gradient(x))


def test_partial_by_name_and_by_index():
    x = points()
    u = AutogradFields(Analytic(), x, AXES)
    g = exact_gradient(x)
    for i, name in enumerate(AXES):
        close(u.partial(name), g[:, :, i])
        close(u.partial(i), g[:, :, i])


def test_second_derivatives_by_name_and_by_index():
    x = points()
    u = AutogradFields(Analytic(), x, AXES)
    expected = exact_second(x)
    for i, name in enumerate(AXES):
        assert u.second(name).shape == (64, 3)
        close(u.second(name), expected[name])
        close(u.second(i), expected[name])


def test_laplacian_sums_every_axis():
    x = points()
    second = exact_second(x)
    close(AutogradFields(Analytic(), x, AXES).laplacian, second["x"] + second["y"] + second["z"])


def test_laplacian_leaves_out_axes_that_are_not_spatial():
    x = points()
    u = AutogradFields(Analytic(), x, ("x", "y", "t"), spatial_axes=("x", "y"))
    second = exact_second(x)
    close(u.laplacian, second["x"] + second["y"])
    close(u.second("t"), second["z"])  # u_tt stays available for wave-type residuals


def test_normal_derivative_is_gradient_dot_normal():
    x = points()
    normals = torch.nn.functional.normalize(torch.randn(64, 3, dtype=torch.float64), dim=1)
    u = AutogradFields(Analytic(), x, AXES, normals=normals)
    close(u.normal_derivative, torch.einsum("ncd,nd->nc", exact_gradient(x), normals))
    # Along a coordinate direction it is that partial derivative, with its sign.
    minus_y = torch.tensor([[0.0, -1.0, 0.0]], dtype=torch.float64).expand(64, 3)
    close(AutogradFields(Analytic(), x, AXES, normals=minus_y).normal_derivative,
          -exact_gradient(x)[:, :, 1])


def test_divergence_of_a_variable_coefficient_flux():
    # ∇·(k ∇u) = k Δu + ∇k·∇u with k = 1 + x², ∇k = (2x, 0, 0).
    x = points()
    u = AutogradFields(Analytic(), x, AXES)
    k = 1 + u.x[:, 0] ** 2
    flux = k[:, None, None] * u.gradient
    second, grad = exact_second(x), exact_gradient(x)
    laplacian = second["x"] + second["y"] + second["z"]
    expected = (1 + x[:, :1] ** 2) * laplacian + 2 * x[:, :1] * grad[:, :, 0]
    close(u.divergence(flux), expected)


def test_divergence_sums_only_the_spatial_axes():
    x = points()
    u = AutogradFields(Analytic(), x, ("x", "y", "t"), spatial_axes=("x", "y"))
    second = exact_second(x)
    close(u.divergence(u.gradient), second["x"] + second["y"])


# --- through a real SIREN, against central finite differences -------------------------------------


@pytest.fixture(scope="module")
def siren():
    torch.manual_seed(0)
    return sp.SIREN([32, 32], 3, 2, w0_initial=10.0, bounds=((0, -1, 2), (2, 1, 3))).double()


def central_first(model, x: torch.Tensor, i: int, h: float) -> torch.Tensor:
    e = torch.zeros_like(x)
    e[:, i] = h
    return (model(x + e) - model(x - e)) / (2 * h)


def central_second(model, x: torch.Tensor, i: int, h: float) -> torch.Tensor:
    e = torch.zeros_like(x)
    e[:, i] = h
    return (model(x + e) - 2 * model(x) + model(x - e)) / h**2


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return float((actual - expected).abs().max() / expected.abs().max())


def siren_points() -> torch.Tensor:
    return torch.tensor([0.0, -1.0, 2.0]) + torch.tensor([2.0, 2.0, 1.0]) * (points(200) + 1) / 2


def test_siren_gradient_matches_finite_differences(siren):
    x = siren_points()
    gradient = AutogradFields(siren, x, AXES).gradient.detach()
    with torch.no_grad():
        for i in range(3):
            # Truncation h²·u‴/6 dominates: measured ≤ 1.1e-7 relative at h = 1e-4.
            assert relative_error(gradient[:, :, i], central_first(siren, x, i, 1e-4)) < 1e-6


def test_siren_second_derivatives_and_laplacian_match_finite_differences(siren):
    x = siren_points()
    u = AutogradFields(siren, x, AXES)
    second = [u.second(name).detach() for name in AXES]
    laplacian = u.laplacian.detach()
    with torch.no_grad():
        fd = [central_second(siren, x, i, 1e-4) for i in range(3)]
    for i in range(3):
        # Truncation h²·u⁗/12 dominates: measured ≤ 1.3e-7 relative at h = 1e-4
        # (1.3e-5 at h = 1e-3, so the error shrinks like h² as it should).
        assert relative_error(second[i], fd[i]) < 1e-5
    assert relative_error(laplacian, sum(fd)) < 1e-5


# --- each quantity computed once per batch --------------------------------------------------------


class Counting(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.model(x)


def test_each_quantity_is_computed_once(monkeypatch):
    grad_calls = []
    autograd_grad = torch.autograd.grad

    def counting_grad(*args, **kwargs):
        grad_calls.append(1)
        return autograd_grad(*args, **kwargs)

    monkeypatch.setattr(torch.autograd, "grad", counting_grad)
    model = Counting(Analytic())
    u = AutogradFields(model, points(), AXES, normals=torch.ones(64, 3, dtype=torch.float64))
    first = (u.value, u.gradient, u.second("x"), u.laplacian)
    assert model.calls == 1
    backward_passes = len(grad_calls)
    assert backward_passes == 3 + 3 * 3  # ∇u: one per channel; each u_ii: one per channel
    again = (u.value, u.gradient, u.second(0), u.laplacian, u.partial("y"), u.normal_derivative)
    for _ in range(3):
        again = (u.value, u.gradient, u.second(0), u.laplacian)
    assert model.calls == 1
    assert len(grad_calls) == backward_passes
    for a, b in zip(first, again, strict=True):
        assert a is b


def test_two_fields_objects_do_not_share_work():
    model = Counting(Analytic())
    x = points()
    _ = AutogradFields(model, x, AXES).value
    _ = AutogradFields(model, x, AXES).value
    assert model.calls == 2


def test_derivatives_keep_the_graph_to_the_weights():
    torch.manual_seed(0)
    model = sp.SIREN([8], 2, 1).double()
    u = AutogradFields(model, points(d=2), ("x", "y"))
    (u.laplacian**2).mean().backward()
    *inner, output_bias = model.parameters()
    assert all(p.grad.abs().sum() > 0 for p in inner)
    assert output_bias.grad is None or torch.all(output_bias.grad == 0)  # Δu ignores a constant


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(10,), (10, 2), (10, 4), (2, 10, 3)])
def test_points_of_the_wrong_shape(shape):
    with pytest.raises(ValueError, match=r"points must have shape \(N, 3\)"):
        AutogradFields(Analytic(), torch.zeros(shape, dtype=torch.float64), AXES)


def test_normals_of_the_wrong_shape():
    with pytest.raises(ValueError, match="normals must have the points' shape"):
        AutogradFields(Analytic(), points(), AXES, normals=torch.ones(64, dtype=torch.float64))


def test_model_output_of_the_wrong_shape():
    u = AutogradFields(lambda p: p[:, 0] ** 2, points(), AXES)
    with pytest.raises(ValueError, match=r"values \(N, c\)"):
        _ = u.value


@pytest.mark.parametrize("axis", ["t", "X", 3, -1])
def test_unknown_axis(axis):
    u = AutogradFields(Analytic(), points(), AXES)
    with pytest.raises(ValueError, match="unknown axis|out of range"):
        u.partial(axis)
    with pytest.raises(ValueError):
        u.second(axis)


def test_unknown_spatial_axis():
    with pytest.raises(ValueError, match="unknown axis 'q'; expected one of x, y, z"):
        AutogradFields(Analytic(), points(), AXES, spatial_axes=("x", "q"))


def test_normal_derivative_needs_normals():
    u = AutogradFields(Analytic(), points(), AXES)
    with pytest.raises(ValueError, match="needs a boundary region"):
        _ = u.normal_derivative


@pytest.mark.parametrize("shape", [(64, 3), (64, 3, 2), (63, 3, 3), (64, 3, 3, 1)])
def test_divergence_of_a_flux_of_the_wrong_shape(shape):
    u = AutogradFields(Analytic(), points(), AXES)
    with pytest.raises(ValueError, match=r"flux must have shape \(N, c, 3\)"):
        u.divergence(torch.zeros(shape, dtype=torch.float64))


def test_second_derivatives_of_a_linear_model_are_zero():
    # The gradient of a linear model does not depend on x (no graph): its derivatives are zeros.
    x = torch.rand(6, 2, dtype=torch.float64)
    u = AutogradFields(lambda p: 3 * p[:, :1] - 2 * p[:, 1:], x, ("x", "y"))
    torch.testing.assert_close(u.gradient[:, 0], torch.tensor([3.0, -2.0], dtype=torch.float64).expand(6, 2))
    torch.testing.assert_close(u.laplacian, torch.zeros(6, 1, dtype=torch.float64))
    torch.testing.assert_close(u.second("x"), torch.zeros(6, 1, dtype=torch.float64))
