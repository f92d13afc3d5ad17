"""Results made for other tools: the XDMF sidecar read back through its own paths, HDF5 dimension
scales, and the `export` and `eval` verbs."""

from __future__ import annotations

import contextlib
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import sirenpde as sp
from sirenpde.cli import main
from sirenpde.model.siren import SIREN


def siren_solution(bounds, fields=1, *, complex=False, time_axis=None, exact=None, seed=0):
    """A small untrained SIREN over ``bounds`` (loadable, no training needed)."""
    lo, hi = bounds
    axes = ["x", "y", "z", "w"][: len(lo) - (time_axis is not None)] + (["t"] if time_axis else [])
    torch.manual_seed(seed)
    model = SIREN([8], len(lo), fields * (2 if complex else 1), w0_initial=3.0, bounds=bounds)
    names = ["u", "v"][:fields]
    return sp.Solution(model.double(), axes, names, bounds=bounds, complex=complex,
                       time_axis=time_axis, exact=exact)


def shifted(x: torch.Tensor) -> torch.Tensor:
    """A reference: the sum of the coordinates, so the error is not zero."""
    return x.sum(dim=1, keepdim=True)


def saved(tmp_path, solution, resolution, name="r.h5"):
    path = tmp_path / name
    sp.save(solution, path, resolution=resolution, xdmf=True)
    return path


# --- reading an XDMF file through its own paths ------------------------------------------------


def read_item(item: ET.Element, folder: Path) -> np.ndarray:
    """The array a DataItem names: an HDF5 dataset, or a hyperslab of one."""
    dims = tuple(int(v) for v in item.get("Dimensions").split())
    if item.get("ItemType") == "HyperSlab":
        selection, source = item.findall("DataItem")
        start, stride, count = np.array(selection.text.split(), dtype=int).reshape(3, -1)
        whole = _dataset(source, folder, lambda d: d)
        assert whole.shape == tuple(int(v) for v in source.get("Dimensions").split())
        cut = tuple(slice(s, s + c * st, st) for s, st, c in zip(start, stride, count, strict=True))
        return whole[cut].reshape(dims)
    data = _dataset(item, folder, lambda d: d)
    assert data.shape == dims, (item.text, data.shape, dims)
    return data


def _dataset(item, folder, take):
    assert item.get("Format") == "HDF"
    file, path = item.text.strip().split(":")
    assert not Path(file).is_absolute() and "/" not in file  # relative: the pair can be moved
    with h5py.File(folder / file, "r") as f:
        return take(f[path][()])


def read_grid(grid: ET.Element, folder: Path):
    """(topology dimensions, points (N, k), attribute name → values (N,), time or None)."""
    topology = grid.find("Topology")
    dims = tuple(int(v) for v in topology.get("Dimensions").split())
    points = read_item(grid.find("Geometry/DataItem"), folder)
    columns = {"XY": 2, "XYZ": 3}[grid.find("Geometry").get("GeometryType")]
    assert points.shape == (np.prod(dims), columns)
    assert topology.get("TopologyType") == {2: "2DSMesh", 3: "3DSMesh"}[len(dims)]
    values = {}
    for attribute in grid.findall("Attribute"):
        assert attribute.get("Center") == "Node"
        values[attribute.get("Name")] = read_item(attribute.find("DataItem"), folder).reshape(-1)
    time = grid.find("Time")
    return dims, points, values, None if time is None else float(time.get("Value"))


def parse(path: Path) -> ET.Element:
    root = ET.parse(path.with_suffix(".xdmf")).getroot()
    assert root.tag == "Xdmf" and root.get("Version") == "3.0"
    return root


# --- the sidecar -------------------------------------------------------------------------------


@pytest.mark.parametrize("bounds, resolution", [
    (([0.0], [2.0]), [7]),
    (([0.0, -1.0], [2.0, 1.0]), [5, 3]),          # non-square: a transposition would not pass
    (([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]), [4, 3, 2]),
], ids=["1d", "2d", "3d"])
def test_the_sidecar_points_at_the_fields_in_stored_order(tmp_path, bounds, resolution):
    solution = siren_solution(bounds, exact=shifted)
    path = saved(tmp_path, solution, resolution)
    (grid,) = parse(path).findall("Domain/Grid")
    dims, points, values, time = read_grid(grid, tmp_path)
    assert time is None and dims == (tuple(resolution) if len(resolution) > 1 else (*resolution, 1))
    d = len(resolution)
    with h5py.File(path, "r") as f:
        coords = [f[f"grid/{a}"][()] for a in "xyz"[:d]]
        stored = {name: f[p][()].reshape(-1) for name, p in
                  [("u", "fields/u"), ("u_reference", "reference/u"), ("u_error", "error/u")]}
        mask = f["grid/mask"][()].reshape(-1)
    expected = np.stack([m.reshape(-1) for m in np.meshgrid(*coords, indexing="ij")], axis=1)
    np.testing.assert_array_equal(points[:, :d], expected)          # ij order, first axis slowest
    assert np.all(points[:, d:] == 0)                               # a line lies in the plane y = 0
    for name, array in stored.items():
        np.testing.assert_array_equal(values[name], array)
    np.testing.assert_array_equal(values["mask"], mask.astype(np.uint8))
    # The value at each geometry point is the solution there: the pairing a viewer draws.
    np.testing.assert_allclose(values["u"], solution.evaluate(points[:, :d])[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(values["u_reference"], points[:, :d].sum(axis=1), rtol=0, atol=1e-12)


def test_complex_fields_as_real_imaginary_and_magnitude(tmp_path):
    def exact(x):
        return torch.complex(x[:, :1], -x[:, 1:2])

    solution = siren_solution(([0.0, 0.0], [1.0, 2.0]), complex=True, exact=exact)
    path = saved(tmp_path, solution, [4, 3])
    (grid,) = parse(path).findall("Domain/Grid")
    _, points, values, _ = read_grid(grid, tmp_path)
    with h5py.File(path, "r") as f:
        u, ref, err = (f[p][()].reshape(-1) for p in ("fields/u", "reference/u", "error/u"))
        assert f["fields/u"].dtype == np.complex128   # the layout itself is unchanged
    for label, array in (("u", u), ("u_reference", ref), ("u_error", err)):
        np.testing.assert_array_equal(values[f"{label}_re"], array.real)
        np.testing.assert_array_equal(values[f"{label}_im"], array.imag)
        np.testing.assert_array_equal(values[f"{label}_abs"], np.abs(array))
    assert "u" not in values
    np.testing.assert_allclose(values["u_reference_im"], -points[:, 1], atol=1e-12)


@pytest.mark.parametrize("bounds, resolution", [
    (([0.0, 0.0], [2.0, 0.5]), [5, 4]),
    (([0.0, -1.0, 0.0], [1.0, 1.0, 0.5]), [4, 3, 5]),
], ids=["1d+t", "2d+t"])
def test_space_time_results_are_a_temporal_collection(tmp_path, bounds, resolution):
    solution = siren_solution(bounds, time_axis="t", exact=shifted)
    path = saved(tmp_path, solution, resolution)
    (series,) = parse(path).findall("Domain/Grid")
    assert series.get("GridType") == "Collection" and series.get("CollectionType") == "Temporal"
    levels = series.findall("Grid")
    with h5py.File(path, "r") as f:
        times, u, mask = f["grid/t"][()], f["fields/u"][()], f["grid/mask"][()]
        error = f["error/u"][()]
    assert len(levels) == resolution[-1]
    space = len(resolution) - 1
    for k, level in enumerate(levels):
        dims, points, values, time = read_grid(level, tmp_path)
        assert time == times[k]
        assert dims == (tuple(resolution[:-1]) if space > 1 else (resolution[0], 1))
        np.testing.assert_array_equal(values["u"], u[..., k].reshape(-1))
        np.testing.assert_array_equal(values["u_error"], error[..., k].reshape(-1))
        np.testing.assert_array_equal(values["mask"], mask[..., k].reshape(-1).astype(np.uint8))
        at = np.column_stack([points[:, :space], np.full(len(points), times[k])])
        np.testing.assert_allclose(values["u"], solution.evaluate(at)[:, 0], rtol=0, atol=1e-12)


def test_grid_arrays_carry_dimension_scales(tmp_path):
    path = tmp_path / "plain.h5"
    sp.save(siren_solution(([0.0, 0.0], [2.0, 1.0]), exact=shifted), path, resolution=[5, 3])
    with h5py.File(path, "r") as f:
        x, y = f["grid/x"], f["grid/y"]
        assert x.is_scale and y.is_scale
        for name in ("fields/u", "reference/u", "error/u", "grid/mask", "grid/error_mask"):
            dims = f[name].dims
            assert dims[0][0] == x and dims[1][0] == y, name
            assert (dims[0].label, dims[1].label) == ("x", "y")


def test_the_sidecar_is_asked_for(tmp_path):
    """``save`` writes the sidecar and its arrays only with ``xdmf=True``."""
    path = tmp_path / "r.h5"
    sp.save(siren_solution(([0.0], [1.0])), path, resolution=4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.h5"]
    with h5py.File(path, "r") as f:
        assert "xdmf" not in f


def test_no_sidecar_above_three_spatial_axes(tmp_path):
    path = saved(tmp_path, siren_solution(([0.0] * 4, [1.0] * 4)), 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.h5"]
    with h5py.File(path, "r") as f:
        assert "xdmf" not in f and f["fields/u"].dims[3][0] == f["grid/w"]


def test_vtk_reads_the_sidecar_as_stored(tmp_path):
    """VTK's XDMF reader (ParaView's), where installed: each point carries the value stored for it."""
    xdmf = pytest.importorskip("vtkmodules.vtkIOXdmf2")
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkCommonExecutionModel import vtkStreamingDemandDrivenPipeline

    path = saved(tmp_path, siren_solution(([0.0, -1.0, 0.0], [2.0, 1.0, 0.5]), time_axis="t"), [5, 3, 4])
    with h5py.File(path, "r") as f:
        x, y, t, u = (f[p][()] for p in ("grid/x", "grid/y", "grid/t", "fields/u"))
    reader = xdmf.vtkXdmfReader()
    reader.SetFileName(str(path.with_suffix(".xdmf")))
    reader.UpdateInformation()
    times = reader.GetOutputInformation(0).Get(vtkStreamingDemandDrivenPipeline.TIME_STEPS())
    np.testing.assert_array_equal(times, t)
    for k, time in enumerate(times):
        reader.UpdateTimeStep(time)
        grid = reader.GetOutputDataObject(0)
        points = vtk_to_numpy(grid.GetPoints().GetData())
        i, j = np.searchsorted(x, points[:, 0]), np.searchsorted(y, points[:, 1])
        np.testing.assert_array_equal(points[:, :2], np.column_stack([x[i], y[j]]))
        np.testing.assert_array_equal(vtk_to_numpy(grid.GetPointData().GetArray("u")), u[i, j, k])


# --- export and eval ---------------------------------------------------------------------------


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """A stored 2-D result on [0, 2] × [-1, 1]."""
    path = tmp_path_factory.mktemp("export") / "r.h5"
    sp.save(siren_solution(([0.0, -1.0], [2.0, 1.0])), path, resolution=[5, 3])
    return path


def read_csv(text: str):
    lines = text.strip().splitlines()
    return lines[0].split(","), np.array([[float(v) for v in line.split(",")] for line in lines[1:]])


def read_vtr(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a .vtr file with raw appended data (pyevtk's form): name → flat array."""
    raw = path.read_bytes()
    head, _, tail = raw.partition(b'<AppendedData encoding="raw">')
    blob = tail[tail.index(b"_") + 1:]
    root = ET.fromstring(head.decode() + "</VTKFile>")
    assert root.get("type") == "RectilinearGrid" and root.get("header_type") == "UInt64"
    out = {}
    for array in root.iter("DataArray"):
        offset = int(array.get("offset"))
        size = int(np.frombuffer(blob[offset:offset + 8], dtype="<u8")[0])
        dtype = {"Float64": "<f8", "Float32": "<f4"}[array.get("type")]
        out[array.get("Name")] = np.frombuffer(blob[offset + 8:offset + 8 + size], dtype=dtype)
    return out


def test_export_vtk_holds_the_field_at_its_points(result, tmp_path):
    code, stdout, stderr = run("export", result, "--format", "vtk", "--resolution", "4", "3",
                               "--out", tmp_path / "f.vtr")
    assert code == 0 and stderr == "" and stdout == f"wrote {tmp_path / 'f.vtr'}\n"
    arrays = read_vtr(tmp_path / "f.vtr")
    x, y, z = arrays["x_coordinates"], arrays["y_coordinates"], arrays["z_coordinates"]
    np.testing.assert_allclose(x, np.linspace(0, 2, 4))
    np.testing.assert_allclose(y, np.linspace(-1, 1, 3))
    np.testing.assert_array_equal(z, [0.0])
    u = arrays["u"].reshape(len(y), len(x))          # VTK order: x fastest
    loaded = sp.load(result)
    for i, j in [(0, 0), (3, 1), (1, 2), (2, 0)]:
        assert u[j, i] == pytest.approx(loaded.evaluate([x[i], y[j]])[0, 0], abs=1e-12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.vtr"]  # no temporaries


def test_export_csv_equals_evaluate(result, tmp_path):
    code, _, _ = run("export", result, "--format", "csv", "--resolution", "3", "--out", tmp_path / "f.csv")
    assert code == 0
    header, table = read_csv((tmp_path / "f.csv").read_text())
    assert header == ["x", "y", "u"] and table.shape == (9, 3)
    np.testing.assert_array_equal(table[:, 2], sp.load(result).evaluate(table[:, :2])[:, 0])


def test_export_defaults_to_the_stored_grid_beside_the_result(result):
    code, stdout, _ = run("export", result, "--format", "csv")
    out = result.with_name("r_export.csv")
    assert code == 0 and stdout == f"wrote {out}\n"
    assert read_csv(out.read_text())[1].shape == (15, 3)
    out.unlink()


def test_export_xdmf_writes_a_result_with_its_sidecar(result, tmp_path):
    code, stdout, _ = run("export", result, "--format", "xdmf", "--resolution", "6", "--out",
                          tmp_path / "fine.h5")
    assert code == 0 and stdout.splitlines() == [f"wrote {tmp_path / 'fine.h5'}",
                                                 f"wrote {tmp_path / 'fine.xdmf'}"]
    (grid,) = parse(tmp_path / "fine.h5").findall("Domain/Grid")
    dims, points, values, _ = read_grid(grid, tmp_path)
    assert dims == (6, 6)
    np.testing.assert_allclose(values["u"], sp.load(result).evaluate(points)[:, 0], atol=1e-12)


def test_export_complex_csv_has_real_and_imaginary_columns(tmp_path):
    path = tmp_path / "c.h5"
    sp.save(siren_solution(([0.0, 0.0], [1.0, 1.0]), complex=True), path, resolution=3)
    assert run("export", path, "--format", "csv")[0] == 0
    header, table = read_csv(tmp_path.joinpath("c_export.csv").read_text())
    assert header == ["x", "y", "u_re", "u_im"]
    values = sp.load(path).evaluate(table[:, :2])[:, 0]
    np.testing.assert_array_equal(table[:, 2] + 1j * table[:, 3], values)


def test_eval_csv_and_npy_equal_evaluate(result, tmp_path):
    points = np.array([[0.25, 0.5], [1.9, -0.75], [3.0, 2.0]])    # off the grid, even off the box
    np.save(tmp_path / "p.npy", points)
    rows = "\n".join(f"{y!r}, {x!r}" for x, y in points.tolist())  # named columns, another order
    (tmp_path / "p.csv").write_text(f"y, x\n{rows}\n")
    expected = sp.load(result).evaluate(points)[:, 0]
    for name in ("p.npy", "p.csv"):
        code, stdout, stderr = run("eval", result, tmp_path / name)
        assert code == 0 and stderr == ""
        header, table = read_csv(stdout)
        assert header == ["x", "y", "u"]
        np.testing.assert_array_equal(table[:, :2], points)
        np.testing.assert_array_equal(table[:, 2], expected)
    code, stdout, _ = run("eval", result, tmp_path / "p.csv", "--out", tmp_path / "v.csv")
    assert code == 0 and stdout == f"wrote {tmp_path / 'v.csv'}\n"
    np.testing.assert_array_equal(read_csv((tmp_path / "v.csv").read_text())[1][:, 2], expected)


BAD_POINTS = {
    "unknown axis": ("x,q\n0,0\n", "unknown axis 'q'"),
    "missing axis": ("x\n0\n", "naming the axes x, y"),
    "wrong columns": ("x,y\n0,0,1\n", "line 2: expected 2 values"),
    "not a number": ("x,y\n0,abc\n", "line 2: expected numbers"),
    "no points": ("x,y\n", "no points"),
    "binary": ("\udcff\udcfe", "not a CSV text file"),
}


@pytest.mark.parametrize("text, words", BAD_POINTS.values(), ids=BAD_POINTS.keys())
def test_eval_bad_csv_is_bad_input(result, tmp_path, text, words):
    (tmp_path / "p.csv").write_text(text, errors="surrogateescape")
    assert_bad(run("eval", result, tmp_path / "p.csv"), tmp_path / "p.csv", words)


def test_eval_bad_npy_is_bad_input(result, tmp_path):
    np.save(tmp_path / "p.npy", np.zeros((4, 3)))
    assert_bad(run("eval", result, tmp_path / "p.npy"), tmp_path / "p.npy", "shape (N, 2)")


@pytest.mark.parametrize("argv, file, words", [
    (["eval", "{result}", "{tmp}/missing.csv"], "{tmp}/missing.csv", "file not found"),
    (["eval", "{result}", "{tmp}/points.txt"], "{tmp}/points.txt", "file not found"),
    (["eval", "{tmp}/missing.h5", "{tmp}/p.csv"], "{tmp}/missing.h5", "file not found"),
    (["export", "{tmp}/missing.h5", "--format", "vtk"], "{tmp}/missing.h5", "file not found"),
    (["export", "{tmp}/p.csv", "--format", "vtk"], "{tmp}/p.csv", "{tmp}/p.csv"),
    (["export", "{result}", "--format", "vtk", "--resolution", "1"], "--resolution", "at least 2"),
    (["export", "{result}", "--format", "vtk", "--resolution", "3", "3", "3"], "--resolution",
     "one count or 2"),
    (["export", "{result}", "--format", "csv", "--out", "{tmp}/no/f.csv"], "{tmp}/no/f.csv",
     "folder does not exist"),
    (["export", "{result}", "--format", "xdmf", "--out", "{result}"], "{result}", "would overwrite"),
    (["export", "{result}", "--format", "stl"], "sirenpde export", "invalid choice"),
], ids=["missing points", "other suffix", "missing result", "export missing result", "not hdf5",
        "resolution 1", "three counts", "no folder", "overwrite", "unknown format"])
def test_bad_input_is_one_line_and_exit_2(result, tmp_path, argv, file, words):
    (tmp_path / "p.csv").write_text("x,y\n0,0\n")
    fill = {"result": result, "tmp": tmp_path}
    code, stdout, stderr = run(*(a.format(**fill) for a in argv))
    assert_bad((code, stdout, stderr), file.format(**fill), words.format(**fill))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def assert_bad(outcome, file, words):
    code, stdout, stderr = outcome
    assert code == 2 and stdout == "", outcome
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert str(file) in stderr and words in stderr, stderr
