"""Exact Dirichlet conditions by default: chosen wherever u = g + φ·N works, the reason recorded
where it does not, and ``exact: false`` keeps the penalised term."""

from __future__ import annotations

import pytest

import sirenpde as sp
from sirenpde.expressions.compiler import compile_expression
from sirenpde.model.hard_dirichlet import HardDirichletModel

POISSON = """problem: poisson
domain: {box: {lo: [-1, -1], hi: [1, 1]}}
pde: {source: 2*pi**2*sin(pi*x)*sin(pi*y)}
boundary:
  - {type: dirichlet, on: boundary, value: 'VALUE'}
"""


def _spec(value: str = "sin(pi*x)*sin(pi*y)", text: str = POISSON):
    return sp.load_problem_text(text.replace("VALUE", value), "p.yaml")


def _names(spec) -> set[str]:
    return {c.name for c in spec.problem.constraints}


def test_a_smooth_value_on_a_distance_function_is_imposed_exactly_and_the_choice_recorded():
    spec = _spec()
    assert spec.problem.ansatz.wrapper is HardDirichletModel
    assert _names(spec) == {"pde"}  # the Dirichlet term is gone: it is identically zero
    assert any(line.startswith("dirichlet: exact") for line in spec.picked)


def test_exact_false_keeps_the_penalised_condition_and_records_nothing():
    spec = _spec(text=POISSON.replace("'VALUE'}", "'VALUE', exact: false}"))
    assert spec.problem.ansatz is None
    assert "dirichlet:boundary" in _names(spec)
    assert not any(line.startswith("dirichlet") for line in spec.picked)


@pytest.mark.parametrize("value, reason", [
    ("where(x > 0, 1, 0)", "kink or a jump"),
    ("abs(x)", "kink or a jump"),
    ("log(x)", "not finite everywhere inside"),  # NaN for x < 0: no extension into the square
    ("nx", "cannot use the normal"),
])
def test_a_value_that_is_no_smooth_extension_stays_in_the_loss_with_the_reason(value, reason):
    spec = _spec(value)
    assert spec.problem.ansatz is None and "dirichlet:boundary" in _names(spec)
    line = next(line for line in spec.picked if line.startswith("dirichlet:"))
    assert "in the loss" in line and reason in line


def test_different_values_on_different_parts_stay_in_the_loss():
    text = """problem: poisson
domain: {box: {lo: [0, 0], hi: [1, 1]}}
boundary:
  - {type: dirichlet, on: left, value: 0}
  - {type: dirichlet, on: right, value: y}
  - {type: neumann, on: top, value: 0}
  - {type: neumann, on: bottom, value: 0}
"""
    spec = sp.load_problem_text(text, "p.yaml")
    assert spec.problem.ansatz is None
    assert {"dirichlet:left", "dirichlet:right"} <= _names(spec)
    assert any("one value on all their parts" in line for line in spec.picked)


def test_one_value_on_some_parts_is_exact_and_the_neumann_parts_stay():
    text = """problem: poisson
domain: {box: {lo: [0, 0], hi: [1, 1]}}
boundary:
  - {type: dirichlet, on: left, value: y**2}
  - {type: dirichlet, on: right, value: y**2}
  - {type: neumann, on: top, value: 0}
"""
    spec = sp.load_problem_text(text, "p.yaml")
    assert spec.problem.ansatz.wrapper is HardDirichletModel
    assert "neumann:top" in _names(spec) and not any(n.startswith("dirichlet") for n in _names(spec))


def test_helmholtz_with_source_splitting_stays_in_the_loss_and_says_why():
    text = """problem: helmholtz
domain: {box: {lo: [-1, -1], hi: [1, 1]}}
k: 5
sources: [{center: [0, 0]}]
boundary:
  - {type: dirichlet, on: boundary, value: 0}
"""
    spec = sp.load_problem_text(text, "h.yaml")
    ansatz = spec.problem.ansatz  # the split source's own, if any
    assert ansatz is None or ansatz.wrapper is not HardDirichletModel
    assert "dirichlet:boundary" in _names(spec)
    line = next(line for line in spec.picked if line.startswith("dirichlet:"))
    assert line.startswith("dirichlet: in the loss") and "source splitting" in line
    manufactured = text.replace("sources: [{center: [0, 0]}]", "source: 0")
    spec = sp.load_problem_text(manufactured, "h.yaml")
    assert spec.problem.ansatz.wrapper is HardDirichletModel and spec.problem.ansatz.part.channels == 2


def test_one_true_and_the_others_left_out_impose_them_all():
    text = """problem: poisson
domain: {box: {lo: [0, 0], hi: [1, 1]}}
boundary:
  - {type: dirichlet, on: left, value: 0, exact: true}
  - {type: dirichlet, on: right, value: 0}
"""
    spec = sp.load_problem_text(text, "p.yaml")
    assert spec.problem.ansatz.wrapper is HardDirichletModel and _names(spec) == {"pde"}


@pytest.mark.parametrize("text, smooth", [
    ("sin(pi*x)*exp(-y**2)", True), ("x**2 + 1/(2 + y)", True), ("3", True),
    ("abs(x)", False), ("max(x, 0)", False), ("where(x < 0, 1, 2)", False), ("x % 1", False),
    ("(x > 0) * 1.0", False), ("floor(3*x)", False),
])
def test_smoothness_of_an_expression_is_read_from_its_functions_and_operators(text, smooth):
    assert compile_expression(text, ("x", "y")).smooth is smooth
