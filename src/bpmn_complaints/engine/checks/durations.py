"""Timer values that look like ISO 8601 but are not: ``P3X``, ``PT``, ``2026-13-01``.

Without this check such a value is read as an expression (``P3X`` is a valid name), passes,
and fails only when the timer starts, with an incident that names no element. The same
goes for a quoted literal (SpiffArena writes ``"P3D"``).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from ...expressions import ExpressionError, parse_timer_literal
from ...expressions.dialects import NS, compile_dialect, dialect_of, unwrap
from .graph import executable_processes

if TYPE_CHECKING:
    from ..lint import Linter

# What a person writes when they mean an ISO 8601 value: a duration, a repetition or a date.
LOOKS_ISO = re.compile(r"(?:P[\dT.,]|PT|R\d*/|\d{4}-\d)\S*")
KINDS = {"timeDuration": "a duration (P3D, PT4H)", "timeDate": "a date or date-time (2026-12-01T09:00:00Z)",
         "timeCycle": "a repeating interval (R3/PT1H)"}


def intended_literal(text: str | None) -> str | None:
    """The ISO 8601 value ``text`` is meant to be, valid or not, or ``None`` when it is an
    expression: the bare text (``P3D``), or the content of a quoted string (``"P3D"``)."""
    body = unwrap(text or "")
    if dialect_of((text or "").strip()) == "python":
        try:
            value = ast.literal_eval(body)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = None
        if isinstance(value, str):
            body = value.strip()
    return body if LOOKS_ISO.fullmatch(body) else None


def _compiles(text: str | None) -> bool:
    """Whether the value reads as an expression (``P3X`` does); one that does not is
    already reported by the expression check, once is enough."""
    try:
        compile_dialect((text or "").strip())
    except ExpressionError:
        return False
    return True


def check(linter: Linter) -> None:
    for file, root in linter.bpmn_roots.items():
        for process in executable_processes(root):
            for timer in process.iterfind(".//bpmn:timerEventDefinition", NS):
                owner = timer.getparent()
                element = owner.get("id") if owner is not None else None
                for kind, meaning in KINDS.items():
                    node = timer.find(f"bpmn:{kind}", NS)
                    if node is None:
                        continue
                    literal = intended_literal(node.text)
                    if literal is not None and parse_timer_literal(literal) is None and _compiles(node.text):
                        linter.add(file, element, f"the timer {kind} {literal!r} is not a valid ISO 8601 value: "
                                                  f"write {meaning}, upper case, or an expression")
