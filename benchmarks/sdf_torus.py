"""Accuracy and meshing of a torus SDF result (problems/sdf.yaml): the issue's three measures.

1. mean |Φ − sdf| over 100 000 random points within 0.1 of the torus (R = 0.5, r = 0.2);
2. the mesh at the given resolution (marching cubes, chunked sampling): whether it is watertight,
   and its Chamfer distance to the true surface — the mean of (a) the distance from 200 000 points
   sampled uniformly on the mesh to the torus (exact, |sdf|) and (b) the distance from 200 000
   points uniform on the torus to the mesh (exact point-to-triangle distances to the triangles
   around the 3 nearest vertices);
3. its run time; run it under `/usr/bin/time -v` for the peak memory (maximum resident set size).

Run: sirenpde solve problems/sdf.yaml && /usr/bin/time -v python benchmarks/sdf_torus.py sdf.h5 512
"""

import sys
import time
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

import sirenpde as sp
from sirenpde.results.meshing import mesh_solution

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "problems" / "data"))
from make_torus import torus_points  # noqa: E402

R, r = 0.5, 0.2


def torus_sdf(p: np.ndarray) -> np.ndarray:
    return np.sqrt((np.hypot(p[:, 0], p[:, 1]) - R) ** 2 + p[:, 2] ** 2) - r


def near_surface(n: int, rng: np.random.Generator) -> np.ndarray:
    out = []
    while sum(len(o) for o in out) < n:
        q = rng.uniform([-0.8, -0.8, -0.3], [0.8, 0.8, 0.3], (4 * n, 3))
        out.append(q[np.abs(torus_sdf(q)) < 0.1])
    return np.concatenate(out)[:n]


def main(result: str, resolution: int) -> None:
    rng = np.random.default_rng(0)
    solution = sp.load(result)
    q = near_surface(100_000, rng)
    error = np.abs(solution.evaluate(q)[:, 0] - torus_sdf(q)).mean()
    print(f"mean |phi - sdf| within 0.1 of the surface: {error:.3e}")
    start = time.perf_counter()
    mesh = mesh_solution(solution, resolution)
    wall = time.perf_counter() - start
    print(f"mesh at {resolution}^3: {len(mesh.vertices)} vertices, {len(mesh.faces)} faces in {wall:.1f} s;"
          f" watertight: {mesh.is_watertight()}")
    on_mesh = np.asarray(mesh.trimesh().sample(200_000, seed=1))
    on_torus = torus_points(200_000, rng)[:, :3]
    to_surface = np.abs(torus_sdf(on_mesh)).mean()
    to_mesh = distance_to_mesh(mesh.trimesh(), on_torus).mean()
    print(f"Chamfer distance: {(to_surface + to_mesh) / 2:.3e} (mesh to torus {to_surface:.3e},"
          f" torus to mesh {to_mesh:.3e})")


def distance_to_mesh(mesh, points: np.ndarray) -> np.ndarray:
    """Each point's distance to the nearest triangle among those around its 3 nearest vertices."""
    from trimesh.triangles import closest_point

    _, nearest = cKDTree(mesh.vertices).query(points, k=3)
    candidates = mesh.vertex_faces[nearest].reshape(len(points), -1)        # (N, 3·max), −1 padded
    rows, slots = np.nonzero(candidates >= 0)
    faces = candidates[rows, slots]
    best = np.full(len(points), np.inf)
    for start in range(0, len(rows), 1_000_000):  # bounded memory
        part = slice(start, start + 1_000_000)
        found = closest_point(mesh.triangles[faces[part]], points[rows[part]])
        np.minimum.at(best, rows[part], np.linalg.norm(found - points[rows[part]], axis=1))
    return best


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sdf.h5", int(sys.argv[2]) if len(sys.argv) > 2 else 512)
