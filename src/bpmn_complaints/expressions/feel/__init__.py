"""FEEL (DMN 1.3's Friendly Enough Expression Language), for Camunda 8 diagrams and DMN.

:func:`compile_feel` reads an expression with the grammar in :mod:`.grammar` and returns a
:class:`FeelExpression`, which :mod:`.interpreter` runs with FEEL's semantics (1-based
indexes, null propagation, three-valued logic, decimals, dates, times and durations) and
the built-ins of :mod:`.builtins`. :func:`compile_unary_tests` reads a DMN input entry.
Nothing here reaches Python's ``eval``; every run is bounded in steps, depth and size.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from ..errors import EvaluationError, ExpressionError
from . import values
from .builtins import BUILTINS, parse_date, parse_datetime
from .grammar import parse
from .interpreter import Interpreter, Scope
from .values import D, FeelError, Function, Range, YearsMonths

__all__ = ["BUILTINS", "FeelError", "FeelExpression", "FeelUnaryTests", "Function", "Interpreter", "Range",
           "Scope", "YearsMonths", "compile_feel", "compile_unary_tests", "from_python", "to_python", "values"]


def from_python(value: Any) -> Any:
    """Task data as FEEL values: ints and floats become decimals, tuples lists."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, D, dt.date, dt.time, dt.timedelta)):
        return value
    if isinstance(value, int):
        return D(value)
    if isinstance(value, float):
        return values.number(repr(value))
    if isinstance(value, (list, tuple)):
        return [from_python(x) for x in value]
    if isinstance(value, Mapping):
        return {str(k): from_python(x) for k, x in value.items()}
    return value


def to_python(value: Any) -> Any:
    """A FEEL value as JSON-friendly task data: whole decimals become ints, others floats;
    temporal values and durations their ISO 8601 text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, D):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, list):
        return [to_python(x) for x in value]
    if isinstance(value, dict):
        return {k: to_python(x) for k, x in value.items()}
    if isinstance(value, Function):
        raise EvaluationError("a function is not a value that can be stored")
    return values.to_string(value)


def _names(node: Any, out: set[str], calls: set[str]) -> None:
    if isinstance(node, tuple):
        if len(node) == 2 and node[0] == "var" and isinstance(node[1], str):
            out.add(node[1])
            return
        if node and node[0] == "call" and isinstance(node[1], tuple) and node[1][0] == "var":
            calls.add(node[1][1])
            for arg in node[2]:
                _names(arg, out, calls)
            return
        for child in node[1:]:
            _names(child, out, calls)
    elif isinstance(node, list):
        for child in node:
            _names(child, out, calls)


class FeelExpression:
    """A parsed FEEL expression, the same shape as :class:`~..compiler.Expression`.

    :attr names: the names it reads (approximate: bound names of ``for`` and filters too).
    :attr functions: the functions it calls that are not FEEL built-ins.
    """

    dialect = "feel"

    def __init__(self, source: str, tree: Any) -> None:
        self.source = source
        self._tree = tree
        names: set[str] = set()
        calls: set[str] = set()
        _names(tree, names, calls)
        self.names = frozenset(names - {"?", "item", "partial"})
        self.functions = frozenset(calls - set(BUILTINS) - {"is defined"})

    def __repr__(self) -> str:
        return f"FeelExpression({self.source!r})"

    def evaluate_feel(self, scope: Scope, functions: Mapping[str, Function] | None = None,
                      types: Mapping[str, Any] | None = None) -> Any:
        """Evaluate against FEEL values; the answer is a FEEL value."""
        interp = Interpreter({**BUILTINS, **(functions or {})}, types)
        return _run(lambda: interp.eval(self._tree, scope), self.source)

    def evaluate(self, names: Mapping[str, Any], functions: Mapping[str, Any] | None = None) -> Any:
        """Evaluate against task data (Python values); the answer is a Python value.

        ``functions`` (Python callables, e.g. ``now``) are offered under their names.
        """
        functions = functions or {}
        extra = {name: Function([], _python_call(fn), None, name, builtin=True)
                 for name, fn in functions.items() if name not in BUILTINS}
        # The caller's clock (tests and the demo move it) for FEEL's now() and today().
        for name, parse_value in (("now", parse_datetime), ("today", parse_date)):
            if name in functions:
                extra[name] = Function([], _clock_call(functions[name], parse_value), None, name, builtin=True)
        scope = Scope({k: from_python(x) for k, x in names.items()})
        return to_python(self.evaluate_feel(scope, extra))


def _python_call(fn: Any) -> Any:
    def call(_interp: Any, positional: list[Any], named: dict[str, Any]) -> Any:
        return from_python(fn(*[to_python(a) for a in positional], **{k: to_python(x) for k, x in named.items()}))
    return call


def _clock_call(fn: Any, parse_value: Any) -> Any:
    def call(_interp: Any, positional: list[Any], named: dict[str, Any]) -> Any:
        if positional or named:
            return None
        value = fn()
        return parse_value(value.replace("+00:00", "Z")) if isinstance(value, str) else from_python(value)
    return call


def _run(thunk: Any, source: str) -> Any:
    try:
        return thunk()
    except ExpressionError as exc:
        exc.expression = exc.expression or source
        raise
    except RecursionError:
        raise EvaluationError("the expression is nested too deeply", source) from None
    except (decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero, OverflowError):
        return None


class FeelUnaryTests:
    """A DMN input entry (``"gold","silver"``, ``not("bronze")``, ``[1..5]``, ``> 3``, ``-``)."""

    def __init__(self, source: str, tree: Any) -> None:
        self.source = source
        self._tree = tree

    def matches(self, value: Any, scope: Scope, functions: Mapping[str, Function] | None = None,
                types: Mapping[str, Any] | None = None) -> bool:
        interp = Interpreter({**BUILTINS, **(functions or {})}, types)
        return bool(_run(lambda: interp.matches(self._tree, value, scope), self.source))


def compile_feel(source: str) -> FeelExpression:
    """Parse a FEEL expression. :raises ExpressionError: with the reason."""
    return FeelExpression(source, parse(source.strip(), "start_expr"))


def compile_unary_tests(source: str) -> FeelUnaryTests:
    """Parse FEEL unary tests (a decision table input entry). :raises ExpressionError:"""
    text = source.strip() or "-"
    return FeelUnaryTests(source, parse(text, "start_tests"))
