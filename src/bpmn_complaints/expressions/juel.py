"""JUEL, Camunda 7's expression language, read by a grammar into the safe evaluator.

A Camunda 7 expression is one ``${...}`` or ``#{...}`` wrapper around a JUEL expression.
:func:`compile_juel` parses the whole text with the grammar below (so string literals are
never rewritten, and ``${a} and ${b}`` is refused instead of half-read) and translates the
tree into the Python AST of :mod:`.compiler`, which the one :class:`~.evaluator.Evaluator`
runs with the same checks and limits as every other expression.

Operators follow the EL specification's coercions, as Camunda 7 does: ``==`` compares
``'1'`` and ``1`` as numbers, ``+`` adds numbers (``'2' + 1`` is 3, null counts as 0), a
relation with null is false, and ``&&``, ``||``, ``!`` and ``?:`` take ``'true'``/``'false'``
and null (false) as booleans.

Supported: literals (``'..'``/``".."`` with ``\\'``, ``\\"`` and ``\\\\`` escapes, integers,
decimals, ``true``, ``false``, ``null``); ``==``/``eq``, ``!=``/``ne``, ``<``/``lt``,
``>``/``gt``, ``<=``/``le``, ``>=``/``ge``; ``&&``/``and``, ``||``/``or``, ``!``/``not``;
``empty``; ``c ? a : b``; ``+ - * / div % mod`` and unary ``-``; property paths ``a.b.c``
and indexes ``a[0]``, ``a['k']``.

Refused, with the reason: method calls on beans (``a.b()``: those are Java objects, which
this engine does not have), functions (``fn:x()``, ``x()``), ``instanceof``, lambdas, and
text around or between ``${}`` wrappers (JUEL's composite expressions).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, cast

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from .checker import check_tree
from .errors import MAX_SOURCE_LENGTH, EvaluationError, ExpressionError

_GRAMMAR = r"""
?start: "${" expr "}" | "#{" expr "}"

?expr: ternary
?ternary: or_expr
        | or_expr "?" ternary ":" ternary          -> cond
?or_expr: and_expr
        | or_expr OR and_expr                      -> or_
?and_expr: eq_expr
        | and_expr AND eq_expr                     -> and_
?eq_expr: rel_expr
        | eq_expr EQ_OP rel_expr                   -> compare
?rel_expr: add_expr
        | rel_expr REL_OP add_expr                 -> compare
?add_expr: mul_expr
        | add_expr ADD_OP mul_expr                 -> binop
?mul_expr: unary
        | mul_expr MUL_OP unary                    -> binop
?unary: value
        | NOT unary                                -> not_
        | "-" unary                                -> neg
        | EMPTY unary                              -> empty
?value: primary
        | value "." NAME                           -> prop
        | value "[" expr "]"                       -> index
        | value "." NAME "(" [args] ")"            -> method
        | value "(" [args] ")"                     -> call
?primary: literal
        | NAME                                     -> var
        | QNAME "(" [args] ")"                     -> qualified
        | "(" expr ")"
args: expr ("," expr)*
?literal: STRING                                   -> string
        | NUMBER                                   -> number
        | TRUE                                     -> true
        | FALSE                                    -> false
        | NULL                                     -> null

OR: "||" | "or"
AND: "&&" | "and"
NOT: "!" | "not"
EMPTY: "empty"
EQ_OP: "==" | "!=" | "eq" | "ne"
REL_OP: "<=" | ">=" | "<" | ">" | "le" | "ge" | "lt" | "gt" | "instanceof"
ADD_OP: "+" | "-"
MUL_OP: "*" | "/" | "%" | "div" | "mod"
TRUE: "true"
FALSE: "false"
NULL: "null"
NAME: /(?!(and|or|not|eq|ne|lt|gt|le|ge|div|mod|empty|true|false|null|instanceof)\b)[A-Za-z_$][A-Za-z_$0-9]*/
// fn:name( is a function call; "a ? b : c" keeps its colon.
QNAME.2: /[A-Za-z_$][A-Za-z_$0-9]*:[A-Za-z_$][A-Za-z_$0-9]*(?=\s*\()/
STRING: /'(\\.|[^'\\])*'/ | /"(\\.|[^"\\])*"/
NUMBER: /\d+(\.\d*)?([eE][+-]?\d+)?/ | /\.\d+([eE][+-]?\d+)?/
%import common.WS
%ignore WS
"""

@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser, built on first use."""
    return Lark(_GRAMMAR, parser="lalr", maybe_placeholders=False)

_COMPARE = {"==": "juel_eq", "eq": "juel_eq", "!=": "juel_ne", "ne": "juel_ne", "<": "juel_lt", "lt": "juel_lt",
            ">": "juel_gt", "gt": "juel_gt", "<=": "juel_le", "le": "juel_le", ">=": "juel_ge", "ge": "juel_ge"}
_BINARY = {"+": "juel_add", "-": "juel_sub", "*": "juel_mul", "/": "juel_div", "div": "juel_div",
           "%": "juel_mod", "mod": "juel_mod"}


def _call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _empty(value: Any) -> bool:
    """JUEL's ``empty``: null, an empty string, an empty collection or map."""
    if value is None:
        return True
    if isinstance(value, (str, list, tuple, dict, set)):
        return len(value) == 0
    return False


# The coercions of the EL specification (JSR 245, section 1.18), which Camunda 7's JUEL applies.

def _to_bool(value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    raise EvaluationError(f"cannot coerce {type(value).__name__} {value!r} to a boolean")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _to_number(value: Any) -> int | float:
    if value is None or value == "":
        return 0
    if _is_number(value):
        return cast(int | float, value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                pass
    raise EvaluationError(f"cannot coerce {type(value).__name__} {value!r} to a number")


def _eq(a: Any, b: Any) -> bool:
    if a is b or (a is None and b is None):
        return True
    if a is None or b is None:
        return False
    if _is_number(a) or _is_number(b):
        return _to_number(a) == _to_number(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return _to_bool(a) == _to_bool(b)
    if isinstance(a, str) or isinstance(b, str):
        return _to_str(a) == _to_str(b)
    return bool(a == b)


def _to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(a: Any, b: Any) -> int:
    if a is None or b is None:
        raise _NullCompare
    if _is_number(a) or _is_number(b):
        x, y = _to_number(a), _to_number(b)
    elif isinstance(a, str) or isinstance(b, str):
        x, y = _to_str(a), _to_str(b)  # type: ignore[assignment]
    else:
        x, y = a, b
    return -1 if x < y else (1 if x > y else 0)


class _NullCompare(Exception):
    pass


def _relation(test: Any) -> Any:
    def relation(a: Any, b: Any) -> bool:
        try:
            return bool(test(_compare(a, b)))
        except _NullCompare:
            return False  # EL: a relation with null is false
    return relation


def _arith(op: Any) -> Any:
    def arith(a: Any, b: Any) -> Any:
        if a is None and b is None:
            return 0
        return op(_to_number(a), _to_number(b))
    return arith


def _div(a: Any, b: Any) -> Any:
    if a is None and b is None:
        return 0
    divisor = float(_to_number(b))
    if divisor == 0:
        raise EvaluationError("division by zero")
    return float(_to_number(a)) / divisor


def _mod(a: Any, b: Any) -> Any:
    if a is None and b is None:
        return 0
    x, y = _to_number(a), _to_number(b)
    if y == 0:
        raise EvaluationError("division by zero")
    return math.fmod(x, y) if isinstance(x, float) or isinstance(y, float) else int(math.fmod(x, y))


# Functions a translated JUEL tree calls; named so no diagram function can collide
# (a JUEL diagram cannot call functions at all).
JUEL_FUNCTIONS: Mapping[str, Any] = {
    "juel_empty": _empty, "juel_bool": _to_bool, "juel_eq": _eq,
    "juel_ne": lambda a, b: not _eq(a, b),
    "juel_lt": _relation(lambda c: c < 0), "juel_gt": _relation(lambda c: c > 0),
    "juel_le": _relation(lambda c: c <= 0), "juel_ge": _relation(lambda c: c >= 0),
    "juel_add": _arith(operator.add), "juel_sub": _arith(operator.sub), "juel_mul": _arith(operator.mul),
    "juel_div": _div, "juel_mod": _mod, "juel_neg": lambda a: -_to_number(a),
}


def _unescape(text: str) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in "'\"\\":
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def _bool(node: ast.expr) -> ast.expr:
    return _call("juel_bool", node)


class _ToPython(Transformer[Token, ast.expr]):
    @v_args(inline=True)
    def cond(self, test: ast.expr, body: ast.expr, orelse: ast.expr) -> ast.expr:
        return ast.IfExp(_bool(test), body, orelse)

    @v_args(inline=True)
    def or_(self, left: ast.expr, _op: Token, right: ast.expr) -> ast.expr:
        return ast.BoolOp(ast.Or(), [_bool(left), _bool(right)])

    @v_args(inline=True)
    def and_(self, left: ast.expr, _op: Token, right: ast.expr) -> ast.expr:
        return ast.BoolOp(ast.And(), [_bool(left), _bool(right)])

    @v_args(inline=True)
    def compare(self, left: ast.expr, op: Token, right: ast.expr) -> ast.expr:
        if str(op) == "instanceof":
            raise ExpressionError("'instanceof' is not supported: it tests Java classes, which this engine does "
                                  "not have")
        return _call(_COMPARE[str(op)], left, right)

    @v_args(inline=True)
    def binop(self, left: ast.expr, op: Token, right: ast.expr) -> ast.expr:
        return _call(_BINARY[str(op)], left, right)

    @v_args(inline=True)
    def not_(self, _op: Token, operand: ast.expr) -> ast.expr:
        return ast.UnaryOp(ast.Not(), _bool(operand))

    @v_args(inline=True)
    def neg(self, operand: ast.expr) -> ast.expr:
        if isinstance(operand, ast.Constant) and _is_number(operand.value):
            return ast.Constant(-cast(float, operand.value))
        return _call("juel_neg", operand)

    @v_args(inline=True)
    def empty(self, _op: Token, operand: ast.expr) -> ast.expr:
        return ast.Call(ast.Name("juel_empty", ast.Load()), [operand], [])

    @v_args(inline=True)
    def prop(self, value: ast.expr, name: Token) -> ast.expr:
        return ast.Subscript(value, ast.Constant(str(name)), ast.Load())

    @v_args(inline=True)
    def index(self, value: ast.expr, key: ast.expr) -> ast.expr:
        return ast.Subscript(value, key, ast.Load())

    def method(self, children: list[Any]) -> ast.expr:
        name = children[1]
        raise ExpressionError(
            f"the method call '.{name}()' is not supported: JUEL method calls run Java code on beans, which "
            "this engine does not have; compute the value in a handler and store it in a variable"
        )

    def call(self, children: list[Any]) -> ast.expr:
        raise ExpressionError("function calls are not supported in JUEL expressions here")

    def qualified(self, children: list[Any]) -> ast.expr:
        raise ExpressionError(f"the function '{children[0]}' is not supported: JUEL functions map "
                              "to Java methods, which this engine does not have")

    @v_args(inline=True)
    def var(self, name: Token) -> ast.expr:
        if str(name).startswith(("_", "$")):
            raise ExpressionError(f"names starting with '_' or '$' are not allowed: '{name}'")
        return ast.Name(str(name), ast.Load())

    @v_args(inline=True)
    def string(self, token: Token) -> ast.expr:
        return ast.Constant(_unescape(str(token)))

    @v_args(inline=True)
    def number(self, token: Token) -> ast.expr:
        text = str(token)
        return ast.Constant(float(text) if any(c in text for c in ".eE") else int(text))

    def true(self, _children: list[Any]) -> ast.expr:
        return ast.Constant(True)

    def false(self, _children: list[Any]) -> ast.expr:
        return ast.Constant(False)

    def null(self, _children: list[Any]) -> ast.expr:
        return ast.Constant(None)


def is_juel(text: str) -> bool:
    """Whether ``text`` is wrapped the way Camunda 7 writes an expression."""
    stripped = text.strip()
    return stripped.startswith(("${", "#{")) and stripped.endswith("}")


def _describe(err: LarkError, text: str) -> str:
    if isinstance(err, UnexpectedEOF):
        return "the expression ends too early"
    if isinstance(err, UnexpectedInput):
        column = getattr(err, "column", None)
        near = text[err.pos_in_stream:err.pos_in_stream + 10] if err.pos_in_stream is not None else ""
        if isinstance(err, UnexpectedCharacters) or near:
            if text.count("${") + text.count("#{") > 1:
                return ("text around or between ${} wrappers (a composite expression) is not supported: write one "
                        "${...} with the whole condition inside")
            return f"syntax error at column {column}, near {near!r}"
    return f"syntax error: {err}"


@lru_cache(maxsize=1024)
def juel_tree(source: str) -> tuple[ast.Expression, frozenset[str], frozenset[str]]:
    """Parse a ``${...}``/``#{...}`` expression into a checked Python expression tree.

    :returns: the tree, the names it reads and the functions it calls.
    :raises ExpressionError: a syntax error or a construct we refuse, with the reason.
    """
    text = source.strip()
    if len(text) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"the expression is too long (limit {MAX_SOURCE_LENGTH:,} characters)", source)
    try:
        body = _ToPython().transform(_parser().parse(text))
    except VisitError as err:
        if isinstance(err.orig_exc, ExpressionError):
            raise ExpressionError(err.orig_exc.message, source) from None
        raise ExpressionError(f"the expression could not be read ({err.rule})", source) from None
    except LarkError as err:
        raise ExpressionError(_describe(err, text), source) from None
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply", source) from None
    tree = ast.fix_missing_locations(ast.Expression(body))
    try:
        checker = check_tree(tree)
    except ExpressionError as exc:
        exc.expression = source
        raise
    return tree, frozenset(checker.names), frozenset(checker.functions - set(JUEL_FUNCTIONS))
