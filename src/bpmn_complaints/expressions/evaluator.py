"""The interpreter: runs a checked tree against task data and the available functions."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any, cast

from .checker import ALIASES, SPECIAL_FORMS
from .errors import EvaluationError, ExpressionError
from .functions import DEFAULT_FUNCTIONS, METHODS, Functions
from .operations import CMPOPS, UNARYOPS, binary, checked


class Evaluator:
    """Interprets a checked tree against task data and the available functions."""

    __slots__ = ("names", "functions")

    def __init__(self, names: Mapping[str, Any], functions: Functions | None) -> None:
        self.names = names
        self.functions: Functions = functions or {}

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
        if node.id in ALIASES:
            return ALIASES[node.id]
        raise EvaluationError(f"name '{node.id}' is not defined")

    def _eval_List(self, node: ast.List) -> list[Any]:
        return [self.eval(item) for item in node.elts]

    def _eval_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.eval(item) for item in node.elts)

    def _eval_Set(self, node: ast.Set) -> set[Any]:
        return {self.eval(item) for item in node.elts}

    def _eval_Dict(self, node: ast.Dict) -> dict[Any, Any]:
        # The checker refused '**' unpacking, so no key is None.
        pairs = zip(node.keys, node.values, strict=True)
        return {self.eval(cast(ast.expr, key)): self.eval(value) for key, value in pairs}

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return checked(UNARYOPS[type(node.op)](self.eval(node.operand)))

    def _eval_BinOp(self, node: ast.BinOp) -> Any:
        return binary(type(node.op), self.eval(node.left), self.eval(node.right))

    def _eval_BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        for value_node in node.values:
            value = self.eval(value_node)
            if bool(value) != is_and:
                return value
        return value

    def _eval_Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            if not CMPOPS[type(op)](left, right):
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
        if isinstance(func, ast.Name) and func.id in SPECIAL_FORMS:
            arg = node.args[0]
            # The checker let through only a name or a string constant here.
            return (arg.id if isinstance(arg, ast.Name) else cast(ast.Constant, arg).value) in self.names
        args = [self.eval(arg) for arg in node.args]
        # The checker refused '**' unpacking, so every keyword has a name.
        kwargs = {cast(str, kw.arg): self.eval(kw.value) for kw in node.keywords}
        target: Callable[..., Any]
        if isinstance(func, ast.Name):
            name = func.id
            if name in self.functions:
                target = self.functions[name]
            elif name in DEFAULT_FUNCTIONS:
                target = DEFAULT_FUNCTIONS[name]
            else:
                raise EvaluationError(f"function '{name}' is not defined")
        else:
            # The checker let through only a plain name or a method here.
            func = cast(ast.Attribute, func)
            receiver = self.eval(func.value)
            name = f".{func.attr}"
            kind = next((t for t in METHODS if isinstance(receiver, t)), None)
            if kind is None or func.attr not in METHODS[kind]:
                raise EvaluationError(
                    f"method '{name}()' is not available on a {type(receiver).__name__} value"
                )
            target = METHODS[kind][func.attr]
            args.insert(0, receiver)
        try:
            return checked(target(*args, **kwargs))
        except ExpressionError:
            raise
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            message = str(exc) if f"{name}()" in str(exc) else f"{name}(): {exc}"
            raise EvaluationError(message) from exc

