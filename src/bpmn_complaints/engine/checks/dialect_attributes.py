"""Settings of a modeler dialect that this engine would ignore, named as warnings.

Camunda Modeler writes ``camunda:*`` (Camunda 7) and ``zeebe:*`` (Camunda 8) attributes and
extension elements. The engine reads the ones in :data:`READ`; a diagram that relies on
any other would deploy and then behave differently from Camunda, so each is named. When
the engine learns to read one, add it to :data:`READ`. Settings that the engine refuses
(Java delegates, listeners) are errors elsewhere and are listed in :data:`READ` too, so
they are reported once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .graph import executable_processes

if TYPE_CHECKING:
    from lxml.etree import _Element

    from ..lint import Linter

DIALECTS = {
    "http://camunda.org/schema/1.0/bpmn": ("camunda", "Camunda 7"),
    "http://activiti.org/bpmn": ("activiti", "Camunda 7 (Activiti)"),
    "http://camunda.org/schema/zeebe/1.0": ("zeebe", "Camunda 8"),
}
# Local names, per dialect prefix, of the attributes and extension elements we read or refuse.
READ = {
    "camunda": {"type", "topic", "inputOutput", "inputParameter", "outputParameter", "assignee", "candidateGroups",
                "candidateUsers", "decisionRef", "mapDecisionResult", "resultVariable", "class", "expression",
                "delegateExpression", "taskListener", "executionListener", "script", "failedJobRetryTimeCycle",
                "dueDate", "followUpDate", "priority", "collection", "elementVariable", "formData", "formField",
                "validation", "constraint", "value", "formKey", "formRef", "formRefBinding", "formRefVersion"},
    "zeebe": {"taskDefinition", "ioMapping", "input", "output", "assignmentDefinition", "calledDecision",
              "loopCharacteristics", "taskSchedule", "priorityDefinition", "formDefinition", "userTaskForm",
              "subscription", "script"},
}
# Input/output mappings are applied where a handler or an external worker runs: on service
# tasks. Camunda applies them on any activity; here, elsewhere, they are refused.
MAPPINGS = {"inputOutput", "ioMapping"}
MAPPED_ELEMENTS = {"serviceTask"}
READ["activiti"] = READ["camunda"]
# Settings that only tune Camunda's own engine (history, jobs, the tasklist): nothing to do here.
ENGINE_TUNING = {"historyTimeToLive", "asyncBefore", "asyncAfter", "exclusive", "jobPriority", "taskPriority",
                 "versionTag", "isStartableInTasklist", "candidateStarterGroups", "candidateStarterUsers",
                 "properties", "property", "header", "taskHeaders"}


def _split(name: str) -> tuple[str, str]:
    namespace, _, local_name = name[1:].partition("}") if name.startswith("{") else ("", "", name)
    return namespace, local_name


def _owner(node: _Element) -> str | None:
    """The id of the BPMN element a setting belongs to (an extension element's owner)."""
    current: _Element | None = node
    while current is not None:
        if current.get("id") and _split(str(current.tag))[0] not in DIALECTS:
            return current.get("id")
        current = current.getparent()
    return None


def _inside_ignored(node: _Element) -> bool:
    """Whether an ancestor is an extension element we ignore (it is named once, not its parts)."""
    parent = node.getparent()
    while parent is not None:
        namespace, local_name = _split(str(parent.tag))
        if namespace in DIALECTS and local_name not in READ.get(DIALECTS[namespace][0], set()):
            return True
        parent = parent.getparent()
    return False


def check(linter: Linter) -> None:
    for file, root in linter.bpmn_roots.items():
        seen: set[tuple[str | None, str]] = set()
        for process in executable_processes(root):
            for node in process.iter():
                if not isinstance(node.tag, str) or _inside_ignored(node):
                    continue
                names = [str(node.tag)] + [str(a) for a in node.attrib]
                for name in names:
                    namespace, local_name = _split(name)
                    if namespace not in DIALECTS:
                        continue
                    prefix, modeler = DIALECTS[namespace]
                    if local_name in MAPPINGS and name == str(node.tag):
                        _check_mapping_owner(linter, file, node, f"{prefix}:{local_name}")
                    if local_name in READ.get(prefix, set()):
                        continue
                    element = _owner(node)
                    if (element, f"{prefix}:{local_name}") in seen:
                        continue
                    seen.add((element, f"{prefix}:{local_name}"))
                    why = ("it only tunes Camunda's own engine" if local_name in ENGINE_TUNING
                           else "a diagram that relies on it will behave differently here")
                    linter.warn(file, element, f"{prefix}:{local_name} is a {modeler} setting this engine ignores "
                                               f"({why})")


def _check_mapping_owner(linter: Linter, file: str, node: _Element, setting: str) -> None:
    """Refuse input/output mappings on an element where the engine would not apply them."""
    extensions = node.getparent()
    owner = extensions.getparent() if extensions is not None else None
    if owner is None:
        return
    kind = _split(str(owner.tag))[1]
    if kind not in MAPPED_ELEMENTS:
        linter.add(file, owner.get("id"), f"{setting} on a {kind} is not supported: input and output mappings "
                                          "are applied on service tasks only, so this one would be ignored")
