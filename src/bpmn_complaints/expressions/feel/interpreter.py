"""Runs a FEEL tree (from :mod:`.grammar`) against a scope, with FEEL's null semantics.

Bounded: every node evaluated counts against :data:`MAX_STEPS`, lists and strings against
the package's :data:`~..errors.MAX_LENGTH`, and recursion against the interpreter's depth.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

from . import values as v
from .values import D, FeelError, Function, Range

MAX_STEPS = 1_000_000
MAX_CALL_DEPTH = 200


class Scope:
    __slots__ = ("vars", "parent")

    def __init__(self, vars_: Mapping[str, Any], parent: Scope | None = None) -> None:
        self.vars = vars_
        self.parent = parent

    def lookup(self, name: str) -> tuple[bool, Any]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return True, scope.vars[name]
            scope = scope.parent
        return False, None

    def child(self, vars_: Mapping[str, Any]) -> Scope:
        return Scope(vars_, self)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class Interpreter:
    """One evaluation: counts steps and call depth. ``builtins`` are name -> :class:`Function`;
    ``types`` are item definitions (name -> type checker) for ``instance of``."""

    def __init__(self, builtins: Mapping[str, Function], types: Mapping[str, Any] | None = None) -> None:
        self.builtins = builtins
        self.types = types or {}
        self.steps = 0
        self.depth = 0

    # -- entry points -------------------------------------------------------------------

    def eval(self, node: Any, scope: Scope) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise FeelError(f"the expression takes too many steps (limit {MAX_STEPS:,})")
        return getattr(self, "_" + node[0])(node, scope)

    def matches(self, tests: Any, value: Any, scope: Scope) -> bool:
        """Whether ``value`` satisfies unary tests (a DMN input entry)."""
        if tests[0] == "any":
            return True
        items = tests[1]
        if len(items) == 1 and items[0][0] == "put_expr":
            inner = items[0][1]
            if inner[0] == "call" and inner[1] == ("var", "not") and self._is_unknown("not", scope):
                args = [a[1] if a[0] == "pos" else a for a in inner[2]]
                puts = [a if a[0] == "put_cmp" else ("put_expr", a) for a in args]
                result = self._test_any(puts, value, scope)
                return result is False
        return self._test_any(items, value, scope) is True

    def _is_unknown(self, name: str, scope: Scope) -> bool:
        return not scope.lookup(name)[0]

    def _test_any(self, puts: list[Any], value: Any, scope: Scope) -> bool | None:
        seen_null = False
        for put in puts:
            result = self._test(put, value, scope)
            if result is True:
                return True
            if result is None:
                seen_null = True
        return None if seen_null else False

    def _test(self, put: Any, value: Any, scope: Scope) -> bool | None:
        if put[0] == "put_cmp":
            return self._compare(put[1], value, self.eval(put[2], scope.child({"?": value})))
        expr = put[1]
        target = self.eval(expr, scope.child({"?": value}))
        if _uses_input(expr):
            return target if isinstance(target, bool) or target is None else False
        return _member(value, target)

    # -- nodes --------------------------------------------------------------------------

    def _num(self, node: Any, scope: Scope) -> Any:
        return node[1]

    def _str(self, node: Any, scope: Scope) -> Any:
        return node[1]

    def _const(self, node: Any, scope: Scope) -> Any:
        return node[1]

    def _at(self, node: Any, scope: Scope) -> Any:
        from .builtins import temporal_literal
        return temporal_literal(node[1])

    def _var(self, node: Any, scope: Scope) -> Any:
        found, value = scope.lookup(node[1])
        if found:
            return value
        return self.builtins.get(node[1])

    def _list(self, node: Any, scope: Scope) -> Any:
        return v.checked([self.eval(item, scope) for item in node[1]])

    def _context(self, node: Any, scope: Scope) -> Any:
        result: dict[str, Any] = {}
        inner = scope.child(result)
        for key, expr in node[1]:
            if key in result:
                raise FeelError(f"the context has the key {key!r} twice")
            result[key] = self.eval(expr, inner)
        return result

    def _range(self, node: Any, scope: Scope) -> Any:
        start, end = self.eval(node[1], scope), self.eval(node[2], scope)
        if start is None or end is None or v.kind(start) != v.kind(end):
            return None
        return Range(start, end, node[3], node[4])

    def _range_cmp(self, node: Any, scope: Scope) -> Any:
        op, value = node[1], self.eval(node[2], scope)
        if value is None:
            return None
        if op in ("<", "<="):
            return Range(None, value, False, op == "<=", unbounded=True)
        if op in (">", ">="):
            return Range(value, None, op == ">=", False, unbounded=True)
        return v.UnaryTest(op, value)

    def _if(self, node: Any, scope: Scope) -> Any:
        return self.eval(node[2] if self.eval(node[1], scope) is True else node[3], scope)

    def _and(self, node: Any, scope: Scope) -> Any:
        a = self.eval(node[1], scope)
        if a is False:
            return False
        b = self.eval(node[2], scope)
        if b is False:
            return False
        if a is True and b is True:
            return True
        return None

    def _or(self, node: Any, scope: Scope) -> Any:
        a = self.eval(node[1], scope)
        if a is True:
            return True
        b = self.eval(node[2], scope)
        if b is True:
            return True
        if a is False and b is False:
            return False
        return None

    def _cmp(self, node: Any, scope: Scope) -> Any:
        return self._compare(node[1], self.eval(node[2], scope), self.eval(node[3], scope))

    @staticmethod
    def _compare(op: str, a: Any, b: Any) -> bool | None:
        if op == "=":
            return v.equal(a, b)
        if op == "!=":
            same = v.equal(a, b)
            return None if same is None else not same
        order = v.compare(a, b)
        if order is None:
            return None
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]

    def _between(self, node: Any, scope: Scope) -> Any:
        value, low, high = (self.eval(n, scope) for n in node[1:])
        a, b = v.compare(low, value), v.compare(value, high)
        if a is None or b is None:
            return None
        return a <= 0 and b <= 0

    def _in(self, node: Any, scope: Scope) -> Any:
        value = self.eval(node[1], scope)
        return self._test_any(node[2], value, scope)

    def _arith(self, node: Any, scope: Scope) -> Any:
        a, b = self.eval(node[2], scope), self.eval(node[3], scope)
        op = node[1]
        if op == "+":
            return v.add(a, b)
        if op == "-":
            return v.subtract(a, b)
        if op == "*":
            return v.multiply(a, b)
        if op == "/":
            return v.divide(a, b)
        return v.power(a, b)

    def _neg(self, node: Any, scope: Scope) -> Any:
        return v.negate(self.eval(node[1], scope))

    def _path(self, node: Any, scope: Scope) -> Any:
        base = self.eval(node[1], scope)
        return _property(base, node[2])

    def _filter(self, node: Any, scope: Scope) -> Any:
        base = self.eval(node[1], scope)
        if base is None:
            return None
        items = _as_list(base)
        cond = node[2]
        if not _uses_item(cond):
            index = self.eval(cond, scope)
            if isinstance(index, D):
                return _index(items, index)
            if isinstance(index, bool):
                return list(items) if index else []
        out = []
        for item in items:
            local = {"item": item}
            if isinstance(item, dict):
                local = {**item, "item": item}
            result = self.eval(cond, scope.child(local))
            if isinstance(result, D) and not isinstance(result, bool):
                return _index(items, result)
            if result is True:
                out.append(item)
        return out

    def _for(self, node: Any, scope: Scope) -> Any:
        names, domains = [], []
        for name, start, end in node[1]:
            names.append(name)
            domains.append((start, end))
        results: list[Any] = []

        def loop(level: int, local: dict[str, Any]) -> None:
            if level == len(names):
                results.append(self.eval(node[2], scope.child({**local, "partial": results})))
                v.checked(results)
                return
            inner = scope.child(local)
            start, end = domains[level]
            if end is not None:
                domain = _number_range(self.eval(start, inner), self.eval(end, inner))
            else:
                domain = self.eval(start, inner)
                if isinstance(domain, Range):
                    if v.compare(domain.start, domain.end) == 1:
                        raise FeelError("the range runs backwards")
                    domain = _number_range(domain.start, domain.end, domain)
                domain = _as_list(domain)
            for item in domain:
                loop(level + 1, {**local, names[level]: item})

        loop(0, {})
        return results

    def _quant(self, node: Any, scope: Scope) -> Any:
        every = node[1] == "every"
        names = [n for n, _, _ in node[2]]
        exprs = [e for _, e, _ in node[2]]
        lists = []
        for expr in exprs:
            lists.append(_as_list(self.eval(expr, scope)))
        for combo in itertools.product(*lists):
            result = self.eval(node[3], scope.child(dict(zip(names, combo, strict=True))))
            if every and result is not True:
                return False
            if not every and result is True:
                return True
        return every

    def _function(self, node: Any, scope: Scope) -> Any:
        return Function([p[0] for p in node[1]], node[2], scope, param_types=[p[1] for p in node[1]])

    def _instance_of(self, node: Any, scope: Scope) -> Any:
        return self.is_instance(self.eval(node[1], scope), node[2])

    def is_instance(self, value: Any, type_: Any) -> bool:
        _, name, args, result = type_
        if name == "Any":
            return value is not None
        if name == "Null":
            return value is None
        if value is None:
            return False
        if name in self.types:
            return bool(self.types[name](value))
        if name == "list":
            return isinstance(value, list) and all(self.is_instance(i, args[0]) for i in value if i is not None) \
                if args else isinstance(value, list)
        if name == "context":
            if not isinstance(value, dict):
                return False
            return all(key in value and (value[key] is None or self.is_instance(value[key], t)) for key, t in args)
        if name == "range":
            return isinstance(value, Range) and (not args or all(
                x is None or self.is_instance(x, args[0]) for x in (value.start, value.end)))
        if name == "function":
            if not isinstance(value, Function):
                return False
            if value.builtin or (not args and result is None):
                return True
            if len(args) != len(value.params):
                return False
            declared = value.param_types or [None] * len(value.params)
            for want, have in zip(args, declared, strict=True):
                if have is not None and not _type_conforms(want, have):
                    return False
            return True
        return bool(v.kind(value) == name)

    def _call(self, node: Any, scope: Scope) -> Any:
        target = node[1]
        if target[0] == "var" and target[1] == "is defined" and not scope.lookup("is defined")[0]:
            arg = node[2][0][1] if node[2] else None
            if arg is not None and arg[0] == "var":
                return scope.lookup(arg[1])[0]
            try:
                return self.eval(arg, scope) is not None
            except FeelError:
                return False
        fn = self.eval(target, scope)
        if not isinstance(fn, Function):
            if target[0] == "var":
                raise FeelError(f"no function named '{target[1]}'")
            raise FeelError("the value called is not a function")
        positional, named = [], {}
        for arg in node[2]:
            if arg[0] == "pos":
                positional.append(self.eval(arg[1], scope))
            elif arg[0] == "named":
                named[arg[1]] = self.eval(arg[2], scope)
            else:
                raise FeelError("a comparison is not an argument outside not(...) in unary tests")
        return self.invoke(fn, positional, named)

    def invoke(self, fn: Function, positional: list[Any], named: dict[str, Any] | None = None) -> Any:
        named = named or {}
        if fn.builtin:
            return fn.body(self, positional, named)
        if named:
            unknown = set(named) - set(fn.params)
            if unknown:
                return None
            args = [named.get(p) for p in fn.params]
        else:
            args = list(positional) + [None] * (len(fn.params) - len(positional))
            if len(positional) > len(fn.params):
                return None
        if fn.param_types:
            for i, type_ in enumerate(fn.param_types):
                if type_ is not None and args[i] is not None and not self.is_instance(args[i], type_):
                    coerced = _coerce_singleton(args[i], type_, self)
                    if coerced is _NO:
                        return None
                    args[i] = coerced
        self.depth += 1
        if self.depth > MAX_CALL_DEPTH:
            raise FeelError(f"functions call each other too deeply (limit {MAX_CALL_DEPTH})")
        try:
            if callable(fn.body):
                return fn.body(*args)
            local = dict(zip(fn.params, args, strict=True))
            base = fn.closure if isinstance(fn.closure, Scope) else Scope(fn.closure or {})
            return self.eval(fn.body, base.child(local))
        finally:
            self.depth -= 1


_NO = object()


def _coerce_singleton(value: Any, type_: Any, interp: Interpreter) -> Any:
    if type_[1] == "list" and not isinstance(value, list):
        return [value] if not type_[2] or interp.is_instance(value, type_[2][0]) else _NO
    if isinstance(value, list) and len(value) == 1 and interp.is_instance(value[0], type_):
        return value[0]
    return _NO


def _type_conforms(want: Any, have: Any) -> bool:
    """Whether type ``want`` (an argument's type) conforms to the declared ``have``."""
    if have[1] == "Any":
        return True
    if want[1] != have[1]:
        return False
    if want[1] == "context":
        wanted = dict(want[2])
        return all(k in wanted and _type_conforms(wanted[k], t) for k, t in have[2])
    if want[1] == "list" and want[2] and have[2]:
        return _type_conforms(want[2][0], have[2][0])
    return True


def _uses(node: Any, name: str) -> bool:
    if isinstance(node, tuple):
        if len(node) == 2 and node[0] == "var":
            return bool(node[1] == name)
        return any(_uses(child, name) for child in node[1:])
    if isinstance(node, list):
        return any(_uses(child, name) for child in node)
    return False


def _uses_input(node: Any) -> bool:
    return _uses(node, "?")


def _uses_item(node: Any) -> bool:
    """Whether a filter reads the item (``item`` or any name, which may be an item's key)."""
    if isinstance(node, tuple):
        if node[0] == "var":
            return True
        if node[0] in ("num", "str", "const"):
            return False
        return any(_uses_item(child) for child in node[1:])
    if isinstance(node, list):
        return any(_uses_item(child) for child in node)
    return False


def _member(value: Any, target: Any, nested: bool = False) -> bool | None:
    if target is None:
        return None if not nested else value is None
    if isinstance(target, Range):
        return target.contains(value)
    if isinstance(target, v.UnaryTest):
        return target.test(value)
    if isinstance(target, Function):
        return None
    same = v.equal(value, target)
    if same:
        return True
    if isinstance(target, list) and not nested:
        return any(_member(value, item, True) is True for item in target)
    return same


def _index(items: list[Any], index: D) -> Any:
    if index != index.to_integral_value():
        return None
    i = int(index)
    if i > 0 and i <= len(items):
        return items[i - 1]
    if i < 0 and -i <= len(items):
        return items[i]
    return None


def _number_range(start: Any, end: Any, rng: Range | None = None) -> list[Any]:
    if isinstance(start, D) and isinstance(end, D):
        if start != start.to_integral_value() or end != end.to_integral_value():
            raise FeelError("a for range must run between whole numbers")
        a, b = int(start), int(end)
        if abs(b - a) > v.MAX_LENGTH:
            raise FeelError(f"the range is too long (limit {v.MAX_LENGTH:,} items)")
        step = 1 if b >= a else -1
        out: list[Any] = [D(i) for i in range(a, b + step, step)]
        if rng is not None:
            out = [x for x in out if rng.contains(x)]
        return out
    if isinstance(start, dt.date) and isinstance(end, dt.date) and not isinstance(start, dt.datetime):
        days = (end - start).days
        if abs(days) > v.MAX_LENGTH:
            raise FeelError("the range is too long")
        step = 1 if days >= 0 else -1
        dates: list[Any] = [start + dt.timedelta(days=i) for i in range(0, days + step, step)]
        out = dates
        if rng is not None:
            out = [x for x in out if rng.contains(x)]
        return out
    raise FeelError("a for range must run between numbers or dates")


def _property(base: Any, name: str) -> Any:
    if base is None:
        return None
    if isinstance(base, list):
        return [_property(item, name) for item in base]
    if isinstance(base, dict):
        return base.get(name)
    from .builtins import temporal_property
    return temporal_property(base, name)
