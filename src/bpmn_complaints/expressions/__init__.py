"""The one safe evaluator for expressions written in process diagrams.

Gateway conditions, DMN cells, handler parameters, assignees, timer values and
restricted script tasks all go through this package. User text is parsed with
:func:`ast.parse` and interpreted node by node; it is never handed to Python's
``eval``, ``exec`` or ``compile``. It imports neither Flask, the database nor
SpiffWorkflow. :mod:`.dialects` reads what each modeler writes (``${...}``, a
leading ``=``, handler bindings and assignments) into this language.

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

from .compiler import Expression, Script, check_functions, compile_expression, compile_script, evaluate
from .errors import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_INT_BITS,
    MAX_LENGTH,
    MAX_NODES,
    MAX_ROUND_DIGITS,
    MAX_SOURCE_LENGTH,
    EvaluationError,
    ExpressionError,
)
from .functions import DEFAULT_FUNCTIONS
from .timers import is_cron_text, parse_timer_literal

__all__ = [
    "DEFAULT_FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_INT_BITS",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_ROUND_DIGITS",
    "MAX_SOURCE_LENGTH",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "Script",
    "check_functions",
    "compile_expression",
    "compile_script",
    "evaluate",
    "is_cron_text",
    "parse_timer_literal",
]
