"""ConfigError: one line that says where (file, line, key), what was expected and what was found."""

from __future__ import annotations

__all__ = ["ConfigError", "ConfigErrors", "raise_all", "format_key"]


def format_key(path: tuple[str | int, ...]) -> str:
    """``("boundary", 1, "value")`` → ``boundary[1].value``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class ConfigError(ValueError):
    """A problem file (or its data) is wrong.

    ``str(err)`` is one line: ``FILE:LINE: key.path: message``.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: tuple[str | int, ...] = ()):
        self.message, self.file, self.line, self.key = message, file, line, tuple(key)
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        key = f"{format_key(self.key)}: " if self.key else ""
        return " ".join(f"{where}{key}{self.message}".split())

    def lines(self) -> list[str]:
        """What the command line prints, one line per error."""
        return [str(self)]


class ConfigErrors(ConfigError):
    """Several independent mistakes in one file, each a :class:`ConfigError` of one line; ``str`` is
    those lines, in the file's order."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = sorted(errors, key=lambda e: (e.line or 0))
        first = self.errors[0]
        super().__init__(first.message, file=first.file, line=first.line, key=first.key)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        return [line for e in self.errors for line in e.lines()]


def raise_all(errors: list[ConfigError]) -> None:
    """Raise the one error, or all of them together; nothing when there is none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)
