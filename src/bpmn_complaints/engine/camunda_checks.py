"""Deploy checks for what Camunda 7 and 8 diagrams carry beyond our conventions: what is
refused by name (listeners, Java delegates, scripts in other languages, collections that
are expressions, forms we cannot show), what is ignored with a warning (a Camunda 7 leftover beside a Camunda 8
binding), and which tasks sit in a named lane (the lane name is the group).

:func:`check` reports through two callbacks, ``add(file, element, message)`` for a
problem and ``warn(file, element, message)`` for a warning, so the shared checker
(:mod:`.lint`) decides how they are collected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..expressions.dialects import CAMUNDA_NAMESPACES, NS
from . import camunda_forms, form_checks
from .bpmn_rewrite import variable_name

if TYPE_CHECKING:
    from lxml.etree import _Element

Report = Callable[[str, str | None, str], None]

LISTENERS = {
    "camunda:taskListener": "a Camunda 7 task listener",
    "camunda:executionListener": "a Camunda 7 execution listener",
    "zeebe:taskListener": "a Camunda 8 task listener",
    "zeebe:executionListener": "a Camunda 8 execution listener",
}
JAVA_ATTRIBUTES = ("class", "expression", "delegateExpression")
# Script formats that mean our Python-like language (SpiffArena writes none, or python).
OUR_SCRIPT_FORMATS = {"", "python", "text/x-python", "spiff", "spiffworkflow"}
CONTAINERS = ("subProcess", "transaction", "adHocSubProcess")
# Camunda 7's (nrOf...) and Camunda 8's (numberOf...) multi-instance counters.
COUNTERS = re.compile(r"\b(?:nrOf|numberOf)(?:Instances|ActiveInstances|CompletedInstances|TerminatedInstances)\b")


def named_lane_members(process: _Element) -> set[str]:
    """The ids of the flow nodes in a named lane of ``process``, including everything
    inside a sub-process that is in one (a nested task inherits its sub-process's lane).
    An unnamed lane names no group, so its nodes are in none."""
    members = {text for lane in process.iterfind(".//bpmn:lane", NS) if (lane.get("name") or "").strip()
               for ref in lane.iterfind("bpmn:flowNodeRef", NS) if (text := (ref.text or "").strip())}
    for tag in CONTAINERS:
        for container in process.iterfind(f".//bpmn:{tag}", NS):
            if container.get("id") in members:
                members.update(eid for el in container.iter() if (eid := el.get("id")))
    return members


def _element_id(node: _Element) -> str | None:
    while node is not None and not node.get("id"):
        parent = node.getparent()
        if parent is None:
            break
        node = parent
    return node.get("id")


def _has_zeebe(element: _Element) -> bool:
    extensions = element.find("bpmn:extensionElements", NS)
    return extensions is not None and any(str(child.tag).startswith(f"{{{NS['zeebe']}}}") for child in extensions)


def _camunda_leftovers(element: _Element) -> list[str]:
    names = [f"camunda:{str(key).split('}', 1)[1]}" for key in element.attrib
             if any(str(key).startswith(f"{{{ns}}}") for ns in CAMUNDA_NAMESPACES)]
    extensions = element.find("bpmn:extensionElements", NS)
    for child in extensions if extensions is not None else []:
        if any(str(child.tag).startswith(f"{{{ns}}}") for ns in CAMUNDA_NAMESPACES):
            names.append(f"camunda:{str(child.tag).split('}', 1)[1]}")
    return names


def check(file: str, root: _Element, files: dict[str, str], add: Report, warn: Report) -> None:
    """Check one BPMN document of the bundle ``files`` for the Camunda constructs above."""
    for tag, what in LISTENERS.items():
        for listener in root.iterfind(f".//{tag}", NS):
            add(file, _element_id(listener), f"{what} ({listener.get('event') or 'no event'}) runs code this engine "
                                             "does not have: model the work as a service task bound to a handler")
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("id"):
            continue
        if _has_zeebe(element):
            leftovers = _camunda_leftovers(element)
            if leftovers:
                warn(file, element.get("id"), f"{', '.join(leftovers)} ignored: the element has a Camunda 8 (zeebe) "
                                              "binding, and Camunda 8 ignores Camunda 7's attributes too")
            continue
        if element.tag == f"{{{NS['bpmn']}}}serviceTask":
            continue  # its binding reader names a Java delegate itself
        for attr in JAVA_ATTRIBUTES:
            if any(element.get(f"{{{ns}}}{attr}") for ns in CAMUNDA_NAMESPACES):
                add(file, element.get("id"), f"camunda:{attr} binds a Java delegate, which this engine cannot run: "
                                             "use a service task bound to a handler")
    _scripts(file, root, add)
    _collections(file, root, add)
    _forms(file, root, files, add)
    for start in root.iterfind(".//bpmn:startEvent", NS):
        if _declares_form(start):
            warn(file, start.get("id"), "the start event's form is not shown here: a complaint starts from the "
                                        "submission form (or the API), whose fields are the start data")


def _declares_form(node: _Element) -> bool:
    try:
        return camunda_forms.declaration(node) is not None
    except camunda_forms.FormUnsupported:
        return True


def _forms(file: str, root: _Element, files: dict[str, str], add: Report) -> None:
    """Each user task's Camunda form: found, convertible, and safe as our JSON Schema form."""
    for task in root.iterfind(".//bpmn:userTask", NS):
        tid = task.get("id") or ""
        if task.find("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
                     "[@name='formJsonSchemaFilename']", NS) is not None:
            continue  # SpiffArena's form wins, as the parser has it
        try:
            declared = camunda_forms.declaration(task)
            if declared is None:
                continue
            ref = camunda_forms.resolve(files, file, tid, declared)
            schema = camunda_forms.load(files, ref)
        except camunda_forms.FormUnsupported as err:
            add(file, tid, str(err))
            continue
        except (KeyError, ValueError) as err:  # a missing embedded form, a .form file that is not JSON
            add(file, tid, f"the task's form cannot be read: {err}")
            continue
        for problem in form_checks.schema_problems(schema):
            add(file, tid, f"the form {ref!r}: {problem}")


def _scripts(file: str, root: _Element, add: Report) -> None:
    for task in root.iterfind(".//bpmn:scriptTask", NS):
        tid = task.get("id")
        language = (task.get("scriptFormat") or "").strip()
        if language.lower() not in OUR_SCRIPT_FORMATS:
            add(file, tid, f"the script is {language}, which this engine does not run: write it as `name = "
                           "expression` lines of the Python-like language (scriptFormat python)")
        if any(task.get(f"{{{ns}}}resource") for ns in CAMUNDA_NAMESPACES):
            add(file, tid, "camunda:resource loads the script from a file outside the diagram, which is not "
                           "supported: put the script in the task")
        if task.find("bpmn:extensionElements/zeebe:script", NS) is not None:
            add(file, tid, "a Camunda 8 script task (a FEEL zeebe:script) is not supported: compute the value in "
                           "a gateway condition, a decision or a handler")


def _collections(file: str, root: _Element, add: Report) -> None:
    for loop in root.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
        owner = loop.getparent()
        oid = owner.get("id") if owner is not None else None
        zeebe = loop.find("bpmn:extensionElements/zeebe:loopCharacteristics", NS)
        if zeebe is not None:
            collection = zeebe.get("inputCollection")
            output, output_element = zeebe.get("outputCollection"), zeebe.get("outputElement")
            if output and variable_name(output_element) is None:
                add(file, oid, f"the outputElement {output_element!r} is an expression; only a variable name of "
                               "each instance is collected here (set it in the instance, then name it)")
        else:
            collection = next((c for ns in CAMUNDA_NAMESPACES if (c := loop.get(f"{{{ns}}}collection"))), None)
        condition = loop.find("bpmn:completionCondition", NS)
        counters = COUNTERS.findall(condition.text or "") if condition is not None else []
        if counters:
            add(file, oid, f"the completion condition uses {', '.join(sorted(set(counters)))}, Camunda's instance "
                           "counters, which this engine does not provide: end the branches with a condition on "
                           "the data instead")
        if collection is not None and variable_name(collection) is None:
            add(file, oid, f"the multi-instance collection {collection!r} is an expression; only a variable "
                           "holding the list is supported here (compute the list first, then name it)")
