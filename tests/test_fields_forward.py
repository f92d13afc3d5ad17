"""The closed-form forward derivative engine against nested autograd, and its selection."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.func import vmap

import sirenpde as sp
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.derivatives.forward import ForwardFields, model_jets, siren_jets
from sirenpde.domains import make_sampler
from sirenpde.sampling.batch import draw_batches
from sirenpde.training.loss import evaluate_losses, make_fields

AXES = ("x", "y", "t")


def siren(bias: bool = True, out: int = 2) -> sp.SIREN:
    torch.manual_seed(0)
    return sp.SIREN([24, 24, 24], 3, out, w0_initial=8.0, bias=bias,
                    bounds=([0.0, -1.0, 0.0], [1.0, 2.0, 3.0])).double()


def points(n: int = 64) -> torch.Tensor:
    return torch.rand(n, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 2 - 0.5


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b).abs().max() / b.abs().max()).detach())


@pytest.mark.parametrize("bias", [True, False])
def test_every_quantity_matches_autograd(bias):
    model, x = siren(bias), points()
    a = AutogradFields(model, x, AXES, spatial_axes=("x", "y"))
    f = ForwardFields(model, x, AXES, spatial_axes=("x", "y"))
    for i in range(3):
        assert rel(f.second(i), a.second(i)) < 1e-12
    assert rel(f.laplacian, a.laplacian) < 1e-12
    assert rel(f.gradient, a.gradient) < 1e-12  # from the forward pass, now that it ran
    assert rel(f.value, a.value) < 1e-13
    assert f.laplacian_axes == (0, 1)


def test_weight_gradients_match_autograd():
    model, x = siren(), points()

    def weight_grads(engine):
        model.zero_grad()
        u = engine(model, x, AXES, spatial_axes=("x", "y"))
        (u.laplacian.square().mean() + u.second("t").mean() + u.value.square().mean()).backward()
        return [p.grad.clone() for p in model.parameters()]

    for g_auto, g_fwd in zip(weight_grads(AutogradFields), weight_grads(ForwardFields), strict=True):
        assert rel(g_fwd, g_auto) < 1e-11


def test_value_or_gradient_alone_take_the_reverse_path():
    model, x = siren(), points()
    f = ForwardFields(model, x, AXES)
    a = AutogradFields(model, x, AXES)
    assert rel(f.gradient, a.gradient) < 1e-13 and f._jets is None
    assert f.divergence(a.gradient).shape == (64, 2)  # any flux: autograd


def test_functional_fields_compose_with_vmap():
    model, x = siren(), points(8)

    def lap(xi):
        return ForwardFields(model, xi[None], AXES, spatial_axes=("x", "y"), functional=True).laplacian[0]

    expected = AutogradFields(model, x, AXES, spatial_axes=("x", "y")).laplacian
    assert rel(vmap(lap)(x), expected) < 1e-12
    with pytest.raises(ValueError, match="divergence.*autograd"):
        ForwardFields(model, x, AXES, functional=True).divergence(torch.zeros(8, 2, 3))


def test_siren_jets_shapes():
    value, jac, hess = siren_jets(siren(out=3), points(5))
    assert value.shape == (5, 3) and jac.shape == (5, 3, 3) and hess.shape == (5, 3, 3)


def test_forward_engine_needs_a_siren():
    with pytest.raises(TypeError, match="needs a sirenpde.SIREN; found Linear.*derivatives='autograd'"):
        ForwardFields(nn.Linear(3, 1), points(), AXES)


def test_engine_selection_and_equal_losses():
    square = sp.Box((0, 0), (1, 1))
    problem = sp.poisson(square, sp.expression("2*pi**2*sin(pi*x)*sin(pi*y)"), dirichlet={None: 0.0})
    model = sp.SIREN([16, 16], 2, 1, w0_initial=5.0, bounds=((0, 0), (1, 1))).double()
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float64)
    batches = draw_batches(problem, sampler)
    assert isinstance(make_fields(problem, model, batches[0]), ForwardFields)
    assert isinstance(make_fields(problem, model, batches[0], "autograd"), AutogradFields)
    assert isinstance(make_fields(problem, lambda x: x[:, :1], batches[0]), AutogradFields)
    with pytest.raises(ValueError, match="unknown derivative engine 'fast'"):
        make_fields(problem, model, batches[0], "fast")
    auto = evaluate_losses(problem, model, batches, "autograd")[0]
    forward = evaluate_losses(problem, model, batches, "forward")[0]
    assert math.isclose(float(auto.detach()), float(forward.detach()), rel_tol=1e-12)


def test_train_config_accepts_the_engine_choice():
    assert sp.TrainConfig(derivatives="autograd").derivatives == "autograd"
    with pytest.raises(ValueError):
        sp.TrainConfig(derivatives="fast")


@pytest.mark.parametrize("groups", [((0,), (1,), (2,)), ((0, 1), (2,)), ((0, 1, 2),), ((2, 0),), ()])
@pytest.mark.parametrize("with_bias", [True, False])
def test_the_hand_written_sine_step_has_the_right_gradient(groups, with_bias):
    from sirenpde.derivatives.jet_layers import SineJet, sine_jet_plain

    gen = torch.Generator().manual_seed(0)
    t = torch.randn(1 + 3 + len(groups), 5, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    bias = torch.randn(4, dtype=torch.float64, generator=gen, requires_grad=True) if with_bias else None
    assert torch.autograd.gradcheck(lambda t, b: SineJet.apply(t, b, groups), (t, bias))
    # the same values and gradients as the plain formula, which autograd differentiates by itself
    weights = torch.randn(t.shape, dtype=torch.float64, generator=gen)
    ours, plain = SineJet.apply(t, bias, groups), sine_jet_plain(t, bias, groups)
    assert torch.allclose(ours, plain, rtol=1e-14, atol=1e-14)
    inputs = (t, bias) if with_bias else (t,)
    for g_ours, g_plain in zip(torch.autograd.grad((ours * weights).sum(), inputs),
                               torch.autograd.grad((plain * weights).sum(), inputs), strict=True):
        assert torch.allclose(g_ours, g_plain, rtol=1e-12, atol=1e-12)


def test_the_sine_step_keeps_only_its_input_bias_and_output_for_the_backward():
    from sirenpde.derivatives.jet_layers import SineJet

    saved = []
    t = torch.randn(5, 100, 16, requires_grad=True)
    bias = torch.randn(16, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda x: saved.append(x) or x, lambda x: x):
        out = SineJet.apply(t, bias, ((0, 1),))
    assert len(saved) == 3 and saved[0] is t and saved[1] is bias
    assert saved[2] is out   # kept by the next matmul anyway: no memory of its own


def test_the_first_layer_and_the_readout_have_the_right_gradients():
    from sirenpde.derivatives.jet_layers import FirstSineJet, Readout, first_sine_plain

    gen = torch.Generator().manual_seed(0)
    z = torch.randn(6, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    jz = torch.randn(3, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    for groups in [((0, 1), (2,)), ((0,), (1,), (2,)), ((2, 0),)]:
        assert torch.autograd.gradcheck(lambda z, jz, g=groups: FirstSineJet.apply(z, jz, g), (z, jz))
        assert torch.allclose(FirstSineJet.apply(z, jz, groups), first_sine_plain(z, jz, groups), rtol=1e-14)
    stack = torch.randn(4, 6, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    for channels in (1, 2):
        weight = torch.randn(channels, 5, dtype=torch.float64, generator=gen, requires_grad=True)
        assert torch.autograd.gradcheck(Readout.apply, (stack, weight))


def test_the_laplacian_alone_carries_one_second_order_row():
    model, x = siren(), points()
    calls = []

    def jets(*args, **kwargs):
        calls.append(args[2])
        return model_jets(*args, plain=False, **kwargs)

    a = AutogradFields(model, x, AXES, spatial_axes=("x", "y"))
    f = ForwardFields(model, x, AXES, spatial_axes=("x", "y"), jets=jets)
    assert rel(f.laplacian, a.laplacian) < 1e-12 and rel(f.second("t"), a.second("t")) < 1e-12
    assert calls == [((0, 1), (2,))]                       # Δ over x, y and u_tt: one pass, 6 rows
    assert rel(f.second("x"), a.second("x")) < 1e-12      # not held: a second pass, the diagonal
    assert calls[1] == ((0,), (1,), (2,)) and rel(f.laplacian, a.laplacian) < 1e-12


@pytest.mark.parametrize("path", ["problems/poisson.yaml", "problems/helmholtz_dirichlet.yaml",
                                  "problems/helmholtz.yaml", "problems/wave_1d.yaml", "problems/wave.yaml",
                                  "problems/sdf.yaml"])
def test_every_family_has_the_same_loss_and_gradient_with_both_engines(path):
    # Every operator each family uses (Laplacian, PML operators, u_tt, gradients and normals),
    # through its whole loss, in float64: the engines agree to round-off, gradients to the weights too.
    spec = sp.load_problem_file(path)
    model = sp.build_model(spec.problem, sp.ModelConfig(layers=(12, 12), w0_initial=8.0)).double()
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float64)
    batches = draw_batches(spec.problem, sampler, scale=0.05)
    results = []
    for engine in ("autograd", "forward"):
        model.zero_grad()
        loss = evaluate_losses(spec.problem, model, batches, engine)[0]
        loss.backward()
        results.append((float(loss.detach()), torch.cat([p.grad.reshape(-1) for p in model.parameters()])))
    (a, ga), (f, gf) = results
    assert math.isclose(a, f, rel_tol=1e-9)
    assert torch.allclose(ga, gf, rtol=1e-7, atol=1e-9 * float(ga.abs().max()))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's own imports
def test_a_compiled_jet_pass_trains_like_the_plain_one():
    problem = sp.wave(sp.Box((0,), (1,)), 0.0, 1.0, initial_value=sp.expression("sin(pi*x)", ("x", "t")),
                      dirichlet={None: 0.0}, points={"pde": 64, "initial": 16, "initial_velocity": 16,
                                                     "dirichlet:boundary": 16})
    histories = []
    for compile_ in (False, True):
        config = sp.TrainConfig(steps=4, seed=0, compile=compile_, validate_every=2)
        solution = sp.train(problem, config=config, model_config=sp.ModelConfig(layers=(8, 8)))
        histories.append(solution.history["loss"])
    assert torch.allclose(torch.as_tensor(histories[0]), torch.as_tensor(histories[1]), rtol=1e-4)


def test_tf32_is_only_switched_on_during_training_on_cuda():
    before = torch.backends.cuda.matmul.allow_tf32
    problem = sp.poisson(sp.Box((0, 0), (1, 1)), source=1.0, dirichlet={None: 0.0}, points={"pde": 16})
    sp.train(problem, config=sp.TrainConfig(steps=2, tf32=True))  # on the CPU: no effect, no error
    assert torch.backends.cuda.matmul.allow_tf32 == before


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_tf32_is_on_while_training_on_cuda():
    seen = []
    problem = sp.poisson(sp.Box((0, 0), (1, 1)), source=1.0, dirichlet={None: 0.0}, points={"pde": 16})
    sp.train(problem, config=sp.TrainConfig(steps=2, tf32=True, device="cuda", log_every=1),
             callback=lambda progress: seen.append(torch.backends.cuda.matmul.allow_tf32))
    assert all(seen) and seen
