"""Residuals written as text agree with the same residuals written in Python.

Every operator of the residual language (``dx``, ``dxx``, ``lap``, ``dn``, ``norm(grad(u))`` …) is
evaluated through both derivative engines (autograd and the closed-form forward engine) and compared,
in float64, with the same quantity computed by plain ``torch.func`` derivatives of the network —
independently of :class:`~sirenpde.Fields`. Then the inputs around them: field channels, complex
fields, constants, learnable scalars and coefficient networks (gradients included), measured data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from torch.func import hessian, jacrev, vmap

import sirenpde as sp
from sirenpde.derivatives.complex import ComplexFields, to_complex
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.derivatives.forward import ForwardFields
from sirenpde.expressions.compiler import ExpressionError, compile_expression
from sirenpde.expressions.derivative_requests import DerivativeRequest
from sirenpde.expressions.residual import ExpressionResidual, operator_names
from sirenpde.model.unknowns import Unknowns

TOL = 1e-10
N = 24
ENGINES = {"autograd": AutogradFields, "forward": ForwardFields}
PLANE = ("x", "y")
SPACETIME = ("x", "t")


def siren(out: int = 1, seed: int = 0, layers=(16, 16)) -> sp.SIREN:
    torch.manual_seed(seed)
    return sp.SIREN(list(layers), 2, out, w0_initial=4.0, bounds=([0.0, 0.0], [1.0, 1.0])).double()


def points(seed: int = 1) -> torch.Tensor:
    return torch.rand(N, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def unit_normals(seed: int = 2) -> torch.Tensor:
    n = torch.randn(N, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    return n / n.norm(dim=1, keepdim=True)


def lateral_normals() -> torch.Tensor:
    """Space-time: the walls x = 0 and x = 1 have normals (∓1, 0), no t component."""
    sign = torch.where(torch.arange(N) % 2 == 0, -1.0, 1.0).to(torch.float64)
    return torch.stack([sign, torch.zeros(N, dtype=torch.float64)], dim=1)


@dataclass
class Reference:
    """The network's value (N, c), Jacobian (N, c, d) and Hessian (N, c, d, d) by torch.func."""

    x: torch.Tensor
    normals: torch.Tensor
    value: torch.Tensor
    jac: torch.Tensor
    hess: torch.Tensor


def reference(model: torch.nn.Module, x: torch.Tensor, normals: torch.Tensor) -> Reference:
    def f(p: torch.Tensor) -> torch.Tensor:
        return model(p[None])[0]

    return Reference(x, normals, model(x), vmap(jacrev(f))(x), vmap(hessian(f))(x))


def fields_of(engine: str, model, x, axes, normals=None, spatial=None, complex_=False) -> sp.Fields:
    u = ENGINES[engine](model, x, axes, normals, spatial)
    return ComplexFields(u) if complex_ else u


def residual(text: str, axes=PLANE, fields=("u",), normals=False, **kw) -> ExpressionResidual:
    names = (*axes, *(f"n{a}" for a in axes if normals), *fields, *kw.get("constants", {}),
             *kw.get("scalars", ()), *kw.get("coefficient_fields", ()), *kw.pop("data", ()))
    expression = compile_expression(text, names, operator_names(axes, normals), fields)
    return ExpressionResidual(expression, tuple(axes), tuple(fields), **kw)


def close(a: torch.Tensor, b: torch.Tensor) -> None:
    a, b = a.detach(), b.detach()
    assert a.shape == b.shape == (N,), (a.shape, b.shape)
    assert a.dtype == b.dtype
    scale = max(1.0, float(b.abs().max()))
    assert float((a - b).abs().max()) <= TOL * scale, float((a - b).abs().max())


# --- every operator, both engines, 2-D and space-time ---------------------------------------------

Python = Callable[[Reference], torch.Tensor]

PLANE_CASES: dict[str, Python] = {
    "u": lambda r: r.value[:, 0],
    "dx(u)": lambda r: r.jac[:, 0, 0],
    "dy(u)": lambda r: r.jac[:, 0, 1],
    "dxx(u)": lambda r: r.hess[:, 0, 0, 0],
    "dyy(u)": lambda r: r.hess[:, 0, 1, 1],
    "lap(u)": lambda r: r.hess[:, 0, 0, 0] + r.hess[:, 0, 1, 1],
    "dn(u)": lambda r: (r.jac[:, 0] * r.normals).sum(1),
    "norm(grad(u))": lambda r: r.jac[:, 0].norm(dim=1),
    "dn(u) - nx*dx(u) - ny*dy(u)": lambda r: torch.zeros(N, dtype=torch.float64),
    "sin(x)*dxx(u) + exp(y)*dyy(u)": lambda r: (torch.sin(r.x[:, 0]) * r.hess[:, 0, 0, 0]
                                                 + torch.exp(r.x[:, 1]) * r.hess[:, 0, 1, 1]),
}

SPACETIME_CASES: dict[str, Python] = {
    "u": lambda r: r.value[:, 0],
    "dx(u)": lambda r: r.jac[:, 0, 0],
    "dt(u)": lambda r: r.jac[:, 0, 1],
    "dxx(u)": lambda r: r.hess[:, 0, 0, 0],
    "dtt(u)": lambda r: r.hess[:, 0, 1, 1],
    "lap(u)": lambda r: r.hess[:, 0, 0, 0],  # spatial only: no u_tt
    "dn(u)": lambda r: r.jac[:, 0, 0] * r.normals[:, 0],
    "norm(grad(u))": lambda r: r.jac[:, 0, 0].abs(),  # spatial only: no u_t
    "dtt(u) - 4*lap(u)": lambda r: r.hess[:, 0, 1, 1] - 4 * r.hess[:, 0, 0, 0],
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", PLANE_CASES)
def test_each_operator_in_the_plane_matches_python(engine, text):
    model, x, n = siren(), points(), unit_normals()
    u = fields_of(engine, model, x, PLANE, n)
    close(residual(text, normals=True)(u), PLANE_CASES[text](reference(model, x, n)))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", SPACETIME_CASES)
def test_each_operator_in_space_time_matches_python(engine, text):
    model, x, n = siren(), points(), lateral_normals()
    u = fields_of(engine, model, x, SPACETIME, n, spatial=("x",))
    close(residual(text, SPACETIME, normals=True)(u), SPACETIME_CASES[text](reference(model, x, n)))


@pytest.mark.parametrize("engine", ENGINES)
def test_burgers_residual_matches_python(engine):
    """The issue's example: u_t + u u_x − ν u_xx, ν = 0.01/π, as text and in Python."""
    model, x = siren(), points()
    nu = 0.01 / math.pi
    u = fields_of(engine, model, x, SPACETIME, spatial=("x",))
    text = residual("dt(u) + u*dx(u) - nu*dxx(u)", SPACETIME, constants={"nu": nu})(u)
    r = reference(model, x, lateral_normals())
    close(text, r.jac[:, 0, 1] + r.value[:, 0] * r.jac[:, 0, 0] - nu * r.hess[:, 0, 0, 0])
    # …and the same residual through the Fields API, as a Python user writes it.
    python = u.partial("t")[:, 0] + u.value[:, 0] * u.partial("x")[:, 0] - nu * u.second("x")[:, 0]
    close(text, python)


def test_every_operator_at_once_is_the_sum_of_the_parts():
    # One Fields batch serves all of them, whatever order the forward engine's passes run in.
    model, x, n = siren(), points(), unit_normals()
    u = fields_of("forward", model, x, PLANE, n)
    text = "dx(u) + dy(u) + dxx(u) + dyy(u) + lap(u) + dn(u) + norm(grad(u)) + u"
    got = residual(text, normals=True)(u)
    expected = sum(PLANE_CASES[k](reference(model, x, n)) for k in text.split(" + "))
    close(got, expected)


# --- fields, constants, unknowns, data ------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_two_fields_follow_the_channel_order(engine):
    model, x = siren(out=2), points()
    r = reference(model, x, unit_normals())
    u = fields_of(engine, model, x, PLANE)
    close(residual("v", fields=("u", "v"))(u), r.value[:, 1])
    close(residual("u", fields=("v", "u"))(u), r.value[:, 1])  # names bind to channels in list order
    close(residual("dx(v) - lap(u)", fields=("u", "v"))(u),
          r.jac[:, 1, 0] - r.hess[:, 0, 0, 0] - r.hess[:, 0, 1, 1])
    close(residual("norm(grad(v))*u", fields=("u", "v"))(u), r.jac[:, 1].norm(dim=1) * r.value[:, 0])


@pytest.mark.parametrize("engine", ENGINES)
def test_complex_fields_with_real_and_complex_constants(engine):
    """Helmholtz-like: Δu + k²u − a·∂w/∂n + 2j·w, u and w complex (two real channels each)."""
    model, x, n = siren(out=4), points(), unit_normals()
    r = reference(model, x, n)
    z, zj, zh = to_complex(r.value), to_complex(r.jac), to_complex(r.hess)
    u = fields_of(engine, model, x, PLANE, n, complex_=True)
    constants = {"k": 3.0, "a": 1.5 - 0.5j}
    res = residual("lap(u) + k**2*u - a*dn(w) + 2j*w", fields=("u", "w"), normals=True, constants=constants)
    got = res(u)
    assert got.dtype == torch.complex128
    expected = (zh[:, 0, 0, 0] + zh[:, 0, 1, 1] + 9 * z[:, 0] - (1.5 - 0.5j) * (zj[:, 1] * n).sum(1)
                + 2j * z[:, 1])
    close(got, expected)
    close(residual("dyy(w)", fields=("u", "w"))(u), zh[:, 1, 1, 1])
    close(residual("norm(grad(u))", fields=("u", "w"))(u), zj[:, 0].abs().square().sum(1).sqrt())


def test_real_constants_keep_a_real_residual_real():
    model, x = siren(), points()
    got = residual("nu*dxx(u) + c", constants={"nu": 0.25, "c": -1.0})(fields_of("forward", model, x, PLANE))
    assert got.dtype == torch.float64
    close(got, 0.25 * reference(model, x, unit_normals()).hess[:, 0, 0, 0] - 1.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_learnable_scalar_matches_python_and_receives_its_gradient(engine):
    """The wave residual u_tt − c²u_xx with a positive unknown c: value and ∂loss/∂(log c) as in Python."""
    model, x = siren(), points()
    unknowns = Unknowns({"c": 1.5}, positive=("c",))
    res = residual("dtt(u) - c**2*dxx(u)", SPACETIME, scalars=("c",), unknowns=unknowns)

    def grad_of(fn) -> tuple[torch.Tensor, torch.Tensor]:
        unknowns.zero_grad()
        values = fn(fields_of(engine, model, x, SPACETIME, spatial=("x",)))
        values.square().mean().backward()
        return values.detach(), unknowns.scalars["c"].grad.clone()

    text_values, text_grad = grad_of(res)
    python_values, python_grad = grad_of(
        lambda u: u.second("t")[:, 0] - unknowns.scalar("c") ** 2 * u.second("x")[:, 0])
    close(text_values, python_values)
    r = reference(model, x, lateral_normals())
    close(text_values, r.hess[:, 0, 1, 1] - 2.25 * r.hess[:, 0, 0, 0])
    assert float(text_grad.abs()) > 1e-6
    assert float((text_grad - python_grad).abs()) <= TOL * float(python_grad.abs())
    # By hand: d/d(log c) mean(ρ²) = mean(2ρ · (−2c² u_xx)).
    by_hand = (2 * text_values * (-2 * 2.25 * r.hess[:, 0, 0, 0])).mean().detach()
    assert float((text_grad - by_hand).abs()) <= 1e-9 * float(by_hand.abs())


@pytest.mark.parametrize("engine", ENGINES)
def test_learnable_coefficient_field_matches_python_and_receives_gradients(engine):
    """−m(x)·Δu − 1 with m a network of its own: its weights get the gradients Python gives them."""
    model, x = siren(), points()
    unknowns = Unknowns(fields={"m": siren(seed=5, layers=(8,))})
    res = residual("-m*lap(u) - 1", coefficient_fields=("m",), unknowns=unknowns)

    def grads_of(fn) -> tuple[torch.Tensor, list[torch.Tensor]]:
        unknowns.zero_grad()
        values = fn(fields_of(engine, model, x, PLANE))
        values.square().mean().backward()
        return values.detach(), [p.grad.clone() for p in unknowns.parameters()]

    text_values, text_grads = grads_of(res)
    python_values, python_grads = grads_of(lambda u: -unknowns.field("m", u.x) * u.laplacian[:, 0] - 1)
    r = reference(model, x, unit_normals())
    m = unknowns.fields["m"](x)[:, 0]
    close(text_values, -m * (r.hess[:, 0, 0, 0] + r.hess[:, 0, 1, 1]) - 1)
    close(text_values, python_values)
    assert text_grads and all(float(g.abs().max()) > 0 for g in text_grads)
    for a, b in zip(text_grads, python_grads, strict=True):
        assert float((a - b).abs().max()) <= TOL * float(b.abs().max())


@pytest.mark.parametrize("engine", ENGINES)
def test_measured_data_columns_are_read_from_fields_data(engine):
    model, x = siren(), points()
    u = fields_of(engine, model, x, PLANE)
    observed = torch.linspace(-1, 1, N, dtype=torch.float64)
    u.data = {"u_obs": observed}
    r = reference(model, x, unit_normals())
    close(residual("u - u_obs", data=("u_obs",))(u), r.value[:, 0] - observed)
    close(residual("dx(u) * u_obs", data=("u_obs",))(u), r.jac[:, 0, 0] * observed)


def test_a_data_column_missing_from_the_batch_is_a_clear_error():
    model, x = siren(), points()
    with pytest.raises(ExpressionError, match="u_obs"):
        residual("u - u_obs", data=("u_obs",))(fields_of("autograd", model, x, PLANE))


def test_dn_is_only_an_operator_where_there_are_normals():
    assert "dn" in operator_names(PLANE, normals=True)
    assert "dn" not in operator_names(PLANE, normals=False)
    with pytest.raises(ExpressionError, match="'dn' is not an allowed function"):
        residual("dn(u)", normals=False)


@pytest.mark.parametrize("text, words", [
    ("dx(x)", "dx of 'x'"),
    ("dx(2*u)", "dx of '2*u'"),
    ("dxy(u)", "'dxy' is not an allowed function"),
    ("grad(u)", "a vector"),
    ("norm(u)", "'norm' is not an allowed function"),
    ("dx(u, u)", "'dx' takes one field"),
    ("dt(u)", "'dt' is not an allowed function"),  # no t axis in the plane
])
def test_operators_on_anything_but_one_field_are_refused(text, words):
    with pytest.raises(ExpressionError) as err:
        residual(text)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_used_quantities_name_each_derivative_once():
    e = compile_expression("dx(u)*dx(u) + lap(v) + norm(grad(u)) + x", ("x", "y", "u", "v"),
                           operator_names(PLANE, False), ("u", "v"))
    assert e.used_quantities == {"dx(u)", "lap(v)", "norm(grad(u))"}
    assert e.used_names == {"x"}


def test_derivative_requests_are_resolved_once_per_residual():
    res = residual("dx(u)*dx(u) + dyy(v) + lap(v) + norm(grad(u)) + dn(v)", fields=("u", "v"), normals=True)
    assert res.requests == {
        "dx(u)": DerivativeRequest("d", "x", "u"), "dyy(v)": DerivativeRequest("dd", "y", "v"),
        "lap(v)": DerivativeRequest("lap", None, "v"),
        "norm(grad(u))": DerivativeRequest("norm_grad", None, "u"),
        "dn(v)": DerivativeRequest("dn", None, "v"),
    }
    assert DerivativeRequest("d", "x", "u") == DerivativeRequest(op="d", axis="x", field="u")
    assert hash(DerivativeRequest("d", "x", "u")) == hash(DerivativeRequest("d", "x", "u"))
    assert DerivativeRequest("d", "x", "u") != DerivativeRequest("dd", "x", "u")
    before = dict(res.requests)
    model, x = siren(2), points()
    res(fields_of("autograd", model, x, PLANE, unit_normals()))
    assert all(res.requests[k] is before[k] for k in before)  # evaluating builds no new request


def test_a_derivative_request_refuses_an_unknown_operation_or_a_missing_axis():
    with pytest.raises(ValueError, match="unknown derivative operation 'dxy'"):
        DerivativeRequest("dxy", "x", "u")
    with pytest.raises(ValueError, match="takes an axis"):
        DerivativeRequest("d", None, "u")
    with pytest.raises(ValueError, match="takes no axis"):
        DerivativeRequest("lap", "x", "u")
