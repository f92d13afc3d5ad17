"""Domains and samplers: points land where they should, uniformly, reproducibly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sirenpde.domains import (
    AbstractDomain,
    Ball,
    Box,
    Difference,
    Disk,
    Polygon,
    SobolSampler,
    SpaceTime,
    UniformSampler,
    Union,
    make_sampler,
)

L_SHAPE = [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]  # counter-clockwise, area 3

DOMAINS = {
    "box1d": lambda: Box(0.0, 2.0),
    "box2d": lambda: Box((0, 0), (2, 1)),
    "box3d": lambda: Box((0, 0, 0), (1, 2, 3)),
    "box4d": lambda: Box(np.zeros(4), np.ones(4)),
    "disk": lambda: Disk((0.5, -0.5), 2.0),
    "ball3d": lambda: Ball((0, 0, 1), 1.0),
    "lshape": lambda: Polygon(L_SHAPE),
    "lshape_cw": lambda: Polygon(L_SHAPE[::-1]),
    "square_minus_disk": lambda: Difference(Box((0, 0), (1, 1)), (Disk((0.3, 0.5), 0.2),)),
    "union_of_boxes": lambda: Union((Box((0, 0), (2, 1)), Box((0, 0), (1, 2)))),
    "disk_in_time": lambda: SpaceTime(Disk((0, 0), 1.0), 0.5, 2.0),
}


def sampler(seed: int = 0, kind: str = "uniform", dtype=torch.float32, device="cpu"):
    g = torch.Generator(device=device).manual_seed(seed)
    return make_sampler(kind, g, device, dtype)


def parts_of(domain: AbstractDomain) -> list[str | None]:
    return [None, *domain.boundary_parts()]


@pytest.fixture(params=sorted(DOMAINS))
def domain(request) -> AbstractDomain:
    return DOMAINS[request.param]()


# --- every domain -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["uniform", "sobol"])
def test_interior_points_are_inside(domain, kind):
    x = domain.sample_interior(500, sampler(kind=kind))
    assert x.shape == (500, domain.dim) and x.dtype == torch.float32
    assert domain.contains(x).all()
    lo, hi = domain.bounds()
    assert lo.dtype == np.float64 and lo.shape == (domain.dim,)
    assert (x.numpy() >= lo - 1e-6).all() and (x.numpy() <= hi + 1e-6).all()


@pytest.mark.parametrize("kind", ["uniform", "sobol"])
def test_boundary_normals_point_outward(domain, kind):
    s, h = sampler(kind=kind), 1e-3
    for part in parts_of(domain):
        if domain.boundary_measure(part) < 1e-9:
            continue  # e.g. a face of a union piece that an earlier piece supplies
        x, n = domain.sample_boundary(300, s, part)
        assert x.shape == n.shape == (300, domain.dim), part
        assert torch.allclose(torch.linalg.vector_norm(n, dim=1), torch.ones(300), atol=1e-5)
        if not isinstance(domain, Difference):  # its holes are closed, so their rim is outside
            assert domain.contains(x).all(), part
        leaves = ~domain.contains(x + h * n)
        enters = domain.contains(x - h * n)
        # A step can fail only within h of a corner: rare, never the rule.
        assert (leaves & enters).float().mean() > 0.99, part


def test_float64_in_float64_out(domain):
    s = sampler(dtype=torch.float64)
    assert domain.sample_interior(10, s).dtype == torch.float64
    x, n = domain.sample_boundary(10, s)
    assert x.dtype == n.dtype == torch.float64


def test_zero_points(domain):
    s = sampler()
    assert domain.sample_interior(0, s).shape == (0, domain.dim)
    x, n = domain.sample_boundary(0, s)
    assert x.shape == n.shape == (0, domain.dim)


@pytest.mark.parametrize("kind", ["uniform", "sobol"])
def test_same_seed_same_points_and_each_call_is_fresh(domain, kind):
    a, b = sampler(7, kind), sampler(7, kind)
    first = domain.sample_interior(64, a)
    assert torch.equal(first, domain.sample_interior(64, b))
    xa, na = domain.sample_boundary(64, a)
    xb, nb = domain.sample_boundary(64, b)
    assert torch.equal(xa, xb) and torch.equal(na, nb)
    assert not torch.equal(first, domain.sample_interior(64, a))
    if domain.dim > 1:  # a 1-D boundary is two points, so repeats are no surprise there
        assert not torch.equal(xa, domain.sample_boundary(64, a)[0])
    assert not torch.equal(first, domain.sample_interior(64, sampler(8, kind)))


def test_unknown_part_lists_the_valid_names(domain):
    with pytest.raises(ValueError, match="unknown boundary part 'nope'") as err:
        domain.sample_boundary(4, sampler(), "nope")
    assert all(p in str(err.value) for p in domain.boundary_parts())
    with pytest.raises(ValueError, match="expected one of"):
        domain.boundary_measure("nope")


def test_whole_boundary_measure_is_sum_of_parts(domain):
    parts = domain.boundary_parts()
    if isinstance(domain, SpaceTime):  # part=None is the lateral boundary there
        parts = parts[:-2]
    total = sum(domain.boundary_measure(p) for p in parts)
    exact = not isinstance(domain, (Difference, Union))  # those are Monte-Carlo estimates
    assert domain.boundary_measure() == pytest.approx(total, rel=1e-9 if exact else 1e-2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("kind", ["uniform", "sobol"])
def test_points_are_created_on_the_device(domain, kind):
    s = sampler(kind=kind, device="cuda")
    x = domain.sample_interior(50, s)
    xb, nb = domain.sample_boundary(50, s)
    assert x.device.type == xb.device.type == nb.device.type == "cuda"
    assert domain.contains(x).all()


# --- samplers -----------------------------------------------------------------------------------


def test_samplers_fill_the_unit_cube():
    for kind in ("uniform", "sobol"):
        u = sampler(kind=kind, dtype=torch.float64).unit(4096, 3)
        assert u.shape == (4096, 3) and ((u >= 0) & (u < 1)).all()
        assert u.mean(0).numpy() == pytest.approx([0.5] * 3, abs=0.02)
    sob = SobolSampler(torch.Generator().manual_seed(1), "cpu")
    assert sob.unit(5, 2).shape == (5, 2) and sob.unit(6, 2).shape == (6, 2)


def test_make_sampler_lists_the_kinds():
    with pytest.raises(ValueError, match="expected one of lhs, sobol, uniform"):
        make_sampler("halton", torch.Generator(), "cpu", torch.float32)


def test_uniform_sampler_checks_its_generator():
    with pytest.raises(TypeError, match="torch.Generator"):
        UniformSampler(12345, "cpu")


# --- uniformity ---------------------------------------------------------------------------------


def test_disk_interior_is_uniform_in_area():
    disk = Disk((1.0, 2.0), 3.0)
    x = disk.sample_interior(20_000, sampler())
    r = torch.linalg.vector_norm(x - torch.tensor([1.0, 2.0]), dim=1)
    assert (r < 1.5).float().mean() == pytest.approx(0.25, abs=0.015)
    assert x.mean(0).numpy() == pytest.approx([1.0, 2.0], abs=0.05)


def test_ball_interior_and_sphere_are_uniform():
    ball = Ball((0, 0, 0), 2.0)
    x = ball.sample_interior(20_000, sampler())
    assert (x.norm(dim=1) < 1.0).float().mean() == pytest.approx(1 / 8, abs=0.01)
    y, n = ball.sample_boundary(20_000, sampler())
    assert (y.norm(dim=1) - 2.0).abs().max() < 1e-5
    assert torch.allclose(n, y / 2.0, atol=1e-6)
    # Archimedes: the height of a uniform point on a sphere is uniform.
    assert (y[:, 2] > 1.0).float().mean() == pytest.approx(0.25, abs=0.015)
    assert ball.volume() == pytest.approx(4 / 3 * math.pi * 8)
    assert ball.boundary_measure() == pytest.approx(4 * math.pi * 4)


def test_polygon_interior_mean_is_the_centroid():
    for vertices in (L_SHAPE, L_SHAPE[::-1]):
        x = Polygon(vertices).sample_interior(20_000, sampler())
        assert x.mean(0).numpy() == pytest.approx([5 / 6, 5 / 6], abs=0.02)


def test_nonconvex_polygon_with_collinear_vertices_is_uniform():
    comb = [(0, 0), (4, 0), (4, 3), (3, 3), (3, 1), (2.5, 1), (2, 1), (2, 3), (1, 3), (1, 1)]
    comb += [(0.5, 1), (0, 1)]  # two teeth on a bar; area 8, centroid (2.25, 1.25)
    poly = Polygon(comb)
    assert poly.volume() == pytest.approx(8.0)
    x = poly.sample_interior(20_000, sampler(kind="sobol", dtype=torch.float64))
    assert poly.contains(x).all()
    assert x.mean(0).numpy() == pytest.approx([2.25, 1.25], abs=0.01)


def test_box_boundary_splits_by_face_size():
    box = Box((0, 0), (2, 1))
    x, n = box.sample_boundary(12_000, sampler())
    frac = {
        "x_min": (n[:, 0] == -1).float().mean(),
        "x_max": (n[:, 0] == 1).float().mean(),
        "y_min": (n[:, 1] == -1).float().mean(),
        "y_max": (n[:, 1] == 1).float().mean(),
    }
    expected = {"x_min": 1 / 6, "x_max": 1 / 6, "y_min": 2 / 6, "y_max": 2 / 6}
    for face, p in expected.items():
        assert float(frac[face]) == pytest.approx(p, abs=0.015), face
    on_face = (x[:, 0] == 0) | (x[:, 0] == 2) | (x[:, 1] == 0) | (x[:, 1] == 1)
    assert on_face.all()


def test_box_1d_ends_are_equally_likely():
    x, n = Box(0.0, 2.0).sample_boundary(4000, sampler())
    assert set(x[:, 0].tolist()) == {0.0, 2.0}
    assert torch.equal(n, torch.where(x == 0, -1.0, 1.0))
    assert (x == 0).float().mean() == pytest.approx(0.5, abs=0.03)


def test_box_3d_faces_by_area():
    box = Box((0, 0, 0), (1, 2, 3))
    assert box.boundary_measure() == pytest.approx(2 * (2 + 3 + 6))
    _, n = box.sample_boundary(22_000, sampler())
    assert float((n[:, 2] != 0).float().mean()) == pytest.approx(4 / 22, abs=0.015)


CX, R = 0.3, 0.2  # the hole of "square_minus_disk"


def test_difference_interior_mean_is_the_centroid():
    region = DOMAINS["square_minus_disk"]()
    hole_area = math.pi * R**2
    centroid_x = (0.5 - CX * hole_area) / (1 - hole_area)
    x = region.sample_interior(20_000, sampler())
    assert x.mean(0).numpy() == pytest.approx([centroid_x, 0.5], abs=0.01)
    assert ((x - torch.tensor([CX, 0.5])).norm(dim=1) > R).all()
    assert region.volume() == pytest.approx(1 - hole_area, rel=1e-2)


def test_difference_boundary_splits_by_length_and_hole_normals_point_into_the_hole():
    region = DOMAINS["square_minus_disk"]()
    x, n = region.sample_boundary(20_000, sampler())
    on_hole = ((x - torch.tensor([CX, 0.5])).norm(dim=1) - R).abs() < 1e-5
    expected = 2 * math.pi * R / (4 + 2 * math.pi * R)
    assert float(on_hole.float().mean()) == pytest.approx(expected, abs=0.015)
    assert torch.allclose(n[on_hole], -(x[on_hole] - torch.tensor([CX, 0.5])) / R, atol=1e-5)
    assert region.boundary_measure() == pytest.approx(4 + 2 * math.pi * R, rel=1e-2)
    assert region.boundary_measure("hole0") == pytest.approx(2 * math.pi * R, rel=1e-2)


def test_difference_drops_covered_boundary():
    # The hole sticks out of the right side: half a circle remains, and x_max loses its middle.
    region = Difference(Box((0, 0), (1, 1)), (Disk((1.0, 0.5), 0.25),), names=("bite",))
    assert region.boundary_parts() == ("x_min", "x_max", "y_min", "y_max", "bite")
    x, _ = region.sample_boundary(2000, sampler(), "x_max")
    assert ((x[:, 1] - 0.5).abs() >= 0.25 - 1e-6).all() and (x[:, 0] == 1).all()
    x, n = region.sample_boundary(2000, sampler(), "bite")
    assert (x[:, 0] <= 1 + 1e-6).all() and (n[:, 0] > -1e-6).all()
    assert region.boundary_measure("x_max") == pytest.approx(0.5, rel=1e-2)
    assert region.boundary_measure("bite") == pytest.approx(math.pi * 0.25, rel=1e-2)
    assert region.sample_boundary(3, sampler(), "right")[0].shape == (3, 2)  # base alias


def test_rim_shared_by_two_holes_counts_once():
    holes = (Box((0.2, 0.2), (0.5, 0.6)), Box((0.3, 0.3), (0.5, 0.5)))  # shared right side
    region = Difference(Box((0, 0), (1, 1)), holes)
    assert region.boundary_measure() == pytest.approx(4 + 1.4, rel=1e-2)
    assert region.boundary_measure("hole1.x_max") == 0.0
    x, n = region.sample_boundary(300, sampler(), "hole0.x_max")
    assert (x[:, 0] == 0.5).all() and (n[:, 0] == -1).all()


def test_union_boundary_and_volume():
    region = DOMAINS["union_of_boxes"]()  # the L-shape as two overlapping boxes
    assert region.volume() == pytest.approx(3.0, rel=1e-2)
    assert region.boundary_measure() == pytest.approx(8.0, rel=1e-2)
    x = region.sample_interior(20_000, sampler())
    assert x.mean(0).numpy() == pytest.approx([5 / 6, 5 / 6], abs=0.02)
    y, _ = region.sample_boundary(1000, sampler(), "part0.y_max")
    assert (y[:, 0] >= 1).all() and (y[:, 1] == 1).all()
    assert region.sample_boundary(3, sampler(), "part1.top")[0][:, 1].eq(2).all()
    # Both boxes have the bottom face x in [0, 1]: it is drawn from part0 only.
    assert region.boundary_measure("part0.y_min") == pytest.approx(2.0, rel=1e-2)
    assert region.boundary_measure("part1.y_min") == 0.0
    x, n = region.sample_boundary(8000, sampler())
    assert float((n[:, 1] == -1).float().mean()) == pytest.approx(2 / 8, abs=0.02)


# --- named parts --------------------------------------------------------------------------------


def test_box_part_names_and_aliases():
    assert Box(0.0, 1.0).boundary_parts() == ("x_min", "x_max")
    box3 = Box((0, 0, 0), (1, 1, 1))
    assert box3.boundary_parts() == ("x_min", "x_max", "y_min", "y_max", "z_min", "z_max")
    assert Box(np.zeros(4), np.ones(4)).boundary_parts()[-2:] == ("x3_min", "x3_max")
    box = Box((0, 0), (2, 1))
    s = sampler()
    for alias, axis, value in [("left", 0, 0), ("right", 0, 2), ("bottom", 1, 0), ("top", 1, 1)]:
        x, n = box.sample_boundary(50, s, alias)
        assert (x[:, axis] == value).all() and (n[:, axis] == (1 if value else -1)).all()
    assert box.boundary_measure("top") == 2.0 and box.boundary_measure("left") == 1.0
    with pytest.raises(ValueError, match="left, right"):
        Box(0.0, 1.0).sample_boundary(1, s, "top")


def test_polygon_edges_in_the_given_order():
    s = sampler()
    for vertices in (L_SHAPE, L_SHAPE[::-1]):
        poly = Polygon(vertices)
        v = np.array(vertices, dtype=np.float64)
        for i, part in enumerate(poly.boundary_parts()):
            a, b = v[i], v[(i + 1) % len(v)]
            x, n = poly.sample_boundary(200, s, part)
            d = x.double().numpy() - a
            t = (b - a) / np.linalg.norm(b - a)
            assert np.abs(d[:, 0] * t[1] - d[:, 1] * t[0]).max() < 1e-6  # on the edge's line
            assert (d @ t >= -1e-6).all() and (d @ t <= np.linalg.norm(b - a) + 1e-6).all()
            mid = torch.tensor((a + b) / 2, dtype=torch.float32)
            assert not poly.contains((mid + 1e-3 * n[0])[None])[0]
            assert poly.boundary_measure(part) == pytest.approx(np.linalg.norm(b - a))
    assert Polygon(L_SHAPE).volume() == pytest.approx(3.0)


def test_polygon_holes_get_prefixed_names():
    hole = Polygon([(0.4, 0.4), (0.6, 0.4), (0.5, 0.6)])
    region = Difference(Box((0, 0), (1, 1)), (hole, Disk((0.2, 0.2), 0.1)))
    assert region.boundary_parts()[4:] == ("hole0.edge0", "hole0.edge1", "hole0.edge2", "hole1")
    x, n = region.sample_boundary(100, sampler(), "hole0.edge0")
    assert torch.allclose(x[:, 1], torch.full((100,), 0.4)) and (n[:, 1] == 1).all()


def test_spacetime_slices_and_lateral_boundary():
    st = SpaceTime(Box((0, 0), (2, 1)), 0.5, 2.0)
    assert st.dim == 3
    assert st.boundary_parts() == ("x_min", "x_max", "y_min", "y_max", "initial", "final")
    lo, hi = st.bounds()
    assert lo.tolist() == [0, 0, 0.5] and hi.tolist() == [2, 1, 2.0]
    s = sampler()
    x, n = st.sample_boundary(100, s, "initial")
    assert (x[:, -1] == 0.5).all() and torch.equal(n, torch.tensor([0.0, 0, -1]).expand(100, 3))
    x, n = st.sample_boundary(100, s, "final")
    assert (x[:, -1] == 2.0).all() and (n[:, -1] == 1).all()
    x, n = st.sample_boundary(500, s)  # lateral only
    assert (n[:, -1] == 0).all() and ((x[:, -1] >= 0.5) & (x[:, -1] <= 2.0)).all()
    x, n = st.sample_boundary(10, s, "left")
    assert (x[:, 0] == 0).all()
    assert st.boundary_measure() == pytest.approx(6 * 1.5)
    assert st.boundary_measure("initial") == pytest.approx(2.0)
    assert st.volume() == pytest.approx(3.0)


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lo", "hi", "message"),
    [
        ((0, 0), (1, 0), "lo < hi"),
        ((0, 1), (1, 0), "lo < hi"),
        ((0, 0), (1, 1, 1), "same dimension"),
        ((0, 0), (1, math.inf), "finite"),
    ],
)
def test_bad_boxes(lo, hi, message):
    with pytest.raises(ValueError, match=message):
        Box(lo, hi)


@pytest.mark.parametrize(
    ("vertices", "message"),
    [
        ([(0, 0), (1, 0)], "at least 3"),
        ([(0, 0), (1, 1), (2, 2)], "zero area"),
        ([(0, 0), (2, 2), (2, 0), (0, 1)], "intersect"),  # a bow-tie
        ([(0, 0), (1, 0), (1, 1), (0, 0)], "same point"),
        ([(0, 0), (2, 0), (1, 0), (1, 1)], "fold back"),
        ([(0, 0, 0), (1, 0, 0), (0, 1, 0)], r"shape \(m, 2\)"),
    ],
)
def test_degenerate_polygons(vertices, message):
    with pytest.raises(ValueError, match=message):
        Polygon(vertices)


def test_bad_balls():
    with pytest.raises(ValueError, match="radius"):
        Ball((0, 0), -1.0)
    with pytest.raises(ValueError, match="Box"):
        Ball((0,), 1.0)
    with pytest.raises(ValueError, match=r"\(cx, cy\)"):
        Disk((0, 0, 0), 1.0)


def test_empty_difference_is_refused():
    region = Difference(Box((0, 0), (1, 1)), (Disk((0.5, 0.5), 1.0),))
    with pytest.raises(ValueError, match="empty"):
        region.sample_interior(10, sampler())
    with pytest.raises(ValueError, match="empty"):
        region.sample_boundary(10, sampler())
    assert region.volume() == 0.0 and region.boundary_measure() == 0.0


def test_composites_check_their_pieces():
    with pytest.raises(ValueError, match="same dimension"):
        Difference(Box((0, 0), (1, 1)), (Ball((0, 0, 0), 1.0),))
    with pytest.raises(ValueError, match="distinct"):
        Difference(Box((0, 0), (1, 1)), (Disk((0, 0), 0.1),), names=("a", "b"))
    with pytest.raises(ValueError, match="t0 < t1"):
        SpaceTime(Box(0.0, 1.0), 1.0, 1.0)


def test_sobol_space_time_points_fill_the_square_not_a_diagonal():
    # A 1-D space and its times once came from one 1-column Sobol sequence: x ≈ 2t − 1 (r = 0.97).
    domain = SpaceTime(Box((-1.0,), (1.0,)), 0.0, 1.0)
    sampler = make_sampler("sobol", torch.Generator().manual_seed(0), "cpu", torch.float64)
    for draw in (lambda: domain.sample_interior(2048, sampler),
                 lambda: domain.sample_boundary(2048, sampler)[0]):
        x = draw()
        assert abs(float(torch.corrcoef(x.T)[0, 1])) < 0.1
        counts = torch.histogramdd(x, bins=[8, 8])[0] if x[:, 0].unique().numel() > 2 else None
        if counts is not None:
            assert int((counts == 0).sum()) == 0  # every cell of an 8 × 8 grid gets points
