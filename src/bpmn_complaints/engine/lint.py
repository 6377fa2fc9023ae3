"""Our own checks on a BPMN/DMN bundle, run on the XML next to SpiffWorkflow's parser.

Each check appends :class:`Problem` objects rather than raising, so a process owner sees
every problem at once, each naming its file and element id.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from .. import expressions
from ..expressions.dialects import NS, BindingError, compile_dialect, read_assignment, read_binding, unwrap
from ..expressions.dmn import DmnError, dmn_dialect, read_model
from . import camunda_checks, form_checks
from .multi_instance import DEFAULT_MAX_INSTANCES
from .timer_limits import TimerOutOfBounds, check_timer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lxml.etree import _Element

# Ids SpiffWorkflow uses for its own task specs (trap 10).
RESERVED_IDS = {"Start", "End"}
KNOWN_FUNCTIONS = set(expressions.DEFAULT_FUNCTIONS) | {
    "now", "today", "business_days", "add_business_days", "add_days",
}
EXPRESSION_PROPERTIES = ("assignee", "candidateGroup", "excludedUsers", "dueDate", "followUpDate", "priority")
FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")
# Independence (ISO 10002 4.7): literal values, not expressions, so deploy can check them.
WORKERS_PROPERTY = "excludeWorkersOf"  # comma-separated ids of user or manual tasks
ENTERED_BY_PROPERTY = "excludeEnteredBy"  # "true": whoever entered the complaint may not work it


@dataclass
class Problem:
    file: str | None
    element: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def __str__(self) -> str:
        where = ":".join(p for p in (self.file, self.element) if p)
        return f"{where}: {self.message}" if where else self.message


class Linter:
    """Collects problems for one bundle of files (name -> text)."""

    def __init__(self, files: dict[str, str], handler_names: set[str],
                 max_instances: int = DEFAULT_MAX_INSTANCES) -> None:
        self.max_instances = max_instances
        self.files = files
        self.handler_names = handler_names
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, file: str | None, element: str | None, message: str) -> None:
        self.problems.append(Problem(file, element, message))

    def warn(self, file: str | None, element: str | None, message: str) -> None:
        """Something deploy accepts but the process owner should know (it is ignored)."""
        self.warnings.append(Problem(file, element, message))

    # -- expressions ---------------------------------------------------------------

    def expression(self, file: str, element: str | None, text: str | None, what: str,
                   allow_timer_literal: bool = False) -> None:
        source = (text or "").strip()
        if not unwrap(source):
            self.add(file, element, f"{what} is empty")
            return
        if allow_timer_literal and expressions.parse_timer_literal(unwrap(source)) is not None:
            return
        try:
            compiled = compile_dialect(source)
        except expressions.ExpressionError as err:
            self.add(file, element, f"{what} {text!r} is not allowed: {err}")
            return
        unknown = sorted(compiled.functions - KNOWN_FUNCTIONS)
        if unknown:
            self.add(file, element, f"{what} {text!r} calls unknown function(s): {', '.join(sorted(unknown))}")

    def _cardinality(self, file: str, element: str | None, loop: _Element) -> None:
        """A literal cardinality within ``MULTI_INSTANCE_MAX`` (an expression or a collection
        is counted at run time)."""
        node = loop.find("bpmn:loopCardinality", NS)
        literal = unwrap(node.text or "") if node is not None else ""
        if literal.isdigit() and int(literal) > self.max_instances:
            self.add(file, element, f"the loop cardinality {literal} is more than the maximum of "
                                    f"{self.max_instances} instances (MULTI_INSTANCE_MAX)")

    def _timer_bounds(self, file: str, element: str | None, kind: str, text: str | None) -> None:
        """A literal timer the engine can compute and run in bounded time (an expression is
        checked when the timer starts)."""
        literal = expressions.parse_timer_literal(unwrap(text or ""))
        if literal is None:
            return
        try:
            check_timer(kind, literal, datetime.now(UTC))
        except TimerOutOfBounds as err:
            self.add(file, element, f"the timer {kind}: {err}")
        except (ValueError, OverflowError) as err:
            self.add(file, element, f"the timer {kind} {literal!r} cannot be computed: {err}")

    def script(self, file: str, element: str | None, text: str | None, what: str) -> None:
        try:
            expressions.compile_script(text or "")
        except expressions.ExpressionError as err:
            self.add(file, element, f"{what} is not allowed: {err}. Scripts may only assign "
                                    "safe expressions to names, one `name = expression` per line")

    # -- BPMN ------------------------------------------------------------------------

    def bpmn(self, file: str, root: _Element) -> None:
        bpmn_ns = f"{{{NS['bpmn']}}}"
        ids = {element_id for el in root.iter() if (element_id := el.get("id")) and str(el.tag).startswith(bpmn_ns)}
        for process in root.iterfind(".//bpmn:process", NS):
            pid = process.get("id", "")
            if not pid and process.get("isExecutable", "false").lower() == "true":
                self.add(file, None, "the executable process has no id: give it one (it is the key the process "
                                     "is deployed under)")
            if pid in RESERVED_IDS or pid.endswith(".EndJoin"):
                self.add(file, pid, f"the process id {pid!r} is reserved by SpiffWorkflow; rename it")
            for el in process.iter():
                eid = el.get("id")
                if eid and (eid in RESERVED_IDS or eid == f"{pid}.EndJoin"):
                    self.add(file, eid, f"the id {eid!r} collides with a SpiffWorkflow internal task; "
                                        "rename it (e.g. StartEvent_1)")
            self._process(file, process, ids)
        camunda_checks.check(file, root, self.files, self.add, self.warn)

    def _process(self, file: str, process: _Element, ids: set[str]) -> None:
        lanes = camunda_checks.named_lane_members(process)
        for task in process.iterfind(".//bpmn:serviceTask", NS):
            self._service_task(file, task, ids)
        root = process.getroottree().getroot()
        human_ids = {tid for tag in ("userTask", "manualTask") for el in root.iterfind(f".//bpmn:{tag}", NS)
                     if (tid := el.get("id"))}
        for tag in ("userTask", "manualTask"):
            for task in process.iterfind(f".//bpmn:{tag}", NS):
                self._human_task(file, task, lanes, human_ids)
        for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
            cond = flow.find("bpmn:conditionExpression", NS)
            if cond is not None:
                language = (cond.get("language") or "").strip()
                if language and not any(known in language.lower() for known in ("feel", "juel", "xpath")):
                    # Camunda 7's script conditions (groovy, javascript...) would be read as ours otherwise.
                    self.add(file, flow.get("id"), f"the condition is a {language} script, which this engine does "
                                                   "not run: write it as an expression (${...} in Camunda 7)")
                    continue
                self.expression(file, flow.get("id"), cond.text, "the condition")
        for tag in ("exclusiveGateway", "inclusiveGateway"):
            for gateway in process.iterfind(f".//bpmn:{tag}", NS):
                self._gateway(file, process, gateway)
        for timer in process.iterfind(".//bpmn:timerEventDefinition", NS):
            owner = _ancestor(timer, 1).get("id")
            for kind in ("timeDate", "timeDuration", "timeCycle"):
                node = timer.find(f"bpmn:{kind}", NS)
                if node is not None:
                    self.expression(file, owner, node.text, f"the timer {kind}", allow_timer_literal=True)
                    self._timer_bounds(file, owner, kind, node.text)
        for loop in process.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
            self._cardinality(file, _ancestor(loop, 1).get("id"), loop)
        for task in process.iterfind(".//bpmn:scriptTask", NS):
            script = task.find("bpmn:script", NS)
            self.script(file, task.get("id"), script.text if script is not None else "", "the script")
        for tag in ("preScript", "postScript"):
            for node in process.iterfind(f".//spiffworkflow:{tag}", NS):
                owner = _ancestor(node, 2).get("id")
                self.script(file, owner, node.text, f"the {tag}")
        for payload in process.iterfind(".//spiffworkflow:messagePayload", NS):
            owner = _ancestor(payload, 2).get("id")
            self.expression(file, owner, payload.text, "the message payload")

    def _service_task(self, file: str, task: _Element, ids: set[str]) -> None:
        tid = task.get("id")
        try:
            binding = read_binding(task)
        except BindingError as err:
            self.add(file, tid, str(err))
            return
        if binding is None or not binding.handler:
            self.add(file, tid, "the service task names no handler (set a SpiffArena operator, "
                                "a Camunda external topic or a Zeebe task type)")
            return
        if binding.handler not in self.handler_names:
            known = ", ".join(sorted(self.handler_names)) or "none"
            self.add(file, tid, f"unknown handler {binding.handler!r} (known handlers: {known})")
        if binding.dialect == "spiffworkflow" and binding.handler in ids:
            self.add(file, tid, f"the handler name {binding.handler!r} is also the id of a BPMN element; "
                                "SpiffWorkflow cannot parse that: rename the element")
        for name, value in binding.params.items():
            self.expression(file, tid, value, f"the parameter {name!r}")

    def _human_task(self, file: str, task: _Element, lanes: set[str], human_ids: set[str]) -> None:
        tid = task.get("id")
        props = {
            key: p.get("value")
            for p in task.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
            if (key := p.get("name")) is not None  # a property needs a name to be looked up
        }
        try:
            props = {**read_assignment(task), **props}
        except BindingError as err:
            self.add(file, tid, str(err))
        if tid not in lanes and not props.get("assignee") and not props.get("candidateGroup"):
            self.add(file, tid, "the task has no lane, no candidate group and no assignee, so nobody would ever "
                                "see it: put it in a lane (the lane name is the group; a lane without a name is "
                                "none), or set a candidate group or an assignee")
        for name in EXPRESSION_PROPERTIES:
            if props.get(name):
                self.expression(file, tid, props[name], f"the {name} property")
        for name in FORM_PROPERTIES:
            filename = props.get(name)
            if filename:
                self._form(file, tid, filename, is_schema=name == "formJsonSchemaFilename")
        self._independence(file, tid or "", props, human_ids)

    def _independence(self, file: str, tid: str, props: Mapping[str, str | None], human_ids: set[str]) -> None:
        for element in workers_excluded(props):
            if element not in human_ids:
                self.add(file, tid, f"the {WORKERS_PROPERTY} property names {element!r}, which is not a user or "
                                    "manual task in this diagram: list the ids of the earlier tasks whose workers "
                                    "may not work this one, separated by commas")
        value = props.get(ENTERED_BY_PROPERTY)
        if value is not None and value.strip().lower() not in ("true", "false"):
            self.add(file, tid, f"the {ENTERED_BY_PROPERTY} property is {value!r}; it must be true or false")

    def _form(self, file: str, tid: str | None, filename: str, is_schema: bool) -> None:
        path = find_form(self.files, file, filename)
        if path is None:
            self.add(file, tid, f"the form file {filename!r} is not in the bundle "
                                "(looked beside the BPMN file and in forms/)")
            return
        try:
            schema = json.loads(self.files[path])
        except json.JSONDecodeError as err:
            self.add(path, tid, f"the form file is not valid JSON: {err}")
            return
        if not is_schema:
            return
        for problem in form_checks.schema_problems(schema):
            self.add(path, tid, problem.replace("the form is not", "the form file is not"))

    def _gateway(self, file: str, process: _Element, gateway: _Element) -> None:
        gid = gateway.get("id")
        default = gateway.get("default")
        outgoing = [f for f in process.iterfind("bpmn:sequenceFlow", NS) if f.get("sourceRef") == gid]
        if len(outgoing) < 2:
            return
        for flow in outgoing:
            if flow.get("id") != default and flow.find("bpmn:conditionExpression", NS) is None:
                self.add(file, flow.get("id"), f"this flow leaves gateway {gid!r} without a condition "
                                               "and is not its default flow: add a condition or make it the default")

    # -- DMN -------------------------------------------------------------------------

    def dmn(self, file: str, root: _Element) -> None:
        dialect = dmn_dialect(root)
        if dialect not in ("feel", "python"):
            self.add(file, root.get("id"), f"the DMN expression language {dialect!r} is not supported: use FEEL "
                                           "(or SpiffArena's Python-like cells)")
            return
        if dialect == "feel":
            try:
                problems = read_model(root).check()
            except DmnError as err:
                problems = [str(err)]
            for problem in problems:
                element, _, message = problem.partition(": ")
                self.add(file, element or None, f"FEEL: {message}")
            return
        for rule in root.iter("{*}rule"):
            rid = rule.get("id")
            for entry in rule.iter("{*}inputEntry"):
                text = _text(entry)
                if text in ("", "-"):
                    continue
                self._dmn_cell(file, rid, text, partial=True)
            for entry in rule.iter("{*}outputEntry"):
                text = _text(entry)
                if text:
                    self._dmn_cell(file, rid, text, partial=False)
        for node in root.iter("{*}inputExpression"):
            text = _text(node)
            if text:
                self._dmn_cell(file, node.get("id"), text, partial=False)

    def _dmn_cell(self, file: str, element: str | None, text: str, partial: bool) -> None:
        if partial:
            feel_only = _feel_only_cell(text)
            if feel_only:
                self.add(file, element, f"the DMN cell {text!r} {feel_only}")
                return
        source = text.replace("?", "dmninputexpr")
        candidates = [source, f"dmninputexpr {source}"] if partial else [source]
        errors = []
        for candidate in candidates:
            try:
                expressions.compile_expression(candidate)
                return
            except expressions.ExpressionError as err:
                errors.append(str(err))
        self.add(file, element, f"the DMN cell {text!r} is not allowed: {errors[-1]}")


def _feel_only_cell(text: str) -> str | None:
    """Why a Python-dialect input cell reads as FEEL and would silently never match, if it does.

    In a Python table ``"gold","silver"`` is a tuple compared with ``==``, and ``not("bronze")``
    is ``not "bronze"``, i.e. False: neither means what FEEL means by it.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(tree, ast.Tuple):
        return ("is a list of values, which only FEEL tables read as 'any of these'; this table's cells are "
                "Python-like (SpiffArena), where it would never match. Write in (\"a\", \"b\") with the "
                "values, or declare the table FEEL (expressionLanguage=\"https://www.omg.org/spec/DMN/20191111/FEEL/\")")
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not) and text.strip().startswith("not("):
        return ("is FEEL's not(...), but this table's cells are Python-like (SpiffArena), where it negates the "
                "value instead. Write != \"value\" (or not in (...)), or declare the table FEEL "
                "(expressionLanguage=\"https://www.omg.org/spec/DMN/20191111/FEEL/\")")
    return None


def _ancestor(node: _Element, levels: int) -> _Element:
    """The element ``levels`` above ``node``, which was found inside a process, so it has one."""
    for _ in range(levels):
        node = cast("_Element", node.getparent())
    return node


def _text(node: _Element) -> str:
    """All the text inside ``node``, stripped (lxml yields ``str`` for a parsed document; its stubs
    allow ``bytes`` too)."""
    return "".join(cast("Iterator[str]", node.itertext())).strip()


def workers_excluded(props: Mapping[str, str | None]) -> list[str]:
    """The element ids a task's ``excludeWorkersOf`` property names, in order, once each."""
    ids = (part.strip() for part in (props.get(WORKERS_PROPERTY) or "").split(","))
    return list(dict.fromkeys(part for part in ids if part))


def entered_by_excluded(props: Mapping[str, str | None]) -> bool:
    """Whether a task's ``excludeEnteredBy`` property keeps the complaint's enterer off it."""
    return (props.get(ENTERED_BY_PROPERTY) or "").strip().lower() == "true"


def find_form(files: dict[str, str], bpmn_file: str, filename: str) -> str | None:
    """The bundle path of a form referenced from ``bpmn_file``: beside it, then in
    ``forms/`` beside it."""
    folder = bpmn_file.rsplit("/", 1)[0] + "/" if "/" in bpmn_file else ""
    for candidate in (f"{folder}{filename}", f"{folder}forms/{filename}"):
        if candidate in files:
            return candidate
    return None
