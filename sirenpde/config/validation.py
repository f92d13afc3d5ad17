"""Turn a pydantic ValidationError into one ConfigError line: where, expected, found, a fix."""

from __future__ import annotations

import difflib
import typing

from pydantic import BaseModel, ValidationError

from .errors import ConfigError
from .yaml_source import YamlSource

__all__ = ["to_config_error"]

_KEY_ERRORS = ("extra_forbidden", "unexpected_keyword_argument")


def to_config_error(err: ValidationError, source: YamlSource, root: type) -> ConfigError:
    """The first error of ``err`` as a :class:`ConfigError` pointing into ``source``."""
    e = err.errors(include_url=False)[0]
    loc = tuple(p for p in e["loc"] if isinstance(p, (str, int)))
    kind, found = e["type"], e.get("input")
    if kind in _KEY_ERRORS:
        key = loc[-1]
        allowed = sorted(_allowed_keys(root, loc[:-1]))
        hint = difflib.get_close_matches(str(key), allowed, n=1)
        fix = f"did you mean {hint[0]!r}? " if hint else ""
        message = f"unknown key {key!r}; {fix}expected one of: {', '.join(allowed)}"
    elif kind == "missing":
        message = "required key is missing"
    elif kind in ("value_error", "assertion_error"):
        message = str(e["ctx"]["error"]) if "ctx" in e else e["msg"]
    else:
        expected = e["msg"].removeprefix("Input should be ").removeprefix("Value should be ")
        message = f"expected {expected}, found {_show(found)}"
    return source.error(loc, message)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(root: type, loc: tuple) -> set[str]:
    """Field names valid at ``loc`` (a key path into a model of type ``root``)."""
    types = [root]
    for part in loc:
        if isinstance(part, int):
            continue
        nxt = []
        for t in types:
            field = _fields(t).get(part)
            if field is not None:
                nxt.extend(_model_types(field.annotation))
        types = nxt or types
    return {name for t in types for name in _fields(t)}


def _fields(tp: object) -> dict:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.model_fields
    return getattr(tp, "__pydantic_fields__", {})


def _model_types(annotation: object) -> list:
    if _fields(annotation):
        return [annotation]
    return [t for arg in typing.get_args(annotation) for t in _model_types(arg)]
