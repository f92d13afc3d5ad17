"""Signed distance functions: the paper's terms, the cube around the cloud, meshing in the user's units."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.derivatives.fields import AutogradFields
from sirenpde.domains import make_sampler
from sirenpde.domains.pointcloud import PointCloud
from sirenpde.problems.sdf import SDF_WEIGHTS, sdf_domain
from sirenpde.results.meshing import MeshingError, extract_mesh, mesh_solution
from sirenpde.sampling.batch import draw_batches

CENTRE, RADIUS = np.array([2.0, 2.0, 2.0]), 3.0


def sphere_cloud(n: int = 2000, seed: int = 0) -> PointCloud:
    rng = np.random.default_rng(seed)
    normals = rng.normal(size=(n, 3))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return PointCloud(CENTRE + RADIUS * normals, normals)


def sphere_sdf(p: torch.Tensor) -> torch.Tensor:
    return (p - torch.as_tensor(CENTRE, dtype=p.dtype)).norm(dim=1) - RADIUS


def terms_on(problem, u) -> dict[str, torch.Tensor]:
    sampler = make_sampler("uniform", torch.Generator().manual_seed(0), "cpu", torch.float64)
    out = {}
    for batch in draw_batches(problem, sampler):
        fields = AutogradFields(lambda p: u(p).reshape(-1, 1), batch.x, problem.axes, batch.normals)
        for c in batch.constraints:
            out[c.name] = c.residual(fields).detach()
    return out


def test_each_term_vanishes_on_the_exact_sdf():
    problem = sp.sdf(sphere_cloud())
    assert [c.name for c in problem.constraints] == list(SDF_WEIGHTS)
    assert {c.name: c.weight for c in problem.constraints} == SDF_WEIGHTS
    assert all(c.norm == "l1" for c in problem.constraints)
    assert problem.constraints[-1].region.part is None  # `outside`: the cube's faces
    terms = terms_on(problem, sphere_sdf)
    for name in ("surface", "normal", "eikonal:surface", "eikonal", "outside"):
        assert terms[name].abs().max() < 1e-9, name
    # Off the surface the term is exp(−α|Φ|/s): tiny except very near it.
    assert 0 < float(terms["off_surface"].mean()) < 0.05


def test_the_terms_see_a_wrong_sdf():
    terms = terms_on(sp.sdf(sphere_cloud()), lambda p: 2 * sphere_sdf(p))
    assert float(terms["eikonal"].abs().mean()) == pytest.approx(1.0)
    flipped = terms_on(sp.sdf(sphere_cloud()), lambda p: -sphere_sdf(p))
    assert float(flipped["normal"].mean()) == pytest.approx(2.0)  # inside-out: cos = −1
    assert float(flipped["outside"].min()) > 0                     # and negative on the cube's faces


def test_the_cube_keeps_the_aspect_ratio_and_the_network_sees_the_unit_cube():
    rng = np.random.default_rng(0)
    normals = rng.normal(size=(100, 3))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    points = np.array([10.0, 0.0, -5.0]) + normals * np.array([2.0, 1.0, 0.5])   # an ellipsoid in mm
    cloud = PointCloud(points, normals)
    cube = sdf_domain(cloud)
    lo, hi = cloud.bounds()
    assert np.allclose(np.asarray(cube.hi) - np.asarray(cube.lo), 1.1 * np.max(hi - lo))
    assert np.allclose((np.asarray(cube.hi) + np.asarray(cube.lo)) / 2, (lo + hi) / 2)
    model = sp.build_model(sp.sdf(cloud), sp.ModelConfig(layers=(8,)))
    corners = torch.tensor([cube.lo, cube.hi], dtype=torch.float32)
    assert torch.allclose(model.normalize(corners), torch.tensor([[-1.0] * 3, [1.0] * 3]), atol=1e-6)


class SphereField(torch.nn.Module):
    """A 'network' that is the exact SDF of the sphere, in the user's units."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))  # sets dtype and device

    def forward(self, x):
        return sphere_sdf(x)[:, None]


def sphere_solution() -> sp.Solution:
    cube = sdf_domain(sphere_cloud())
    return sp.Solution(SphereField(), ["x", "y", "z"], ["sdf"], domain=cube)


def test_the_mesh_is_in_the_users_units_and_watertight(tmp_path):
    mesh = mesh_solution(sphere_solution(), resolution=48)
    distance = np.linalg.norm(mesh.vertices - CENTRE, axis=1)
    spacing = 1.1 * 2 * RADIUS / 47
    assert np.abs(distance - RADIUS).max() < 0.1 * spacing        # on the sphere of radius 3 around (2, 2, 2)
    assert mesh.is_watertight()
    import trimesh

    for suffix in ("ply", "obj"):
        path = mesh.write(tmp_path / f"sphere.{suffix}")
        back = trimesh.load(path, process=False)
        assert len(back.faces) == len(mesh.faces)
        assert np.allclose(back.bounds, mesh.trimesh().bounds, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sphere.obj", "sphere.ply"]  # no temporaries


def test_no_crossing_is_an_error_not_an_empty_mesh(tmp_path):
    values = np.ones((8, 8, 8), dtype=np.float32)
    with pytest.raises(MeshingError, match=r"never crosses 0 on the grid \(it spans 1 … 1\): there is no"):
        extract_mesh(values, np.zeros(3), np.ones(3))
    values[0, 0, 0] = np.nan
    with pytest.raises(MeshingError, match="NaN or infinite"):
        extract_mesh(values, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="unknown mesh format '.stl'"):
        mesh_solution(sphere_solution(), 16).write(tmp_path / "m.stl")


def test_a_small_network_learns_a_sphere():
    unit = sphere_cloud().normals
    cloud = PointCloud(unit, unit)  # the unit sphere around the origin
    problem = sp.sdf(cloud, points={"surface": 1000, "eikonal": 1000})
    solution = sp.train(problem, config=sp.TrainConfig(steps=300, lr=1e-3, seed=0),
                        model_config=sp.ModelConfig(layers=(32, 32), w0_initial=10.0))
    rng = np.random.default_rng(1)
    q = rng.normal(size=(2000, 3))
    q *= (rng.uniform(0.9, 1.1, 2000) / np.linalg.norm(q, axis=1))[:, None]  # within 0.1 of the surface
    error = np.abs(solution.evaluate(q)[:, 0] - (np.linalg.norm(q, axis=1) - 1)).mean()
    assert error < 5e-2  # measured 2.5e-2


SDF_FILE = """\
problem: sdf
cloud: cloud.xyz
exact: sqrt((x - 2)**2 + (y - 2)**2 + (z - 2)**2) - 3
mesh: {resolution: 24, formats: [ply, obj]}
model: {layers: [16]}
training: {steps: 3, device: cpu}
output: {resolution: 9}
"""


def write_problem(tmp_path, text=SDF_FILE):
    cloud = sphere_cloud(300)
    np.savetxt(tmp_path / "cloud.xyz", np.hstack([cloud.points, cloud.normals]))
    (tmp_path / "sdf.yaml").write_text(text)
    return tmp_path / "sdf.yaml"


def test_an_sdf_file_solves_and_writes_meshes(tmp_path, capsys):
    path = write_problem(tmp_path)
    spec = sp.load_problem_file(path)
    assert spec.mesh.resolution == 24 and spec.mesh.formats == ("ply", "obj")
    code = main(["solve", str(path), "--out", str(tmp_path / "r.h5"), "--quiet"])
    out = capsys.readouterr().out
    if code == 0:
        assert "wrote" in out and (tmp_path / "r.ply").is_file() and (tmp_path / "r.obj").is_file()
        assert sp.load(tmp_path / "r.h5").info["mesh_files"] == "r.ply, r.obj"
    else:  # three steps may leave no surface inside the cube: an error, and still the result file
        assert code == 1 and (tmp_path / "r.h5").is_file() and not (tmp_path / "r.ply").exists()
    assert main(["plot", str(tmp_path / "r.h5"), "--out", str(tmp_path / "figs")]) == 0
    assert (tmp_path / "figs" / "r_sdf_slices.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("cloud: cloud.xyz", "cloud: missing.xyz", r"sdf.yaml:2: cloud.file: .*missing.xyz: file not found"),
        ("cloud: cloud.xyz", "cloud: cloud.xyz\ndomain: {box: {lo: [0, 0, 0], hi: [1, 1, 1]}}",
         r"domain: an sdf problem is solved in a cube around the cloud"),
        ("formats: [ply, obj]", "formats: [stl]", r"mesh.formats.0"),
    ],
)
def test_sdf_file_mistakes_are_located(tmp_path, old, new, message):
    with pytest.raises(sp.ConfigError, match=message):
        sp.load_problem_file(write_problem(tmp_path, SDF_FILE.replace(old, new)))


def test_the_shipped_torus_file():
    spec = sp.load_problem_file("problems/sdf.yaml")
    assert spec.problem.kind == "sdf" and len(spec.problem.constraints[0].region.points) == 20000
    points = spec.problem.constraints[0].region.points
    ring = torch.sqrt(points[:, 0] ** 2 + points[:, 1] ** 2)
    torus = torch.sqrt((ring - 0.5) ** 2 + points[:, 2] ** 2) - 0.2
    assert float(torus.abs().max()) < 1e-6


def test_sdf_results_are_drawn_as_slices_and_a_surface(tmp_path):
    from sirenpde.results.plotting import plot_result

    solution = sphere_solution()
    solution.kind = "sdf"
    sp.save(solution, tmp_path / "s.h5", resolution=24)
    names = [p.name for p in plot_result(tmp_path / "s.h5", tmp_path)]
    assert names[-2:] == ["s_sdf_slices.png", "s_sdf_surface.png"]
    assert all((tmp_path / n).read_bytes().startswith(b"\x89PNG") for n in names)
