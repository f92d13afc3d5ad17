"""Exact Dirichlet and initial conditions: distance functions, the lifted ansatz, its derivatives,
training, files, checkpoints and the refusals."""

from __future__ import annotations

import pytest
import torch

import sirenpde as sp
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.derivatives.forward import model_jets
from sirenpde.domains import Ball, Box, Difference, Disk, Polygon, SpaceTime, Union
from sirenpde.domains.adf import UnsupportedBoundaryError, boundary_distance
from sirenpde.domains.distance import description, distance_from_description
from sirenpde.domains.sampling import UniformSampler
from sirenpde.model.exact_initial import ExactInitialModel, InitialLift
from sirenpde.model.hard_dirichlet import DirichletLift, HardDirichletModel
from sirenpde.model.siren import SIREN
from sirenpde.training.checkpoint import Checkpointing

L_SHAPE = [[-1, -1], [1, -1], [1, 0], [0, 0], [0, 1], [-1, 1]]
DOMAINS = {
    "box": lambda: Box((0, -1), (1, 2)),
    "box3d": lambda: Box((0, 0, 0), (1, 2, 1)),
    "disk": lambda: Disk((0.2, -0.1), 0.7),
    "ball": lambda: Ball((0, 0, 0), 1.0),
    "polygon": lambda: Polygon(L_SHAPE),
    "difference": lambda: Difference(Box((-1, -1), (1, 1)), (Disk((-0.4, -0.3), 0.25),
                                                             Polygon([[0.2, 0.2], [0.7, 0.3], [0.4, 0.6]]))),
    "union": lambda: Union((Box((0, 0), (1, 1)), Disk((1.0, 0.5), 0.4))),
    "spacetime": lambda: SpaceTime(Polygon(L_SHAPE), 0.0, 1.0),
}


def sampler(seed: int = 0) -> UniformSampler:
    return UniformSampler(torch.Generator().manual_seed(seed), torch.device("cpu"), torch.float64)


def outside(domain, n: int = 4000) -> torch.Tensor:
    """Points of the bounding box, widened, that are not in the domain (in space, for space-time)."""
    lo, hi = (torch.as_tensor(c) for c in domain.bounds())
    x = lo - 0.3 + (hi - lo + 0.6) * torch.rand(n, domain.dim, generator=torch.Generator().manual_seed(1),
                                                dtype=torch.float64)
    if isinstance(domain, SpaceTime):
        x[:, -1] = x[:, -1].clamp(domain.t0, domain.t1)
    if isinstance(domain, Box):  # a lone box's φ is negative across a face, positive beyond a corner
        x = x[((x < lo) | (x > hi)).sum(dim=1) <= 1]
    return x[~domain.contains(x)]


def gradient(phi, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_()
    return torch.autograd.grad(phi(x).sum(), x)[0]


# --- distance functions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_the_distance_is_zero_on_the_boundary_positive_inside_negative_outside(name):
    domain = DOMAINS[name]()
    phi = boundary_distance(domain)
    on, _ = domain.sample_boundary(2000, sampler())
    inside = domain.sample_interior(2000, sampler(1))
    assert phi(on).abs().max() < 1e-6
    assert (phi(inside) > 0).all()
    assert (phi(outside(domain)) < 0).all()
    assert torch.isfinite(gradient(phi, inside)).all() and torch.isfinite(gradient(phi, on)).all()


@pytest.mark.parametrize("name", ["disk", "ball", "polygon", "difference"])
def test_the_distance_is_normalised_to_first_order(name):
    """|∇φ| = 1 on the boundary: just inside it, away from corners, the slope is nearly one."""
    domain = DOMAINS[name]()
    phi = boundary_distance(domain)
    on, normal = domain.sample_boundary(4000, sampler())
    near = on - 1e-6 * normal
    slope = gradient(phi, near).norm(dim=1)
    assert slope.median() == pytest.approx(1.0, abs=1e-3)


def test_a_box_is_the_product_of_its_slabs_normalised_on_a_cube():
    phi = boundary_distance(Box((0, 0), (2, 2)))
    centre = torch.tensor([[0.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    assert gradient(phi, centre).norm(dim=1).tolist() == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("name, parts, others", [
    ("box", ["x_min", "top"], ["x_max", "y_min"]),
    ("polygon", ["edge0", "edge3"], ["edge1", "edge4"]),
    ("difference", ["outer"], ["hole0", "hole1.edge0"]),
    ("difference", ["hole0"], ["outer"]),
    ("spacetime", ["edge2"], ["edge0"]),
])
def test_a_distance_to_some_parts_vanishes_there_only(name, parts, others):
    domain = DOMAINS[name]()
    phi = boundary_distance(domain, parts)
    for part in parts:
        assert phi(domain.sample_boundary(500, sampler(), part)[0]).abs().max() < 1e-6
    for part in others:
        x, normal = domain.sample_boundary(500, sampler(), part)
        keep = phi(x).abs() > 0  # the corners shared with a chosen part
        assert keep.float().mean() > 0.99 and (phi(x - 1e-9 * normal)[keep] > 0).all()
    assert (phi(domain.sample_interior(2000, sampler(1))) > 0).all()


def test_unsupported_parts_are_refused_saying_what_is_supported():
    with pytest.raises(UnsupportedBoundaryError, match="supported: the whole boundary"):
        boundary_distance(DOMAINS["union"](), ["part0.x_min"])
    with pytest.raises(UnsupportedBoundaryError, match="time slices"):
        boundary_distance(DOMAINS["spacetime"](), ["initial"])
    with pytest.raises(ValueError, match="unknown boundary part"):
        boundary_distance(DOMAINS["box"](), ["nowhere"])


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_a_distance_rebuilds_from_its_description(name):
    domain = DOMAINS[name]()
    phi = boundary_distance(domain)
    x = domain.sample_interior(100, sampler())
    assert torch.equal(distance_from_description(description(phi))(x), phi(x))


# --- the hard Dirichlet ansatz ----------------------------------------------------------------------------

def hard_model(domain, value, channels: int = 1, parts=None) -> HardDirichletModel:
    torch.manual_seed(0)
    network = SIREN((16, 16), domain.dim, channels, w0_initial=5.0, bounds=domain.bounds()).double()
    return HardDirichletModel(network, DirichletLift(boundary_distance(domain, parts), value, channels))


G = sp.expression("sin(pi*x)*y + x**2", ("x", "y"))


@pytest.mark.parametrize("name", ["box", "polygon", "difference", "union"])
def test_u_equals_g_on_the_boundary_for_any_network(name):
    domain = DOMAINS[name]()
    x, _ = domain.sample_boundary(1000, sampler())
    u = hard_model(domain, G)(x)[:, 0]
    assert torch.allclose(u, G(x), rtol=0, atol=1e-12)


def assert_jets_match_autograd(model, x, axes, spatial=None):
    fields = AutogradFields(model, x, axes, spatial_axes=spatial)
    lap_axes = fields.laplacian_axes
    value, jac, second = model_jets(model, x, (lap_axes, *((a,) for a in range(x.shape[1]))))
    for plain in (False, True):
        v, j, s = model_jets(model, x, (lap_axes,), plain=plain)
        assert torch.allclose(v, fields.value, rtol=1e-10, atol=1e-12)
        assert torch.allclose(j, fields.gradient, rtol=1e-8, atol=1e-10)
        scale = float(fields.laplacian.detach().abs().max())
        assert torch.allclose(s[:, :, 0], fields.laplacian, rtol=1e-5, atol=1e-8 * scale)
    for a in range(x.shape[1]):
        expect = fields.second(a)
        scale = float(expect.detach().abs().max())
        assert torch.allclose(second[:, :, 1 + a], expect, rtol=1e-5, atol=1e-8 * scale)


@pytest.mark.parametrize("name", ["box", "polygon", "difference"])
def test_forward_jets_of_the_hard_ansatz_equal_autograd(name):
    domain = DOMAINS[name]()
    assert_jets_match_autograd(hard_model(domain, G), domain.sample_interior(64, sampler()), ("x", "y"))


def test_complex_fields_take_g_as_a_real_imaginary_pair():
    domain = DOMAINS["disk"]()
    g = sp.expression("exp(1j*x)*y", ("x", "y"))
    model = hard_model(domain, g, channels=2)
    on, _ = domain.sample_boundary(200, sampler())
    u = model(on)
    assert torch.allclose(torch.complex(u[:, 0], u[:, 1]), g(on), rtol=0, atol=1e-12)
    assert_jets_match_autograd(model, domain.sample_interior(64, sampler()), ("x", "y"))


def unit_square_problem(**kw):
    return sp.poisson(sp.Box((0, 0), (1, 1)), sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"),
                      dirichlet={None: 0.0}, exact=lambda x: torch.sin(torch.pi * x[:, :1]) * torch.sin(
                          torch.pi * x[:, 1:]), exact_dirichlet=True, **kw)


def test_a_tiny_poisson_run_with_exact_dirichlet_conditions_is_accurate():
    problem = unit_square_problem(points={"pde": 256})
    assert [c.name for c in problem.constraints] == ["pde"]
    # measured: relative L2 1.2e-3 after these 150 steps (7e-4 after 300)
    solution = sp.train(problem, config=sp.TrainConfig(steps=150, lr=1e-2, seed=0),
                        model_config=sp.ModelConfig(layers=(16, 16), w0_initial=3.0))
    assert solution.relative_l2(64)["u"] < 1e-2


def test_a_saved_result_loads_to_the_same_values(tmp_path):
    problem = sp.poisson(DOMAINS["polygon"](), 1.0, dirichlet={None: G}, exact_dirichlet=True)
    solution = sp.train(problem, config=sp.TrainConfig(steps=2, seed=0), model_config=sp.ModelConfig(
        layers=(8, 8)))
    sp.save(solution, tmp_path / "out.h5")
    x = DOMAINS["polygon"]().sample_interior(100, sampler()).float()
    assert torch.equal(sp.load(tmp_path / "out.h5").evaluate(x), solution.evaluate(x))


def test_a_python_callable_value_runs_but_saving_it_says_how_to_store_it():
    lift = DirichletLift(boundary_distance(DOMAINS["box"]()), lambda x: x[:, 0])
    with pytest.raises(ValueError, match="sirenpde.expression"):
        lift.description()


# --- exact initial conditions -------------------------------------------------------------------------------

def initial_model() -> ExactInitialModel:
    torch.manual_seed(0)
    space = SpaceTime(Box((0,), (1,)), 0.5, 1.5)
    network = SIREN((16, 16), 2, 1, w0_initial=5.0, bounds=space.bounds()).double()
    g, h = sp.expression("sin(pi*x) + t", ("x", "t")), sp.expression("x**2", ("x", "t"))
    return ExactInitialModel(network, InitialLift(0.5, g, h))


def test_u_and_u_t_equal_the_initial_data_for_both_engines():
    model = initial_model()
    x = torch.rand(200, 2, dtype=torch.float64)
    x[:, 1] = 0.5
    g, h = torch.sin(torch.pi * x[:, 0]) + 0.5, x[:, 0] ** 2
    fields = AutogradFields(model, x, ("x", "t"), spatial_axes=("x",))
    value, jac, _ = model_jets(model, x, ((0,),))
    for u, u_t in ((fields.value[:, 0], fields.gradient[:, 0, 1]), (value[:, 0], jac[:, 0, 1])):
        assert torch.allclose(u, g, rtol=0, atol=1e-14) and torch.allclose(u_t, h, rtol=0, atol=1e-14)


def test_forward_jets_of_the_initial_ansatz_equal_autograd():
    x = torch.rand(64, 2, dtype=torch.float64) + torch.tensor([0.0, 0.5], dtype=torch.float64)
    assert_jets_match_autograd(initial_model(), x, ("x", "t"), spatial=("x",))


def test_a_wave_file_with_exact_initial_data_drops_the_initial_terms(tmp_path):
    text = WAVE.replace("velocity: 0}", "velocity: 0, exact: true}")
    problem = sp.load_problem_text(text).problem
    assert [c.name for c in problem.constraints] == ["pde", "dirichlet:boundary"]
    solution = sp.train(problem, config=sp.TrainConfig(steps=2, seed=0), model_config=sp.ModelConfig(
        layers=(8, 8)))
    sp.save(solution, tmp_path / "w.h5")
    x = torch.rand(50, 2)
    assert torch.equal(sp.load(tmp_path / "w.h5").evaluate(x), solution.evaluate(x))


WAVE = """problem: wave
domain: {spacetime: {space: {box: {lo: [0], hi: [1]}}, t: [0, 1]}}
pde: {speed: 2}
initial: {value: sin(pi*x), velocity: 0}
boundary:
  - {type: dirichlet, on: boundary, value: 0}
"""


# --- checkpoints --------------------------------------------------------------------------------

class Stop(Exception):
    pass


def run(checkpointing=None, stop_at=None):
    def callback(progress):
        if progress.step == stop_at:
            raise Stop

    config = sp.TrainConfig(steps=7, lm_steps=3, lbfgs_steps=3, lbfgs_inner=4, validate_every=2, log_every=1,
                            seed=3)
    return sp.train(unit_square_problem(points={"pde": 64}), config=config, callback=callback,
                    model_config=sp.ModelConfig(layers=(8, 8), w0_initial=3.0), checkpointing=checkpointing)


@pytest.mark.parametrize("stop_at", [5, 9])      # in Adam, in LM
def test_a_resumed_run_with_the_ansatz_ends_with_the_same_weights_bit_for_bit(tmp_path, stop_at):
    straight = run()
    ckpt = Checkpointing(tmp_path / "run.ckpt", key="k", every_steps=2, every_minutes=None)
    with pytest.raises(Stop):
        run(ckpt, stop_at=stop_at)
    resumed = run(Checkpointing(ckpt.path, key="k", every_steps=2, every_minutes=None, resume=True))
    weights = [torch.cat([p.detach().reshape(-1) for p in s.model.parameters()]) for s in (resumed, straight)]
    assert torch.equal(*weights)


# --- refusals in problem files ------------------------------------------------------------

POISSON = """problem: poisson
domain: {box: {lo: [0, 0], hi: [1, 1]}}
boundary:
  - {type: dirichlet, on: left, value: 0, exact: true}
  - {type: dirichlet, on: right, value: x, exact: true}
"""


@pytest.mark.parametrize("text, key, words", [
    (POISSON, "boundary[0].exact", "one value on all their parts"),
    (POISSON.replace("x, exact: true", "0, exact: false"), "boundary[1].exact",
     "on every dirichlet condition or on none"),
    (POISSON.replace("type: dirichlet, on: right", "type: neumann, on: right"), "boundary[1].exact",
     "`exact` is for dirichlet conditions"),
    (POISSON.replace("box: {lo: [0, 0], hi: [1, 1]}", "union: [{box: {lo: [0, 0], hi: [1, 1]}},"
                     " {disk: {center: [1, 0.5], radius: 0.4}}]").replace("on: left", "on: part0.left")
     .replace("on: right, value: x", "on: part1, value: 0"), "boundary[0].exact", "supported: the whole"),
    (POISSON.replace("value: 0, exact", "value: nx, exact").replace("value: x", "value: nx"),
     "boundary[0].exact", "cannot use the normal"),
    (WAVE.replace("velocity: 0}", "velocity: 0, exact: true, focus: {box: {lo: [0], hi: [0.5]}}}"),
     "initial.focus", "no initial terms to focus"),
])
def test_unsupported_exact_conditions_are_refused_in_one_located_line(text, key, words):
    with pytest.raises(sp.ConfigError) as info:
        sp.load_problem_text(text, "p.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("p.yaml:") and key in message and words in message


def test_helmholtz_exact_dirichlet_excludes_source_splitting():
    text = """problem: helmholtz
domain: {box: {lo: [-1, -1], hi: [1, 1]}}
k: 5
sources: [{center: [0, 0]}]
boundary:
  - {type: dirichlet, on: boundary, value: 0, exact: true}
"""
    with pytest.raises(sp.ConfigError, match=r"boundary\[0\]\.exact: source splitting is on"):
        sp.load_problem_text(text, "h.yaml")
    text = text.replace("k: 5", "k: 5\nsource_splitting: {enabled: false}")
    problem = sp.load_problem_text(text, "h.yaml").problem
    assert problem.ansatz.wrapper is HardDirichletModel and problem.ansatz.part.channels == 2
