"""The one error of user expressions, and how its messages quote the text."""

from __future__ import annotations

__all__ = ["ExpressionError", "error", "shown"]


class ExpressionError(ValueError):
    """A user expression that cannot be compiled or evaluated.

    Attributes:
        text: The expression as the user wrote it.
        message: One line naming the offending token, what was expected and what was found.
    """

    def __init__(self, text: str, message: str) -> None:
        super().__init__(text, message)  # both in args, so the error survives pickling
        self.text = text
        self.message = message

    def __str__(self) -> str:
        return self.message


def shown(text: str, limit: int = 60) -> str:
    """Quote (part of) a text for a one-line message; repr escapes any newline."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def error(text: str, found: str, expected: str) -> ExpressionError:
    return ExpressionError(text, f"{found} in {shown(text)}; expected {expected}")
