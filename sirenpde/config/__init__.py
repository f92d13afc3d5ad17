"""Problem files: YAML → validated sections → a Problem plus model, training and output settings.

Every error is a :class:`ConfigError` whose message is one line, ``FILE:LINE: key.path: …``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..problem import Problem
from ..settings import ModelConfig, TrainConfig
from .compile import Compiler
from .errors import ConfigError
from .poisson import PoissonFile
from .schema import FileBase
from .validation import to_config_error
from .yaml_source import YamlSource, parse_yaml, read_yaml

__all__ = ["ConfigError", "RunSpec", "load_problem_file", "load_problem_text", "FAMILIES"]

FAMILIES: dict[str, type[FileBase]] = {"poisson": PoissonFile}
"""``problem:`` values and the schema of their files."""


@dataclass(frozen=True)
class RunSpec:
    """Everything a problem file asks for."""

    problem: Problem
    model: ModelConfig
    training: TrainConfig
    output_path: str
    resolution: int | list[int] | None
    source: YamlSource


def load_problem_file(path: str | Path) -> RunSpec:
    """Read, validate and build the problem file at ``path``; raises :class:`ConfigError`."""
    return _build(read_yaml(path))


def load_problem_text(text: str, name: str = "<string>") -> RunSpec:
    """Like :func:`load_problem_file`, from YAML text (``name`` labels error messages)."""
    return _build(parse_yaml(text, name))


def _build(source: YamlSource) -> RunSpec:
    data = source.data
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type(data).__name__
        raise source.error((), f"expected a mapping of keys (problem:, domain:, …), found {found}")
    family = data.get("problem")
    if family not in FAMILIES:
        if "problem" not in data:
            raise source.error(("problem",), f"required key is missing; expected one of: {', '.join(FAMILIES)}")
        raise source.error(("problem",), f"unknown problem {family!r}; expected one of: {', '.join(FAMILIES)}")
    schema = FAMILIES[family]
    try:
        spec = schema.model_validate(data)
    except ValidationError as err:
        raise to_config_error(err, source, schema) from None
    compiler = Compiler(source, spec.axis_names())
    try:
        problem = spec.build(compiler)
    except ValueError as err:
        if isinstance(err, ConfigError):
            raise
        raise source.error((), str(err)) from None
    default_out = Path(source.path).with_suffix(".h5").name if source.path != "<string>" else "result.h5"
    return RunSpec(problem, spec.model, spec.training, spec.output.path or default_out,
                   spec.output.resolution, source)
