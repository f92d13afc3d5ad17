"""Where a run's result goes: the checks made before any training time is spent, and the meshes
written beside the result."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..config import ConfigError
from ..results.meshing import mesh_solution
from ..training.checkpoint import remove_checkpoints

__all__ = ["MIN_FREE_BYTES", "check_output", "write_meshes"]

MIN_FREE_BYTES = 64 * 2**20
"""Free space a result folder needs before training starts: the result and its checkpoints."""


def check_output(out: Path, checkpoint: Path, force: bool, resume: bool) -> None:
    """Before any training: the result's folder exists and takes a file, and no result or
    interrupted run is lost. Raises :class:`~sirenpde.ConfigError` saying how to go on."""
    if not out.parent.exists():
        raise ConfigError(f"output folder {str(out.parent)!r} does not exist; create it or pass --out")
    resumable = resume and checkpoint.exists()
    if out.exists() and not (force or resumable):
        raise ConfigError(f"{out} exists; pass --force to overwrite it, or --out for another file")
    if checkpoint.exists() and not (force or resume):
        raise ConfigError(f"{checkpoint} holds an interrupted run; pass --resume to continue it,"
                          " or --force to start afresh")
    if force and not resume:  # starting afresh: a later --resume must not find the old run
        remove_checkpoints(checkpoint)
    for stale in out.parent.glob(f".{out.name}.*.tmp"):  # a killed run's unfinished write
        stale.unlink(missing_ok=True)
    try:
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".probe"):
            pass
    except OSError as err:
        raise ConfigError(f"cannot write to the output folder {str(out.parent)!r}: {one_line(err)};"
                          " pass --out for a writable place") from None
    free = shutil.disk_usage(out.parent).free
    if free < MIN_FREE_BYTES:
        raise ConfigError(f"only {free / 2**20:.0f} MiB free in {str(out.parent)!r}; the result and its"
                          f" checkpoints need at least {MIN_FREE_BYTES / 2**20:.0f} MiB;"
                          " free space or pass --out")


def write_meshes(solution, request, out: Path) -> list:
    """The zero surface of a 3-D solution, written next to the result as <stem>.ply / .obj:
    a list of (path, mesh)."""
    mesh = mesh_solution(solution, request.resolution, request.level)
    return [(mesh.write(out.with_suffix(f".{fmt}")), mesh) for fmt in request.formats]


def one_line(err: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(err).split())
