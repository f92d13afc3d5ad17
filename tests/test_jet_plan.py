"""The forward engine's planned jet pass: one pass per batch whatever order a residual asks in."""

from __future__ import annotations

import torch

import sirenpde as sp
from sirenpde.derivatives import forward
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.derivatives.forward import ForwardFields
from sirenpde.domains import make_sampler
from sirenpde.problems.pml import PML
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.jet_plan import jet_groups
from sirenpde.training.loss import evaluate_losses

AXES = ("x", "y")


def siren() -> sp.SIREN:
    torch.manual_seed(0)
    return sp.SIREN([16, 16], 2, 1, w0_initial=6.0).double()


def points(n: int = 32) -> torch.Tensor:
    return torch.rand(n, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 2 - 1


class Counting:
    """Counts the model's plain calls and the engine's jet passes."""

    def __init__(self, monkeypatch, model):
        self.plain = self.jets = 0
        jets, call = forward.model_jets, model.forward

        def counted_jets(*args, **kwargs):
            self.jets += 1
            return jets(*args, **kwargs)

        def counted_call(x):
            self.plain += 1
            return call(x)

        monkeypatch.setattr(forward, "model_jets", counted_jets)
        monkeypatch.setattr(model, "forward", counted_call)


def pml_residual(u):
    """A PML-like residual: the value first, then second derivatives axis by axis."""
    return u.value[:, 0] + sum(u.second(i)[:, 0] * (1 + i) for i in range(2))


def test_a_planned_pass_serves_the_value_and_every_second_derivative_at_once(monkeypatch):
    model, x = siren(), points()
    count = Counting(monkeypatch, model)
    planned = ForwardFields(model, x, AXES, jet_groups=((0,), (1,)))
    got = pml_residual(planned).detach()
    assert (count.plain, count.jets) == (0, 1)
    lazy = ForwardFields(model, x, AXES)
    want = pml_residual(lazy).detach()
    assert (count.plain, count.jets) == (1, 2)  # the plain value, then the diagonal's pass
    exact = pml_residual(AutogradFields(model, x, AXES)).detach()
    scale = float(exact.abs().max())
    assert float((got - exact).abs().max()) < 1e-12 * scale
    assert float((want - exact).abs().max()) < 1e-12 * scale


def test_functional_fields_planned_run_one_pass_where_unplanned_ones_run_two(monkeypatch):
    model, x = siren(), points()
    count = Counting(monkeypatch, model)
    pml_residual(ForwardFields(model, x, AXES, functional=True))
    assert count.jets == 2  # the value's pass carries the Laplacian, not u_xx and u_yy apiece
    pml_residual(ForwardFields(model, x, AXES, functional=True, jet_groups=((0,), (1,))))
    assert (count.plain, count.jets) == (0, 3)


def test_a_plan_for_the_laplacian_sums_the_diagonal_when_that_is_what_was_planned():
    model, x = siren(), points()
    diagonal = ForwardFields(model, x, AXES, jet_groups=((0,), (1,)))
    grouped = ForwardFields(model, x, AXES)
    assert float((diagonal.laplacian - grouped.laplacian).detach().abs().max()) < 1e-12
    assert diagonal.jet_groups == ((0,), (1,))
    assert grouped.jet_groups == ((0, 1),)


def test_weight_gradients_are_those_of_the_lazy_pass():
    model, x = siren(), points()

    def grads(**plan):
        model.zero_grad()
        pml_residual(ForwardFields(model, x, AXES, **plan)).square().mean().backward()
        return [p.grad.clone() for p in model.parameters()]

    for lazy, planned in zip(grads(), grads(jet_groups=((0,), (1,))), strict=True):
        assert float((lazy - planned).abs().max()) < 1e-11 * float(lazy.abs().max())


def test_fields_that_ran_no_jets_or_took_a_divergence_report_no_groups():
    model, x = siren(), points()
    plain = ForwardFields(model, x, AXES)
    _ = plain.value, plain.gradient
    assert plain.jet_groups is None
    taken = ForwardFields(model, x, AXES)
    flux = taken.gradient  # from autograd, so that it can be differentiated again
    _ = taken.laplacian
    taken.divergence(flux)
    assert taken.jet_groups is None


def helmholtz_pml() -> sp.Problem:
    return sp.helmholtz(sp.Box([-1, -1], [1, 1]), k=4.0, point_sources=[sp.PointSource((0.1, 0.0))],
                        pml=PML(0.3))


def test_the_probe_finds_each_batchs_groups_once(monkeypatch):
    problem, model = helmholtz_pml(), sp.SIREN([16, 16], 2, 2, w0_initial=4.0)
    batches = draw_batches(problem, make_sampler("uniform", torch.Generator().manual_seed(0), "cpu"))
    plans = {b.constraints[0].name: jet_groups(problem, model, b) for b in batches}
    assert plans["pde"] == ((0,), (1,))  # the stretched operator reads u_xx and u_yy apiece
    calls = []
    monkeypatch.setattr("sirenpde.training.jet_plan._probe", lambda *a: calls.append(a))
    assert [jet_groups(problem, model, b) for b in batches] == list(plans.values())
    assert calls == []


def test_a_planned_step_gives_the_losses_of_the_autograd_engine():
    problem = helmholtz_pml()
    torch.manual_seed(0)
    model = sp.SIREN([16, 16], 2, 2, w0_initial=4.0).double()
    batches = draw_batches(problem, make_sampler("uniform", torch.Generator().manual_seed(0), "cpu"))
    batches = [type(b)(b.region, b.x.double(), b.normals, b.constraints, b.data, b.weights) for b in batches]
    assert jet_groups(problem, model, batches[0]) is not None
    total, parts = evaluate_losses(problem, model, batches, "forward")
    reference, expected = evaluate_losses(problem, model, batches, "autograd")
    assert abs(float(total) - float(reference)) < 1e-10 * float(reference)
    for part, want in zip(parts, expected, strict=True):
        assert abs(float(part) - float(want)) <= 1e-10 * float(want)


def test_a_residual_that_fails_on_two_points_is_left_unplanned():
    def picky(u):
        if u.x.shape[0] < 3:
            raise RuntimeError("needs three points")
        return u.laplacian[:, 0]

    problem = sp.Problem(sp.Box([0, 0], [1, 1]), (sp.Constraint("pde", sp.Interior(sp.Box([0, 0], [1, 1])),
                                                               picky, points=8),))
    batch = draw_batches(problem, make_sampler("uniform", torch.Generator().manual_seed(0), "cpu"))[0]
    assert jet_groups(problem, siren(), batch) is None
