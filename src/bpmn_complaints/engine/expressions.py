"""The one safe evaluator for expressions written in process diagrams.

Gateway conditions, DMN cells, handler parameters, assignees, timer values and
restricted script tasks all go through this module. User text is parsed with
:func:`ast.parse` and interpreted node by node; it is never handed to Python's
``eval``, ``exec`` or ``compile``.

What an expression may contain:

- literals: strings, ints, floats, ``True``/``False``/``None``, and list, tuple,
  dict and set displays;
- names, resolved from the task data passed to ``evaluate`` and nothing else.
  ``true``, ``false`` and ``null`` are aliases of ``True``, ``False`` and ``None``
  (DMN and Camunda users type them) unless the data defines a name spelt that way;
- arithmetic ``+ - * / // % **``, comparisons (chained too: ``4 < x < 6``),
  ``in``, ``not in``, ``is``, ``is not``, ``and``, ``or``, ``not``,
  ``a if c else b``, subscripts ``x['k']``, ``x[0]`` and slices ``x[1:3]``;
- calls to a plain function name: one of :data:`DEFAULT_FUNCTIONS` or one the
  caller passes to ``evaluate`` (which wins on a clash). An unknown name is an
  :class:`EvaluationError` at run time; :func:`check_functions` finds them at
  deploy time;
- the special form ``defined(x)`` (or ``defined('x')``): ``True`` if the task data
  has the name ``x``. It cannot be overridden;
- these methods, only on a value that is a str, list, tuple or dict at run time:
  str ``lower upper strip lstrip rstrip startswith endswith count index find
  split join replace``; list and tuple ``count index``; dict ``get keys values
  items`` (``keys``/``values``/``items`` return lists).

:data:`DEFAULT_FUNCTIONS`:

- ``len(x)``, ``abs(x)``, ``round(x, ndigits=None)``, ``bool(x)``;
- ``int(x[, base])``, ``float(x)``, ``str(x)``: conversions;
- ``min(...)``, ``max(...)``: of several arguments or one iterable;
- ``sum(numbers, start=0)``: numbers only;
- ``sorted(iterable, reverse=False)``, ``list(iterable)``, ``any(iterable)``,
  ``all(iterable)``.

Everything else is rejected when the expression is compiled, with an
:class:`ExpressionError` naming the construct: names and attributes starting with
``_``, other attribute access, calls to ``eval``/``exec``/``open`` and other
dangerous builtins, calls of anything but a plain name or an allowed method,
lambda, comprehensions, f-strings, ``*``/``**`` unpacking, ``:=``, ``yield``,
``await``, bitwise operators, bytes and complex literals.

Limits against denial of service. Static ones are :class:`ExpressionError` at
compile time: source length (:data:`MAX_SOURCE_LENGTH`), node count
(:data:`MAX_NODES`) and nesting depth (:data:`MAX_DEPTH`). Run-time ones are
:class:`EvaluationError`: integer exponents above :data:`MAX_EXPONENT`, integers
longer than :data:`MAX_INT_BITS` bits, strings and collections longer than
:data:`MAX_LENGTH` (repetition, concatenation, ``join``, ``replace`` and ``str()``
are checked before the result is built), ``round`` to more than
:data:`MAX_ROUND_DIGITS` digits, and ``'...' % x`` string formatting.
"""

from __future__ import annotations

import ast
import operator
import re
import textwrap
from collections import ChainMap
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_FUNCTIONS",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "Script",
    "check_functions",
    "compile_expression",
    "compile_script",
    "evaluate",
    "parse_timer_literal",
]

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

    def __init__(self, message: str, expression: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.line = line

    def __str__(self) -> str:
        return self.message


class EvaluationError(ExpressionError):
    """An expression failed while running: unknown name, type error, limit exceeded."""


# Builtins a diagram could reach for to escape the sandbox; calling them is refused
# at compile time even if a caller were to pass one in ``functions``.
_FORBIDDEN_CALLS = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "dir", "type", "object", "input", "breakpoint", "help",
    "memoryview", "super", "classmethod", "staticmethod", "property", "exit", "quit",
})
_ALIASES = {"true": True, "false": False, "null": None}
_SPECIAL_FORMS = frozenset({"defined"})

_DISALLOWED = {
    ast.Lambda: "lambda expressions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Starred: "starred expressions (*x)",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.Yield: "'yield' expressions",
    ast.YieldFrom: "'yield' expressions",
    ast.Await: "'await' expressions",
    ast.Slice: "slices inside a tuple index",
}
_OPERATOR_SYMBOLS = {
    ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.LShift: "<<",
    ast.RShift: ">>", ast.MatMult: "@", ast.Invert: "~",
}
_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
_UNARYOPS = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_}
_CMPOPS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


def _raise_too_large(what: str) -> None:
    raise EvaluationError(f"the result of {what} is too large (limit {MAX_LENGTH:,} items or characters)")


def _deep_size(value: Any, limit: int) -> int:
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


def _checked(value: Any) -> Any:
    """Return ``value`` if it is within the size limits, else raise EvaluationError."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise EvaluationError(f"integer result is too large (limit {MAX_INT_BITS} bits)")
    elif isinstance(value, (str, list, tuple, dict, set)) and len(value) > MAX_LENGTH:
        _raise_too_large("this operation")
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


def _binary(op: type, left: Any, right: Any) -> Any:
    if op is ast.Pow:
        return _checked(_power(left, right))
    if op is ast.Mod and isinstance(left, (str, bytes)):
        raise EvaluationError("string formatting with '%' is not allowed")
    if op is ast.Mult:
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and count > 0:
                if _deep_size(seq, MAX_LENGTH // count) > MAX_LENGTH // count:
                    _raise_too_large("'*'")
    if op is ast.Add and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        if len(left) + len(right) > MAX_LENGTH:
            _raise_too_large("'+'")
    return _checked(_BINOPS[op](left, right))


# --- default functions -------------------------------------------------------


def _str(value: Any = "") -> str:
    if not isinstance(value, str) and _deep_size(value, MAX_LENGTH) > MAX_LENGTH:
        _raise_too_large("str()")
    return str(value)


def _sum(numbers: Any, start: Any = 0) -> Any:
    items = [start, *numbers]
    if not all(isinstance(item, (int, float)) for item in items):
        raise TypeError("sum() adds numbers only")
    return sum(items)


def _round(number: Any, ndigits: int | None = None) -> Any:
    # round(n, -10**7) computes 10**10**7 before answering.
    if ndigits is not None and isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ValueError(f"ndigits must be between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}")
    return round(number, ndigits)


def _sorted(iterable: Any, reverse: bool = False) -> list:
    return sorted(iterable, reverse=bool(reverse))


def _min(*args: Any) -> Any:
    return min(*args)


def _max(*args: Any) -> Any:
    return max(*args)


# Read-only, so no caller can widen the allow-list for everyone else.
DEFAULT_FUNCTIONS: Mapping[str, Callable] = MappingProxyType({
    "len": len, "min": _min, "max": _max, "abs": abs, "round": _round, "int": int,
    "float": float, "str": _str, "bool": bool, "sum": _sum, "sorted": _sorted,
    "any": any, "all": all, "list": list,
})


# --- methods -------------------------------------------------------------------


def _join(sep: str, items: Any) -> str:
    items = list(items)
    if len(sep) * max(len(items) - 1, 0) + sum(len(i) for i in items if isinstance(i, str)) > MAX_LENGTH:
        _raise_too_large("join()")
    return sep.join(items)


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    hits = text.count(old) if count < 0 else min(count, text.count(old))
    if len(text) + hits * (len(new) - len(old)) > MAX_LENGTH:
        _raise_too_large("replace()")
    return text.replace(old, new, count)


# Methods are looked up on the base type, never on the value, so a subclass in task
# data cannot swap in its own implementation.
_STR_METHODS = {
    name: getattr(str, name)
    for name in ("lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith",
                 "count", "index", "find", "split")
} | {"join": _join, "replace": _replace}
_METHODS: dict[type, dict[str, Callable]] = {
    str: _STR_METHODS,
    list: {"count": list.count, "index": list.index},
    tuple: {"count": tuple.count, "index": tuple.index},
    dict: {
        "get": dict.get,
        "keys": lambda d: list(d.keys()),
        "values": lambda d: list(d.values()),
        "items": lambda d: list(d.items()),
    },
}
_METHOD_NAMES = frozenset(name for methods in _METHODS.values() for name in methods)


# --- checking ------------------------------------------------------------------


class _Checker:
    """Walks a parsed expression, rejects what is not allowed, collects names."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.functions: set[str] = set()

    def check(self, node: ast.AST, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply (limit {MAX_DEPTH} levels)")
        kind = type(node)
        if kind in _DISALLOWED:
            raise ExpressionError(f"{_DISALLOWED[kind]} are not allowed")
        if kind in _OPERATOR_SYMBOLS:
            raise ExpressionError(f"the '{_OPERATOR_SYMBOLS[kind]}' operator is not allowed")
        handler = getattr(self, f"_check_{kind.__name__}", None)
        if handler is None:
            raise ExpressionError(f"{kind.__name__} is not allowed in an expression")
        handler(node, depth + 1)

    def _children(self, node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            self.check(child, depth)

    def _check_Constant(self, node: ast.Constant, depth: int) -> None:
        if not isinstance(node.value, (str, int, float, type(None))):
            raise ExpressionError(f"{type(node.value).__name__} literals are not allowed")

    def _check_Name(self, node: ast.Name, depth: int) -> None:
        if node.id.startswith("_"):
            raise ExpressionError(f"names starting with '_' are not allowed: '{node.id}'")
        if node.id not in _ALIASES:
            self.names.add(node.id)

    def _check_Dict(self, node: ast.Dict, depth: int) -> None:
        if any(key is None for key in node.keys):
            raise ExpressionError("'**' unpacking is not allowed")
        self._children(node, depth)

    def _check_Attribute(self, node: ast.Attribute, depth: int) -> None:
        self.check(node.value, depth)
        if node.attr.startswith("_"):
            raise ExpressionError(f"attribute '{node.attr}' is not allowed")
        raise ExpressionError(
            f"attribute access '.{node.attr}' is not allowed; use x['{node.attr}'] to read a key"
        )

    def _check_Call(self, node: ast.Call, depth: int) -> None:
        if any(kw.arg is None for kw in node.keywords):
            raise ExpressionError("'**' unpacking is not allowed")
        func = node.func
        if isinstance(func, ast.Name):
            self._check_function_name(func.id)
            if func.id in _SPECIAL_FORMS:
                self._check_defined(node)
                return
            self.functions.add(func.id)
        elif isinstance(func, ast.Attribute):
            self.check(func.value, depth)
            if func.attr.startswith("_") or func.attr not in _METHOD_NAMES:
                raise ExpressionError(f"method '.{func.attr}()' is not allowed")
        else:
            raise ExpressionError("only a function name or an allowed method can be called")
        for child in [*node.args, *node.keywords]:
            self.check(child, depth)

    @staticmethod
    def _check_function_name(name: str) -> None:
        if name.startswith("_") or name in _FORBIDDEN_CALLS:
            raise ExpressionError(f"calls to '{name}' are not allowed")

    @staticmethod
    def _check_defined(node: ast.Call) -> None:
        arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
        is_name = isinstance(arg, ast.Name) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str))
        if not is_name:
            raise ExpressionError("defined() takes one variable name, e.g. defined(x) or defined('x')")

    def _check_Subscript(self, node: ast.Subscript, depth: int) -> None:
        self.check(node.value, depth)
        # A slice is only meaningful directly inside brackets, so it is not a
        # node type of its own here.
        if isinstance(node.slice, ast.Slice):
            for part in (node.slice.lower, node.slice.upper, node.slice.step):
                if part is not None:
                    self.check(part, depth)
        else:
            self.check(node.slice, depth)

    # Nodes whose children are all ordinary sub-expressions (or operator/context
    # tokens, which are checked as they are met).
    _check_Expression = _check_List = _check_Tuple = _check_Set = _children
    _check_BinOp = _check_UnaryOp = _check_BoolOp = _check_Compare = _check_IfExp = _children
    _check_keyword = _children

    def _check_token(self, node: ast.AST, depth: int) -> None:
        pass

    _check_Load = _check_Add = _check_Sub = _check_Mult = _check_Div = _check_FloorDiv = _check_token
    _check_Mod = _check_Pow = _check_UAdd = _check_USub = _check_Not = _check_And = _check_Or = _check_token
    _check_Eq = _check_NotEq = _check_Lt = _check_LtE = _check_Gt = _check_GtE = _check_token
    _check_Is = _check_IsNot = _check_In = _check_NotIn = _check_token


def _parse(source: str, mode: str) -> ast.AST:
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"the expression is too long (limit {MAX_SOURCE_LENGTH:,} characters)")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        # Python reports offset 0 when the text ends too early, None when it has
        # no position to give.
        where = {None: "", 0: " at the end"}.get(exc.offset, f" at column {exc.offset}")
        message = f"syntax error{where}: {exc.msg}"
        if mode == "exec":
            message = f"line {exc.lineno}: {message}"
        raise ExpressionError(message, line=exc.lineno if mode == "exec" else None) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    except ValueError as exc:  # a NUL character, on Python versions before 3.11.4
        raise ExpressionError(f"syntax error: {exc}") from None
    return tree


def _check_tree(node: ast.AST) -> _Checker:
    if sum(1 for _ in ast.walk(node)) > MAX_NODES:
        raise ExpressionError(f"the expression is too complex (limit {MAX_NODES:,} elements)")
    checker = _Checker()
    checker.check(node)
    return checker


# --- evaluating ----------------------------------------------------------------


class _Evaluator:
    """Interprets a checked tree against task data and the available functions."""

    __slots__ = ("names", "functions")

    def __init__(self, names: Mapping[str, Any], functions: Mapping[str, Callable] | None):
        self.names = names
        self.functions = functions or {}

    def run(self, node: ast.AST) -> Any:
        try:
            return self.eval(node)
        except ExpressionError:
            raise
        except ZeroDivisionError:
            raise EvaluationError("division by zero") from None
        except OverflowError:
            raise EvaluationError("number too large") from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise EvaluationError(str(exc)) from exc

    def eval(self, node: ast.AST) -> Any:
        return getattr(self, f"_eval_{type(node).__name__}")(node)

    def _eval_Expression(self, node: ast.Expression) -> Any:
        return self.eval(node.body)

    def _eval_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _eval_Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in _ALIASES:
            return _ALIASES[node.id]
        raise EvaluationError(f"name '{node.id}' is not defined")

    def _eval_List(self, node: ast.List) -> list:
        return [self.eval(item) for item in node.elts]

    def _eval_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.eval(item) for item in node.elts)

    def _eval_Set(self, node: ast.Set) -> set:
        return {self.eval(item) for item in node.elts}

    def _eval_Dict(self, node: ast.Dict) -> dict:
        return {self.eval(key): self.eval(value) for key, value in zip(node.keys, node.values)}

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _checked(_UNARYOPS[type(node.op)](self.eval(node.operand)))

    def _eval_BinOp(self, node: ast.BinOp) -> Any:
        return _binary(type(node.op), self.eval(node.left), self.eval(node.right))

    def _eval_BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        for value_node in node.values:
            value = self.eval(value_node)
            if bool(value) != is_and:
                return value
        return value

    def _eval_Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True

    def _eval_IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def _eval_Subscript(self, node: ast.Subscript) -> Any:
        container = self.eval(node.value)
        if isinstance(node.slice, ast.Slice):
            if not isinstance(container, (str, list, tuple)):
                raise EvaluationError(f"a {type(container).__name__} value cannot be sliced")
            bounds = [None if part is None else self.eval(part)
                      for part in (node.slice.lower, node.slice.upper, node.slice.step)]
            return container[slice(*bounds)]
        key = self.eval(node.slice)
        if isinstance(container, Mapping):
            if key not in container:
                raise EvaluationError(f"key {key!r} not found")
            return container[key]
        if isinstance(container, (str, list, tuple)):
            if not isinstance(key, int):
                raise EvaluationError(f"index must be an integer, not {type(key).__name__}")
            if not -len(container) <= key < len(container):
                raise EvaluationError(f"index {key} is out of range")
            return container[key]
        raise EvaluationError(f"a {type(container).__name__} value cannot be subscripted")

    def _eval_Call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name) and func.id in _SPECIAL_FORMS:
            arg = node.args[0]
            return (arg.id if isinstance(arg, ast.Name) else arg.value) in self.names
        args = [self.eval(arg) for arg in node.args]
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords}
        if isinstance(func, ast.Name):
            name = func.id
            if name in self.functions:
                target = self.functions[name]
            elif name in DEFAULT_FUNCTIONS:
                target = DEFAULT_FUNCTIONS[name]
            else:
                raise EvaluationError(f"function '{name}' is not defined")
        else:
            receiver = self.eval(func.value)
            name = f".{func.attr}"
            kind = next((t for t in _METHODS if isinstance(receiver, t)), None)
            if kind is None or func.attr not in _METHODS[kind]:
                raise EvaluationError(f"method '{name}()' is not available on a {type(receiver).__name__} value")
            target = _METHODS[kind][func.attr]
            args.insert(0, receiver)
        try:
            return _checked(target(*args, **kwargs))
        except ExpressionError:
            raise
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            message = str(exc) if f"{name}()" in str(exc) else f"{name}(): {exc}"
            raise EvaluationError(message) from exc


# --- public API ----------------------------------------------------------------


class Expression:
    """A checked expression, ready to evaluate many times.

    :attr source: the text as written.
    :attr names: the task-data names it reads (not those only probed by ``defined``).
    :attr functions: the function names it calls (``defined`` is not one).
    """

    def __init__(self, source: str, tree: ast.Expression, names: frozenset[str], functions: frozenset[str]):
        self.source = source
        self.names = names
        self.functions = functions
        self._tree = tree

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def evaluate(self, names: Mapping[str, Any], functions: Mapping[str, Callable] | None = None) -> Any:
        """Evaluate against task data.

        :param names: the task data; the only source of names.
        :param functions: extra functions (e.g. ``now``), added to and overriding
            :data:`DEFAULT_FUNCTIONS`.
        :raises EvaluationError: unknown name or function, type error, division by
            zero or a limit exceeded.
        """
        try:
            return _Evaluator(names, functions).run(self._tree)
        except EvaluationError as exc:
            exc.expression = exc.expression or self.source
            raise


@lru_cache(maxsize=1024)
def compile_expression(source: str) -> Expression:
    """Parse and check an expression; the result is cached by source.

    Surrounding whitespace is ignored.

    :param source: the expression text.
    :raises ExpressionError: bad syntax, a disallowed construct or a static limit.
    """
    text = source.strip() if isinstance(source, str) else source
    try:
        if not isinstance(text, str) or not text:
            raise ExpressionError("the expression is empty")
        tree = _parse(text, "eval")
        checker = _check_tree(tree)
    except ExpressionError as exc:
        exc.expression = source
        raise
    return Expression(source, tree, frozenset(checker.names), frozenset(checker.functions))


def evaluate(source: str, names: Mapping[str, Any], functions: Mapping[str, Callable] | None = None) -> Any:
    """Compile (cached) and evaluate an expression in one step.

    :raises ExpressionError: the expression is not allowed.
    :raises EvaluationError: it failed at run time.
    """
    return compile_expression(source).evaluate(names, functions)


def check_functions(expr: Expression | Script | str, known: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Return, sorted, the functions ``expr`` calls that would be unknown at run time.

    :param expr: an expression or script, or expression text.
    :param known: the names the caller will pass as ``functions``;
        :data:`DEFAULT_FUNCTIONS` are always known.
    :raises ExpressionError: ``expr`` is text that does not compile.
    """
    if isinstance(expr, str):
        expr = compile_expression(expr)
    return sorted(expr.functions - set(known) - set(DEFAULT_FUNCTIONS))


_STATEMENT_KINDS = {
    ast.Import: "import statements", ast.ImportFrom: "import statements",
    ast.FunctionDef: "function definitions", ast.AsyncFunctionDef: "function definitions",
    ast.ClassDef: "class definitions", ast.For: "loops", ast.AsyncFor: "loops",
    ast.While: "loops", ast.If: "if statements", ast.With: "with statements",
    ast.AsyncWith: "with statements", ast.Try: "try statements", ast.Raise: "raise statements",
    ast.Return: "return statements", ast.Delete: "del statements", ast.Global: "global statements",
    ast.Nonlocal: "nonlocal statements", ast.Assert: "assert statements", ast.Pass: "pass statements",
    ast.Expr: "bare expressions", ast.AnnAssign: "annotated assignments", ast.Match: "match statements",
}


class Script:
    """A checked restricted script: lines of ``name = expr`` or ``name += expr``.

    :attr source: the text as written.
    :attr names: task-data names it reads before assigning them.
    :attr assigned: the names it assigns.
    :attr functions: the function names it calls.
    """

    def __init__(self, source: str, steps: list[tuple[int, str, ast.Expression]],
                 names: frozenset[str], functions: frozenset[str]):
        self.source = source
        self.names = names
        self.functions = functions
        self.assigned = frozenset(target for _, target, _ in steps)
        self._steps = steps

    def __repr__(self) -> str:
        return f"Script({self.source!r})"

    def execute(self, names: dict, functions: Mapping[str, Callable] | None = None) -> dict:
        """Run the assignments in order, each seeing the ones before it.

        ``names`` is updated only when every line succeeds. ``x += y`` builds a new
        value; it never mutates the list already in the task data.

        :param names: the task data; updated in place with the assigned names.
        :param functions: extra functions, as for :meth:`Expression.evaluate`.
        :returns: the assigned names and their values.
        :raises EvaluationError: a line failed; the message starts with its number.
        """
        assigned: dict[str, Any] = {}
        scope = ChainMap(assigned, names)
        for line, target, tree in self._steps:
            try:
                assigned[target] = _Evaluator(scope, functions).run(tree)
            except EvaluationError as exc:
                raise EvaluationError(f"line {line}: {exc.message}", self.source, line) from exc
        names.update(assigned)
        return assigned


@lru_cache(maxsize=256)
def compile_script(source: str) -> Script:
    """Parse and check a restricted script; the result is cached by source.

    Each statement must be ``name = expression`` or ``name += expression``; blank
    lines and ``#`` comments are allowed.

    :param source: the script text.
    :raises ExpressionError: a line is not allowed; the message starts with its number.
    """
    try:
        # Dedent because diagram XML is often pretty-printed; line numbers are kept.
        tree = _parse(textwrap.dedent(source), "exec")
    except ExpressionError as exc:
        exc.expression = source
        raise
    steps, reads, functions, written = [], set(), set(), set()
    for statement in tree.body:
        line = statement.lineno
        try:
            target, value = _script_statement(statement)
            checker = _check_tree(value)
        except ExpressionError as exc:
            raise ExpressionError(f"line {line}: {exc.message}", source, line) from None
        reads |= checker.names - written
        functions |= checker.functions
        written.add(target)
        steps.append((line, target, value))
    return Script(source, steps, frozenset(reads), frozenset(functions))


def _script_statement(statement: ast.stmt) -> tuple[str, ast.Expression]:
    """Return the target name and the value to assign, or raise ExpressionError.

    ``x += y`` becomes ``x = x + y``: the same checks and limits apply, and a list
    in the task data is replaced rather than mutated.
    """
    if isinstance(statement, ast.AugAssign):
        if not isinstance(statement.op, ast.Add):
            raise ExpressionError("only '=' and '+=' assignments are allowed")
        targets = [statement.target]
    elif isinstance(statement, ast.Assign):
        targets = statement.targets
    else:
        kind = _STATEMENT_KINDS.get(type(statement), type(statement).__name__)
        raise ExpressionError(
            f"{kind} are not allowed; a script may only contain 'name = expression' "
            "and 'name += expression' lines"
        )
    if len(targets) != 1:
        raise ExpressionError("assign one name per statement, not 'a = b = ...'")
    if not isinstance(targets[0], ast.Name):
        raise ExpressionError(f"only a plain name can be assigned, not '{ast.unparse(targets[0])}'")
    name = targets[0].id
    if name.startswith("_"):
        raise ExpressionError(f"names starting with '_' are not allowed: '{name}'")
    value = statement.value
    if isinstance(statement, ast.AugAssign):
        value = ast.BinOp(ast.Name(name, ast.Load()), ast.Add(), value)
    return name, ast.Expression(value)


# --- timer literals ------------------------------------------------------------

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?(?:(?P<weeks>{_NUMBER})W)?"
    rf"(?:(?P<days>{_NUMBER})D)?(?:(?P<t>T)(?:(?P<hours>{_NUMBER})H)?"
    rf"(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?"
)
_DURATION_PARTS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def _is_duration(text: str) -> bool:
    match = _DURATION.fullmatch(text)
    if not match:
        return False
    parts = [part for part in _DURATION_PARTS if match[part]]
    time_parts = {"hours", "minutes", "seconds"} & set(parts)
    # The same rules SpiffWorkflow's parser applies: something after P and after T,
    # weeks not mixed with other date parts, a fraction only on the last part.
    return bool(
        parts
        and bool(match["t"]) == bool(time_parts)
        and not ("weeks" in parts and {"years", "months", "days"} & set(parts))
        and not any(set(".,") & set(match[part]) for part in parts[:-1])
    )


def _is_datetime(text: str) -> bool:
    if not _DATETIME.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_repeating(text: str) -> bool:
    match = re.fullmatch(r"R\d*/(.+)", text)
    if not match:
        return False
    parts = match[1].split("/")
    if len(parts) == 1:
        return _is_duration(parts[0])
    if len(parts) == 2:
        start, end = parts
        return (_is_datetime(start) and _is_duration(end)) or (_is_duration(start) and _is_datetime(end))
    return False


def parse_timer_literal(text: str) -> str | None:
    """Recognise a bare ISO 8601 timer value, as typed in Camunda Modeler.

    Accepts a duration (``P7D``, ``PT4H``, ``P1DT2H``, ``P2W``), a date or date-time
    (``2026-12-01``, ``2026-12-01T09:00:00Z``, with or without an offset) and a
    repeating interval (``R3/PT1H``, ``R/P1D``, ``R2/2026-12-01T09:00:00Z/P1D``,
    ``R/P1D/2026-12-31T00:00:00Z``). Designators must be upper case.

    :param text: the timer value from the diagram.
    :returns: the stripped text if it is such a literal, else ``None`` (treat it
        as an expression).
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if _is_duration(text) or _is_datetime(text) or _is_repeating(text):
        return text
    return None
