"""Regular expressions from diagrams and forms, run without letting one hang a request.

Python's ``re`` backtracks, and a pattern such as ``(a+)+$`` takes exponential time on a
near-miss. Two guards: :func:`nested_repeat` finds the commonest shape of such patterns (a
repeated group that repeats again), which deploy refuses; and :func:`search` runs a pattern
on the ``regex`` engine with a time limit, which catches the rest (``(a|a)*$``, ``\\d*\\d*$``).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import regex

# The parsed form of a pattern (Python 3.11 moved it).
sre_parse: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")

MAX_PATTERN_LENGTH = 1000
SEARCH_SECONDS = 0.25


class PatternTimeout(ValueError):
    """A pattern took longer than its time limit on some text."""


def _nested(items: Any, inside: bool = False) -> bool:
    for op, arg in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if inside or _nested(arg[2], True):
                return True
        elif name == "SUBPATTERN":
            if _nested(arg[-1], inside):
                return True
        elif name == "BRANCH":
            if any(_nested(branch, inside) for branch in arg[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT"):
            if _nested(arg[1], inside):
                return True
    return False


def nested_repeat(pattern: str, flags: int = 0) -> bool:
    """Whether ``pattern`` repeats a group that repeats again (``(a+)+``, ``(\\w*)*``).

    :raises re.error: if it is no valid pattern (Python's ``re``).
    """
    parsed = sre_parse.parse(pattern, flags)
    return _nested(parsed.data if hasattr(parsed, "data") else parsed)


def search(pattern: str, text: str, seconds: float = SEARCH_SECONDS) -> bool:
    """Whether ``pattern`` matches somewhere in ``text`` (as JSON Schema's ``pattern`` asks).

    :raises PatternTimeout: if that takes longer than ``seconds``.
    """
    try:
        return regex.search(pattern, text, timeout=seconds) is not None
    except TimeoutError:
        raise PatternTimeout(f"the pattern {pattern!r} took too long to check") from None


__all__ = ["MAX_PATTERN_LENGTH", "PatternTimeout", "nested_repeat", "search"]
