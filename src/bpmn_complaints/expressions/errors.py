"""The errors the expression language raises, and the limits it enforces against denial of service."""

from __future__ import annotations

MAX_SOURCE_LENGTH = 10_000
MAX_NODES = 1_000
MAX_DEPTH = 100
MAX_EXPONENT = 100
MAX_INT_BITS = 4_096
MAX_LENGTH = 100_000
MAX_ROUND_DIGITS = 1_000


class ExpressionError(Exception):
    """An expression that cannot be accepted: bad syntax or a disallowed construct.

    ``str(error)`` is the human sentence in :attr:`message`; :attr:`expression` is
    the source text, and :attr:`line` the script line when there is one.
    """

    def __init__(self, message: str, expression: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.line = line

    def __str__(self) -> str:
        return self.message


class EvaluationError(ExpressionError):
    """An expression failed while running: unknown name, type error, limit exceeded."""
