"""Point-cloud readers: every format, good and broken files, normals checked or estimated."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from sirenpde.domains.pointcloud import PointCloudError, estimate_normals, read_point_cloud


def sphere(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    normals = rng.normal(size=(n, 3))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return 2.0 + 3.0 * normals, normals  # radius 3 around (2, 2, 2): units are the file's


def write(tmp_path, kind: str, points, normals=None):
    table = points if normals is None else np.hstack([points, normals])
    path = tmp_path / f"cloud.{kind}"
    if kind == "xyz":
        np.savetxt(path, table, header="x y z nx ny nz")
    elif kind == "npy":
        np.save(path, table)
    elif kind == "h5":
        with h5py.File(path, "w") as f:
            f["cloud"] = table
    elif kind == "ply":
        from plyfile import PlyData, PlyElement

        names = ["x", "y", "z"] + ([] if normals is None else ["nx", "ny", "nz"])
        vertex = np.empty(len(points), dtype=[(n, "f8") for n in names])
        for k, name in enumerate(names):
            vertex[name] = table[:, k]
        PlyData([PlyElement.describe(vertex, "vertex")], text=True).write(str(path))
    elif kind == "obj":
        lines = [f"v {x} {y} {z}" for x, y, z in points]
        if normals is not None:
            lines += [f"vn {x} {y} {z}" for x, y, z in normals]
        path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("kind", ["xyz", "npy", "h5", "ply", "obj"])
def test_each_format_reads_points_and_normals_in_the_files_units(tmp_path, kind):
    points, normals = sphere()
    path = write(tmp_path, kind, points, normals)
    cloud = read_point_cloud(path, dataset="cloud" if kind == "h5" else None)
    assert np.allclose(cloud.points, points, atol=1e-6) and np.allclose(cloud.normals, normals, atol=1e-6)
    assert np.allclose(np.linalg.norm(cloud.normals, axis=1), 1.0)


def test_hdf5_points_and_normals_as_two_datasets(tmp_path):
    points, normals = sphere()
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f["scan/points"], f["scan/normals"] = points, normals
    assert np.allclose(read_point_cloud(tmp_path / "c.h5", dataset="scan").points, points)


@pytest.mark.parametrize("kind", ["xyz", "npy", "ply", "obj"])
def test_a_cloud_without_normals_is_an_error_unless_estimated(tmp_path, kind):
    points, normals = sphere(400)
    path = write(tmp_path, kind, points)
    with pytest.raises(PointCloudError, match="the points have no normals; give nx ny nz, or ask for"):
        read_point_cloud(path)
    estimated = read_point_cloud(path, estimate=True).normals
    assert np.mean(np.einsum("ni,ni->n", estimated, normals) > 0.95) > 0.95  # outward, nearly exact


def test_estimated_normals_on_a_plane_are_its_normal():
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(-1, 1, (300, 2)), np.zeros(300)])
    points = np.vstack([points, [[0.0, 0.0, -1.0]]])  # a centroid below the plane: outward is +z
    assert np.allclose(np.abs(estimate_normals(points)[:-1, 2]), 1.0, atol=1e-6)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p, n: (p, 2 * n), r"200 normals are not of unit length \(row 0 has length 2\)"),
        (lambda p, n: (p, np.where(np.arange(200)[:, None] == 7, np.nan, n)),
         r"1 normals are NaN or infinite \(the first is row 7\)"),
        (lambda p, n: (np.where(np.arange(200)[:, None] == 3, np.inf, p), n),
         r"1 points are NaN or infinite \(the first is row 3\)"),
    ],
)
def test_broken_clouds_are_refused_with_the_row(tmp_path, damage, message):
    points, normals = damage(*sphere())
    with pytest.raises(PointCloudError, match=message):
        read_point_cloud(write(tmp_path, "xyz", points, normals))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.xyz", "1 2 3 4\n", r"expected N rows of x y z nx ny nz \(6 columns, or 3 without normals\);"
                               r" found an array of shape \(1, 4\)"),
        ("c.xyz", "1 2 three\n", "not a table of numbers"),
        ("c.ply", "ply\nformat nonsense\n", "not a readable PLY file"),
        ("c.obj", "# nothing\n", r"the OBJ file has no vertices \(`v` lines\)"),
        ("c.obj", "v 0 0 0\nv 1 0 0\nvn 0 0 1\n", r"2 vertices but 1 normals"),
        ("c.stl", "solid\n", r"unsupported point-cloud type '.stl'"),
        ("c.h5", "not hdf5", "not an HDF5 file"),
    ],
)
def test_broken_files_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(PointCloudError, match=message) as err:
        read_point_cloud(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_missing_files_and_misplaced_datasets(tmp_path):
    with pytest.raises(PointCloudError, match="file not found"):
        read_point_cloud(tmp_path / "nope.xyz")
    points, normals = sphere()
    with pytest.raises(PointCloudError, match="`dataset` is for HDF5 files only"):
        read_point_cloud(write(tmp_path, "xyz", points, normals), dataset="cloud")
    with pytest.raises(PointCloudError, match="no dataset or group 'other'"):
        read_point_cloud(write(tmp_path, "h5", points, normals), dataset="other")
