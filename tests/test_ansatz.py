"""The closed-form ansatz protocol: each wrapper's jets, its files, the registry, the problem's factory."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.derivatives.forward import ForwardFields, forward_capable, siren_jets
from sirenpde.derivatives.jet_layers import diagonal_groups
from sirenpde.model.ansatz import AbstractAnsatz, AnsatzFactory
from sirenpde.model.ansatz_registry import ANSATZE, rebuild_ansatz
from sirenpde.model.exact_initial import ExactInitialModel
from sirenpde.model.factored import DistanceFactor, FactoredModel
from sirenpde.model.hard_dirichlet import HardDirichletModel
from sirenpde.model.source_splitting import SourceSplitting, SplitModel
from sirenpde.results.solution import Solution

BOUNDS = ((-1.0, -1.0), (1.0, 1.0))
SOURCE = (0.2, -0.1)


def network(out_features: int) -> sp.SIREN:
    torch.manual_seed(0)
    return sp.SIREN([16, 16], 2, out_features, w0_initial=5.0, bounds=BOUNDS)


def split() -> SplitModel:
    known = SourceSplitting([(0.0, 0.0), (0.3, -0.2)], [1 + 1j, -0.5 + 0.25j], [0.02, 0.03], 0.1)
    return SplitModel(network(2), known)


def factored() -> FactoredModel:
    return FactoredModel(network(1), DistanceFactor(SOURCE))


def points(n: int = 100) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return (torch.rand(n, 2, dtype=torch.float64, generator=g) * 2 - 1) * 0.5


@pytest.mark.parametrize("groups", [None, ((0, 1),)], ids=["diagonal", "laplacian"])
def test_split_jets_equal_autograd_derivatives(groups):
    model, x = split().double(), points()
    groups = diagonal_groups(2) if groups is None else groups
    value, jac, second = model.jets(siren_jets(model.network, x, groups), x, groups)
    a = AutogradFields(model, x, ("x", "y"))
    assert torch.allclose(value, a.value, rtol=0, atol=1e-12)
    # Autograd differentiates Ein's rational approximation, the jets take Ein's exact derivatives.
    scale = float(a.gradient.abs().max().detach())
    assert float((jac - a.gradient).abs().max().detach()) < 1e-7 * scale
    expected = torch.stack([sum(a.second(axis) for axis in group) for group in groups], dim=2)
    assert float((second - expected).abs().max().detach()) < 1e-7 * float(expected.abs().max().detach())


def test_the_forward_engine_takes_an_ansatz_only_when_it_says_so():
    assert forward_capable(network(1)) and forward_capable(split())
    assert SplitModel.forward_engine and not FactoredModel.forward_engine
    assert not forward_capable(factored())
    assert not forward_capable(SplitModel(torch.nn.Linear(2, 2), split().known))  # a SIREN inside only
    with pytest.raises(NotImplementedError, match="derivatives='autograd'"):
        factored().jets(siren_jets(network(1), points().float()), points().float(), diagonal_groups(2))
    with pytest.raises(TypeError, match="use derivatives='autograd'"):
        ForwardFields(factored(), points().float(), ("x", "y"))


def test_factored_autograd_derivatives_match_the_chain_rule():
    model, x = factored().double(), points()
    a = AutogradFields(model, x, ("x", "y"))
    tau = AutogradFields(model.network, x, ("x", "y"))
    r = (x - torch.tensor(SOURCE, dtype=x.dtype)).norm(dim=1, keepdim=True)
    unit = (x - torch.tensor(SOURCE, dtype=x.dtype)) / r
    expected = torch.exp(tau.value) * (unit + r * tau.gradient[:, 0, :])
    assert torch.allclose(a.gradient[:, 0, :], expected, rtol=1e-10, atol=0)


def solution(model: AbstractAnsatz, fields: tuple[str, ...], complex_: bool) -> Solution:
    bounds = (np.array(BOUNDS[0]), np.array(BOUNDS[1]))
    return Solution(model, ("x", "y"), fields, bounds=bounds, complex=complex_)


@pytest.mark.parametrize("make, fields, complex_", [(split, ("u",), True), (factored, ("T",), False)],
                         ids=["split", "factored"])
def test_save_and_load_round_trip_exactly(tmp_path, make, fields, complex_):
    model = make().float()  # as training leaves it: the factor's source buffer too
    record = json.loads(json.dumps(model.description()))
    sp.save(solution(model, fields, complex_), tmp_path / "a.h5", resolution=5)
    with h5py.File(tmp_path / "a.h5") as f:  # the documented layout (docs/hdf5-format.md)
        stored = f["model"].attrs
        assert set(stored) == {"architecture", "loadable", "hparams", "dtype", model.kind}
        assert stored["architecture"] == "SIREN" and json.loads(stored[model.kind]) == record
    loaded = sp.load(tmp_path / "a.h5").model
    assert type(loaded) is type(model) and json.loads(json.dumps(loaded.description())) == record
    x = points().float()
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_the_registry_names_each_wrapper_by_its_kind():
    assert ANSATZE == {"source_splitting": SplitModel, "factor": FactoredModel,
                       "hard_dirichlet": HardDirichletModel, "exact_initial": ExactInitialModel}
    assert all(cls.kind == kind for kind, cls in ANSATZE.items())
    rebuilt = rebuild_ansatz("factor", network(1), factored().description())
    assert isinstance(rebuilt, FactoredModel) and rebuilt.description() == factored().description()


def test_an_unknown_kind_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown ansatz kind 'splitting'; expected one of source_splitting,"
                                         " factor"):
        rebuild_ansatz("splitting", network(1), {})


def test_build_model_wraps_the_network_in_the_problem_s_ansatz():
    box = sp.Box(*BOUNDS)
    eikonal = sp.eikonal(box, SOURCE, points={"pde": 10})
    assert isinstance(eikonal.ansatz, AnsatzFactory) and eikonal.known_part is None
    model = sp.build_model(eikonal, sp.ModelConfig(layers=(8,)))
    assert isinstance(model, FactoredModel) and isinstance(model.network, sp.SIREN)
    assert model.factor is eikonal.ansatz.part
    sources = dict(point_sources=[sp.PointSource((0.0, 0.0), 1.0, 0.02)], points={"pde": 10, "source:0": 5})
    helmholtz = sp.helmholtz(box, 10.0, **sources)
    assert isinstance(sp.build_model(helmholtz, sp.ModelConfig(layers=(8,))), SplitModel)
    assert helmholtz.known_part is helmholtz.ansatz.part
    plain = sp.helmholtz(box, 10.0, split_sources=False, **sources)
    assert plain.ansatz is None and type(sp.build_model(plain, sp.ModelConfig(layers=(8,)))) is sp.SIREN
