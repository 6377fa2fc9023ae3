"""What the browser editor asks the running app while a process owner types: the
handlers it may bind, whether a condition or timer is allowed and which variables it
names, and when a timer would next fall due on the business calendar."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from .. import expressions
from ..business_calendar import business_calendar
from ..clock import utcnow
from ..engine.checks.variables import known_variables
from ..engine.definitions import read_roots
from ..engine.lint import Linter
from ..engine.script_engine import time_functions
from ..engine.timer_limits import TimerOutOfBounds, check_duration, check_timer
from ..expressions.dialects import compile_dialect, unwrap
from . import handler_processes
from .complaints import START_VARIABLES

TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
_LOOKS_ISO = re.compile(r"(R\d*/)?P[0-9T][0-9A-Za-z.,]*")  # meant as a duration, yet not one


def handler_catalogue() -> list[dict[str, str]]:
    """Every handler a service task can bind, from the same record deploy checks against
    (the handlers the running web and worker processes loaded, ``known_handlers``), with
    where each comes from and its documentation (the module's, which names its parameters)
    when this process has it loaded too."""
    registry = current_app.extensions["complaints_handlers"]
    items = []
    for known in handler_processes.known_handlers():
        func = registry.get(known["name"])
        module = __import__(func.__module__, fromlist=["_"]) if func is not None else None
        doc = (getattr(module, "__doc__", None) or getattr(func, "__doc__", None) or "").strip()
        items.append({"name": known["name"], "origin": known["origin"] or "", "description": doc,
                      "missing_in": ", ".join(known["missing_in"])})
    return items


def process_variables(files: dict[str, str]) -> set[str]:
    """The task-data names a complaint of this bundle can have, as deploy's variables check
    knows them (start data, form fields, decision outputs, result variables and output
    mappings, script assignments, message variables...): one answer for the editor and
    the deploy."""
    linter = Linter(files, set(), start_variables=START_VARIABLES)
    read_roots(linter, current_app.config["MAX_DEFINITION_BYTES"])  # a broken file is the deploy check's to report
    return known_variables(linter)


def check_expression(files: dict[str, str], text: str, what: str = "the condition") -> dict[str, Any]:
    """Check ``text`` as deploy does, and name the variables it uses that nothing in the
    bundle sets. ``{"ok", "message", "names", "unknown"}``."""
    linter = Linter(files, set())
    linter.expression("", None, text, what)
    if linter.problems:
        return {"ok": False, "message": linter.problems[0].message, "names": [], "unknown": []}
    used = sorted(compile_dialect(text.strip()).names)
    unknown = sorted(set(used) - process_variables(files))
    if unknown:
        return {"ok": False, "names": used, "unknown": unknown,
                "message": f"nothing in this process sets {', '.join(unknown)}: check the spelling, or add a form "
                           "field, decision output or handler result of that name"}
    message = f"OK: uses {', '.join(used)}." if used else "OK."
    return {"ok": True, "message": message, "names": used, "unknown": []}


def timer_preview(text: str, kind: str = "timeDate", variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """When a timer of ``kind`` with value ``text`` started now would first fall due, on the
    business calendar, for a complaint received now. ``{"ok", "due_at", "message"}``."""
    now = utcnow()
    calendar = business_calendar()
    source = (text or "").strip()
    literal = expressions.parse_timer_literal(unwrap(source))
    if literal is None and _LOOKS_ISO.fullmatch(unwrap(source)):
        return {"ok": False, "due_at": None,
                "message": f"{unwrap(source)!r} is no ISO 8601 duration (like P3D, PT4H or P1DT12H) or cycle (R3/PT1H)"}
    if literal is None:
        try:
            compiled = compile_dialect(source)
        except expressions.ExpressionError as err:
            return {"ok": False, "due_at": None, "message": f"not allowed: {err}"}
        names = {"received_at": now.isoformat(), **(variables or {})}
        functions = {**expressions.DEFAULT_FUNCTIONS, **time_functions(lambda: now, calendar)}
        missing = sorted(compiled.names - set(names))
        if missing:
            return {"ok": True, "due_at": None,
                    "message": f"Depends on {', '.join(missing)}, known only when a complaint runs."}
        try:
            value = compiled.evaluate(names, functions)
        except expressions.ExpressionError as err:
            return {"ok": False, "due_at": None, "message": f"cannot be computed: {err}"}
        literal = value.isoformat() if isinstance(value, datetime) else str(value)
    try:
        check_timer(kind, literal, now)
        due = _first_due(literal, now)
    except TimerOutOfBounds as err:
        return {"ok": False, "due_at": None, "message": str(err)}
    except (ValueError, OverflowError) as err:
        return {"ok": False, "due_at": None, "message": f"{literal!r} is no ISO 8601 date, duration or cycle ({err})"}
    days = calendar.business_days_between(now, due) if due >= now else -calendar.business_days_between(due, now)
    on = "a business day" if calendar.is_business_day(due) else "not a business day"
    return {"ok": True, "due_at": due.isoformat(), "business_days": days,
            "message": f"For a complaint received now: due {due:%a %d %b %Y %H:%M} UTC, in {days} business "
                       f"day{'' if days == 1 else 's'} ({on})."}


def _first_due(literal: str, now: datetime) -> datetime:
    text = literal.strip()
    if text.startswith("R"):
        parts = text.split("/")[1:]
        start = _moment(parts[0]) if len(parts) == 2 else now
        return start + check_duration(parts[-1], start)
    if text.startswith("P"):
        return now + check_duration(text, now)
    return _moment(text)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["TIMER_KINDS", "check_expression", "handler_catalogue", "process_variables", "timer_preview"]
