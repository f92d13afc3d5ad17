"""Save a Solution to HDF5 and load it back as a continuous field (layout: docs/hdf5-format.md)."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np
import torch

from .._version import __version__
from ..domains.media import GriddedMedium, SpatialMedium
from ..model.ansatz import AbstractAnsatz
from ..model.ansatz_registry import ANSATZE, rebuild_ansatz
from ..model.marched import MarchedModel
from ..model.siren import SIREN
from .atomic import atomic_path
from .comparison import Comparison, compare
from .solution import Solution
from .xdmf import attach_dimension_scales, write_xdmf, write_xdmf_arrays

__all__ = ["save", "load", "read_error_by_time", "FORMAT_VERSION"]

FORMAT_VERSION = 1
log = logging.getLogger(__name__)


def save(
    solution: Solution,
    path: str | os.PathLike,
    *,
    resolution=None,
    problem_text: str = "",
    comparison: Comparison | None = None,
    xdmf: bool = False,
) -> dict[str, float]:
    """Write ``solution`` to ``path`` atomically (temporary file, then rename).

    Args:
        solution: the result to store.
        path: the ``.h5`` file; its folder must exist.
        resolution: grid points per axis for ``/fields`` (default: the solution's own, else by
            dimension); ignored when ``comparison`` is given.
        problem_text: the problem file's text, kept verbatim so a result documents its input.
        comparison: the solution on its grid against its reference
            (:func:`~sirenpde.results.comparison.compare`), written as given. Without it, it is
            computed here — which evaluates a numerical reference; compute it beforehand when the
            errors are needed elsewhere too, so that the reference is evaluated once.
        xdmf: also write the XDMF sidecar (``result.h5`` → ``result.xdmf``) that ParaView and VisIt
            open, and the ``/xdmf`` arrays it points at; skipped above three spatial axes.

    Returns:
        The relative L2 error per field when an exact solution or a reference exists (measured
        where ``solution.error_mask`` allows), else an empty dict.
    Raises:
        ValueError: a field is NaN or infinite somewhere on the grid (nothing is written).
    """
    c = comparison if comparison is not None else compare(solution, resolution)
    with atomic_path(Path(path)) as tmp, h5py.File(tmp, "w") as f:
        _write_attrs(f, solution, problem_text)
        _write_grid(f, c.grid)
        for name, v in c.values.items():
            f.create_dataset(f"fields/{name}", data=v, compression="gzip")
        if c.reference is not None:
            f.attrs["reference_kind"] = c.kind
            f.create_dataset("grid/error_mask", data=c.error_mask, compression="gzip")
            for name, ref in c.reference.items():
                f.create_dataset(f"reference/{name}", data=ref, compression="gzip")
                err = f.create_dataset(f"error/{name}", data=c.values[name] - ref, compression="gzip")
                err.attrs["relative_l2"] = c.errors[name]
                f.attrs[f"relative_l2_{name}"] = c.errors[name]
            for name, curve in (c.by_time or {}).items():
                f.create_dataset(f"error_by_time/{name}", data=curve)
        _write_history(f.create_group("history"), solution.history)
        _write_model(f.create_group("model"), solution.model)
        _write_unknowns(f, solution, c.grid)
        _write_coefficients(f, solution)
        attach_dimension_scales(f, c.grid.axes)
        sidecar = xdmf and write_xdmf_arrays(f, c.grid, solution.time_axis)
    if sidecar:
        write_xdmf(path)
    return dict(c.errors)


def _write_attrs(f: h5py.File, solution: Solution, problem_text: str) -> None:
    f.attrs["format"] = "sirenpde"
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["sirenpde_version"] = __version__
    f.attrs["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    f.attrs["problem_kind"] = solution.kind
    f.attrs["problem_yaml"] = problem_text
    f.attrs["axes"] = list(solution.axes)
    f.attrs["fields"] = list(solution.fields)
    f.attrs["complex"] = solution.complex
    f.attrs["bounds_lo"] = solution.bounds[0]
    f.attrs["bounds_hi"] = solution.bounds[1]
    f.attrs["complete"] = True
    if solution.time_axis is not None:
        f.attrs["time_axis"] = solution.time_axis
    for key, value in solution.info.items():
        f.attrs[key] = value if value is not None else ""


def _write_unknowns(f: h5py.File, solution: Solution, grid) -> None:
    """An inverse problem's fitted scalars (attributes of ``/parameters/<name>``) and coefficient
    fields (``/unknowns/<name>`` on the grid)."""
    for name, entry in solution.parameters.items():
        group = f.create_group(f"parameters/{name}")
        for key, value in entry.items():
            group.attrs[key] = value
    for name, values in solution.unknown_fields_on_grid(grid).items():
        f.create_dataset(f"unknowns/{name}", data=values, compression="gzip")


def _write_coefficients(f: h5py.File, solution: Solution) -> None:
    """The known coefficients as their samples (``/coefficients/<name>``) with what rebuilds them:
    the grid's corners, the interpolation and the axes it spans."""
    for name, coefficient in solution.coefficients.items():
        medium = coefficient.medium if isinstance(coefficient, SpatialMedium) else coefficient
        if not isinstance(medium, GriddedMedium):
            log.warning("the coefficient %s is not a grid of samples (%s); it is not stored",
                        name, type(medium).__name__)
            continue
        dataset = f.create_dataset(f"coefficients/{name}", data=medium.values, compression="gzip")
        dataset.attrs["lo"], dataset.attrs["hi"] = np.asarray(medium.lo), np.asarray(medium.hi)
        dataset.attrs["interpolation"] = medium.interpolation
        dataset.attrs["axes"] = list(solution.axes[: medium.dim])


def _read_coefficients(f: h5py.File, axes: list[str]) -> dict:
    out = {}
    for name, dataset in f.get("coefficients", {}).items():
        attrs = dataset.attrs
        medium = GriddedMedium(np.asarray(dataset[()]), tuple(attrs["lo"]), tuple(attrs["hi"]),
                               str(attrs["interpolation"]))
        out[name] = SpatialMedium(medium) if medium.dim < len(axes) else medium
    return out


def _write_grid(f: h5py.File, grid) -> None:
    for axis, coords in zip(grid.axes, grid.coords, strict=True):
        f.create_dataset(f"grid/{axis}", data=coords)
    f.create_dataset("grid/mask", data=grid.mask, compression="gzip")


def _write_history(group: h5py.Group, history: dict) -> None:
    for key, values in history.items():
        group.create_dataset(key, data=np.asarray(values))


def _write_model(group: h5py.Group, model: torch.nn.Module) -> None:
    if isinstance(model, MarchedModel):  # every window's network, plus the joins' record
        group.attrs[model.kind] = json.dumps(model.description())
        group.attrs["architecture"], group.attrs["loadable"] = "SIREN per time window", True
        for k, network in enumerate(model.networks):
            _write_network(group.create_group(f"windows/{k}"), network)
        return
    if isinstance(model, AbstractAnsatz):  # the network, plus what rebuilds the closed-form part
        group.attrs[model.kind] = json.dumps(model.description())
        model = model.network
    _write_network(group, model)


def _write_network(group: h5py.Group, model: torch.nn.Module) -> None:
    if not isinstance(model, SIREN):
        group.attrs["architecture"] = type(model).__name__
        group.attrs["loadable"] = False
        return
    group.attrs["architecture"] = "SIREN"
    group.attrs["loadable"] = True
    group.attrs["hparams"] = json.dumps(model.hparams)
    group.attrs["dtype"] = str(next(model.parameters()).dtype).removeprefix("torch.")
    for key, tensor in model.state_dict().items():
        group.create_dataset(f"state/{key}", data=tensor.detach().cpu().numpy())


def _read_network(group: h5py.Group, bounds) -> SIREN:
    network = SIREN(**json.loads(group.attrs["hparams"]), bounds=bounds)
    network.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in _walk(group["state"])})
    return network.to(dtype=getattr(torch, group.attrs.get("dtype", "float32")))


def load(path: str | os.PathLike, device: str = "cpu") -> Solution:
    """Rebuild the :class:`Solution` stored in ``path``: it evaluates anywhere, not only on the grid.

    The result has no domain or exact solution attached; the stored grid, mask and reference
    remain readable with h5py. Known coefficients come back from their stored samples
    (``solution.coefficients``); pass them to :func:`~sirenpde.load_problem_text` with the stored
    problem text to evaluate the problem's residuals again.
    """
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != "sirenpde":
            raise ValueError(f"{path}: not a sirenpde result (no format='sirenpde' attribute)")
        m = f["model"]
        if not m.attrs.get("loadable", False):
            raise ValueError(f"{path}: the stored model ({m.attrs.get('architecture')}) cannot be rebuilt")
        bounds = (np.asarray(f.attrs["bounds_lo"]), np.asarray(f.attrs["bounds_hi"]))
        if MarchedModel.kind in m.attrs:
            windows = m["windows"]
            networks = [_read_network(windows[str(k)], bounds) for k in range(len(windows))]
            model = MarchedModel.from_description(networks, json.loads(m.attrs[MarchedModel.kind]))
        else:
            model = _read_network(m, bounds)
            for name in ANSATZE:  # at most one: a problem has one ansatz
                if name in m.attrs:
                    model = rebuild_ansatz(name, model, json.loads(m.attrs[name]))
        history = {k: np.asarray(v) for k, v in _walk(f["history"])}
        axes = [str(a) for a in f.attrs["axes"]]
        fields = [str(a) for a in f.attrs["fields"]]
        kind = str(f.attrs["problem_kind"])
        is_complex = bool(f.attrs.get("complex", False))
        info = {k: _plain(f.attrs[k]) for k in _INFO_KEYS if k in f.attrs}
        time_axis = f.attrs.get("time_axis")
        parameters = {name: {k: _plain(v) for k, v in group.attrs.items()}
                      for name, group in f.get("parameters", {}).items()}
        coefficients = _read_coefficients(f, axes)
    model = model.to(device=device)
    return Solution(model, axes, fields, kind=kind, history=history, info=info, bounds=bounds,
                    complex=is_complex, time_axis=None if time_axis is None else str(time_axis),
                    parameters=parameters, coefficients=coefficients)


_INFO_KEYS = ("steps", "lm_steps", "lbfgs_steps", "seed", "device", "dtype", "wall_time", "best_step",
              "best_validation_loss", "title", "reference_kind", "mesh_files", "chosen",
              "natural_scales", "windows", "window_times", "lm_ending")


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _walk(group: h5py.Group, prefix: str = ""):
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            yield from _walk(item, f"{prefix}{key}/")
        else:
            yield f"{prefix}{key}", item[()]


def read_error_by_time(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """The times and each field's relative L2 error at each, from a space-time result with a
    reference; ``None`` for other results."""
    with h5py.File(path, "r") as f:
        if "error_by_time" not in f or "time_axis" not in f.attrs:
            return None
        times = np.asarray(f["grid"][str(f.attrs["time_axis"])])
        return times, {name: np.asarray(d) for name, d in f["error_by_time"].items()}
