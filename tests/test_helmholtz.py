"""Helmholtz: the PML stretch, every residual on manufactured fields, point sources, checks, training."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

import sirenpde as sp
from sirenpde.derivatives.complex import ComplexFields, to_real_channels
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.domains import make_sampler


class ComplexModel(nn.Module):
    """A closed-form complex field u(x) as the two real channels (re u, im u)."""

    def __init__(self, u: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.u = u

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return to_real_channels(self.u(x)[:, None])


def sampler(seed: int = 0):
    return make_sampler("uniform", torch.Generator().manual_seed(seed), torch.device("cpu"), torch.float64)


def fields_on(problem: sp.Problem, model: nn.Module, x: torch.Tensor, normals=None) -> ComplexFields:
    return ComplexFields(AutogradFields(model, x, problem.axes, normals))


def constraint(problem: sp.Problem, name: str) -> sp.Constraint:
    return {c.name: c for c in problem.constraints}[name]


def residual_on(
    problem: sp.Problem, name: str, model: nn.Module, n: int = 200, seed: int = 0
) -> torch.Tensor:
    """The named constraint's residual on fresh points of its region."""
    c = constraint(problem, name)
    x, normals = c.region.sample(n, sampler(seed))
    return c.residual(fields_on(problem, model, x, normals))


def box_points(lo, hi, n: int = 400, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    lo, hi = torch.tensor(lo, dtype=torch.float64), torch.tensor(hi, dtype=torch.float64)
    return lo + (hi - lo) * torch.rand(n, len(lo), generator=g, dtype=torch.float64)


# --- the PML stretch -----------------------------------------------------------------------------


def profile(x: torch.Tensor, lo, hi, width: float, a0: float, p: float) -> torch.Tensor:
    """e_i = 1 − i·a0·(d_i/L)^p, d_i the depth into the layer along axis i (our own, for autograd)."""
    inner_lo = torch.tensor(lo, dtype=x.dtype) + width
    inner_hi = torch.tensor(hi, dtype=x.dtype) - width
    depth = torch.relu(inner_lo - x) + torch.relu(x - inner_hi)
    return torch.complex(torch.ones_like(x), -a0 * (depth / width) ** p)


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("power", [1.0, 2.0, 3.0])
def test_pml_stretch_profile_and_its_derivative(dim, power):
    lo, hi = (-1.0, 0.0, -2.0)[:dim], (1.0, 1.5, 1.0)[:dim]
    pml = sp.PML(0.4, strength=3.0, power=power)
    x = box_points(lo, hi, 600, seed=dim)
    e, de = pml.stretch(x, lo, hi)
    assert e.shape == de.shape == x.shape and e.is_complex() and de.is_complex()
    torch.testing.assert_close(e, profile(x, lo, hi, 0.4, 3.0, power), rtol=1e-13, atol=1e-13)
    inside = torch.tensor(pml.physical_mask(x.numpy(), lo, hi))
    assert inside.any() and (~inside).any()
    assert torch.all(e[inside] == 1) and torch.all(de[inside] == 0)
    assert torch.all(e.real == 1) and torch.all(e.imag <= 0)
    h = 1e-6
    for i in range(dim):
        below = x[:, i] < lo[i] + 0.4 - h
        above = x[:, i] > hi[i] - 0.4 + h
        assert below.any() and above.any()  # both sides of the box, along every axis
        step = torch.zeros_like(x)
        step[:, i] = h
        fd = (pml.stretch(x + step, lo, hi)[0] - pml.stretch(x - step, lo, hi)[0]) / (2 * h)
        layer = below | above
        torch.testing.assert_close(de[layer, i], fd[layer, i], rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(de[~layer, i], torch.zeros_like(de[~layer, i]), rtol=0, atol=0)
        # Outward the absorption grows: Im ∂e/∂x > 0 on the low side, < 0 on the high side.
        assert torch.all(de[below, i].imag > 0) and torch.all(de[above, i].imag < 0)


def test_pml_stretch_reaches_the_full_strength_at_the_outer_wall():
    pml = sp.PML(0.5, strength=5.0, power=2.0)
    x = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [0.75, -0.75], [0.5, 0.2]], dtype=torch.float64)
    e, _ = pml.stretch(x, (-1, -1), (1, 1))
    expected = torch.tensor([[1 - 5j, 1], [1 - 5j, 1], [1 - 1.25j, 1 - 1.25j], [1, 1]],
                            dtype=torch.complex128)
    torch.testing.assert_close(e, expected, rtol=1e-14, atol=1e-14)
    mask = pml.physical_mask(x.numpy(), (-1, -1), (1, 1))
    assert mask.tolist() == [False, False, False, True]


# --- the interior operator -----------------------------------------------------------------------


def independent_forcing(u, k: float, m, lo, hi, pml: sp.PML | None) -> Callable[[torch.Tensor], torch.Tensor]:
    """f = Σ_i ∂_i(a_i ∂_i u) + Πe·k²·m·u, a_i = Πe/e_i², differentiated by autograd on the flux."""

    def f(x: torch.Tensor) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        e = profile(x, lo, hi, pml.width, pml.strength, pml.power) if pml else torch.ones_like(x) + 0j
        prod = e.prod(dim=1)
        value = u(x)

        def grad(z: torch.Tensor) -> torch.Tensor:
            re = torch.autograd.grad(z.real.sum(), x, create_graph=True)[0]
            im = torch.autograd.grad(z.imag.sum(), x, create_graph=True)[0]
            return torch.complex(re, im)

        g = grad(value)
        div = sum(grad(prod / e[:, i] ** 2 * g[:, i])[:, i] for i in range(x.shape[1]))
        return (div + prod * k**2 * m(x) * value).detach()

    return f


def wave_2d(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(1j * (3 * x[:, 0] + 2 * x[:, 1])) * (1 + x[:, 0] * x[:, 1])


def wave_3d(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(1j * (3 * x[:, 0] + 2 * x[:, 1] - x[:, 2])) * (1 + x[:, 0] * x[:, 1] * x[:, 2])


def slowness_2d(x: torch.Tensor) -> torch.Tensor:
    return 1 + 0.3 * x[:, 0] * x[:, 1]


@pytest.mark.parametrize(
    "u, lo, hi, pml, k",
    [
        (wave_2d, (-1.0, -1.0), (1.0, 1.0), sp.PML(0.5), 4.0),
        (wave_2d, (-1.0, 0.0), (2.0, 1.5), sp.PML(0.3, strength=2.0, power=3.0), 7.5),
        (wave_3d, (-1.0, -1.0, -1.0), (1.0, 1.0, 1.0), sp.PML(0.4, strength=3.0), 5.0),
    ],
    ids=["2d", "2d-rectangle", "3d"],
)
def test_pml_operator_vanishes_on_its_manufactured_solution(u, lo, hi, pml, k):
    # The closed-form expansion (Πe/e_i²)(u_ii − (∂e_i/e_i) u_i) against autograd on the flux.
    m = slowness_2d if len(lo) == 2 else (lambda x: 1 + 0.2 * x[:, 2] ** 2)
    f = independent_forcing(u, k, m, lo, hi, pml)
    problem = sp.helmholtz(sp.Box(lo, hi), k, slowness2=m, source=f, pml=pml)
    x = box_points(lo, hi, 500)
    in_layer = ~torch.tensor(pml.physical_mask(x.numpy(), lo, hi))
    assert in_layer.sum() > 100 and (~in_layer).sum() > 20
    r = constraint(problem, "pde").residual(fields_on(problem, ComplexModel(u), x))
    assert r.shape == (500,) and r.dtype == torch.complex128
    scale = f(x).abs().max() / k**2
    assert r.abs().max() < 1e-10 * scale
    # A wrong stretch derivative shows: drop the layer's absorption from f and the residual is O(1).
    plain = independent_forcing(u, k, m, lo, hi, None)
    wrong = sp.helmholtz(sp.Box(lo, hi), k, slowness2=m, source=plain, pml=pml)
    rw = constraint(wrong, "pde").residual(fields_on(wrong, ComplexModel(u), x))
    assert rw[in_layer].abs().max() > 1e-2 * scale
    assert rw[~in_layer].abs().max() < 1e-10 * scale


def test_interior_residual_without_pml_is_the_scaled_helmholtz_operator():
    k = 6.0
    problem = sp.helmholtz(sp.Box((-1, -1), (1, 1)), k, slowness2=slowness_2d,
                           source=lambda x: torch.sin(x[:, 0]) + 2j * x[:, 1])
    x = box_points((-1, -1), (1, 1), 300)
    r = constraint(problem, "pde").residual(fields_on(problem, ComplexModel(wave_2d), x))
    # Δu by hand: u = e^{iφ}·q, φ = 3x + 2y, q = 1 + xy: Δu = e^{iφ}(−13 q + 2i(3y + 2x)).
    px, py = x.unbind(1)
    lap = torch.exp(1j * (3 * px + 2 * py)) * (-13 * (1 + px * py) + 2j * (3 * py + 2 * px))
    f = torch.sin(px) + 2j * py
    expected = (lap + k**2 * slowness_2d(x) * wave_2d(x) - f) / k**2
    torch.testing.assert_close(r, expected, rtol=1e-11, atol=1e-11)


def test_pml_leaves_the_physical_region_alone_and_strength_zero_is_no_pml():
    k, lo, hi = 5.0, (-1.0, -1.0), (1.0, 1.0)
    source = lambda x: torch.cos(x[:, 0] * x[:, 1]) + 0j  # noqa: E731
    plain = sp.helmholtz(sp.Box(lo, hi), k, source=source)
    layered = sp.helmholtz(sp.Box(lo, hi), k, source=source, pml=sp.PML(0.5))
    idle = sp.helmholtz(sp.Box(lo, hi), k, source=source, pml=sp.PML(0.5, strength=0.0))
    x = box_points(lo, hi, 300)
    inside = torch.tensor(sp.PML(0.5).physical_mask(x.numpy(), lo, hi))
    r = {name: constraint(p, "pde").residual(fields_on(p, ComplexModel(wave_2d), x))
         for name, p in (("plain", plain), ("layered", layered), ("idle", idle))}
    torch.testing.assert_close(r["layered"][inside], r["plain"][inside], rtol=1e-13, atol=1e-13)
    assert (r["layered"][~inside] - r["plain"][~inside]).abs().max() > 1e-2
    torch.testing.assert_close(r["idle"], r["plain"], rtol=1e-13, atol=1e-13)


# --- boundary conditions -------------------------------------------------------------------------

K = 4.0
BOX = sp.Box((0.0, -0.5), (1.5, 1.0))


def outgoing(x: torch.Tensor) -> torch.Tensor:
    """u = e^{−ikx}: travelling towards +x in the e^{+iωt} convention."""
    return torch.exp(-1j * K * x[:, 0])


def oblique(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(1j * (2.0 * x[:, 0] - 1.5 * x[:, 1])) * (1 + 0.5 * x[:, 1])


def oblique_normal_derivative(part: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """∂u/∂n of :func:`oblique` on one face of BOX, from its closed-form gradient."""
    axis, sign = {"x_min": (0, -1), "x_max": (0, 1), "y_min": (1, -1), "y_max": (1, 1)}[part]

    def h(x: torch.Tensor) -> torch.Tensor:
        e = torch.exp(1j * (2.0 * x[:, 0] - 1.5 * x[:, 1]))
        q = 1 + 0.5 * x[:, 1]
        grad = (2j * e * q, -1.5j * e * q + 0.5 * e)
        return sign * grad[axis]

    return h


FACES = ("x_min", "x_max", "y_min", "y_max")


def test_sommerfeld_lets_the_outgoing_wave_through_and_not_the_incoming_one():
    problem = sp.helmholtz(BOX, K, sommerfeld=("x_max", "x_min", "y_max"))
    model = ComplexModel(outgoing)
    outflow = residual_on(problem, "sommerfeld:x_max", model)
    assert outflow.abs().max() < 1e-12
    # On the left face the same wave comes in: ∂u/∂n + iku = 2iku.
    inflow = residual_on(problem, "sommerfeld:x_min", model)
    torch.testing.assert_close(inflow, torch.full_like(inflow, 2j * K), rtol=1e-12, atol=1e-12)
    # Along a face parallel to the propagation ∂u/∂n = 0, so the residual is iku, |·| = k.
    side = residual_on(problem, "sommerfeld:y_max", model)
    torch.testing.assert_close(side.abs(), torch.full_like(side.real, K), rtol=1e-12, atol=1e-12)


def test_sommerfeld_on_the_whole_boundary_is_named_boundary():
    problem = sp.helmholtz(BOX, K, sommerfeld=(None,))
    assert [c.name for c in problem.constraints] == ["pde", "sommerfeld:boundary"]
    c = constraint(problem, "sommerfeld:boundary")
    x, normals = c.region.sample(400, sampler())
    r = c.residual(fields_on(problem, ComplexModel(outgoing), x, normals))
    on_right = x[:, 0] == 1.5
    assert on_right.any() and r[on_right].abs().max() < 1e-12 and r[~on_right].abs().min() > 1


def test_dirichlet_residual_is_u_minus_g():
    problem = sp.helmholtz(BOX, K, dirichlet={None: oblique, "x_max": 0.5 - 1j})
    model = ComplexModel(oblique)
    assert residual_on(problem, "dirichlet:boundary", model).abs().max() < 1e-14
    c = constraint(problem, "dirichlet:x_max")
    x, normals = c.region.sample(50, sampler())
    r = c.residual(fields_on(problem, model, x, normals))
    torch.testing.assert_close(r, oblique(x) - (0.5 - 1j), rtol=1e-13, atol=1e-13)


def test_neumann_residuals_vanish_on_every_face():
    problem = sp.helmholtz(BOX, K, neumann={p: oblique_normal_derivative(p) for p in FACES})
    for part in FACES:
        r = residual_on(problem, f"neumann:{part}", ComplexModel(oblique), 100)
        assert r.abs().max() < 1e-12, part


def test_robin_residuals_vanish_with_constant_and_variable_alpha():
    def alpha(x: torch.Tensor) -> torch.Tensor:
        return 1 + x[:, 1] ** 2 - 2j * x[:, 0]

    def g_for(part: str, a) -> Callable[[torch.Tensor], torch.Tensor]:
        h = oblique_normal_derivative(part)
        return lambda x: h(x) + (a(x) if callable(a) else a) * oblique(x)

    robin = {"x_min": (2 - 1j, g_for("x_min", 2 - 1j)), "y_max": (alpha, g_for("y_max", alpha))}
    problem = sp.helmholtz(BOX, K, robin=robin)
    for part in robin:
        r = residual_on(problem, f"robin:{part}", ComplexModel(oblique), 100)
        assert r.abs().max() < 1e-12, part
    # With a wrong α the residual is (α − α')·u.
    wrong = sp.helmholtz(BOX, K, robin={"x_min": (1.0, g_for("x_min", 2 - 1j))})
    c = constraint(wrong, "robin:x_min")
    x, normals = c.region.sample(50, sampler())
    r = c.residual(fields_on(wrong, ComplexModel(oblique), x, normals))
    torch.testing.assert_close(r, (1.0 - (2 - 1j)) * oblique(x), rtol=1e-12, atol=1e-12)


# --- point sources -------------------------------------------------------------------------------


@pytest.mark.parametrize("center, sigma", [((0.2, -0.1), 0.05), ((0.1, 0.0, -0.3), 0.1)], ids=["2d", "3d"])
def test_point_source_has_the_mass_of_its_amplitude(center, sigma):
    source = sp.PointSource(center, amplitude=1 + 2j, sigma=sigma)
    h = sigma / 3
    axes = [torch.arange(c - 7 * sigma, c + 7 * sigma + h / 2, h, dtype=torch.float64) for c in center]
    grid = torch.stack([g.reshape(-1) for g in torch.meshgrid(*axes, indexing="ij")], dim=1)
    values = source(grid)
    assert values.shape == (len(grid),) and values.dtype == torch.complex128
    mass = values.sum() * h ** len(center)
    assert abs(complex(mass) - (1 + 2j)) < 1e-9
    peak = source(torch.tensor([center], dtype=torch.float64))
    expected = (1 + 2j) * (2 * math.pi * sigma**2) ** (-len(center) / 2)
    torch.testing.assert_close(peak, torch.tensor([expected], dtype=torch.complex128))


def test_point_sources_get_their_own_discs_and_enter_the_pde_residual():
    k = 10.0
    sources = [sp.PointSource((0.3, 0.4), 1 + 1j, 0.02), sp.PointSource((-0.5, 0.0), -2.0, 0.03)]
    problem = sp.helmholtz(sp.Box((-1, -1), (1, 1)), k, source=lambda x: x[:, 0] + 0j,
                           point_sources=sources, source_radius=0.1, source_points=37,
                           weights={"source:1": 3.0}, points={"pde": 123})
    names = [c.name for c in problem.constraints]
    assert names == ["pde", "source:0", "source:1"]
    pde = constraint(problem, "pde")
    assert pde.points == 123 and pde.weight == 1.0
    # u = x² + i·y², Δu = 2 + 2i (a field with constant second derivatives).
    model = ComplexModel(lambda x: x[:, 0] ** 2 + 1j * x[:, 1] ** 2)
    for i, s in enumerate(sources):
        c = constraint(problem, f"source:{i}")
        assert c.points == 37 and c.weight == (3.0 if i == 1 else 1.0)
        x, normals = c.region.sample(500, sampler(i))
        assert normals is None
        distance = (x - torch.tensor(s.center, dtype=x.dtype)).norm(dim=1)
        assert distance.max() <= 0.1 and distance.min() < 0.02  # the disc, down to its centre
        # f is the distributed source plus every point source.
        forcing = x[:, 0] + sources[0](x) + sources[1](x)
        expected = (2 + 2j + k**2 * (x[:, 0] ** 2 + 1j * x[:, 1] ** 2) - forcing) / k**2
        for name in ("pde", f"source:{i}"):
            r = constraint(problem, name).residual(fields_on(problem, model, x))
            torch.testing.assert_close(r, expected, rtol=1e-12, atol=1e-12)
        assert (s(x).abs() / k**2).max() > 1  # the source dominates near its centre


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0.0, -1.0, math.inf, math.nan])
def test_wavenumber_must_be_positive_and_finite(k):
    with pytest.raises(ValueError, match="wavenumber"):
        sp.helmholtz(BOX, k)


@pytest.mark.parametrize("box", [sp.Box((-1, -1), (1, 1)), sp.Box((0, 0), (5, 1.9))])
def test_pml_too_wide_for_the_box(box):
    with pytest.raises(ValueError, match="narrower than half the box"):
        sp.helmholtz(box, 3.0, pml=sp.PML(1.0 if box.hi[1] == 1 else 0.95))


@pytest.mark.parametrize("kwargs", [dict(width=0.0), dict(width=0.1, strength=-1.0),
                                    dict(width=0.1, power=0.5)])
def test_pml_parameters_are_checked(kwargs):
    with pytest.raises(ValueError, match="PML needs"):
        sp.PML(**kwargs)


@pytest.mark.parametrize("kwargs", [dict(points={"pdee": 10}), dict(weights={"dirichlet:x_min": 2.0}),
                                    dict(points={"source:1": 5}, point_sources=[sp.PointSource((0, 0))])])
def test_points_and_weights_must_name_existing_constraints(kwargs):
    with pytest.raises(ValueError, match="unknown constraints") as err:
        sp.helmholtz(sp.Box((-1, -1), (1, 1)), 3.0, dirichlet={"x_max": 0.0}, **kwargs)
    assert "dirichlet:x_max" in str(err.value)  # the message lists the valid names


def test_unknown_boundary_part_is_refused():
    with pytest.raises(ValueError, match="nope"):
        sp.helmholtz(BOX, K, dirichlet={"nope": 0.0})


# --- a tiny training run -------------------------------------------------------------------------


def test_training_learns_the_deepxde_benchmark_at_k0_2pi():
    # DeepXDE's Helmholtz benchmark in our convention Δu + k²u = f, at k0 = 2π instead of 4π to
    # stay fast: u = sin(k0 x) sin(k0 y) on the unit square, u = 0 on the boundary.
    # Measured (CPU, one thread, seeds 0/1/2): relative L2 4.4e-3 / 4.8e-3 / 4.9e-3, max |Im u| 3.0e-3
    # of max |u|, in about 6.5 s; an untrained network is at ~1.
    k0 = 2 * math.pi

    def exact(x: torch.Tensor) -> torch.Tensor:
        return (torch.sin(k0 * x[:, 0]) * torch.sin(k0 * x[:, 1])).to(torch.complex128)

    problem = sp.helmholtz(sp.Box((0, 0), (1, 1)), k0, source=lambda x: -(k0**2) * exact(x).real,
                           dirichlet={None: 0.0}, exact=exact,
                           points={"pde": 500, "dirichlet:boundary": 200})
    config = sp.TrainConfig(steps=300, lr=5e-3, lbfgs_steps=10, seed=0, device="cpu", validate_every=50)
    solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(32, 32), w0_initial=6))
    error = solution.relative_l2(41)["u"]
    assert error < 1.5e-2
    grid = solution.grid(41)
    u = solution.on_grid(grid)["u"]
    assert u.dtype == np.complex128
    assert np.abs(u.imag).max() < 1.5e-2 * np.abs(u).max()


def test_auto_first_frequency_follows_the_wavenumber():
    # w0_initial="auto": k times the half-width of the box for a problem with a wavenumber.
    from sirenpde.model.config import first_frequency

    box = sp.Box((0.0, 0.0), (1.0, 2.0))
    wave = sp.helmholtz(box, 4.0, dirichlet={None: 0.0})
    assert first_frequency(wave, sp.ModelConfig()) == pytest.approx(4.0 * 1.0)
    assert first_frequency(wave, sp.ModelConfig(w0_initial=7.5)) == 7.5
    # Without one, the frequency content of the data: f = sin(3x) on a box of half-widths (0.5, 1).
    plain = sp.poisson(box, sp.expression("sin(2*pi*x)", ("x", "y")), dirichlet={None: 0.0})
    assert first_frequency(plain, sp.ModelConfig()) == pytest.approx(math.pi, rel=0.05)
    assert sp.build_model(wave, sp.ModelConfig(layers=(8,))).hparams["w0_initial"] == pytest.approx(4.0)
