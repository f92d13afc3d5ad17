"""A problem file run end to end — what ``sirenpde solve`` does, as a library object.

    run = FileRun.load("problems/poisson.yaml", steps=500)   # validated; overrides checked
    solution = run.train()                                    # complete: reference, error mask, title
    saved = run.save(solution, "poisson.h5")                  # reference evaluated once, result written

or in one call, :func:`solve_file`. The command line only parses arguments, prints and maps errors
to exit codes; everything else happens here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..config import ConfigError, RunSpec, load_problem_file
from ..results.comparison import Comparison, compare
from ..results.hdf5 import save
from ..results.meshing import MeshingError
from ..results.solution import Solution
from ..training.checkpoint import Checkpointing, remove_checkpoints
from ..training.distributed import Distributed
from ..training.loop import Progress, TrainingInterrupted, train
from ..training.settings import TrainConfig, resolve_device
from .output import check_output, one_line, write_meshes

__all__ = ["BadOverride", "FileRun", "Saved", "solve_file"]

OVERRIDABLE = ("steps", "device", "seed")
"""Training keys that :meth:`FileRun.load` takes as overrides (the command line's options); they are
also part of a checkpoint's key."""


class BadOverride(ConfigError):
    """An override of a file's setting is not valid: ``key``, the ``value`` given and the ``reason``."""

    def __init__(self, key: str, value, reason: str):
        super().__init__(f"bad option {key}={value!r}: {reason}")
        self.key, self.value, self.reason = key, value, reason


@dataclass(frozen=True)
class Saved:
    """What :meth:`FileRun.save` wrote: the result, its comparison with the reference, and the meshes
    (``mesh_error``: why there are none, when meshing was asked for and failed)."""

    path: Path
    comparison: Comparison
    meshes: list
    mesh_error: Exception | None = None


@dataclass(frozen=True)
class FileRun:
    """A validated problem file with its overrides applied: train it, then save the result.

    Build it with :meth:`load`. ``training`` is the file's training settings after the overrides.
    """

    path: str
    spec: RunSpec
    training: TrainConfig
    overrides: dict

    @classmethod
    def load(cls, path: str | Path, **overrides) -> FileRun:
        """Read and validate the file at ``path``; ``overrides`` replace its training settings
        (``steps``, ``device``, ``seed``; ``None`` values are ignored). ``steps`` is the Adam phase's
        length: it replaces ``training.until.steps`` too when the file sets one.

        Raises:
            ConfigError: the file is not valid (one located line).
            BadOverride: an override is not valid, or names a device this machine lacks.
        """
        spec = load_problem_file(path)
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(given) - set(OVERRIDABLE))
        if unknown:
            raise ConfigError(f"unknown override {', '.join(unknown)};"
                              f" expected one of {', '.join(OVERRIDABLE)}")
        until = spec.training.until
        try:
            changes = dict(given)
            if "steps" in given and until is not None and until.steps is not None:
                changes["until"] = dataclasses.replace(until, steps=given["steps"])  # the cap it names
            training = dataclasses.replace(spec.training, **changes)
        except ValidationError as err:
            e = err.errors(include_url=False)[0]
            key = e["loc"][0] if e["loc"] and e["loc"][0] in given else next(iter(given))
            reason = str(e["ctx"]["error"]) if e["type"] == "value_error" else e["msg"]
            raise BadOverride(str(key), e["input"] if e["loc"] else given[key], reason) from None
        try:  # before training: an unusable device is bad input, not a failed run
            resolve_device(training.device)
        except ValueError as err:
            if "device" in given:
                raise BadOverride("device", given["device"], one_line(err)) from None
            raise spec.source.error(("training", "device"), one_line(err)) from None
        return cls(str(path), spec, training, given)

    def result_path(self, out: str | Path | None = None) -> Path:
        """Where the result goes: ``out``, else the file's ``output.path``."""
        return Path(out or self.spec.output_path)

    @staticmethod
    def checkpoint_path(out: Path) -> Path:
        """The checkpoint file of the result ``out``."""
        return out.with_name(out.name + ".ckpt")

    def check_output(self, out: Path, force: bool = False, resume: bool = False) -> None:
        """Refuse, before any training, a result that cannot be written or would be lost."""
        check_output(out, self.checkpoint_path(out), force, resume or self.spec.output.resume)

    def checkpointing(self, out: Path, resume: bool = False) -> Checkpointing:
        """Checkpoints next to the result ``out``, as often as the file's ``output`` asks."""
        o = self.spec.output
        key = self.spec.config_key(steps=self.overrides.get("steps"), seed=self.overrides.get("seed"))
        return Checkpointing(self.checkpoint_path(out), key, o.checkpoint_every, o.checkpoint_minutes,
                             resume or o.resume)

    def train(
        self,
        *,
        callback: Callable[[Progress], None] | None = None,
        checkpointing: Checkpointing | None = None,
        stop: Callable[[], bool] | None = None,
        distributed: Distributed | None = None,
    ) -> Solution:
        """Train, and return the solution complete: the file's reference, error mask, title and
        output resolution. Raises what :func:`~sirenpde.train` raises; a
        :class:`~sirenpde.TrainingInterrupted` carries the complete best iterate so far."""
        spec = self.spec
        try:
            trained = train(spec.problem, config=self.training, model_config=spec.model, callback=callback,
                            checkpointing=checkpointing, stop=stop, distributed=distributed)
        except TrainingInterrupted as stopped:
            raise TrainingInterrupted(self._complete(stopped.solution)) from None
        return self._complete(trained)

    def _complete(self, solution: Solution) -> Solution:
        spec = self.spec
        info = {**solution.info, "title": spec.title, "chosen": "; ".join(spec.picked)}
        return solution.replace(reference=spec.reference, error_mask=spec.error_mask,
                                resolution=spec.resolution, info=info, coefficients=spec.coefficients)

    def save(self, solution: Solution, out: str | Path, *, final: bool = True) -> Saved:
        """Mesh (when the file asks), compare with the reference (evaluated here, once) and write the
        result ``out`` with its XDMF sidecar (``out`` with suffix ``.xdmf``, for ParaView and VisIt);
        then remove the run's checkpoints. An interrupted run's partial result
        (``final=False``) is written without meshes, and its checkpoint is kept to resume from.

        Raises:
            OSError, ValueError: the result could not be written (the checkpoint is kept).
        """
        out = Path(out)
        meshes, mesh_error = [], None
        if final and self.spec.mesh is not None:  # before saving, so that the result file names the meshes
            try:
                meshes = write_meshes(solution, self.spec.mesh, out)
                names = ", ".join(path.name for path, _ in meshes)
                solution = solution.replace(info={**solution.info, "mesh_files": names})
            except (MeshingError, OSError) as err:
                mesh_error = err
        comparison = compare(solution)
        save(solution, out, problem_text=self.spec.source.text, comparison=comparison, xdmf=True)
        if final:
            remove_checkpoints(self.checkpoint_path(out))  # the result is safely written
        return Saved(out, comparison, meshes, mesh_error)


def solve_file(
    path: str | Path,
    *,
    out: str | Path | None = None,
    force: bool = False,
    resume: bool = False,
    callback: Callable[[Progress], None] | None = None,
    **overrides,
) -> Solution:
    """Solve the problem file at ``path`` as ``sirenpde solve`` does, and return the solution.

    Args:
        path: the problem file (YAML).
        out: write the result there (HDF5, with checkpoints beside it while training); by default
            nothing is written.
        force: overwrite an existing result ``out``.
        resume: continue from the checkpoint of ``out``, if there is one.
        callback: told the progress every ``training.log_every`` steps.
        **overrides: training settings that replace the file's: ``steps``, ``device``, ``seed``.

    Returns:
        The best iterate, with the file's reference and error mask attached:
        ``solution.relative_l2()`` is the error ``sirenpde solve`` reports.

    Raises:
        ConfigError: the file or an override is not valid, or ``out`` cannot be written.
        TrainingError: training diverged beyond recovery.
    """
    run = FileRun.load(path, **overrides)
    if out is None:
        return run.train(callback=callback)
    target = run.result_path(out)
    run.check_output(target, force, resume)
    solution = run.train(callback=callback, checkpointing=run.checkpointing(target, resume))
    run.save(solution, target)
    return solution
