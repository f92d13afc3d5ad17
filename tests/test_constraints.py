"""Constraints, the loss and the Poisson builder: validation, norms, batches, zero residuals."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import sirenpde as sp
from sirenpde.constraints.names import constraint_name
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.domains import make_sampler
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.loss import evaluate_losses

PI = math.pi
SQUARE = sp.Box((0, 0), (1, 1))


def sampler(seed: int = 0):
    return make_sampler("uniform", torch.Generator().manual_seed(seed), "cpu", torch.float64)


def fields_on(n: int = 5) -> AutogradFields:
    x = torch.rand(n, 2, dtype=torch.float64)
    return AutogradFields(lambda p: p[:, :1] ** 2, x, ("x", "y"))


def fixed(r) -> callable:
    return lambda u: torch.as_tensor(r, dtype=torch.float64)


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(name=""), "non-empty name"),
        (dict(points=0), "points must be ≥ 1; found 0"),
        (dict(points=-5), "points must be ≥ 1"),
        (dict(weight=-1.0), "weight must be finite and ≥ 0; found -1.0"),
        (dict(weight=float("inf")), "weight must be finite"),
        (dict(weight=float("nan")), "weight must be finite"),
        (dict(norm="l3"), "unknown norm 'l3'; expected one of l2, l1"),
    ],
)
def test_constraint_validation(kwargs, message):
    args = dict(name="pde", region=sp.Interior(SQUARE), residual=fixed([0.0]))
    with pytest.raises(ValueError, match=message):
        sp.Constraint(**(args | kwargs))


def test_zero_weight_is_allowed():
    assert sp.Constraint("off", sp.Interior(SQUARE), fixed([0.0]), weight=0.0).weight == 0.0


# --- norms ---------------------------------------------------------------------------------------


def test_l2_is_the_mean_squared_residual():
    c = sp.Constraint("c", sp.Interior(SQUARE), fixed([1.0, -2.0, 3.0, 0.0, 0.5]))
    assert float(c.loss(fields_on())) == pytest.approx((1 + 4 + 9 + 0 + 0.25) / 5, rel=1e-15)


def test_l2_of_vector_residuals_sums_components():
    r = [[3.0, 4.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [-2.0, 0.0]]
    c = sp.Constraint("c", sp.Interior(SQUARE), fixed(r))
    assert float(c.loss(fields_on())) == pytest.approx((25 + 1 + 2 + 0 + 4) / 5, rel=1e-15)


def test_l2_of_complex_residuals_uses_the_modulus():
    r = torch.tensor([3 + 4j, 1j, 0, 0, -1], dtype=torch.complex128)
    c = sp.Constraint("c", sp.Interior(SQUARE), lambda u: r)
    loss = c.loss(fields_on())
    assert not loss.is_complex()
    assert float(loss) == pytest.approx((25 + 1 + 0 + 0 + 1) / 5, rel=1e-15)


def test_l1_is_the_mean_absolute_residual():
    r = [[3.0, -4.0], [0.0, 1.0], [1.0, -1.0], [0.0, 0.0], [-2.0, 0.0]]
    c = sp.Constraint("c", sp.Interior(SQUARE), fixed(r), norm="l1")
    assert float(c.loss(fields_on())) == pytest.approx((7 + 1 + 2 + 0 + 2) / 5, rel=1e-15)


@pytest.mark.parametrize("r", [2.0, [1.0] * 4, [[1.0] * 5]])
def test_residual_without_one_row_per_point(r):
    c = sp.Constraint("bad", sp.Interior(SQUARE), fixed(r))
    with pytest.raises(ValueError, match="constraint 'bad': the residual must have one row per"):
        c.loss(fields_on(5))


# --- batches and the total loss -------------------------------------------------------------------


def test_constraints_on_the_same_region_share_one_batch():
    interior, other_interior = sp.Interior(SQUARE), sp.Interior(SQUARE)
    boundary = sp.Boundary(SQUARE)
    zero = fixed([0.0])
    a = sp.Constraint("a", interior, zero, points=100)
    b = sp.Constraint("b", interior, zero, points=100)
    c = sp.Constraint("c", interior, zero, points=50)  # same region, other count: own batch
    d = sp.Constraint("d", other_interior, zero, points=100)  # equal but distinct region object
    e = sp.Constraint("e", boundary, zero, points=100)
    problem = sp.Problem(SQUARE, (a, b, c, d, e))
    batches = draw_batches(problem, sampler())
    assert [batch.constraints for batch in batches] == [(a, b), (c,), (d,), (e,)]
    assert [batch.x.shape for batch in batches] == [(100, 2), (50, 2), (100, 2), (100, 2)]
    assert batches[0].region is interior and batches[2].region is other_interior
    assert batches[0].normals is None and batches[3].normals.shape == (100, 2)
    assert not torch.equal(batches[0].x, batches[2].x)  # distinct regions, fresh draws
    assert [b.x.shape[0] for b in draw_batches(problem, sampler(), scale=0.1)] == [10, 5, 10, 10]


def test_fresh_points_every_draw_and_reproducible_per_seed():
    problem = sp.Problem(SQUARE, (sp.Constraint("a", sp.Interior(SQUARE), fixed([0.0])),))
    s = sampler(3)
    first, second = draw_batches(problem, s)[0].x, draw_batches(problem, s)[0].x
    assert not torch.equal(first, second)
    assert torch.equal(first, draw_batches(problem, sampler(3))[0].x)


class Counting(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.sin(PI * x[:, :1]) * torch.sin(PI * x[:, 1:])


def test_total_loss_is_the_weighted_sum_and_shared_batches_share_one_forward_pass():
    interior = sp.Interior(SQUARE)
    one = sp.Constraint("one", interior, lambda u: u.value[:, 0] - 1.0, points=64, weight=2.5)
    lap = sp.Constraint("lap", interior, lambda u: u.laplacian[:, 0], points=64, weight=0.1,
                        norm="l1")
    edge = sp.Constraint("edge", sp.Boundary(SQUARE), lambda u: u.value[:, 0], points=32,
                         weight=7.0)
    problem = sp.Problem(SQUARE, (lap, edge, one))
    model = Counting()
    batches = draw_batches(problem, sampler())
    total, parts = evaluate_losses(problem, model, batches)
    assert model.calls == 2  # one Fields per batch: interior (lap, one) and boundary (edge)
    x = batches[0].x
    u = model(x)[:, 0]
    expected = [
        (2 * PI**2 * u).abs().mean(),  # Δu = −2π² u
        (model(batches[1].x)[:, 0] ** 2).mean(),  # u = 0 on the boundary of the unit square
        ((u - 1) ** 2).mean(),
    ]
    for part, want in zip(parts, expected, strict=True):
        assert float(part.detach()) == pytest.approx(float(want), rel=1e-12)
    assert float(expected[1]) < 1e-28
    assert float(total.detach()) == pytest.approx(0.1 * float(expected[0]) + 7 * float(expected[1])
                                         + 2.5 * float(expected[2]), rel=1e-12)


# --- the Poisson builder on its manufactured solution ---------------------------------------------


class Manufactured(nn.Module):
    """u = sin(πx)·cos(πy), the exact solution of problems/poisson.yaml."""

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        return exact(p)[:, None]


def exact(p: torch.Tensor) -> torch.Tensor:
    return torch.sin(PI * p[:, 0]) * torch.cos(PI * p[:, 1])


def two_hole_domain() -> sp.Difference:
    return sp.Difference(
        sp.Box((-1, -1), (1, 1)),
        (sp.Disk((-0.4, -0.35), 0.25), sp.Disk((0.45, 0.4), 0.2)),
        names=("hole_a", "hole_b"),
    )


def manufactured_poisson() -> sp.Problem:
    normal_flux = sp.expression("pi*cos(pi*x)*cos(pi*y)*nx - pi*sin(pi*x)*sin(pi*y)*ny",
                                normals=True)
    return sp.poisson(
        two_hole_domain(),
        source=sp.expression("2*pi**2*sin(pi*x)*cos(pi*y)"),
        dirichlet={"outer": exact},
        neumann={"hole_a": normal_flux, "hole_b": normal_flux},
        gradient=(lambda p: PI * torch.cos(PI * p[:, 0]) * torch.cos(PI * p[:, 1]),
                  lambda p: -PI * torch.sin(PI * p[:, 0]) * torch.sin(PI * p[:, 1])),
        laplacian=lambda p: -2 * PI**2 * exact(p),
        exact=exact,
    )


def residuals(problem: sp.Problem, model: nn.Module) -> dict[str, torch.Tensor]:
    out = {}
    for batch in draw_batches(problem, sampler()):
        u = AutogradFields(model, batch.x, problem.axes, batch.normals, problem.spatial_axes)
        for c in batch.constraints:
            out[c.name] = c.residual(u).detach()
    return out


def test_poisson_constraint_names_and_regions():
    problem = manufactured_poisson()
    names = [c.name for c in problem.constraints]
    assert names == ["pde", "dirichlet:outer", "neumann:hole_a", "neumann:hole_b", "gradient",
                     "laplacian"]
    by_name = {c.name: c for c in problem.constraints}
    assert by_name["pde"].region is by_name["gradient"].region is by_name["laplacian"].region
    assert by_name["neumann:hole_a"].region.part == "hole_a"


def test_poisson_residuals_vanish_on_the_manufactured_solution():
    problem = manufactured_poisson()
    r = residuals(problem, Manufactured())
    assert set(r) == {c.name for c in problem.constraints}
    for name, values in r.items():
        assert values.abs().max() < 1e-8, name
    _, parts = evaluate_losses(problem, Manufactured(), draw_batches(problem, sampler()))
    assert max(float(p.detach()) for p in parts) < 1e-16


def test_poisson_residuals_detect_a_wrong_solution():
    # The zero-residual test above must be able to fail: the same constraints see u = −u_exact,
    # a flipped normal, or a sign error in the PDE as large residuals.
    problem = manufactured_poisson()
    r = residuals(problem, Flipped())
    for name in ("pde", "dirichlet:outer", "neumann:hole_a", "neumann:hole_b", "gradient"):
        assert r[name].abs().max() > 0.1, name
    wrong_sign = sp.poisson(two_hole_domain(), source=sp.expression("-2*pi**2*sin(pi*x)*cos(pi*y)"))
    assert residuals(wrong_sign, Manufactured())["pde"].abs().max() > 1.0


def test_hole_normals_point_out_of_the_region():
    problem = manufactured_poisson()
    batches = {b.constraints[0].name: b for b in draw_batches(problem, sampler())}
    for name, centre in (("neumann:hole_a", (-0.4, -0.35)), ("neumann:hole_b", (0.45, 0.4))):
        b = batches[name]
        towards_centre = torch.tensor(centre, dtype=torch.float64) - b.x
        assert torch.all((b.normals * towards_centre).sum(1) > 0), name


class Flipped(nn.Module):
    def forward(self, p: torch.Tensor) -> torch.Tensor:
        return -exact(p)[:, None]


def test_a_comparison_as_a_coefficient_is_zero_or_one():
    # `source: x > 0.5` in a file: a boolean expression used as a value means 1 where true.
    from sirenpde.expressions.coefficients import evaluate, expression

    u = fields_on(50)
    step = evaluate(expression("x > 0.5", ("x", "y")), u)
    assert step.dtype == torch.float64
    torch.testing.assert_close(step, (u.x[:, 0] > 0.5).double())


def test_problem_axes_default_to_the_dimension():
    line = sp.Box((0,), (1,))
    cube = sp.Box((0, 0, 0), (1, 1, 1))
    c1 = sp.Constraint("c", sp.Interior(line), lambda u: u.value)
    c3 = sp.Constraint("c", sp.Interior(cube), lambda u: u.value)
    assert sp.Problem(line, (c1,)).axes == ("x",)
    assert sp.Problem(cube, (c3,)).axes == ("x", "y", "z")
    with pytest.raises(ValueError, match="2 axes"):
        sp.Problem(cube, (c3,), axes=("x", "y"))


def test_constraint_names_are_kind_colon_part():
    assert constraint_name("dirichlet", "outer") == "dirichlet:outer"
    assert constraint_name("neumann", None) == "neumann:boundary"  # the whole boundary
    assert constraint_name("source", 0) == "source:0"
    assert constraint_name("periodic", "x") == "periodic:x"


def test_the_python_builder_and_a_problem_file_name_constraints_alike():
    built = sp.poisson(SQUARE, 1.0, dirichlet={None: 0.0, "x_min": 0.0}, neumann={"y_max": 0.0})
    spec = sp.load_problem_text("""
problem: poisson
domain: {box: {lo: [0, 0], hi: [1, 1]}}
boundary:
  - {type: dirichlet, value: 0, exact: false}
  - {type: dirichlet, on: x_min, value: 0, exact: false}
  - {type: neumann, on: y_max, value: 0}
""")
    names = ["pde", "dirichlet:boundary", "dirichlet:x_min", "neumann:y_max"]
    assert [c.name for c in built.constraints] == [c.name for c in spec.problem.constraints] == names
