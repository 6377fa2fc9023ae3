"""Compiling and running expressions and restricted scripts: the language's public entry points."""

from __future__ import annotations

import ast
import textwrap
from collections import ChainMap
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .checker import check_tree, parse
from .errors import EvaluationError, ExpressionError
from .evaluator import Evaluator
from .functions import DEFAULT_FUNCTIONS, Functions


class Expression:
    """A checked expression, ready to evaluate many times.

    :attr source: the text as written.
    :attr names: the task-data names it reads (not those only probed by ``defined``).
    :attr functions: the function names it calls (``defined`` is not one).
    """

    dialect = "python"

    def __init__(
        self, source: str, tree: ast.Expression, names: frozenset[str], functions: frozenset[str],
        own_functions: Functions | None = None,
    ) -> None:
        self.source = source
        self.names = names
        self.functions = functions
        self._tree = tree
        # Functions the dialect's translation calls (JUEL's ``empty``); they win over the caller's.
        self._own_functions = own_functions

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def evaluate(self, names: Mapping[str, Any], functions: Functions | None = None) -> Any:
        """Evaluate against task data.

        :param names: the task data; the only source of names.
        :param functions: extra functions (e.g. ``now``), added to and overriding
            :data:`DEFAULT_FUNCTIONS`.
        :raises EvaluationError: unknown name or function, type error, division by
            zero or a limit exceeded.
        """
        if self._own_functions is not None:
            functions = {**(functions or {}), **self._own_functions}
        try:
            return Evaluator(names, functions).run(self._tree)
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
        tree = parse(text, "eval")
        checker = check_tree(tree)
    except ExpressionError as exc:
        exc.expression = source
        raise
    return Expression(source, tree, frozenset(checker.names), frozenset(checker.functions))


def evaluate(source: str, names: Mapping[str, Any], functions: Functions | None = None) -> Any:
    """Compile (cached) and evaluate an expression in one step.

    :raises ExpressionError: the expression is not allowed.
    :raises EvaluationError: it failed at run time.
    """
    return compile_expression(source).evaluate(names, functions)


def check_functions(
    expr: Expression | Script | str, known: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """Return, sorted, the functions ``expr`` calls that would be unknown at run time.

    :param expr: an expression or script, or expression text.
    :param known: the names the caller will pass as ``functions``;
        :data:`DEFAULT_FUNCTIONS` are always known.
    :raises ExpressionError: ``expr`` is text that does not compile.
    """
    if isinstance(expr, str):
        expr = compile_expression(expr)
    return sorted(expr.functions - set(known) - set(DEFAULT_FUNCTIONS))


_STATEMENT_KINDS: dict[type[ast.stmt], str] = {
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
                 names: frozenset[str], functions: frozenset[str]) -> None:
        self.source = source
        self.names = names
        self.functions = functions
        self.assigned = frozenset(target for _, target, _ in steps)
        self._steps = steps

    def __repr__(self) -> str:
        return f"Script({self.source!r})"

    def execute(self, names: dict[str, Any], functions: Functions | None = None) -> dict[str, Any]:
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
                assigned[target] = Evaluator(scope, functions).run(tree)
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
        tree = parse(textwrap.dedent(source), "exec")
    except ExpressionError as exc:
        exc.expression = source
        raise
    steps: list[tuple[int, str, ast.Expression]] = []
    reads: set[str] = set()
    functions: set[str] = set()
    written: set[str] = set()
    for statement in tree.body:
        line = statement.lineno
        try:
            target, value = _script_statement(statement)
            checker = check_tree(value)
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
        targets: list[ast.expr] = [statement.target]
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
    value: ast.expr = statement.value
    if isinstance(statement, ast.AugAssign):
        value = ast.BinOp(ast.Name(name, ast.Load()), ast.Add(), value)
    return name, ast.Expression(value)
