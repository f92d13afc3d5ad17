"""Turn a pydantic ValidationError into ConfigError lines, one per mistake: where, expected, found, a fix."""

from __future__ import annotations

import difflib
import typing

from pydantic import BaseModel, ValidationError

from .errors import ConfigError, ConfigErrors
from .yaml_source import YamlSource

__all__ = ["to_config_error", "booleans_as_numbers"]

_KEY_ERRORS = ("extra_forbidden", "unexpected_keyword_argument")


def to_config_error(err: ValidationError, source: YamlSource, root: type) -> ConfigError:
    """Every independent mistake in ``err`` as a :class:`ConfigError` pointing into ``source`` (a
    :class:`ConfigErrors` when there are several): pydantic's errors grouped by the key they concern,
    one line per group."""
    errors = err.errors(include_url=False)
    located = [_located(*_first(group, source), source, root) for group in _by_key(errors, source)]
    return located[0] if len(located) == 1 else ConfigErrors(located)


def _by_key(errors: list, source: YamlSource) -> list[list]:
    """``errors`` in groups that concern one key: the alternatives of a union (``resolution`` and
    ``resolution[1]``) together. A missing key with an unknown key beside it is left out: most
    likely the unknown key is its typo, whose message suggests the fix."""
    paths = [_key_path(e, source) for e in errors]
    typo_parents = {loc[:-1] for e, loc in zip(errors, paths, strict=True) if e["type"] in _KEY_ERRORS}
    groups: list[tuple[tuple, list]] = []
    for e, loc in zip(errors, paths, strict=True):
        if e["type"] == "missing" and loc[:-1] in typo_parents:
            continue
        for key, group in groups:
            if key[: len(loc)] == loc or loc[: len(key)] == key:
                group.append(e)
                break
        else:
            groups.append((loc, [e]))
    return [group for _, group in groups]


def _located(e: dict, loc: tuple, source: YamlSource, root: type) -> ConfigError:
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
    elif kind in ("too_short", "too_long"):
        bound, limit = ("at least", "min_length") if kind == "too_short" else ("at most", "max_length")
        n = e["ctx"][limit]
        message = f"expected {bound} {n} item{'s' * (n != 1)}, found {e['ctx']['actual_length']}"
    else:
        expected = e["msg"].removeprefix("Input should be ").removeprefix("Value should be ")
        message = f"expected {expected}, found {_show(found)}"
    return source.error(loc, message)


def booleans_as_numbers(data: object, spec: object, source: YamlSource) -> list[ConfigError]:
    """A :class:`ConfigError` for each place where the file says ``true``/``false`` and ``spec``
    (the validated file) holds a number: pydantic reads ``radius: true`` as 1.0, never what was meant."""
    return list(_booleans_as_numbers(data, spec, source, ()))


def _booleans_as_numbers(data: object, spec: object, source: YamlSource, path: tuple):
    """``data`` is the parsed file, walked alongside ``spec``; parts whose shapes differ are skipped."""
    if isinstance(data, bool):
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            yield source.error(path, f"expected a number, found {str(data).lower()}")
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(spec, dict) and key in spec:  # a mapping of sections (custom constraints)
                yield from _booleans_as_numbers(value, spec[key], source, path + (key,))
            elif isinstance(key, str) and hasattr(spec, key):
                yield from _booleans_as_numbers(value, getattr(spec, key), source, path + (key,))
    elif isinstance(data, list) and isinstance(spec, (list, tuple)) and len(data) == len(spec):
        for i, (value, item) in enumerate(zip(data, spec, strict=True)):
            yield from _booleans_as_numbers(value, item, source, path + (i,))


def _first(errors: list, source: YamlSource) -> tuple[dict, tuple]:
    """The first error and its key path; for a union (``int | list[int]``), the alternative that
    reaches deepest into the value, e.g. ``resolution[0]`` rather than "expected an integer".

    A missing key next to an unknown one is most likely a typo of it: report the unknown key,
    whose message suggests the fix.
    """
    best, best_loc = errors[0], _key_path(errors[0], source)
    if best["type"] == "missing":
        for e in errors[1:]:
            loc = _key_path(e, source)
            if e["type"] in _KEY_ERRORS and loc[:-1] == best_loc[:-1]:
                return e, loc
    if len(best_loc) < len([p for p in best["loc"] if isinstance(p, (str, int))]):  # union tags
        for e in errors[1:]:
            loc = _key_path(e, source)
            if loc[: len(best_loc)] == best_loc and len(loc) > len(best_loc):
                best, best_loc = e, loc
    return best, best_loc


def _key_path(e: dict, source: YamlSource) -> tuple:
    """``e["loc"]`` without pydantic's union tags (``constrained-int``, ``list[…]``): only keys
    that are in the file, and the missing key itself."""
    loc, path = e["loc"], ()
    for i, part in enumerate(loc):
        if not isinstance(part, (str, int)):
            continue
        if path + (part,) in source.lines or (e["type"] == "missing" and i == len(loc) - 1):
            path += (part,)
    return path


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
