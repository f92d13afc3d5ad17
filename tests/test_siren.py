"""SIREN: the siren-torch signature, the initialisers' bounds, activation statistics, input maps."""

from __future__ import annotations

import math

import pytest
import torch

import sirenpde as sp
from sirenpde.model.siren import INITIALIZERS

WIDTH, DEPTH = 256, 10  # the paper's activation-statistics network


def uniform_points(n: int, d: int, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 2 * torch.rand(n, d, generator=g, dtype=dtype) - 1


def seeded_siren(*args, seed: int = 0, **kwargs) -> sp.SIREN:
    torch.manual_seed(seed)
    return sp.SIREN(*args, **kwargs)


# --- the constructor and the building blocks ------------------------------------------------------


def test_constructor_takes_the_siren_torch_signature_positionally_and_by_keyword():
    positional = seeded_siren([16, 8], 3, 2, 2.0, 20.0, False, "siren-torch", 3)
    keywords = seeded_siren(
        layers=[16, 8], in_features=3, out_features=2, w0=2.0, w0_initial=20.0, bias=False,
        initializer="siren-torch", c=3,
    )
    expected = dict(layers=[16, 8], in_features=3, out_features=2, w0=2.0, w0_initial=20.0,
                    bias=False, initializer="siren-torch", c=3.0)
    assert positional.hparams == expected
    assert keywords.hparams == expected
    assert positional.w0s == [20.0, 2.0]
    assert all(layer.bias is None for layer in positional.linears)
    for a, b in zip(positional.parameters(), keywords.parameters(), strict=True):
        assert torch.equal(a, b)


def test_constructor_defaults_match_siren_torch():
    model = sp.SIREN([4], 2, 1)
    assert model.hparams == dict(layers=[4], in_features=2, out_features=1, w0=1.0, w0_initial=30.0,
                                 bias=True, initializer="siren", c=6.0)


@pytest.mark.parametrize("w0", [1.0, 30.0, 0.5])
def test_sine_computes_sin_of_w0_x(w0):
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    torch.testing.assert_close(sp.Sine(w0)(x), torch.sin(w0 * x), rtol=0, atol=0)
    assert torch.equal(sp.Sine()(x), torch.sin(x))


@pytest.mark.parametrize(("mode", "c"), [("fan_in", 6), ("fan_out", 6), ("fan_in", 2)])
def test_siren_uniform_bound_is_sqrt_c_over_fan(mode, c):
    weight = torch.empty(50, 2000)  # fan_in = 2000, fan_out = 50
    fan = 2000 if mode == "fan_in" else 50
    bound = math.sqrt(c / fan)
    torch.manual_seed(0)
    out = sp.siren_uniform_(weight, mode=mode, c=c)
    assert out is weight
    # 100k uniform draws reach within 0.1% of the bound; a wrong fan would miss by a factor ≥ 6.
    assert weight.abs().max() <= bound
    assert weight.abs().max() > 0.999 * bound
    assert weight.var().item() == pytest.approx(bound**2 / 3, rel=0.02)


def test_paper_initialisation_bounds():
    w0, c = 2.0, 6.0
    model = seeded_siren([300, 300], 50, 300, w0=w0, initializer="siren", c=c)
    first, *rest = model.linears
    assert first.weight.abs().max() <= 1 / 50
    assert first.weight.abs().max() > 0.99 / 50
    for layer in rest:
        bound = math.sqrt(c / 300) / w0
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.99 * bound


def test_siren_torch_initialisation_bounds_ignore_w0():
    c = 3.0
    model = seeded_siren([300, 300], 50, 300, w0=30.0, initializer="siren-torch", c=c)
    for layer in model.linears:
        bound = math.sqrt(c / layer.in_features)
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.99 * bound


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown initializer 'xavier'") as err:
        sp.SIREN([8], 2, 1, initializer="xavier")
    for name in INITIALIZERS:
        assert name in str(err.value)


# --- activation statistics (Sitzmann et al. 2020, Sec. 3.2 and supplement 1) ----------------------


@pytest.fixture(scope="module")
def sine_inputs():
    """``sine_inputs(initializer, w0)``: per hidden layer 2..L, the sine input ``w0·(W h + b)``
    and its bias-free part ``w0·W h``, for 4096 points uniform in [−1, 1]² (computed once)."""
    cache = {}
    x = uniform_points(4096, 2)

    def get(initializer: str, w0: float):
        if (initializer, w0) not in cache:
            model = seeded_siren([WIDTH] * DEPTH, 2, 1, w0=w0, initializer=initializer)
            with torch.no_grad():
                z = model.preactivations(x)
                hidden = zip(z, model.w0s, model.linears[:-1], strict=True)
                signal = [zl - w * layer.bias for zl, w, layer in hidden]
            cache[initializer, w0] = z, signal
        return cache[initializer, w0]

    return get


@pytest.mark.parametrize("w0", [30.0, 1.0])
def test_paper_initialisation_keeps_sine_inputs_unit_normal_at_every_depth(sine_inputs, w0):
    # w0·W h ~ N(0, 1): Var = n · (c/n)/3 · E[h²] = 2 E[h²] = 1 for arcsine h. With w0 = 1 the
    # sine inputs do not span a full period, E[sin² z] < 1/2, and the spread settles at the fixed
    # point σ² = 1 − exp(−2σ²), σ ≈ 0.89 (measured 0.88..1.01 over six seeds), without drifting on.
    z, signal = (layers[1:] for layers in sine_inputs("siren", w0))
    stds = [float(s.std()) for s in signal]
    for layer, (s, std) in enumerate(zip(signal, stds, strict=True), start=2):
        assert 0.85 < std < 1.15, f"layer {layer}: std {std:.3f}"
        assert abs(float(s.mean())) < 0.2 * std, f"layer {layer}: mean {float(s.mean()):.3f}"
    assert 0.85 < stds[-1] / stds[0] < 1.15
    # The full sine input w0·(W h + b) too: the 'siren' initialiser scales hidden biases by 1/w0,
    # so they add only 1/(3n) to the variance at any w0 (PyTorch's default bias would add
    # w0²/(3n) ≈ 1.2 at w0 = 30, n = 256: std 1.47).
    for layer, zl in enumerate(z, start=2):
        assert 0.85 < float(zl.std()) < 1.15, f"layer {layer}: std {float(zl.std()):.3f}"


def test_default_hidden_frequency_gives_unit_sine_inputs_including_the_bias(sine_inputs):
    z, _ = sine_inputs("siren", 1.0)  # w0 = 1, the package default
    stds = [float(zl.std()) for zl in z[1:]]
    assert all(0.85 < s < 1.15 for s in stds), stds
    assert 0.85 < stds[-1] / stds[0] < 1.15


def arcsine_ks_distance(h: torch.Tensor) -> float:
    """Kolmogorov–Smirnov distance to the arcsine law on [−1, 1], CDF 1/2 + arcsin(y)/π."""
    y = torch.sort(h.reshape(-1))[0].double()
    empirical = torch.arange(1, y.numel() + 1, dtype=y.dtype) / y.numel()
    return float((0.5 + torch.asin(y.clamp(-1, 1)) / math.pi - empirical).abs().max())


def test_sine_outputs_follow_the_arcsine_distribution(sine_inputs):
    z, _ = sine_inputs("siren", 30.0)
    # First layer: w0_initial = 30 spans many periods over [−1, 1]² (measured KS ≈ 0.003).
    assert arcsine_ks_distance(torch.sin(z[0])) < 0.01
    # Hidden layers: sine inputs ~ N(0, σ²) with σ ≈ 1, so Var sin(z) = (1 − exp(−2σ²))/2, std ≈ 0.66
    # at every depth (the paper's "approximately arcsine"; exactly arcsine only for σ ≫ 1).
    for layer, zl in enumerate(z[1:], start=2):
        predicted = math.sqrt((1 - math.exp(-2 * float(zl.var()))) / 2)
        assert float(torch.sin(zl).std()) == pytest.approx(predicted, rel=0.02), f"layer {layer}"
        assert 0.62 < float(torch.sin(zl).std()) < 0.70, f"layer {layer}"


def test_with_unit_hidden_frequency_sine_outputs_are_sines_of_gaussians(sine_inputs):
    # Var sin(z) = (1 − exp(−2σ²))/2 for z ~ N(0, σ²): this holds to 0.3% at every depth, so the
    # sine inputs are Gaussian; with σ ≈ 0.9 the outputs are narrower than arcsine (0.63 < 0.71).
    z, _ = sine_inputs("siren", 1.0)
    for layer, zl in enumerate(z[1:], start=2):
        predicted = math.sqrt((1 - math.exp(-2 * float(zl.var()))) / 2)
        assert float(torch.sin(zl).std()) == pytest.approx(predicted, rel=0.02), f"layer {layer}"
        assert 0.6 < float(torch.sin(zl).std()) < 0.69


def test_pytorch_default_initialisation_collapses_with_depth(sine_inputs):
    # The contrast: without the SIREN bounds the same network's sine inputs shrink by ~10× over
    # nine layers at w0 = 1, and sit at std ≈ 12 (many periods, white noise) at w0 = 30.
    z, _ = sine_inputs("pytorch", 1.0)
    stds = [float(zl.std()) for zl in z[1:]]
    assert stds[-1] / stds[0] < 0.2
    assert stds[-1] < 0.1
    assert arcsine_ks_distance(torch.sin(z[-1])) > 0.3
    z, _ = sine_inputs("pytorch", 30.0)
    assert all(float(zl.std()) > 5 for zl in z[1:])


# --- inputs, outputs and sizes --------------------------------------------------------------------


def test_bounds_map_physical_points_to_the_unit_cube():
    lo, hi = (2.0, -10.0, 0.0), (5.0, 30.0, 1e-3)
    physical = seeded_siren([32, 32], 3, 2, w0_initial=10.0, bounds=(lo, hi)).double()
    plain = sp.SIREN([32, 32], 3, 2, w0_initial=10.0).double()
    plain.linears.load_state_dict(physical.linears.state_dict())
    lo_t, hi_t = torch.tensor(lo, dtype=torch.float64), torch.tensor(hi, dtype=torch.float64)
    x = lo_t + (hi_t - lo_t) * torch.rand(200, 3, dtype=torch.float64)
    mapped = 2 * (x - lo_t) / (hi_t - lo_t) - 1
    torch.testing.assert_close(physical(x), plain(mapped), rtol=1e-12, atol=1e-12)
    corners = torch.stack([lo_t, hi_t])
    torch.testing.assert_close(physical.normalize(corners), torch.tensor([[-1.0] * 3, [1.0] * 3],
                                                                         dtype=torch.float64))


def test_bounds_travel_with_the_state_dict():
    trained = sp.SIREN([8], 2, 1, bounds=((0, 0), (4, 2)))
    fresh = sp.SIREN([8], 2, 1)
    fresh.load_state_dict(trained.state_dict())
    x = torch.rand(10, 2) * torch.tensor([4.0, 2.0])
    torch.testing.assert_close(fresh(x), trained(x), rtol=0, atol=0)


@pytest.mark.parametrize(("d", "c"), [(1, 1), (2, 3), (4, 2)])
def test_shapes(d, c):
    model = sp.SIREN([16, 16], d, c)
    assert model(torch.rand(7, d)).shape == (7, c)
    assert model.in_features == d and model.out_features == c
    assert len(model.preactivations(torch.rand(7, d))) == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(layers=[], in_features=2, out_features=1),
        dict(layers=[16, 0], in_features=2, out_features=1),
        dict(layers=[16], in_features=0, out_features=1),
        dict(layers=[16], in_features=2, out_features=0),
        dict(layers=[16], in_features=2, out_features=1, bounds=((0, 0, 0), (1, 1, 1))),
        dict(layers=[16], in_features=2, out_features=1, bounds=((0, 1), (1, 1))),
    ],
)
def test_bad_sizes_raise_value_error(kwargs):
    with pytest.raises(ValueError, match="SIREN|bounds"):
        sp.SIREN(**kwargs)
