"""Conditions and timers naming variables that nothing in the process sets.

The variables a process can have are the names it starts with (the host's start data),
the fields of its forms, the outputs of its decision tables, the result variables of its
handlers and decisions, what its scripts assign, message variables, multi-instance item
variables, data objects and Camunda's form fields and output mappings. A condition or a
timer that reads any other name fails at run time, so it is an error at deploy. A name
only probed with ``defined("x")`` (or guarded by it) is not read.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from ... import expressions
from ...expressions.dialects import NS, BindingError, compile_dialect, read_binding, read_decision
from .durations import intended_literal
from .graph import executable_processes, local

if TYPE_CHECKING:
    from lxml.etree import _Element

    from ..lint import Linter

CAMUNDA = ("{http://camunda.org/schema/1.0/bpmn}", "{http://activiti.org/bpmn}")
ZEEBE = "{http://camunda.org/schema/zeebe/1.0}"
TIMER_VALUES = ("timeDate", "timeDuration", "timeCycle")
ENGINE_VARIABLES = frozenset({"bpmn_error"})  # set on an error boundary event (engine/service_tasks.py)
# The elements whose binding may name a result variable, and how each binding is read.
_RESULT_READERS = {"serviceTask": read_binding, "businessRuleTask": read_decision}


def known_variables(linter: Linter) -> set[str]:
    """Every name the bundle's processes can set, plus the start data."""
    names = set(linter.start_variables) | ENGINE_VARIABLES
    for text in (t for name, t in linter.files.items() if name.endswith(".json")):
        names |= _form_fields(text)
    for root in linter.dmn_roots.values():
        names |= {out.get("name") or "" for out in root.iter("{*}output")}
        names |= {var.get("name") or "" for decision in root.iter("{*}decision")
                  for var in decision.iterfind("{*}variable")}
    for root in linter.bpmn_roots.values():
        names |= _set_in_bpmn(root)
    names.discard("")
    return names


def _form_fields(text: str) -> set[str]:
    try:
        schema = json.loads(text)
    except json.JSONDecodeError:
        return set()
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return set(properties) if isinstance(properties, dict) else set()


def _set_in_bpmn(root: _Element) -> set[str]:
    names: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        names |= {value for prefix in CAMUNDA for attr in ("resultVariable", "elementVariable")
                  if (value := element.get(f"{prefix}{attr}"))}
        kind = local(element)
        reader = _RESULT_READERS.get(kind)
        if reader is not None:
            try:
                binding = reader(element)
            except BindingError:
                binding = None
            if binding is not None and binding.result_variable:
                names.add(binding.result_variable)
        elif kind in ("dataObject", "dataInput", "dataOutput"):
            names |= {value for value in (element.get("id"), element.get("name")) if value}
        elif kind in ("inputDataItem", "outputDataItem"):
            names |= {value for value in (element.get("name"), element.get("id")) if value}
        elif kind in ("loopDataInputRef", "loopDataOutputRef"):
            names.add((element.text or "").strip())
        elif kind == "script":
            names |= _assigned(element.text)
        tag = element.tag
        if tag == f"{{{NS['spiffworkflow']}}}messageVariable":
            names.add((element.text or "").strip())
        elif tag in (f"{{{NS['spiffworkflow']}}}preScript", f"{{{NS['spiffworkflow']}}}postScript"):
            names |= _assigned(element.text)
        elif tag.startswith(CAMUNDA) and tag.endswith(("}formField", "}outputParameter")):
            names.add(element.get("id") or element.get("name") or "")
        elif tag.startswith(ZEEBE) and tag.endswith(("}output", "}calledDecision", "}script")):
            names.add(element.get("target") or element.get("resultVariable") or "")
    return names


def _assigned(text: str | None) -> set[str]:
    try:
        return set(expressions.compile_script(text or "").assigned)
    except expressions.ExpressionError:
        return set()  # the script check reports it


# defined("x") in our language, is defined(x) in FEEL: the author knows x may be missing.
PROBED = re.compile(r"\bdefined\(\s*(?:[\"'](\w+)[\"']|(\w+))\s*\)")


def _read(text: str | None) -> frozenset[str]:
    """The names an expression reads, without those it probes with ``defined``."""
    source = (text or "").strip()
    try:
        names = compile_dialect(source).names
    except expressions.ExpressionError:
        return frozenset()  # the expression check reports it
    probed = {quoted or bare for quoted, bare in PROBED.findall(source)}
    return names - probed


def formless_tasks(root: _Element) -> list[str]:
    """User and manual tasks with no form: the API takes any data for them, so the names
    they may set are not known."""
    found = []
    for kind in ("userTask", "manualTask"):
        for task in root.iterfind(f".//bpmn:{kind}", NS):
            if not any(_is_form(node) for node in task.iter()):
                found.append(task.get("id") or "")
    return found


def _is_form(node: _Element) -> bool:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag == f"{{{NS['spiffworkflow']}}}property":
        return node.get("name") == "formJsonSchemaFilename"
    if tag.startswith(ZEEBE):
        return tag.endswith(("}formDefinition", "}userTaskForm"))
    return (tag.startswith(CAMUNDA) and tag.endswith("}formData")) or any(
        node.get(f"{prefix}{attr}") for prefix in CAMUNDA for attr in ("formKey", "formRef"))


def check(linter: Linter) -> None:
    known = known_variables(linter)
    open_tasks = [tid for root in linter.bpmn_roots.values() for tid in formless_tasks(root)]
    for file, root in linter.bpmn_roots.items():
        for process in executable_processes(root):
            for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
                condition = flow.find("bpmn:conditionExpression", NS)
                if condition is not None:
                    _report(linter, file, flow.get("id"), "condition", _read(condition.text) - known, open_tasks)
            for timer in process.iterfind(".//bpmn:timerEventDefinition", NS):
                owner = timer.getparent()
                for node in timer:
                    if local(node) in TIMER_VALUES and intended_literal(node.text) is None:
                        _report(linter, file, owner.get("id") if owner is not None else None,
                                f"timer {local(node)}", _read(node.text) - known, open_tasks)


def _report(linter: Linter, file: str, element: str | None, what: str, unknown: frozenset[str],
            open_tasks: list[str]) -> None:
    if not unknown:
        return
    listed = ", ".join(sorted(unknown))
    message = (f"the {what} reads {listed}, which nothing in the process sets (not the start data, a form field, "
               "a decision output, a handler's result variable, a script or a message variable): check the "
               f"spelling, or guard it with defined(\"{min(unknown)}\")")
    if open_tasks:
        # Whoever completes a task without a form through the API may send any name.
        linter.warn(file, element, f"{message}. It is a warning, not an error, only because "
                                   f"{', '.join(open_tasks)} {'has' if len(open_tasks) == 1 else 'have'} no form; "
                                   "with a form on each task it would block the deploy")
    else:
        linter.add(file, element, message)
