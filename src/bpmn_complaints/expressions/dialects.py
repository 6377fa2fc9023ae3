"""How each modeler writes handler bindings, task assignments and expressions, read into ours.

* SpiffArena: ``<spiffworkflow:serviceTaskOperator id="name" resultVariable="..">`` with
  ``<spiffworkflow:parameter id=".." value="<expression>"/>`` and an optional
  ``<spiffworkflow:retry retries=".." backoff_base=".."/>``.
* Camunda 7 Modeler: ``camunda:type="external" camunda:topic="name"``, parameters from
  ``camunda:inputParameter`` (``${expr}`` is an expression, anything else a literal).
* Camunda 8 Modeler: ``<zeebe:taskDefinition type="name" retries="3"/>``, parameters
  from ``<zeebe:input source=".." target=".."/>`` (``=expr`` is an expression).

User and manual tasks are offered to their lane. Camunda Modeler's Assignment panel writes
``camunda:assignee``/``camunda:candidateGroups`` (7) or ``<zeebe:assignmentDefinition
assignee=".." candidateGroups=".."/>`` (8); :func:`read_assignment` turns those into our
``assignee`` and ``candidateGroup`` properties.

Conditions, timers, parameters and assignments keep the wrapper their modeler put around
them, and :func:`compile_dialect` reads each by its wrapper with that dialect's grammar:
``${...}`` and ``#{...}`` are JUEL (:mod:`.juel`, Camunda 7), a leading ``=`` is FEEL
(:mod:`.feel`, Camunda 8), anything else is our Python-like language (SpiffArena). All three
run in this package's bounded evaluators; none reaches Python's ``eval``. A DMN file's
dialect is what it declares (:func:`dmn_dialect`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, cast

from .compiler import Expression, compile_expression
from .errors import ExpressionError
from .feel import compile_feel
from .juel import JUEL_FUNCTIONS, is_juel, juel_tree

if TYPE_CHECKING:
    from lxml.etree import _Element

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "zeebe": "http://camunda.org/schema/zeebe/1.0",
}
# Camunda 7 still reads attributes in the namespace of Activiti, its predecessor.
CAMUNDA_NAMESPACES = (NS["camunda"], "http://activiti.org/bpmn")


def _camunda_attr(node: _Element, name: str) -> str | None:
    for namespace in CAMUNDA_NAMESPACES:
        value = node.get(f"{{{namespace}}}{name}")
        if value is not None:
            return value
    return None


@dataclass
class ServiceBinding:
    handler: str
    dialect: str
    params: dict[str, str] = field(default_factory=dict)  # name -> expression
    result_variable: str | None = None
    retries: int | None = None
    backoff_base: int | None = None


class BindingError(ValueError):
    """The service task names a handler in a way we cannot run."""


def _literal(text: str | None) -> str:
    return repr(text or "")


def _int(value: str | None, what: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise BindingError(f"{what} must be a whole number, not {value!r}") from None


def read_binding(node: _Element) -> ServiceBinding | None:
    """The handler binding of a ``bpmn:serviceTask`` element, or ``None`` if it has none.

    :raises BindingError: for a binding we recognise but cannot run (a Java class).
    """
    operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
    if operator is not None:
        # SpiffArena writes an optional parameter left blank as value="": it is not passed.
        params = {
            key: value
            for p in operator.findall(".//spiffworkflow:parameter", NS)
            if (key := p.get("id")) and (value := p.get("value", "")).strip()
        }
        retry = operator.find(".//spiffworkflow:retry", NS)
        return ServiceBinding(
            handler=operator.get("id", ""),
            dialect="spiffworkflow",
            params=params,
            result_variable=operator.get("resultVariable") or None,
            retries=_int(retry.get("retries") if retry is not None else None, "retries"),
            backoff_base=_int(retry.get("backoff_base") if retry is not None else None, "backoff_base"),
        )
    # A Zeebe binding wins over a Camunda 7 leftover beside it, as Camunda 8 ignores the
    # camunda namespace (the deploy check warns about the leftover).
    definition = node.find("bpmn:extensionElements/zeebe:taskDefinition", NS)
    if definition is None and _camunda_attr(node, "type") == "external":
        params = {}
        for p in node.findall("bpmn:extensionElements/camunda:inputOutput/camunda:inputParameter", NS):
            text = (p.text or "").strip()
            # Camunda's schema requires the name; a diagram without one still gets a None key.
            name = cast(str, p.get("name"))
            params[name] = _camunda_value(text, f"the input parameter {name!r}")
        return ServiceBinding(handler=_camunda_attr(node, "topic") or "", dialect="camunda", params=params)
    for attr in ("class", "expression", "delegateExpression"):
        if definition is None and _camunda_attr(node, attr):
            raise BindingError(
                f"camunda:{attr} binds a Java delegate, which this engine cannot run; "
                "use an external task (camunda:type=\"external\") with camunda:topic set to a handler name"
            )
    if definition is not None:
        params = {}
        for p in node.findall("bpmn:extensionElements/zeebe:ioMapping/zeebe:input", NS):
            source = (p.get("source") or "").strip()
            # Zeebe's schema requires the target; a diagram without one still gets a None key.
            target = cast(str, p.get("target"))
            params[target] = source if is_feel(source) else _literal(source)
        return ServiceBinding(
            handler=definition.get("type", ""),
            dialect="zeebe",
            params=params,
            retries=_int(definition.get("retries"), "retries"),
        )
    return None


@dataclass
class DecisionBinding:
    """Which decision a business rule task calls, and where its result goes.

    ``mapping`` is ``merge`` (SpiffArena: the outputs are merged into the task data),
    Camunda 7's ``camunda:mapDecisionResult`` (``singleEntry``, ``singleResult``,
    ``collectEntries``, ``resultList``), or ``value`` (Camunda 8: the decision's value).
    """

    decision: str
    result_variable: str | None = None
    mapping: str = "merge"


_CAMUNDA_MAPPINGS = ("singleEntry", "singleResult", "collectEntries", "resultList")


def read_decision(node: _Element) -> DecisionBinding | None:
    """The decision a ``bpmn:businessRuleTask`` calls, in SpiffArena's, Camunda 7's or
    Camunda 8's way, or ``None`` if it names none.

    :raises BindingError: for a binding we cannot run (an unknown result mapping, a Zeebe
        decision without a result variable).
    """
    spiff = node.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
    if spiff is not None and (spiff.text or "").strip():
        return DecisionBinding((spiff.text or "").strip())
    ref = _camunda_attr(node, "decisionRef")
    if ref:
        mapping = _camunda_attr(node, "mapDecisionResult") or "resultList"
        if mapping not in _CAMUNDA_MAPPINGS:
            raise BindingError(f"camunda:mapDecisionResult {mapping!r} is not one of {', '.join(_CAMUNDA_MAPPINGS)}")
        if is_juel(ref):
            raise BindingError("camunda:decisionRef must name the decision; an expression is not supported here")
        return DecisionBinding(ref.strip(), _camunda_attr(node, "resultVariable") or None, mapping)
    called = node.find("bpmn:extensionElements/zeebe:calledDecision", NS)
    if called is not None:
        decision = (called.get("decisionId") or "").strip()
        if is_feel(decision):
            raise BindingError("zeebe:calledDecision decisionId must name the decision; an expression is not "
                               "supported here")
        result = (called.get("resultVariable") or "").strip()
        if not result:
            raise BindingError("zeebe:calledDecision needs a resultVariable (Camunda 8 requires one)")
        return DecisionBinding(decision, result, "value")
    return None


def _camunda_value(text: str, what: str = "the assignment") -> str:
    text = text.strip()
    # ${...} and #{...} are both JUEL expressions; anything else is a literal.
    if is_juel(text):
        return text
    if "${" in text or "#{" in text:
        # Camunda would fill the expression into the text; as a literal it would be wrong.
        raise BindingError(f"{what} {text!r} mixes text and a ${{...}} expression (a JUEL composite expression), "
                           "which is not supported: write one ${...} that holds the whole value")
    return _literal(text)


def _zeebe_value(text: str) -> str:
    text = text.strip()
    return text if is_feel(text) else _literal(text)


def read_assignment(node: _Element) -> dict[str, str]:
    """The assignment of a ``bpmn:userTask``/``manualTask`` written by Camunda Modeler, as
    our expression properties ``assignee``, ``candidateGroup``, ``dueDate``,
    ``followUpDate`` and ``priority`` (empty if it has none).

    :raises BindingError: for several candidate groups or for candidate users: a task is
        offered to one group here.
    """
    zeebe = node.find("bpmn:extensionElements/zeebe:assignmentDefinition", NS)
    if zeebe is not None:
        raw = {k: zeebe.get(k) for k in ("assignee", "candidateGroups", "candidateUsers")}
        convert = _zeebe_value
    else:
        raw = {k: _camunda_attr(node, k) for k in ("assignee", "candidateGroups", "candidateUsers")}
        convert = _camunda_value
    if raw["candidateUsers"]:
        raise BindingError("candidate users are not supported: offer the task to a group (a lane or one "
                           "candidate group) or set an assignee")
    groups = (raw["candidateGroups"] or "").strip()
    if groups and "," in groups and not (is_feel(groups) or is_juel(groups)):
        raise BindingError(f"the task names several candidate groups ({groups}); a task is offered to one "
                           "group here: name one, or use a lane")
    found: dict[str, str] = {}
    if raw["assignee"] and raw["assignee"].strip():
        found["assignee"] = convert(raw["assignee"])
    if groups:
        found["candidateGroup"] = convert(groups)
    for name, value in _schedule(node).items():
        if value and value.strip():
            found[name] = (_zeebe_value if zeebe_schedule(node) else _camunda_value)(value)
    return found


def zeebe_schedule(node: _Element) -> bool:
    """Whether the task's dates and priority are written the Camunda 8 way."""
    return any(node.find(f"bpmn:extensionElements/zeebe:{tag}", NS) is not None
               for tag in ("taskSchedule", "priorityDefinition"))


def _schedule(node: _Element) -> dict[str, str | None]:
    """Camunda 7's ``camunda:dueDate``, ``followUpDate`` and ``priority`` (the Modeler's
    User assignment group), or Camunda 8's ``zeebe:taskSchedule`` and ``zeebe:priorityDefinition``."""
    if zeebe_schedule(node):
        schedule = node.find("bpmn:extensionElements/zeebe:taskSchedule", NS)
        priority = node.find("bpmn:extensionElements/zeebe:priorityDefinition", NS)
        return {"dueDate": schedule.get("dueDate") if schedule is not None else None,
                "followUpDate": schedule.get("followUpDate") if schedule is not None else None,
                "priority": priority.get("priority") if priority is not None else None}
    return {name: _camunda_attr(node, name) for name in ("dueDate", "followUpDate", "priority")}


class Compiled(Protocol):
    """What every dialect compiles to: evaluate against task data, and the names and
    functions it uses (for deploy-time checks)."""

    source: str
    names: frozenset[str]
    functions: frozenset[str]
    dialect: str

    def evaluate(self, names: Any, functions: Any = None) -> Any: ...


def is_feel(text: str) -> bool:
    """Whether ``text`` is a Camunda 8 expression (a leading ``=``)."""
    stripped = text.strip()
    return stripped.startswith("=") and not stripped.startswith("==")


def dialect_of(text: str) -> str:
    """``juel``, ``feel`` or ``python``, by the wrapper the modeler wrote."""
    if is_juel(text):
        return "juel"
    if is_feel(text):
        return "feel"
    return "python"


def unwrap(text: str) -> str:
    """The text inside a JUEL or FEEL wrapper (for recognising bare timer literals only)."""
    stripped = (text or "").strip()
    if is_juel(stripped):
        return stripped[2:-1].strip()
    if is_feel(stripped):
        return stripped[1:].strip()
    return stripped


class _JuelExpression(Expression):
    dialect = "juel"


@lru_cache(maxsize=2048)
def compile_dialect(text: str) -> Compiled:
    """Compile an expression in the dialect its wrapper names (cached per dialect).

    :raises ExpressionError: bad syntax or a construct that dialect does not support here,
        with the reason.
    """
    source = (text or "").strip()
    kind = dialect_of(source)
    if kind == "juel":
        tree, names, functions = juel_tree(source)
        return _JuelExpression(source, tree, names, functions, JUEL_FUNCTIONS)
    if kind == "feel":
        body = source[1:].strip()
        if not body:
            raise ExpressionError("the expression is empty", source)
        return compile_feel(body)
    return compile_expression(source)
