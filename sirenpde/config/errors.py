"""ConfigError: one line that says where (file, line, key), what was expected and what was found."""

from __future__ import annotations

__all__ = ["ConfigError", "format_key"]


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
