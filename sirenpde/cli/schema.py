"""``sirenpde schema``: the JSON Schema of problem files, generated from the models that validate them.

Editors read it for completion and checking as you type (docs/yaml-reference.md). The schema is the
models' own, with one addition: a few keys accept a short form that a validator expands before the
model sees it (``cloud: torus.xyz`` for ``cloud: {file: torus.xyz}``, ``until: 5000``, ``sampling:
lhs``). :data:`_SHORT_FORMS` lists them beside the validated form, so files written either way
validate. Expressions are text or numbers; their grammar is checked by ``sirenpde check``, not here.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from ..config import FAMILIES
from ..config.custom import _parameter_input
from ..config.eikonal import _reference_input as _fmm_reference
from ..config.helmholtz import _reference_input as _fd_reference
from ..config.nodes import _medium_input, expression_input
from ..config.sampling import SamplingNode
from ..config.schema import DomainNode
from ..config.sdf import _cloud_input
from ..domains import SAMPLERS
from ..training.until import seconds, short_form
from .solve import EXIT_OK

__all__ = ["add_parser", "schema", "problem_file_schema", "OPEN"]

OPEN = "accepts a form this schema does not describe: any value passes here; `sirenpde check` decides"
"""The ``$comment`` of a part left open because its validator is not in :data:`_SHORT_FORMS`."""


def _bare(option: str) -> list[dict[str, Any]]:
    """``reference: fd`` and ``reference: {fd: null}``: the numerical reference with its defaults."""
    return [{"const": option},
            {"type": "object", "properties": {option: {"type": "null"}}, "required": [option],
             "additionalProperties": False}]


# validator → the forms it accepts beside the validated one (where that is `Any`, instead of it).
_SHORT_FORMS: dict[Callable, list[dict[str, Any]]] = {
    expression_input: [{"type": ["string", "number"],
                        "description": "an expression in the axes, e.g. 'sin(pi*x)*cos(y)', or a number"}],
    _medium_input: [],  # the validated form already lists the expression and the {file:, lo:, hi:} node
    _parameter_input: [],
    DomainNode._bounded.__func__: [],  # checks the size, changes nothing
    _cloud_input: [{"type": "string", "description": "the point cloud's file (short for {file: …})"}],
    _fd_reference: _bare("fd"),
    _fmm_reference: _bare("fmm"),
    short_form: [{"type": "integer", "minimum": 1, "description": "Adam's maximum steps"},
                 {"type": "string", "description": "a time budget: '90 s', '2 min', '1.5 h'"}],
    seconds: [{"type": "string", "description": "a duration with a unit: '90 s', '2 min', '1.5 h'"}],
    SamplingNode._shorthand.__func__: [{"enum": [*sorted(SAMPLERS), "rad"]}],
}


class _WithShortForms(GenerateJsonSchema):
    """pydantic's schema generator, adding each validator's short forms from :data:`_SHORT_FORMS`."""

    def function_before_schema(self, schema) -> dict[str, Any]:
        return _with_short_forms(super().function_before_schema(schema), schema["function"]["function"])

    def model_schema(self, schema) -> dict[str, Any]:
        # A model-level validator: the model's own schema (with its closed set of keys) is one
        # alternative and its short forms the others, rather than short forms inside the object.
        inner = schema["schema"]
        if inner["type"] != "function-before":
            return super().model_schema(schema)
        validated = super().model_schema({**schema, "schema": inner["schema"]})
        return _with_short_forms(validated, inner["function"]["function"])


def _with_short_forms(validated: dict[str, Any], validator: Callable) -> dict[str, Any]:
    forms = _SHORT_FORMS.get(getattr(validator, "__func__", validator))
    if forms is None:
        return {"$comment": OPEN}
    if not forms:
        return validated
    if validated == {}:
        return {"anyOf": forms}
    labels = {k: validated[k] for k in ("title", "description") if k in validated}
    return {**labels, "anyOf": [validated, *forms]}


def problem_file_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a problem file: the family's schema for each ``problem:``."""
    files = Annotated[functools.reduce(operator.or_, FAMILIES.values()), Field(discriminator="problem")]
    generated = TypeAdapter(files).json_schema(schema_generator=_WithShortForms)
    # `if problem is X then <X's schema>` rather than pydantic's oneOf: a validator or an editor then
    # reports a mistake inside the file's own family ("training: unknown key"), not "matches none".
    families = generated["discriminator"]["mapping"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sirenpde problem file",
        "description": "A problem for `sirenpde solve`: the physics (problem, domain, pde, boundary, …),"
                       " and optionally model, training and output settings.",
        "type": "object",
        "properties": {"problem": {"enum": list(families), "description": "the family of the problem"}},
        "required": ["problem"],
        "allOf": [{"if": {"properties": {"problem": {"const": name}}, "required": ["problem"]},
                   "then": {"$ref": ref}} for name, ref in families.items()],
        "$defs": generated["$defs"],
    }


def add_parser(sub) -> None:
    """Add the ``schema`` verb to the sub-command parsers ``sub``."""
    sub.add_parser("schema", help="print the JSON Schema of problem files (for editor completion:"
                   " sirenpde schema > sirenpde.schema.json)")


def schema(args) -> int:
    """``sirenpde schema``: the schema as JSON on standard output."""
    try:
        print(json.dumps(problem_file_schema(), indent=2), flush=True)
    except BrokenPipeError:  # `sirenpde schema | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return EXIT_OK
