"""Measurements: tables read from .csv/.npy/.npz/.h5, and the region that hands out their rows."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest
import torch

from sirenpde.domains import make_sampler
from sirenpde.domains.measurements import MeasurementFileError, Measurements, read_table

X = np.array([0.0, 0.25, 0.5, 1.0])
Y = np.array([1.0, 0.5, -0.5, 2.0])
U = np.sin(X) + Y**2


def sampler(dtype=torch.float64, seed=0):
    return make_sampler("uniform", torch.Generator().manual_seed(seed), "cpu", dtype)


def same(table: dict, expected: dict) -> None:
    assert list(table) == list(expected)
    for name, values in expected.items():
        assert table[name].dtype == np.float64 and table[name].shape == values.shape
        np.testing.assert_array_equal(table[name], values)


# --- reading each format --------------------------------------------------------------------------


def test_csv_header_names_the_columns(tmp_path):
    path = tmp_path / "u.csv"
    lines = ["x , y,u_obs"] + [f"{a!r},{b!r},{c!r}" for a, b, c in zip(X.tolist(), Y.tolist(), U.tolist(),
                                                                    strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    same(read_table(path), {"x": X, "y": Y, "u_obs": U})  # names stripped, values exact
    same(read_table(path, ["u_obs", "x"]), {"u_obs": U, "x": X})  # selection, in the order asked


def test_csv_with_one_row_and_an_upper_case_suffix(tmp_path):
    path = tmp_path / "ONE.CSV"
    path.write_text("x,u\n0.5,2\n", encoding="utf-8")
    same(read_table(path), {"x": np.array([0.5]), "u": np.array([2.0])})


def test_npy_columns_are_named_by_the_caller(tmp_path):
    np.save(tmp_path / "u.npy", np.stack([X, Y, U], axis=1))
    same(read_table(tmp_path / "u.npy", ["x", "y", "u"]), {"x": X, "y": Y, "u": U})


def test_npz_arrays_by_name_and_integers_become_floats(tmp_path):
    np.savez(tmp_path / "u.npz", x=X, y=Y, u=U, count=np.arange(4))
    table = read_table(tmp_path / "u.npz")
    same(table, {"x": X, "y": Y, "u": U, "count": np.arange(4.0)})
    same(read_table(tmp_path / "u.npz", ("u", "x")), {"u": U, "x": X})


def test_h5_top_level_datasets_by_name(tmp_path):
    with h5py.File(tmp_path / "u.h5", "w") as f:
        f["x"], f["y"], f["u"] = X, Y, U.astype(np.float32)
        f.create_group("meta")["ignored"] = np.zeros(4)
    table = read_table(tmp_path / "u.h5")
    assert set(table) == {"x", "y", "u"}  # groups are not columns
    np.testing.assert_array_equal(table["u"], U.astype(np.float32).astype(np.float64))
    same(read_table(tmp_path / "u.h5", ["y"]), {"y": Y})
    with h5py.File(tmp_path / "u.hdf5", "w") as f:
        f["x"] = X
    same(read_table(tmp_path / "u.hdf5"), {"x": X})


# --- every refusal ----------------------------------------------------------------------------------


def _files(tmp_path):
    """name → (path, columns) of broken tables."""
    (tmp_path / "mismatch.csv").write_text("x,y,u\n1,2\n3,4\n", encoding="utf-8")
    (tmp_path / "nan.csv").write_text("x,u\n1,2\n3,nan\n", encoding="utf-8")
    (tmp_path / "inf.csv").write_text("x,u\n1,inf\n", encoding="utf-8")
    (tmp_path / "words.csv").write_text("x,u\n1,abc\n", encoding="utf-8")
    (tmp_path / "blank.csv").write_text("", encoding="utf-8")
    (tmp_path / "u.txt").write_text("x,u\n1,2\n", encoding="utf-8")
    (tmp_path / "u").write_text("x,u\n1,2\n", encoding="utf-8")
    np.savez(tmp_path / "unequal.npz", x=X, u=U[:3])
    np.savez(tmp_path / "square.npz", x=np.zeros((2, 2)))
    np.save(tmp_path / "u.npy", np.stack([X, U], axis=1))
    np.save(tmp_path / "flat.npy", X)
    np.save(tmp_path / "words.npy", np.array([["a", "b"]]))
    (tmp_path / "garbage.h5").write_bytes(b"not hdf5")
    (tmp_path / "folder.csv").mkdir()
    return {
        "missing file": (tmp_path / "nope.csv", None, ["file not found", "nope.csv"]),
        "a folder": (tmp_path / "folder.csv", None, ["is a folder", "expected a data file"]),
        "unknown suffix": (tmp_path / "u.txt", None,
                           ["unsupported file type '.txt'", ".csv, .npy, .npz or .h5"]),
        "no suffix": (tmp_path / "u", None, ["unsupported file type '(none)'"]),
        "header and rows differ": (tmp_path / "mismatch.csv", None,
                                   ["the header names 3 columns (x, y, u) but rows have 2"]),
        "NaN": (tmp_path / "nan.csv", None, ["column 'u' has NaN or infinite values at row 1"]),
        "inf": (tmp_path / "inf.csv", None, ["column 'u' has NaN or infinite values at row 0"]),
        "not numbers in a CSV": (tmp_path / "words.csv", None, ["cannot read", "as CSV numbers", "abc"]),
        "empty CSV": (tmp_path / "blank.csv", None, ["holds no rows"]),
        "unequal lengths": (tmp_path / "unequal.npz", None, ["columns have different lengths [3, 4]"]),
        "a 2-D column": (tmp_path / "square.npz", None, ["column 'x' has shape (2, 2)", "one value per row"]),
        ".npy without columns": (tmp_path / "u.npy", None, ["a .npy array has no column names", "columns"]),
        ".npy with too few names": (tmp_path / "u.npy", ["x"], ["2-D array with 1 columns (x)", "(4, 2)"]),
        ".npy of one dimension": (tmp_path / "flat.npy", ["x"], ["found shape (4,)"]),
        ".npy of text": (tmp_path / "words.npy", ["a", "b"], ["column 'a' is not numbers"]),
        "missing column": (tmp_path / "unequal.npz", ["x", "v"], ["has no column 'v'; it has: x, u"]),
        "missing CSV column": (tmp_path / "nan.csv", ["y"], ["has no column 'y'; it has: x, u"]),
        "not HDF5": (tmp_path / "garbage.h5", None, ["cannot read", "as HDF5"]),
    }


CASES = ["missing file", "a folder", "unknown suffix", "no suffix", "header and rows differ", "NaN", "inf",
         "not numbers in a CSV", "empty CSV", "unequal lengths", "a 2-D column", ".npy without columns",
         ".npy with too few names", ".npy of one dimension", ".npy of text", "missing column",
         "missing CSV column", "not HDF5"]


@pytest.mark.parametrize("case", CASES)
def test_each_broken_table_is_refused_in_one_line(case, tmp_path):
    path, columns, words = _files(tmp_path)[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns about an empty file before we refuse it
        with pytest.raises(MeasurementFileError) as err:
            read_table(path, columns)
    message = str(err.value)
    assert "\n" not in message and isinstance(err.value, ValueError)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_a_csv_with_only_a_header_holds_no_rows(tmp_path):
    (tmp_path / "empty.csv").write_text("x,u\n", encoding="utf-8")
    with warnings.catch_warnings(), pytest.raises(MeasurementFileError, match="holds no rows"):
        warnings.simplefilter("ignore")
        read_table(tmp_path / "empty.csv")


def test_a_column_named_twice_is_refused(tmp_path):
    (tmp_path / "twice.csv").write_text("x,u,u\n0.5,1,2\n", encoding="utf-8")
    with pytest.raises(MeasurementFileError, match="'u'"):
        read_table(tmp_path / "twice.csv")


# --- the region ---------------------------------------------------------------------------------------


def region(n: int = 50) -> Measurements:
    points = torch.rand(n, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    # Each value names its point, so that alignment can be checked exactly.
    return Measurements(points, {"u": 10 * points[:, 0] + points[:, 1], "v": -points[:, 0]})


def test_a_draw_of_at_least_all_rows_is_every_row_in_order():
    m = region()
    for n in (50, 51, 1000):
        x, normals, data = m.draw(n, sampler())
        assert normals is None and torch.equal(x, m.points)
        assert torch.equal(data["u"], m.values["u"]) and torch.equal(data["v"], m.values["v"])
    assert m.has_data and m.describe() == "50 measurements of u, v"


def test_a_mini_batch_keeps_values_with_their_points():
    m = region()
    s = sampler()
    x, _, data = m.draw(7, s)
    assert x.shape == (7, 2) and data["u"].shape == (7,)
    torch.testing.assert_close(data["u"], 10 * x[:, 0] + x[:, 1], rtol=0, atol=0)
    torch.testing.assert_close(data["v"], -x[:, 0], rtol=0, atol=0)
    assert all(any(torch.equal(p, q) for q in m.points) for p in x)  # rows of the table, not new points
    again, _, _ = m.draw(7, s)
    assert not torch.equal(x, again)  # a fresh mini-batch each step …
    assert torch.equal(m.draw(7, sampler())[0], x)  # … from the run's generator only
    counts = torch.zeros(50)
    for _ in range(40):
        xs, _, _ = m.draw(25, s)
        counts += (xs[:, None, :] == m.points[None]).all(2).sum(0)
    assert int((counts > 0).sum()) == 50  # every row gets drawn


def test_draws_are_copied_once_per_dtype_and_the_table_is_untouched():
    m = region()
    x32, _, data32 = m.draw(100, sampler(torch.float32))
    assert x32.dtype == data32["u"].dtype == torch.float32
    torch.testing.assert_close(x32, m.points.float())
    assert m.points.dtype == m.values["u"].dtype == torch.float64
    assert m.draw(100, sampler(torch.float32))[0] is x32  # cached, not copied every step
    assert m.draw(7, sampler(torch.float32))[0].dtype == torch.float32
    x64, _, _ = m.draw(100, sampler())
    assert x64.dtype == torch.float64 and x64 is not x32
    x, normals = m.sample(100, sampler())
    assert normals is None and torch.equal(x, m.points)


def test_from_table_splits_coordinates_from_measured_values():
    m = Measurements.from_table({"u": U, "y": Y, "x": X, "w": 2 * U}, ("x", "y"))
    np.testing.assert_array_equal(m.points.numpy(), np.stack([X, Y], axis=1))  # in axis order
    assert list(m.values) == ["u", "w"]
    np.testing.assert_array_equal(m.values["w"].numpy(), 2 * U)
    with pytest.raises(ValueError, match="no column 'y' for that axis; they have: x, u"):
        Measurements.from_table({"x": X, "u": U}, ("x", "y"))
    with pytest.raises(ValueError, match="only coordinate columns"):
        Measurements.from_table({"x": X, "y": Y}, ("x", "y"))


@pytest.mark.parametrize("points, values, words", [
    (torch.zeros(0, 2), {}, "N ≥ 1"),
    (torch.zeros(4), {}, "shape (N, d)"),
    (torch.zeros(4, 2), {"u": torch.zeros(3)}, "measured 'u' has shape (3,); expected (4,)"),
    (torch.zeros(4, 2), {"u": torch.zeros(4, 1)}, "one value per point"),
])
def test_malformed_measurements_are_refused(points, values, words):
    with pytest.raises(ValueError) as err:
        Measurements(points, values)
    assert words in str(err.value)
