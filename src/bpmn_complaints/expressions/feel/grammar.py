"""FEEL's grammar (DMN 1.3, chapter 10), for lark, and the tree it reads into.

The tree is made of tuples ``(kind, ...)``; :mod:`.interpreter` runs them. Names may have
spaces (``Monthly Income``, ``string length``): the grammar reads a name as a run of name
words, joined by one space. The multi-word names that contain a keyword (``date and time``,
``years and months duration`` and the type names) are terminals of their own.
"""

from __future__ import annotations

import builtins as _py
from decimal import Decimal
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedEOF, UnexpectedInput, VisitError

from ..errors import MAX_SOURCE_LENGTH, ExpressionError

_GRAMMAR = r"""
start_expr: expression
start_tests: unary_tests

?unary_tests: "-"                                   -> any_input
            | put ("," put)*                        -> tests

?put: CMP additive                                  -> put_cmp
    | expression                                    -> put_expr

?expression: for_expr | if_expr | quantified | function_def | disjunction

for_expr: "for" iteration ("," iteration)* "return" expression
iteration: name "in" expression                     -> iter_list
         | name "in" expression ".." expression     -> iter_range
if_expr: "if" expression "then" expression "else" expression
quantified: QUANT qiter ("," qiter)* "satisfies" expression
qiter: name "in" expression
function_def: "function" "(" [fparam ("," fparam)*] ")" EXTERNAL? expression
fparam: name (":" TYPE_TEXT)?

?disjunction: conjunction
            | disjunction "or" conjunction          -> or_
?conjunction: comparison
            | conjunction "and" comparison          -> and_
?comparison: additive
           | comparison CMP additive                -> compare
           | additive "between" additive "and" additive -> between
           | additive "in" put_in                   -> in_
           | additive "in" "(" put ("," put)+ ")"   -> in_many
           | comparison INSTANCE_OF TYPE_TEXT       -> instance_of
?put_in: CMP additive                               -> put_cmp
       | additive                                   -> put_expr

?additive: multiplicative
         | additive "+" multiplicative              -> add
         | additive "-" multiplicative              -> sub
?multiplicative: power
               | multiplicative "*" power           -> mul
               | multiplicative "/" power           -> div
?power: unary
      | power "**" unary                            -> pow
?unary: postfix
      | "-" unary                                   -> neg
?postfix: primary
        | postfix "." name                          -> path
        | postfix "[" expression "]"                -> filter
        | postfix "(" [arg ("," arg)*] ")"          -> call
?arg: expression                                    -> pos_arg
    | name ":" expression                           -> named_arg
    | CMP additive                                  -> put_cmp

?primary: NUMBER                                    -> number
        | STRING                                    -> string
        | "@" STRING                                -> temporal
        | "true"                                    -> true
        | "false"                                   -> false
        | "null"                                    -> null
        | "?"                                       -> input
        | name                                      -> var
        | SPECIAL_NAME                              -> special_var
        | "(" expression ")"
        | "[" "]"                                   -> list
        | "[" expression ("," expression)* "]"      -> list
        | "{" [centry ("," centry)*] "}"            -> context
        | "(" expression ".." expression ")"         -> iv_oo
        | "(" expression ".." expression "]"         -> iv_oc
        | _OPEN_START expression ".." expression ")" -> iv_oo
        | _OPEN_START expression ".." expression "]" -> iv_oc
        | "[" expression ".." expression ")"         -> iv_co
        | "[" expression ".." expression "]"         -> iv_cc
        | "[" expression ".." expression _OPEN_END   -> iv_co
        | _OPEN_START expression ".." expression _OPEN_END -> iv_oo
        | "(" CMP additive ")"                       -> iv_cmp
centry: (name | STRING) ":" expression

name: NAME+
    | BQ_NAME

CMP: "<=" | ">=" | "!=" | "<" | ">" | "="
QUANT: "some" | "every"
EXTERNAL: "external"
INSTANCE_OF.3: /instance\s+of\b/
// A "[" closing a range ([1..10[) rather than opening a filter: what follows it ends an expression.
// A "]" opening a range (]1..10]) rather than closing a list: an expression starts after it.
_OPEN_START.3: /\](?=\s*(?:[0-9"@({-]|\.\d|(?!(?:and|or|then|else|in|return|satisfies|instance|between)\b)[A-Za-z_]))/
_OPEN_END.3: /\[(?=\s*(?:$|[)\],}]|\.(?!\d)|!?=|<|>|(?:and|or|then|else|return|satisfies|in)\b))/
TYPE_TEXT.4: /%TYPE%/
SPECIAL_NAME.3: /(date\s+and\s+time|years\s+and\s+months\s+duration)(?=\s*\()/
NAME: /%NAME%/
// Camunda 8's FEEL quotes a name with backticks: `order in stock`, `first-name`.
BQ_NAME: /`[^`]+`/
NUMBER: /(\d+(\.\d+)?|(?<![.\d])\.\d+)([eE][+-]?\d+)?/
STRING: /"(\\.|[^"\\])*"/

%ignore /\s+/
%ignore /\/\/[^\n]*/
%ignore /\/\*(.|\n)*?\*\//
"""

_WORD = r"(?!(?:and|or|then|else|return|satisfies|in|between)\b)[A-Za-z_][\w.]*"
_SPECIAL = r"date\s+and\s+time|days\s+and\s+time\s+duration|years\s+and\s+months\s+duration"
_TNAME = rf"(?:{_SPECIAL}|{_WORD}(?:[ \t]+{_WORD})*)"


def _type_pattern(depth: int) -> str:
    if depth == 0:
        return _TNAME
    inner = _type_pattern(depth - 1)
    arg = rf"(?:{_WORD}\s*:\s*)?{inner}"
    return rf"{_TNAME}(?:\s*<\s*(?:{arg}(?:\s*,\s*{arg})*)?\s*>)?(?:\s*->\s*{inner})?"


_KEYWORDS = "and|or|in|for|return|if|then|else|some|every|satisfies|between|function|external|true|false|null"
_NAME_CHAR = "A-Za-z0-9_'\u00C0-\uFFFF"
# A name word is any word but a keyword (instance of counts as one).
_NAME = rf"(?!(?:{_KEYWORDS}|instance\s+of)(?![{_NAME_CHAR}]))[A-Za-z_\u00C0-\uFFFF][{_NAME_CHAR}]*"
_GRAMMAR = _GRAMMAR.replace("%TYPE%", _type_pattern(3)).replace("%NAME%", _NAME)


def parse_type(text: str) -> Any:
    """A FEEL type (``number``, ``list<string>``, ``context<a: number>``, ``function<A> -> B``)
    as ``("type", name, args, result)``; a context's args are ``(key, type)`` pairs."""
    pos = 0

    def skip() -> None:
        nonlocal pos
        while pos < len(text) and text[pos].isspace():
            pos += 1

    def read_name() -> str:
        nonlocal pos
        skip()
        start = pos
        while pos < len(text) and text[pos] not in "<>,:-":
            pos += 1
        return " ".join(text[start:pos].split())

    def read_type() -> Any:
        nonlocal pos
        name = read_name()
        args: list[Any] = []
        skip()
        if pos < len(text) and text[pos] == "<":
            pos += 1
            skip()
            while pos < len(text) and text[pos] != ">":
                save = pos
                key = read_name()
                skip()
                if pos < len(text) and text[pos] == ":":
                    pos += 1
                    args.append((key, read_type()))
                else:
                    pos = save
                    args.append(read_type())
                skip()
                if pos < len(text) and text[pos] == ",":
                    pos += 1
                skip()
            pos += 1
        result = None
        skip()
        if text.startswith("->", pos):
            pos += 2
            result = read_type()
        return ("type", name, args, result)

    return read_type()


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser, built on first use (building it takes a good part of a second)."""
    return Lark(_GRAMMAR, parser="lalr", start=["start_expr", "start_tests"], maybe_placeholders=True,
                propagate_positions=False)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def unescape(text: str) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= len(body):
                code = int(body[i + 2:i + 6], 16)
                i += 6
                if 0xD800 <= code < 0xDC00 and body[i:i + 2] == "\\u":
                    low = int(body[i + 2:i + 6], 16)
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                out.append(chr(code))
                continue
            if nxt == "U" and i + 10 <= len(body):
                out.append(chr(int(body[i + 2:i + 10], 16)))
                i += 10
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _words(token: str) -> str:
    return " ".join(token.split())


class _Tree(Transformer[Token, Any]):
    # entry points
    @v_args(inline=True)
    def start_expr(self, expr: Any) -> Any:
        return expr

    @v_args(inline=True)
    def start_tests(self, tests: Any) -> Any:
        return tests if tests[0] in ("tests", "any") else ("tests", [tests])

    def any_input(self, _c: list[Any]) -> Any:
        return ("any",)

    def tests(self, items: list[Any]) -> Any:
        return ("tests", items)

    @v_args(inline=True)
    def put_cmp(self, op: Token, value: Any) -> Any:
        return ("put_cmp", str(op), value)

    @v_args(inline=True)
    def put_expr(self, value: Any) -> Any:
        return ("put_expr", value)

    # expressions
    def for_expr(self, items: list[Any]) -> Any:
        return ("for", items[:-1], items[-1])

    @v_args(inline=True)
    def iter_list(self, name: str, expr: Any) -> Any:
        return (name, expr, None)

    @v_args(inline=True)
    def iter_range(self, name: str, start: Any, end: Any) -> Any:
        return (name, start, end)

    @v_args(inline=True)
    def if_expr(self, cond: Any, then: Any, other: Any) -> Any:
        return ("if", cond, then, other)

    def quantified(self, items: list[Any]) -> Any:
        return ("quant", str(items[0]), items[1:-1], items[-1])

    @v_args(inline=True)
    def qiter(self, name: str, expr: Any) -> Any:
        return (name, expr, None)

    def function_def(self, items: list[Any]) -> Any:
        body = items[-1]
        external = any(isinstance(i, Token) and i.type == "EXTERNAL" for i in items)
        if external:
            raise ExpressionError("external functions (Java or PMML) are not supported: they run code outside FEEL")
        params = [p for p in items[:-1] if p is not None and not isinstance(p, Token)]
        return ("function", params, body)

    @v_args(inline=True)
    def fparam(self, name: str, type_: Token | None = None) -> Any:
        return (name, parse_type(str(type_)) if type_ is not None else None)

    @v_args(inline=True)
    def or_(self, a: Any, b: Any) -> Any:
        return ("or", a, b)

    @v_args(inline=True)
    def and_(self, a: Any, b: Any) -> Any:
        return ("and", a, b)

    @v_args(inline=True)
    def compare(self, a: Any, op: Token, b: Any) -> Any:
        return ("cmp", str(op), a, b)

    @v_args(inline=True)
    def between(self, value: Any, low: Any, high: Any) -> Any:
        return ("between", value, low, high)

    @v_args(inline=True)
    def in_(self, value: Any, test: Any) -> Any:
        return ("in", value, [test])

    @v_args(inline=True)
    def in_one_cmp(self, value: Any, op: Token, operand: Any) -> Any:
        return ("in", value, [("put_cmp", str(op), operand)])

    def in_many(self, items: list[Any]) -> Any:
        return ("in", items[0], items[1:])

    @v_args(inline=True)
    def instance_of(self, value: Any, _tok: Token, type_: Token) -> Any:
        return ("instance_of", value, parse_type(str(type_)))

    @v_args(inline=True)
    def add(self, a: Any, b: Any) -> Any:
        return ("arith", "+", a, b)

    @v_args(inline=True)
    def sub(self, a: Any, b: Any) -> Any:
        return ("arith", "-", a, b)

    @v_args(inline=True)
    def mul(self, a: Any, b: Any) -> Any:
        return ("arith", "*", a, b)

    @v_args(inline=True)
    def div(self, a: Any, b: Any) -> Any:
        return ("arith", "/", a, b)

    @v_args(inline=True)
    def pow(self, a: Any, b: Any) -> Any:
        return ("arith", "**", a, b)

    @v_args(inline=True)
    def neg(self, a: Any) -> Any:
        if a[0] == "num":
            return ("num", -a[1])
        return ("neg", a)

    @v_args(inline=True)
    def path(self, value: Any, name: str) -> Any:
        return ("path", value, name)

    @v_args(inline=True)
    def filter(self, value: Any, cond: Any) -> Any:
        return ("filter", value, cond)

    def call(self, items: list[Any]) -> Any:
        args = [a for a in items[1:] if a is not None]
        return ("call", items[0], args)

    @v_args(inline=True)
    def pos_arg(self, value: Any) -> Any:
        return ("pos", value)

    @v_args(inline=True)
    def named_arg(self, name: str, value: Any) -> Any:
        return ("named", name, value)

    @v_args(inline=True)
    def number(self, token: Token) -> Any:
        return ("num", Decimal(str(token)) + 0)

    @v_args(inline=True)
    def string(self, token: Token) -> Any:
        return ("str", unescape(str(token)))

    @v_args(inline=True)
    def temporal(self, token: Token) -> Any:
        return ("at", unescape(str(token)))

    def true(self, _c: list[Any]) -> Any:
        return ("const", True)

    def false(self, _c: list[Any]) -> Any:
        return ("const", False)

    def null(self, _c: list[Any]) -> Any:
        return ("const", None)

    def input(self, _c: list[Any]) -> Any:
        return ("var", "?")

    @v_args(inline=True)
    def var(self, name: str) -> Any:
        return ("var", name)

    @v_args(inline=True)
    def special_var(self, token: Token) -> Any:
        return ("var", _words(str(token)))

    def list(self, items: _py.list[Any]) -> Any:
        return ("list", [i for i in items if i is not None])

    def context(self, items: _py.list[Any]) -> Any:
        return ("context", [i for i in items if i is not None])

    @v_args(inline=True)
    def centry(self, key: Any, value: Any) -> Any:
        if isinstance(key, Token):
            key = unescape(str(key))
        return (key, value)

    @v_args(inline=True)
    def iv_oo(self, start: Any, end: Any) -> Any:
        return ("range", start, end, False, False)

    @v_args(inline=True)
    def iv_oc(self, start: Any, end: Any) -> Any:
        return ("range", start, end, False, True)

    @v_args(inline=True)
    def iv_co(self, start: Any, end: Any) -> Any:
        return ("range", start, end, True, False)

    @v_args(inline=True)
    def iv_cmp(self, op: Token, value: Any) -> Any:
        return ("range_cmp", str(op), value)

    @v_args(inline=True)
    def iv_cc(self, start: Any, end: Any) -> Any:
        return ("range", start, end, True, True)

    def name(self, tokens: _py.list[Token]) -> str:
        if len(tokens) == 1 and tokens[0].type == "BQ_NAME":
            return str(tokens[0])[1:-1]
        return " ".join(str(t) for t in tokens)


def _describe(err: LarkError, text: str) -> str:
    if isinstance(err, UnexpectedEOF):
        return "the expression ends too early"
    if isinstance(err, UnexpectedInput):
        pos = err.pos_in_stream
        if pos is not None and pos >= len(text):
            return "the expression ends too early"
        near = text[pos:pos + 12] if pos is not None else ""
        return f"syntax error at column {getattr(err, 'column', '?')}, near {near!r}"
    return f"syntax error: {err}"


@lru_cache(maxsize=2048)
def parse(text: str, start: str = "start_expr") -> Any:
    """Parse FEEL text (an expression, or unary tests with ``start="start_tests"``) into a tree.

    :raises ExpressionError: a syntax error or a construct we refuse.
    """
    if len(text) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"the expression is too long (limit {MAX_SOURCE_LENGTH:,} characters)", text)
    if not text.strip():
        raise ExpressionError("the expression is empty", text)
    try:
        return _Tree().transform(_parser().parse(text, start=start))
    except VisitError as err:
        if isinstance(err.orig_exc, ExpressionError):
            raise ExpressionError(err.orig_exc.message, text) from None
        raise ExpressionError(f"the expression could not be read ({err.rule})", text) from None
    except LarkError as err:
        raise ExpressionError(_describe(err, text), text) from None
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply", text) from None
