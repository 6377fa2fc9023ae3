"""The functions and methods an expression may call, each bounded by the size limits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from .errors import MAX_LENGTH, MAX_ROUND_DIGITS
from .operations import deep_size, raise_too_large

# What a caller may pass as ``functions``: names to plain callables.
Functions = Mapping[str, Callable[..., Any]]


def _str(value: Any = "") -> str:
    if not isinstance(value, str) and deep_size(value, MAX_LENGTH) > MAX_LENGTH:
        raise_too_large("str()")
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


def _sorted(iterable: Any, reverse: bool = False) -> list[Any]:
    return sorted(iterable, reverse=bool(reverse))


def _min(*args: Any) -> Any:
    return min(*args)


def _max(*args: Any) -> Any:
    return max(*args)


# Read-only, so no caller can widen the allow-list for everyone else.
DEFAULT_FUNCTIONS: Functions = MappingProxyType({
    "len": len, "min": _min, "max": _max, "abs": abs, "round": _round, "int": int,
    "float": float, "str": _str, "bool": bool, "sum": _sum, "sorted": _sorted,
    "any": any, "all": all, "list": list,
})


def _join(sep: str, items: Any) -> str:
    items = list(items)
    if len(sep) * max(len(items) - 1, 0) + sum(len(i) for i in items if isinstance(i, str)) > MAX_LENGTH:
        raise_too_large("join()")
    return sep.join(items)


def _replace(text: str, old: str, new: str, count: int = -1) -> str:
    hits = text.count(old) if count < 0 else min(count, text.count(old))
    if len(text) + hits * (len(new) - len(old)) > MAX_LENGTH:
        raise_too_large("replace()")
    return text.replace(old, new, count)


# Methods are looked up on the base type, never on the value, so a subclass in task
# data cannot swap in its own implementation.
_STR_METHODS: dict[str, Callable[..., Any]] = {
    name: getattr(str, name)
    for name in ("lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith",
                 "count", "index", "find", "split")
} | {"join": _join, "replace": _replace}
METHODS: dict[type, dict[str, Callable[..., Any]]] = {
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
METHOD_NAMES = frozenset(name for methods in METHODS.values() for name in methods)
