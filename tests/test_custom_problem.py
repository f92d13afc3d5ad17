"""The ``problem: custom`` family: fields, parameters and residual expressions on regions.

A file builds a :class:`~sirenpde.Problem` whose constraints hold their regions (shared when named
alike); every residual is ≈ 0 on its exact solution; every mistake is one located ConfigError line,
including every expression of the hostile corpus (tests/hostile/expr_*.yaml) put into a residual.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch import nn

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.domains import make_sampler
from sirenpde.domains.measurements import Measurements
from sirenpde.expressions.compiler import ExpressionError, compile_expression
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.loss import make_fields

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = sorted((ROOT / "tests" / "hostile").glob("expr_*.yaml"))
PI = math.pi

PLANE = """\
problem: custom
domain:
  box: {lo: [0, 0], hi: [1, 1]}
fields: [u]
parameters: {k: 2}
constraints:
  pde: {region: interior, residual: "lap(u) + k**2*u", points: 16}
  wall: {region: boundary, residual: u, points: 16}
training: {steps: 3, device: cpu}
"""


def file_name(folder: Path | None) -> str:
    # Data files named in the text are found next to it.
    return str(folder / "problem.yaml") if folder is not None else "problem.yaml"


def load(text: str, folder: Path | None = None) -> sp.Problem:
    return sp.load_problem_text(text, file_name(folder)).problem


def refused(text: str, folder: Path | None = None) -> str:
    """The one-line message of the ConfigError that ``text`` raises, less its ``FILE:`` prefix."""
    with pytest.raises(sp.ConfigError) as err:
        load(text, folder)
    message = str(err.value)
    assert "\n" not in message and message.startswith(file_name(folder) + ":"), message
    return message.removeprefix(file_name(folder))


def write_csv(path: Path, **columns: np.ndarray) -> Path:
    np.savetxt(path, np.stack(list(columns.values()), axis=1), delimiter=",", header=",".join(columns),
               comments="")
    return path


class Analytic(nn.Module):
    """A closed-form "network": points (N, d) → the channels of given functions."""

    def __init__(self, *functions):
        super().__init__()
        self.functions = functions
        self.anchor = nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        return torch.stack([f(p) for f in self.functions], dim=1) + self.anchor


def residuals(problem: sp.Problem, model: nn.Module, scale: float = 1.0) -> dict[str, torch.Tensor]:
    """Each constraint's residual on a fresh batch, drawn and evaluated as the trainer does."""
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float64)
    out = {}
    for batch in draw_batches(problem, sampler, scale):
        fields = make_fields(problem, model, batch, "autograd")
        for c in batch.constraints:
            out[c.name] = c.residual(fields).detach()
    return out


# --- what a file builds ---------------------------------------------------------------------------


def test_constraints_hold_their_regions_and_share_them_by_name(tmp_path):
    write_csv(tmp_path / "u.csv", x=np.array([0.2, 0.5]), y=np.array([0.3, 0.7]), u_obs=np.array([1.0, 2.0]))
    text = PLANE.replace("training:", """\
  edge_flux: {region: boundary, residual: dn(u), points: 16, weight: 3}
  left: {region: x_min, residual: dx(u), points: 8}
  sensors: {region: {data: {file: u.csv}}, residual: "u - u_obs", weight: 50}
  sensors_slope: {region: {data: {file: u.csv}}, residual: "dx(u) - u_obs"}
training:""")
    problem = load(text, tmp_path)
    c = {con.name: con for con in problem.constraints}
    assert list(c) == ["pde", "wall", "edge_flux", "left", "sensors", "sensors_slope"]
    assert isinstance(c["pde"].region, sp.Interior)
    assert isinstance(c["wall"].region, sp.Boundary) and c["wall"].region.part is None
    assert c["left"].region.part == "x_min"
    assert c["wall"].region is c["edge_flux"].region  # same points, drawn once per step
    assert c["sensors"].region is c["sensors_slope"].region
    assert isinstance(c["sensors"].region, Measurements)
    assert c["sensors"].region.points.tolist() == [[0.2, 0.3], [0.5, 0.7]]
    assert (c["pde"].points, c["edge_flux"].weight, c["sensors"].weight) == (16, 3.0, 50.0)
    assert problem.kind == "custom" and problem.axes == ("x", "y") and problem.fields == ("u",)
    assert problem.unknowns is None and not problem.complex and problem.spatial_axes is None


def test_space_time_residuals_see_the_spatial_axes_and_time_slices():
    """The heat equation u_t = ν u_xx with ν learnt: residuals ≈ 0 on u = exp(−π²νt)·sin(πx)."""
    text = """\
problem: custom
domain:
  spacetime:
    space: {box: {lo: [0], hi: [1]}}
    t: [0, 0.5]
fields: [u]
parameters:
  nu: {initial: 0.1, exact: 0.1, positive: true}
constraints:
  heat: {region: interior, residual: "dt(u) - nu*lap(u)", points: 64}
  initial: {region: initial, residual: "u - sin(pi*x)", points: 32}
  walls: {region: boundary, residual: [u, "dn(u) + pi*exp(-pi**2*nu*t)"], points: 32}
exact: exp(-pi**2*0.1*t)*sin(pi*x)
"""
    problem = load(text)
    assert problem.axes == ("x", "t") and problem.spatial_axes == ("x",)
    assert problem.constraints[1].region.part == "initial"
    assert list(problem.unknowns.values()) == ["nu"]
    exact = Analytic(lambda p: torch.exp(-(PI**2) * 0.1 * p[:, 1]) * torch.sin(PI * p[:, 0]))
    r = residuals(problem, exact)
    assert r["heat"].shape == (64,) and r["walls"].shape == (32, 2)
    for name, values in r.items():
        assert float(values.abs().max()) < 1e-12, name
    x = torch.rand(10, 2, dtype=torch.float64)
    torch.testing.assert_close(problem.exact(x), exact(x))
    # The wrong ν is seen: the heat residual is no longer zero.
    with torch.no_grad():
        problem.unknowns.scalars["nu"].fill_(math.log(0.2))
    assert float(residuals(problem, exact)["heat"].abs().max()) > 0.1


def test_complex_fields_and_constants():
    """Δu + k²u = 0 with a plane wave u = exp(ikx) and ∂u/∂n = ik·nx·u on the walls."""
    text = """\
problem: custom
domain:
  box: {lo: [0, 0], hi: [1, 1]}
fields: {u: complex}
parameters: {k: 3, i: 1j}
constraints:
  pde: {region: interior, residual: "lap(u) + k**2*u", points: 32}
  walls: {region: boundary, residual: "dn(u) - i*k*nx*u", points: 32}
exact: exp(3j*x)
"""
    problem = load(text)
    assert problem.complex and problem.fields == ("u",)
    wave = Analytic(lambda p: torch.cos(3 * p[:, 0]), lambda p: torch.sin(3 * p[:, 0]))
    r = residuals(problem, wave)
    assert all(v.is_complex() for v in r.values())
    assert float(r["pde"].abs().max()) < 1e-12 and float(r["walls"].abs().max()) < 1e-12
    x = torch.rand(8, 2, dtype=torch.float64)
    torch.testing.assert_close(problem.exact(x)[:, 0], torch.exp(3j * x[:, 0]))


def test_the_shipped_custom_plate_vanishes_on_its_exact_solution():
    problem = sp.load_problem_file(ROOT / "problems" / "custom_plate.yaml").problem
    assert problem.fields == ("w", "m")

    def w(p):
        return torch.sin(PI * p[:, 0]) * torch.sin(PI * p[:, 1])

    exact = Analytic(w, lambda p: -2 * PI**2 * w(p))
    for name, values in residuals(problem, exact, scale=0.1).items():
        assert float(values.abs().max()) < 1e-10, name
    swapped = Analytic(lambda p: -2 * PI**2 * w(p), w)  # channel order matters
    assert float(residuals(problem, swapped, scale=0.1)["bending"].abs().max()) > 1


def test_data_columns_are_read_by_the_trainers_batches(tmp_path):
    x = np.linspace(0.1, 0.9, 7)
    y = np.linspace(0.8, 0.2, 7)
    write_csv(tmp_path / "u.csv", x=x, y=y, u_obs=np.sin(PI * x) * np.sin(PI * y))
    text = PLANE.replace("training:", """\
  sensors: {region: {data: {file: u.csv}}, residual: "u - u_obs", points: 100}
training:""")
    problem = load(text, tmp_path)
    exact = Analytic(lambda p: torch.sin(PI * p[:, 0]) * torch.sin(PI * p[:, 1]))
    r = residuals(problem, exact)
    assert r["sensors"].shape == (7,)  # points ≥ rows: every row, each step
    assert float(r["sensors"].abs().max()) < 1e-12
    assert float(residuals(problem, Analytic(lambda p: p[:, 0]))["sensors"].abs().max()) > 0.1


def test_learnable_scalars_and_coefficient_networks_become_unknowns():
    text = PLANE.replace("parameters: {k: 2}", """\
parameters:
  k: 2
  c: {initial: 1.5, exact: 2.0, positive: true}
  lam: {initial: -0.5}
  m: {network: {layers: [8, 8], w0_initial: 3}}""").replace('"lap(u) + k**2*u"', '"m*lap(u) + lam*c**2*u"')
    unknowns = load(text).unknowns
    assert set(unknowns.scalars) == {"c", "lam"} and set(unknowns.fields) == {"m"}
    assert unknowns.values() == pytest.approx({"c": 1.5, "lam": -0.5})
    assert unknowns.report()["c"] == pytest.approx({"value": 1.5, "initial": 1.5, "exact": 2.0,
                                                    "relative_error": 0.25})
    assert unknowns.field("m", torch.rand(5, 2)).shape == (5,)
    # Seeded from the run's seed: the same file starts from the same coefficient network.
    again = load(text).unknowns
    for a, b in zip(unknowns.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_residual_list_is_one_constraint_with_several_columns():
    problem = load(PLANE.replace("residual: u,", "residual: [u, dn(u), 2*u],"))
    r = residuals(problem, Analytic(lambda p: p[:, 0] + 2 * p[:, 1]))
    torch.testing.assert_close(r["wall"][:, 2], 2 * r["wall"][:, 0])


# --- mistakes: one located line each ---------------------------------------------------------------

DATA_REGION = "region: {data: {file: u.csv}}"
BAD = {  # id: (replace this, with this, key path, words of the message)
    "unknown region": ("region: boundary", "region: boundry", "constraints.wall.region",
                       ["unknown region 'boundry'", "expected one of: interior, boundary, x_min"]),
    "unknown boundary part": ("region: boundary", "region: left", "constraints.wall.region",
                              ["unknown region 'left'", "x_min, x_max, y_min, y_max"]),
    "field named like an axis": ("fields: [u]", "fields: [x]", "fields", ["name 'x' is already an axis"]),
    "field named like a function": ("fields: [u]", "fields: [sin]", "fields", ["'sin' is already built in"]),
    "field named like an operator": ("fields: [u]", "fields: [lap]", "fields", ["'lap' is already built in"]),
    "field named like a parameter": ("fields: [u]", "fields: [u, k]", "parameters.k",
                                     ["name 'k' is already a field"]),
    "parameter named like a normal": ("parameters: {k: 2}", "parameters: {k: 2, nx: 1}", "parameters.nx",
                                      ["'nx' is already a normal"]),
    "field name not an identifier": ("fields: [u]", "fields: [2u]", "fields", ["'2u' is not usable"]),
    "mixed real and complex": ("fields: [u]", "fields: {u: real, v: complex}", "fields",
                               ["all real or all complex", "u: real, v: complex"]),
    "dn on the interior": ('"lap(u) + k**2*u"', '"dn(u)"', "constraints.pde.residual",
                           ["dn(u) needs the outward normal", "boundary regions only"]),
    "data column off its region": ('"lap(u) + k**2*u"', '"u - u_obs"', "constraints.pde.residual",
                                   ["unknown name 'u_obs'"]),
    "operator of a non-field": ('"lap(u) + k**2*u"', '"dx(x)"', "constraints.pde.residual",
                                ["dx of 'x'", "a field (u)"]),
    "mixed derivative": ('"lap(u) + k**2*u"', '"dxy(u)"', "constraints.pde.residual",
                         ["'dxy' is not an allowed function"]),
    "time derivative without time": ('"lap(u) + k**2*u"', '"dt(u)"', "constraints.pde.residual",
                                     ["'dt' is not an allowed function"]),
    "bare gradient": ('"lap(u) + k**2*u"', '"grad(u)"', "constraints.pde.residual",
                      ["a vector", "norm(grad(u))"]),
    "missing data file": ("region: boundary", "region: {data: {file: nope.csv}}",
                          "constraints.wall.region.data.file", ["file not found", "nope.csv"]),
    "CSV without an axis column": ("region: boundary", "region: {data: {file: no_y.csv}}",
                                   "constraints.wall.region.data.file", ["no column 'y'"]),
    "data column named like a field": ("region: boundary", "region: {data: {file: named_u.csv}}",
                                       "constraints.wall.residual", ["column 'u'", "rename the column"]),
    "unknown with initial and network": ("parameters: {k: 2}",
                                         "parameters: {k: {initial: 1.0, network: {layers: [8]}}}",
                                         "parameters.k", ["`initial:`", "`network:`"]),
    "network with exact": ("parameters: {k: 2}", "parameters: {k: {network: {layers: [8]}, exact: 1}}",
                           "parameters.k", ["`exact` and `positive` apply to scalar unknowns"]),
    "positive unknown starting at 0": ("parameters: {k: 2}", "parameters: {k: {initial: 0, positive: true}}",
                                       "parameters", ["'k' is positive but starts at 0"]),
    "constant that is not constant": ("parameters: {k: 2}", "parameters: {k: 2*x}", "parameters.k",
                                      ["unknown name 'x'", "a constant such as 2"]),
    "exact missing a field": ("fields: [u]", "fields: [u, v]\nexact: {u: x}", "exact",
                              ["an expression for each field (u, v)", "found u"]),
    "one exact for two fields": ("fields: [u]", "fields: [u, v]\nexact: x", "exact",
                                 ["one expression per field (u, v)"]),
    "exact and reference": ("fields: [u]", "fields: [u]\nexact: x\nreference: {file: r.npy, lo: [0, 0],"
                            " hi: [1, 1]}", "reference", ["both `exact:` and `reference:`"]),
    "axes making one operator twice": ("fields: [u]", "axes: [x, xx]\nfields: [u]", "axes",
                                       ["two operators of the same name"]),
}


@pytest.mark.parametrize("case", BAD)
def test_each_mistake_is_one_located_line(case, tmp_path):
    old, new, key, words = BAD[case]
    write_csv(tmp_path / "no_y.csv", x=np.array([0.5]), u_obs=np.array([1.0]))
    write_csv(tmp_path / "named_u.csv", x=np.array([0.5]), y=np.array([0.5]), u=np.array([1.0]))
    assert old in PLANE
    message = refused(PLANE.replace(old, new, 1), tmp_path)
    assert f": {key}: " in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_dn_on_the_interior_says_it_needs_a_boundary():
    message = refused(PLANE.replace('"lap(u) + k**2*u"', '"dn(u)"'))
    assert "boundar" in message


@pytest.mark.parametrize("old, new", [
    ("points: 16}", "points: true}"),
    ("residual: u,", "residual: u, weight: true,"),
    ("parameters: {k: 2}", "parameters: {k: {initial: true}}"),
    ("parameters: {k: 2}", "parameters: {k: {initial: 1.0, exact: true}}"),
], ids=["points", "weight", "initial", "exact"])
def test_booleans_are_not_numbers(old, new):
    message = refused(PLANE.replace(old, new, 1))
    assert "expected a number, found true" in message


# --- the hostile corpus, each expression as a residual --------------------------------------------

# Values that are not expressions; PyYAML (YAML 1.1) reads the key `on:` as True.
NOT_EXPRESSIONS = {"problem", "type", "on", True, "device", "title"}


def _leaves(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _leaves(v, key)
    elif key not in NOT_EXPRESSIONS:
        yield node


def hostile_expression(path: Path) -> tuple[str | None, str]:
    """The case's offending expression (the first value that does not compile) and its expected words.

    Every expr_* case today has one: none is refused for YAML reasons before its expression. A future
    case whose hostility is not in an expression (no value fails to compile) is skipped.
    """
    text = path.read_text(encoding="utf-8")
    expect = text.splitlines()[1].removeprefix("# expect: ")
    for value in _leaves(yaml.safe_load(text)):
        if isinstance(value, str):
            try:
                compile_expression(value, ("x", "y"))
            except ExpressionError:
                return value, expect
    return None, expect


def custom_with_residual(expression: str) -> str:
    # JSON strings are YAML double-quoted scalars: the expression arrives byte for byte (NUL included).
    return f"""\
problem: custom
domain:
  box: {{lo: [0, 0], hi: [1, 1]}}
fields: [u]
constraints:
  pde: {{region: interior, residual: {json.dumps(expression)}, points: 16}}
training: {{steps: 3, device: cpu}}
"""


def test_the_corpus_has_expression_cases():
    assert len(HOSTILE) >= 30
    assert all(hostile_expression(p)[0] is not None for p in HOSTILE)


# A residual knows more than a source term: it says why a name is out of place rather than unknown.
SHARPER = {"expr_normal_outside_boundary": "nx needs the outward normal, which exists on boundary regions"}


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.stem)
def test_every_hostile_expression_is_refused_as_a_residual(path):
    expression, expect = hostile_expression(path)
    if expression is None:
        pytest.skip("its hostility is not an expression")
    expect = SHARPER.get(path.stem, expect)
    message = refused(custom_with_residual(expression))
    assert message.startswith(":6: constraints.pde.residual: "), message
    assert expect.lower() in message.lower(), f"expected {expect!r} in {message!r}"


@pytest.mark.parametrize("stem", ["expr_import_system", "expr_dunder_chain", "expr_huge_power_9",
                                  "expr_null_byte", "expr_sum_10000_terms"])
def test_check_refuses_hostile_residuals_in_one_line(stem, tmp_path, capsys):
    expression, expect = hostile_expression(ROOT / "tests" / "hostile" / f"{stem}.yaml")
    path = tmp_path / "custom.yaml"
    path.write_text(custom_with_residual(expression), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {path}:6: constraints.pde.residual: "), lines[0]
    assert expect.lower() in lines[0].lower()


def test_check_accepts_a_good_custom_file(tmp_path, capsys):
    path = tmp_path / "ok.yaml"
    path.write_text(PLANE, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{path}: ok (custom, axes x, y; constraints: pde, wall)") and err == ""
