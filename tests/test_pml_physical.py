"""With a PML, the physical region's share of the interior points is drawn there alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.domains import Box, Difference, Disk, make_sampler
from sirenpde.problems.pml import PML


def helmholtz(domain=None, **options) -> sp.Problem:
    domain = domain or Box((-1.0, -1.0), (1.0, 1.0))
    return sp.helmholtz(domain, 6.0, point_sources=[sp.PointSource((0.0, 0.0), 1 + 1j, 0.05)],
                        pml=PML(0.5), **options)


def constraints(problem: sp.Problem) -> dict[str, sp.Constraint]:
    return {c.name: c for c in problem.constraints}


def test_the_physical_box_is_the_box_inside_the_layer():
    lo, hi = PML(0.25).physical_box([-1.0, 0.0], [1.0, 2.0])
    np.testing.assert_array_equal(lo, [-0.75, 0.25])
    np.testing.assert_array_equal(hi, [0.75, 1.75])


def test_by_default_the_physical_share_of_the_points_is_drawn_there_alone():
    terms = constraints(helmholtz(points={"pde": 4000}))
    # [−0.5, 0.5]² is a quarter of [−1, 1]²: 1000 of the 4000 points, the rest over the whole box.
    assert (terms["pde"].points, terms["pde:physical"].points) == (3000, 1000)
    assert terms["pde:physical"].residual is terms["pde"].residual


def test_the_share_follows_the_domain_measure_not_the_box():
    # A hole of area 0.16π inside the physical square: its share is (1 − 0.16π) / (4 − 0.16π).
    domain = Difference(Box((-1.0, -1.0), (1.0, 1.0)), (Disk((0.0, 0.0), 0.4),))
    terms = constraints(helmholtz(domain, points={"pde": 4000}))
    share = (1 - 0.16 * np.pi) / (4 - 0.16 * np.pi)
    assert terms["pde:physical"].points == pytest.approx(4000 * share, abs=40)


def test_the_physical_points_are_drawn_inside_the_layer_and_inside_the_domain():
    domain = Difference(Box((-1.0, -1.0), (1.0, 1.0)), (Disk((0.0, 0.0), 0.2),))
    term = constraints(helmholtz(domain))["pde:physical"]
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), torch.device("cpu"), torch.float64)
    x = term.region.sample(500, sampler)[0]
    assert x.shape == (500, 2)
    assert (x.abs() <= 0.5).all() and (x.norm(dim=1) >= 0.2).all()


def test_an_explicit_count_and_zero():
    assert constraints(helmholtz(points={"pde": 400}, physical_points=300))["pde"].points == 100
    terms = constraints(helmholtz(points={"pde": 400}, physical_points=0))
    assert "pde:physical" not in terms and terms["pde"].points == 400


def test_the_pde_weight_holds_for_both_terms():
    terms = constraints(helmholtz(weights={"pde": 3.0}))
    assert terms["pde"].weight == terms["pde:physical"].weight == 3.0


@pytest.mark.parametrize("count", [400, 500, -1])
def test_a_count_outside_the_pde_points_is_refused(count):
    with pytest.raises(ValueError, match="fewer than the pde points"):
        helmholtz(points={"pde": 400}, physical_points=count)


def test_without_a_pml_there_is_no_physical_term_and_a_count_is_refused():
    problem = sp.helmholtz(Box((-1.0, -1.0), (1.0, 1.0)), 6.0)
    assert [c.name for c in problem.constraints] == ["pde"]
    with pytest.raises(ValueError, match="needs a PML"):
        sp.helmholtz(Box((-1.0, -1.0), (1.0, 1.0)), 6.0, physical_points=10)


def test_the_yaml_key_reaches_the_problem(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("problem: helmholtz\ndomain: {box: {lo: [-1, -1], hi: [1, 1]}}\nk: 6\n"
                    "pml: {width: 0.5, physical_points: 40}\npde: {points: 100}\n", encoding="utf-8")
    terms = constraints(sp.load_problem_file(path).problem)
    assert (terms["pde"].points, terms["pde:physical"].points) == (60, 40)
