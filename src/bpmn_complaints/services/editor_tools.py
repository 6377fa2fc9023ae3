"""What the browser editor asks the running app while a process owner types: the
handlers it may bind, whether a condition or timer is allowed and which variables it
names, and when a timer would next fall due on the business calendar."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from flask import current_app

from .. import expressions
from ..business_calendar import business_calendar
from ..clock import utcnow
from ..engine.lint import Linter
from ..engine.script_engine import time_functions
from ..engine.timer_limits import TimerOutOfBounds, check_duration, check_timer
from ..expressions.dialects import compile_dialect, unwrap
from ..xml_safety import UnsafeXml, parse_xml
from .complaints import start_data

TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
_SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
_DMN_OUTPUT = "output"
_LOOKS_ISO = re.compile(r"(R\d*/)?P[0-9T][0-9A-Za-z.,]*")  # meant as a duration, yet not one


def handler_catalogue() -> list[dict[str, str]]:
    """Every handler the running app can bind a service task to, with where it comes from
    and its documentation (the module's, which names its parameters)."""
    registry = current_app.extensions["complaints_handlers"]
    items = []
    for name in sorted(registry.names()):
        func = registry.get(name)
        module = __import__(func.__module__, fromlist=["_"]) if func is not None else None
        doc = (getattr(module, "__doc__", None) or getattr(func, "__doc__", None) or "").strip()
        items.append({"name": name, "origin": registry.origin(name) or "", "description": doc})
    return items


def process_variables(files: dict[str, str]) -> set[str]:
    """The task-data names a complaint of this bundle can have: the start data, every form
    field, every DMN output, and what handlers and messages store (result and message
    variables)."""
    names = set(_start_names())
    limit = current_app.config["MAX_DEFINITION_BYTES"]
    for name, text in files.items():
        try:
            if name.endswith(".json"):
                names.update((json.loads(text).get("properties") or {}).keys())
            elif name.endswith(".dmn"):
                root = parse_xml(text, limit)
                names.update(str(o.get("name")) for o in root.iter() if _local(o.tag) == _DMN_OUTPUT and o.get("name"))
            elif name.endswith(".bpmn"):
                root = parse_xml(text, limit)
                for node in root.iter():
                    for attr in ("resultVariable", "{http://camunda.org/schema/1.0/bpmn}resultVariable"):
                        if value := node.get(attr):
                            names.add(value)
                    if node.tag == f"{_SPIFF}messageVariable" and (text_value := (node.text or "").strip()):
                        names.add(text_value)
        except (UnsafeXml, ValueError, AttributeError):  # a broken file is the deploy check's to report
            continue
    return names


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _start_names() -> list[str]:
    sample = SimpleNamespace(reference="", received_at=utcnow(), channel=None, category=None, product=None)
    return list(start_data(sample))  # type: ignore[arg-type]  # it reads these attributes only


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
