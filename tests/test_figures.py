"""What the figures of `sirenpde plot` say, read from the matplotlib objects rather than the pixels:
colour maps and their limits, colour bar labels, titles, the layout of complex fields, the outlined
regions and the phase switches of the loss plot."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
import torch
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

import sirenpde as sp
from sirenpde.results.plotting import result_figures
from sirenpde.results.plotting_time import Movie

HELMHOLTZ = """\
problem: helmholtz
title: tiny Helmholtz with a PML
domain:
  box: {lo: [-1, -1], hi: [1, 1]}
k: 4
sources:
  - {center: [0, 0], amplitude: 1+1j, sigma: 0.04}
pml: {width: 0.4}
pde: {points: 200}
reference: hankel
error_region: {exclude_sources: 0.25}
model: {layers: [12]}
training: {steps: 4, lm_steps: 2, device: cpu, validate_every: 2}
output: {resolution: 21}
"""


@contextmanager
def drawn(path, **options):
    """Every figure of the result ``path``, by file name; closed afterwards."""
    import matplotlib.pyplot as plt

    figures = dict(result_figures(path, **options))
    try:
        yield figures
    finally:
        for figure in figures.values():
            plt.close(figure.figure if isinstance(figure, Movie) else figure)


def images(fig) -> list:
    """The figure's images, in the order of their axes (row by row)."""
    return [image for a in fig.axes for image in a.images]


def colour_bar_labels(fig) -> list[str]:
    return [image.colorbar.ax.get_ylabel() for image in images(fig) if image.colorbar is not None]


class Linear(torch.nn.Module):
    """A fixed 'network' u = w·x + b: results without training."""

    def __init__(self, weights, bias=0.0):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor([weights], dtype=torch.float64))
        self.bias = torch.nn.Parameter(torch.tensor([bias], dtype=torch.float64))

    def forward(self, x):
        return x.to(torch.float64) @ self.weight.T + self.bias


def saved(tmp_path, axes, weights, name="r.h5", resolution=9, **options):
    """A result from the fixed network u = Σ w_i x_i on [−1, 1]^d against the exact u + 0.05·x."""
    d = len(axes)
    w = torch.tensor([weights], dtype=torch.float64)
    solution = sp.Solution(Linear(weights), axes, ["u"], bounds=([-1.0] * d, [1.0] * d),
                           exact=lambda x: x.to(torch.float64) @ w.T + 0.05 * x[:, :1],
                           history={"step": [1, 2, 3], "loss": [1.0, 0.5, 0.2]}, **options)
    sp.save(solution, tmp_path / name, resolution=resolution)
    return tmp_path / name


@pytest.fixture(scope="module")
def helmholtz(tmp_path_factory):
    """A complex result with a PML, an error region and an Adam → LM switch: a tiny real run."""
    folder = tmp_path_factory.mktemp("helmholtz")
    (folder / "h.yaml").write_text(HELMHOLTZ)
    sp.solve_file(folder / "h.yaml", out=folder / "h.h5")
    return folder / "h.h5"


# --- colour maps and limits ------------------------------------------------------------------------


def test_a_signed_field_and_its_reference_share_one_scale_centred_at_zero(tmp_path):
    with drawn(saved(tmp_path, ["x", "y"], [1.0, -2.0])) as figures:
        network, reference, error = images(figures["r_u.png"])
    for image in (network, reference):
        assert image.get_cmap().name == "RdBu_r"
        assert image.norm.vmin == -image.norm.vmax > -np.inf
    assert network.get_clim() == reference.get_clim()
    assert network.norm.vmax == pytest.approx(3.05)  # max |u_ref| on [−1, 1]², the larger of the two


def test_the_error_is_on_a_log_scale_whose_floor_keeps_zeros_drawable(tmp_path):
    # The error 0.05·x is exactly zero on the grid line x = 0.
    with drawn(saved(tmp_path, ["x", "y"], [1.0, -2.0])) as figures:
        error = images(figures["r_u.png"])[2]
        assert isinstance(error.norm, LogNorm) and 0 < error.norm.vmin < error.norm.vmax
        assert error.get_cmap().name == "magma"
        shown = error.get_array()
        assert np.nanmin(shown) >= error.norm.vmin  # the zeros are drawn at the floor, not lost
        assert error.colorbar.ax.get_ylabel() == "|u − u_ref|"


def test_a_field_of_one_sign_gets_a_sequential_scale(tmp_path):
    path = saved(tmp_path, ["x", "y"], [0.0, 0.0])  # u = 0 against u_ref = 0.05·x: both signs
    with drawn(path) as figures:
        assert images(figures["r_u.png"])[0].get_cmap().name == "RdBu_r"
    solution = sp.Solution(Linear([0.0, 0.0], bias=2.0), ["x", "y"], ["u"], bounds=([0, 0], [1, 1]))
    sp.save(solution, tmp_path / "positive.h5", resolution=5)
    with drawn(tmp_path / "positive.h5") as figures:
        (image,) = images(figures["positive_u.png"])
    assert image.get_cmap().name == "viridis" and image.norm.vmin < 2.0 < image.norm.vmax


def test_every_colour_bar_is_labelled_and_every_figure_titled(tmp_path, helmholtz):
    for path in (saved(tmp_path, ["x", "y", "z"], [1.0, -1.0, 0.5]), helmholtz):
        with drawn(path) as figures:
            for name, fig in figures.items():
                fig = fig.figure if isinstance(fig, Movie) else fig
                assert fig.get_suptitle(), name
                assert all(colour_bar_labels(fig)), name


def test_the_suptitle_is_the_problem_title_else_the_file_name(tmp_path, helmholtz):
    with drawn(helmholtz) as figures:
        assert {fig.get_suptitle() for fig in figures.values()} == {"tiny Helmholtz with a PML"}
    with drawn(saved(tmp_path, ["x", "y"], [1.0, 1.0], name="plain.h5")) as figures:
        assert {fig.get_suptitle() for fig in figures.values()} == {"plain.h5"}


# --- complex fields ---------------------------------------------------------------------------------


def test_a_complex_result_is_a_grid_of_network_and_reference_by_part(helmholtz):
    with drawn(helmholtz) as figures:
        fig = figures["h_u.png"]
        grid = {(a.get_subplotspec().rowspan.start, a.get_subplotspec().colspan.start): a
                for a in fig.axes if a.images}
        assert sorted(grid) == [(i, j) for i in range(3) for j in range(3)]
        for j, part in enumerate(("real part", "imaginary part", "magnitude")):
            network, reference = grid[0, j], grid[1, j]
            assert network.get_title() == f"network: {part}"
            assert reference.get_title() == f"hankel reference: {part}"
            assert network.images[0].get_clim() == reference.images[0].get_clim()
        for j in (0, 1):
            assert grid[0, j].images[0].get_cmap().name == "RdBu_r"
            assert grid[0, j].images[0].norm.vmin == -grid[0, j].images[0].norm.vmax
        magnitude = grid[0, 2].images[0]
        assert magnitude.get_cmap().name == "viridis" and magnitude.norm.vmin == 0
        for j in (0, 1):  # the phases, below the network and the reference
            phase = grid[2, j].images[0]
            assert phase.get_cmap().name == "twilight"
            assert phase.get_clim() == (-np.pi, np.pi)
            assert phase.colorbar.ax.get_ylabel().startswith("arg u")
        assert isinstance(grid[2, 2].images[0].norm, LogNorm)
        assert grid[2, 2].get_title().startswith("error, relative L2")


def test_the_pml_and_the_error_region_are_outlined(tmp_path, helmholtz):
    with drawn(helmholtz) as figures:
        fig = figures["h_u.png"]
        for a in (a for a in fig.axes if a.images):
            (edge,) = [p for p in a.patches if isinstance(p, Rectangle)]
            assert edge.get_linestyle() == "-." and edge.get_xy() == pytest.approx((-0.6, -0.6))
            assert edge.get_width() == pytest.approx(1.2)
            assert len(a.collections) == 1  # the contour of the region where the error is measured
        labels = [t.get_text() for t in fig.legends[0].get_texts()]
        assert labels == ["error measured inside", "inner edge of the PML"]
    with drawn(saved(tmp_path, ["x", "y"], [1.0, 1.0])) as figures:  # neither: nothing drawn
        fig = figures["r_u.png"]
        assert not fig.legends and not any(a.patches or a.collections for a in fig.axes if a.images)


# --- slices -----------------------------------------------------------------------------------------


def test_a_3d_field_names_its_slice(tmp_path):
    with drawn(saved(tmp_path, ["x", "y", "z"], [1.0, -1.0, 0.5])) as figures:
        titles = [a.get_title() for a in figures["r_u.png"].axes if a.images]
    assert len(titles) == 3 and all(t.endswith(", z = 0.00") for t in titles)


def test_space_time_figures_name_their_time_and_share_one_scale(tmp_path):
    path = saved(tmp_path, ["x", "y", "t"], [1.0, -1.0, 0.5], resolution=[7, 7, 5], time_axis="t")
    with drawn(path, times=[-1.0, 0.0, 1.0], animation="none") as figures:
        titles = [a.get_title() for a in figures["r_u.png"].axes if a.images]
        assert all(t.endswith(", t = 0.00") for t in titles)
        snapshots = figures["r_u_snapshots.png"]
        assert [a.get_title() for a in snapshots.axes if a.images] == [
            f"{who}, t = {t}" for who in ("network", "reference", "error") for t in ("-1.00", "0.00", "1.00")]
        network, reference, error = (images(snapshots)[3 * i: 3 * i + 3] for i in range(3))  # rows
        assert len({image.get_clim() for image in network + reference}) == 1
        assert network[0].norm.vmin == -network[0].norm.vmax
        assert all(isinstance(image.norm, LogNorm) for image in error)
        assert len({image.get_clim() for image in error}) == 1
        assert sorted(set(colour_bar_labels(snapshots))) == ["u", "u_ref", "|u − u_ref|"]


def test_a_1d_space_time_snapshot_has_the_error_on_a_log_axis(tmp_path):
    path = saved(tmp_path, ["x", "t"], [1.0, 1.0], resolution=[9, 5], time_axis="t")
    with drawn(path, times=[0.0, 1.0], animation="none") as figures:
        snapshots = figures["r_u_snapshots.png"]
        top, bottom = snapshots.axes[:2], snapshots.axes[2:]
        assert [a.get_title() for a in top] == ["t = 0.00", "t = 1.00"]
        assert all(a.get_yscale() == "log" and a.get_ylabel() == "|u − u_ref|" for a in bottom)


# --- the loss plot ----------------------------------------------------------------------------------


def vertical_lines(fig) -> list[float]:
    (a,) = fig.axes
    return [line.get_xdata()[0] for line in a.lines if len(set(line.get_xdata())) == 1]


def test_the_loss_plot_marks_the_switch_to_levenberg_marquardt(helmholtz):
    with drawn(helmholtz) as figures:
        fig = figures["h_loss.png"]
        assert vertical_lines(fig) == [4.5]  # between the 4 Adam steps and the first LM step
        (a,) = fig.axes
        assert [t.get_text() for t in a.texts] == ["Adam", "Levenberg–Marquardt"]
        labels = [t.get_text() for t in a.get_legend().get_texts()]
        assert labels[0].startswith("total") and labels[0].endswith("(weighted)")
        terms = ["pde", "pde:physical", "source:0"]  # pde:physical: the region inside the PML
        assert labels[1:4] == [f"{term}: L (unweighted)" for term in terms]
        assert "weighted" in a.get_ylabel() and "unweighted" in a.get_ylabel()


def test_the_loss_plot_marks_every_phase_and_none_for_adam_alone(tmp_path):
    history = {"step": list(range(1, 8)), "loss": np.geomspace(1, 1e-3, 7), "constraint/pde": np.ones(7)}
    for counts, expected in [((3, 2, 2), [3.5, 5.5]), ((3, 0, 4), [3.5]), ((7, 0, 0), [])]:
        info = dict(zip(("steps", "lm_steps", "lbfgs_steps"), counts, strict=True))
        solution = sp.Solution(Linear([1.0]), ["x"], ["u"], bounds=([0.0], [1.0]), history=history, info=info)
        sp.save(solution, tmp_path / "l.h5", resolution=5)
        with drawn(tmp_path / "l.h5") as figures:
            assert vertical_lines(figures["l_loss.png"]) == expected


# --- signed distances -------------------------------------------------------------------------------


def test_sdf_slices_are_signed_on_one_scale_and_named(tmp_path):
    solution = sp.Solution(Linear([1.0, 0.5, -0.5], bias=0.1), ["x", "y", "z"], ["sdf"], kind="sdf",
                           bounds=([-1.0] * 3, [1.0] * 3))
    sp.save(solution, tmp_path / "s.h5", resolution=9)
    with drawn(tmp_path / "s.h5") as figures:
        slices = images(figures["s_sdf_slices.png"])
        titles = [a.get_title() for a in figures["s_sdf_slices.png"].axes if a.images]
    assert titles == ["sdf, z = 0.00", "sdf, y = 0.00", "sdf, x = 0.00"]
    assert len({image.get_clim() for image in slices}) == 1
    assert slices[0].get_cmap().name == "RdBu_r" and slices[0].norm.vmin == -slices[0].norm.vmax


def test_an_error_scale_spans_at_least_a_decade_and_survives_an_all_zero_error():
    from sirenpde.results.plotting_style import error_scale

    nearly_constant = error_scale(np.array([0.0099999, 0.01, np.nan]))
    assert nearly_constant.vmin == pytest.approx(0.001) and nearly_constant.vmax == pytest.approx(0.01)
    wide = error_scale(np.array([1e-9, 1e-2]))
    assert wide.vmin == pytest.approx(1e-5)  # at most ERROR_DECADES below the largest
    zero = error_scale(np.zeros(4))
    assert 0 < zero.vmin < zero.vmax and np.all(zero.shown(np.zeros(4)) == zero.vmin)
