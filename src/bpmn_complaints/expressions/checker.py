"""The static check: parse an expression and refuse every construct the language does not allow."""

from __future__ import annotations

import ast
from typing import Literal, overload

from .errors import MAX_DEPTH, MAX_NODES, MAX_SOURCE_LENGTH, ExpressionError
from .functions import METHOD_NAMES

# Builtins a diagram could reach for to escape the sandbox; calling them is refused
# at compile time even if a caller were to pass one in ``functions``.
_FORBIDDEN_CALLS = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "dir", "type", "object", "input", "breakpoint", "help",
    "memoryview", "super", "classmethod", "staticmethod", "property", "exit", "quit",
})
# How DMN and Camunda users spell True, False and None; a task-data name spelt so wins.
ALIASES: dict[str, bool | None] = {"true": True, "false": False, "null": None}
SPECIAL_FORMS = frozenset({"defined"})

_DISALLOWED: dict[type[ast.AST], str] = {
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
_OPERATOR_SYMBOLS: dict[type[ast.AST], str] = {
    ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.LShift: "<<",
    ast.RShift: ">>", ast.MatMult: "@", ast.Invert: "~",
}


class Checker:
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
        if node.id not in ALIASES:
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
            if func.id in SPECIAL_FORMS:
                self._check_defined(node)
                return
            self.functions.add(func.id)
        elif isinstance(func, ast.Attribute):
            self.check(func.value, depth)
            if func.attr.startswith("_") or func.attr not in METHOD_NAMES:
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


@overload
def parse(source: str, mode: Literal["eval"]) -> ast.Expression: ...


@overload
def parse(source: str, mode: Literal["exec"]) -> ast.Module: ...


def parse(source: str, mode: Literal["eval", "exec"]) -> ast.AST:
    """Parse ``source`` as an expression (``eval``) or a script (``exec``), within the length limit.

    :raises ExpressionError: too long, a syntax error, or nested too deeply for the parser.
    """
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


def check_tree(node: ast.AST) -> Checker:
    """Check a parsed tree against the node limit and the allowed constructs.

    :returns: the checker, holding the names and functions the tree uses.
    :raises ExpressionError: the first construct or limit that is not allowed.
    """
    if sum(1 for _ in ast.walk(node)) > MAX_NODES:
        raise ExpressionError(f"the expression is too complex (limit {MAX_NODES:,} elements)")
    checker = Checker()
    checker.check(node)
    return checker

