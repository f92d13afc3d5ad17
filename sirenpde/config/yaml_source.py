"""Read a YAML problem file and remember the line of every key, so errors can point at it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConfigError

__all__ = ["YamlSource", "read_yaml"]

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlSource:
    """A parsed problem file.

    Attributes:
        path: the file name, as given (used in messages).
        text: the file's text.
        data: the parsed document (plain dicts, lists and scalars).
        lines: 1-based line of each key path, e.g. ``("boundary", 1, "value") -> 14``.
    """

    path: str
    text: str
    data: object
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if tuple(path[:end]) in self.lines:
                return self.lines[tuple(path[:end])]
        return None

    def error(self, path: Path_, message: str) -> ConfigError:
        """A :class:`ConfigError` located at ``path`` in this file."""
        return ConfigError(message, file=self.path, line=self.line_of(path), key=path)


def read_yaml(path: str | Path) -> YamlSource:
    """Parse ``path`` with PyYAML's safe loader, recording key lines and refusing duplicate keys."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found; check the path", file=name) from None
    except UnicodeDecodeError as err:
        line = err.object[: err.start].count(b"\n") + 1
        message = f"not UTF-8 text (byte {err.object[err.start]:#04x}); expected a YAML text file"
        raise ConfigError(message, file=name, line=line) from None
    except OSError as err:
        raise ConfigError(f"cannot read the file: {err}", file=name) from None
    return parse_yaml(text, name)


_MAX_DIGITS = 400
_YAML_1_1_ONLY = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 scalars.

    YAML 1.1 reads ``on``/``off``/``yes``/``no`` as booleans (so the key ``on:`` became ``True``),
    ``1e-3`` as a string and ``2024-13-01`` as a date (an invalid one fails without a line number);
    YAML 1.2 — and users — expect none of these.
    """

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        # Python refuses to convert more than 4300 digits, with advice for programmers and no line.
        if len(node.value) > _MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {len(node.value)} digits; expected at most {_MAX_DIGITS}"
                " (floats end at 1.8e308)", node.start_mark)
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in _YAML_1_1_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)


def parse_yaml(text: str, name: str = "<string>") -> YamlSource:
    """Parse YAML ``text``; ``name`` labels error messages."""
    try:
        loader = _Loader(text)  # which checks every character at once
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        message = (f"invalid YAML: unprintable character {err.character:#06x}; expected printable text:"
                   " remove it, or save the file as plain UTF-8 text")
        raise ConfigError(message, file=name, line=line) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(err.problem or err.context or "malformed YAML").split())
        if err.context and problem.startswith("but "):  # "expected a single document …, but found another"
            problem = f"{err.context}, {problem}"
        raise ConfigError(f"invalid YAML: {problem}", file=name, line=line) from None
    except (yaml.YAMLError, RecursionError, ValueError) as err:
        raise ConfigError(f"invalid YAML: {' '.join(str(err).split())}", file=name) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _record(node, (), lines, name)
    return YamlSource(name, text, data, lines)


_MAX_NODES = 100_000  # aliases can make a small file expand exponentially ("billion laughs")


def _record(node: yaml.Node, path: Path_, lines: dict[Path_, int], name: str) -> None:
    if len(lines) > _MAX_NODES:
        message = f"the document expands to more than {_MAX_NODES} entries (YAML aliases?)"
        raise ConfigError(message, file=name)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key_node.tag != "tag:yaml.org,2002:str":  # `1:`, `true:`, `null:`; every key is a name
                kind = key_node.tag.rpartition(":")[2]
                raise ConfigError(f"expected a name as the key, found {key!r} (YAML reads it as {kind})",
                                  file=name, line=key_node.start_mark.line + 1, key=path + (str(key),))
            if key in seen:
                raise ConfigError(
                    f"duplicate key {key!r}; each key may appear once",
                    file=name, line=key_node.start_mark.line + 1, key=path + (key,),
                )
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _record(value_node, path + (key,), lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record(item, path + (i,), lines, name)
