"""Problem files: YAML → validated sections → a Problem plus model, training and output settings.

Every error is a :class:`ConfigError` whose message is one line, ``FILE:LINE: key.path: …``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..constraints.least_squares import least_squares_obstacle
from ..constraints.marchable import marching_obstacle
from ..constraints.problem import Problem
from ..expressions.coefficients import expression
from ..model.config import ModelConfig
from ..results.meshing import MeshRequest
from ..results.solution import ErrorMask, Reference
from ..training.auto import auto_settings
from ..training.settings import TrainConfig
from .compile import Compiler
from .custom import CustomFile
from .eikonal import EikonalFile
from .errors import ConfigError, raise_all
from .helmholtz import HelmholtzFile
from .poisson import PoissonFile
from .schema import FileBase, OutputSection
from .sdf import SdfFile
from .validation import booleans_as_numbers, to_config_error
from .wave import WaveFile
from .yaml_source import YamlSource, parse_yaml, read_yaml

__all__ = ["ConfigError", "RunSpec", "load_problem_file", "load_problem_text", "FAMILIES"]

FAMILIES: dict[str, type[FileBase]] = {"poisson": PoissonFile, "helmholtz": HelmholtzFile, "wave": WaveFile,
                                       "sdf": SdfFile, "eikonal": EikonalFile, "custom": CustomFile}
"""``problem:`` values and the schema of their files."""


@dataclass(frozen=True)
class RunSpec:
    """Everything a problem file asks for.

    ``model`` and ``training`` are what the run uses: the file's keys, and the rest chosen from the
    problem (:mod:`sirenpde.training.auto`); ``picked`` says what was chosen, one line per key.

    ``reference`` (a numerical reference, for problems without an exact solution), ``error_mask``
    (where errors are measured) and ``coefficients`` (known coefficients read from data files, stored
    with the result) are for the solution, not the trainer: attach them to the trained
    :class:`~sirenpde.Solution` before saving it.
    """

    problem: Problem
    model: ModelConfig
    training: TrainConfig
    output_path: str
    resolution: int | list[int] | None
    source: YamlSource
    title: str = ""
    reference: Reference | None = None
    error_mask: ErrorMask | None = None
    mesh: MeshRequest | None = None
    output: OutputSection = OutputSection()
    picked: tuple[str, ...] = ()
    coefficients: Mapping[str, object] = field(default_factory=dict)

    def config_key(self, **overrides) -> str:
        """A fingerprint of what the run computes: the file less its ``output`` section and the
        training keys that do not change the result's meaning (device, logging, compilation), plus
        ``overrides`` (command-line options). Checkpoints of another key are refused."""
        data = {k: v for k, v in (self.source.data or {}).items() if k != "output"}
        training = {k: v for k, v in (data.get("training") or {}).items()
                    if k not in ("device", "log_every", "compile", "tf32")}
        text = json.dumps({**data, "training": training, "overrides": overrides}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def load_problem_file(path: str | Path) -> RunSpec:
    """Read, validate and build the problem file at ``path``; raises :class:`ConfigError`."""
    return _build(read_yaml(path))


def load_problem_text(text: str, name: str = "<string>", *, coefficients: Mapping | None = None) -> RunSpec:
    """Like :func:`load_problem_file`, from YAML text (``name`` labels error messages; data files are
    found relative to its folder). ``coefficients`` (known coefficients by parameter name, such as
    ``sirenpde.load(result).coefficients``) replace the files the text names for them: the problem
    of a result is built again from its stored text and data, wherever the files have gone."""
    return _build(parse_yaml(text, name), coefficients)


def _build(source: YamlSource, coefficients: Mapping | None = None) -> RunSpec:
    data = source.data
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type(data).__name__
        message = f"expected a mapping of keys (problem:, domain:, …), found {found}"
        raise ConfigError(message, file=source.path, line=source.line_of(()) or 1)
    family = data.get("problem")
    if not isinstance(family, str) or family not in FAMILIES:
        known = ", ".join(FAMILIES)
        if "problem" not in data:
            raise source.error(("problem",), f"required key is missing; expected one of: {known}")
        raise source.error(("problem",), f"unknown problem {family!r}; expected one of: {known}")
    schema = FAMILIES[family]
    try:
        spec = schema.model_validate(data)
    except ValidationError as err:
        raise to_config_error(err, source, schema) from None
    found = booleans_as_numbers(data, spec, source)  # reported with what the build finds
    compiler = Compiler(source, _axes(spec, source), stored=coefficients or {})
    _check_resolution(spec, source)
    try:
        built = spec.build_run(compiler)
    except ValueError as err:  # with the bad expressions met before it, if any
        failure = err if isinstance(err, ConfigError) else source.error((), str(err))
        raise_all([*found, *compiler.found, failure])
    raise_all([*found, *compiler.found])
    if spec.training.windows > 1 and marching_obstacle(built.problem) is not None:
        raise source.error(("training", "windows"), marching_obstacle(built.problem))
    if spec.training.lm_steps > 0:  # found by `check`, not after the Adam phase
        obstacle = least_squares_obstacle(built.problem)
        if obstacle is not None:
            raise source.error(("training", "lm_steps"), obstacle)
    choices = auto_settings(built.problem, spec.model, spec.training, _written(data, "model"),
                            _written(data, "training"))
    default_out = Path(source.path).with_suffix(".h5").name if source.path != "<string>" else "result.h5"
    return RunSpec(built.problem, choices.model, choices.training, spec.output.path or default_out,
                   spec.output.resolution, source, spec.title, built.reference, built.error_mask, built.mesh,
                   spec.output, (*(f"{k}: {why}" for k, why in compiler.picked.items()), *choices.lines()),
                   built.coefficients)


def _written(data: dict, section: str) -> dict:
    """The keys the file writes in ``section`` (validated already)."""
    given = data.get(section)
    return given if isinstance(given, dict) else {}


def _axes(spec: FileBase, source: YamlSource) -> tuple[str, ...]:
    """The axis names, checked here so that a bad name is reported at ``axes``, not at its use."""
    try:
        axes = spec.axis_names()
        expression(0.0, axes, normals=True)  # each axis and each normal n<axis> must be a variable
    except ValueError as err:
        raise source.error(("axes",), str(err)) from None
    return axes


_MAX_GRID = 10**8  # stored points per field: 0.8 GB in float64


def _check_resolution(spec: FileBase, source: YamlSource) -> None:
    # Caught here, not when the result is saved after training.
    res, dim = spec.output.resolution, len(spec.axis_names())
    if isinstance(res, list) and len(res) != dim:
        raise source.error(("output", "resolution"),
                           f"expected one count per axis ({dim}) or a single count, found {res}")
    counts = res if isinstance(res, list) else [res] * dim if res is not None else []
    if math.prod(counts) > _MAX_GRID:
        raise source.error(("output", "resolution"), f"expected at most {_MAX_GRID:,} grid points in all,"
                           f" found {res} for {dim} axes; lower the resolution")
