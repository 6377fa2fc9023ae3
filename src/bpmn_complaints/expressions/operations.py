"""The operators an expression may use, with every result checked against the size limits."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any, NoReturn

from .errors import MAX_EXPONENT, MAX_INT_BITS, MAX_LENGTH, EvaluationError

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
UNARYOPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_,
}
CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def raise_too_large(what: str) -> NoReturn:
    raise EvaluationError(f"the result of {what} is too large (limit {MAX_LENGTH:,} items or characters)")


def deep_size(value: Any, limit: int) -> int:
    """Roughly how many characters ``str(value)`` would take, counting through
    nested containers: one per item, string lengths, and the digits of big ints.

    Stops counting once past ``limit``, so the cost is bounded by the limit.
    """
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() // 4
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
    return total


def checked(value: Any) -> Any:
    """Return ``value`` if it is within the size limits, else raise EvaluationError."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise EvaluationError(f"integer result is too large (limit {MAX_INT_BITS} bits)")
    elif isinstance(value, (str, list, tuple, dict, set)) and len(value) > MAX_LENGTH:
        raise_too_large("this operation")
    elif isinstance(value, complex):
        raise EvaluationError("the result is a complex number")
    return value


def _power(base: Any, exponent: Any) -> Any:
    # Integer powers are exact and can be made arbitrarily expensive (9**9**9), so
    # bound the exponent and the size of the result before computing it.
    if isinstance(base, int) and isinstance(exponent, int):
        if abs(exponent) > MAX_EXPONENT:
            raise EvaluationError(f"exponent {exponent} is too large (limit {MAX_EXPONENT})")
        if exponent > 0 and base.bit_length() * exponent > MAX_INT_BITS:
            raise EvaluationError(f"integer result is too large (limit {MAX_INT_BITS} bits)")
    return base**exponent


def binary(op: type[ast.operator], left: Any, right: Any) -> Any:
    """Apply the binary operator ``op``, refusing results over the limits before building them."""
    if op is ast.Pow:
        return checked(_power(left, right))
    if op is ast.Mod and isinstance(left, (str, bytes)):
        raise EvaluationError("string formatting with '%' is not allowed")
    if op is ast.Mult:
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and count > 0:
                if deep_size(seq, MAX_LENGTH // count) > MAX_LENGTH // count:
                    raise_too_large("'*'")
    if op is ast.Add and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        if len(left) + len(right) > MAX_LENGTH:
            raise_too_large("'+'")
    return checked(_BINOPS[op](left, right))
