"""A setting stated twice, so the two can drift apart.

Some settings can be written in two places of one bundle: a handler parameter that
restates a timer or the response target, a task's due date beside the timer that takes
the task away, a candidate group beside the lane drawn around the task. Once someone
edits one and not the other, the process says two things. Each place where that can happen
is a row of :data:`PARAMETERS` (a handler parameter, compared with what the diagram or
the decision tables say) or :data:`PROPERTIES` (a task property); each row names the
setting and a function that finds the other statement and says what is wrong with the
pair. To check another setting, add a row.

What a row reports:

- a restatement the engine ignores (``reply_days``: the letter promises the timer's
  date, :mod:`..lookahead`): always, since the parameter is dead and can only mislead;
- two live statements: only when they disagree, naming both and which one wins.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...expressions.dialects import NS, BindingError, read_assignment, read_binding, unwrap
from .graph import Container, containers, event_kind, executable_processes, local

if TYPE_CHECKING:
    from lxml.etree import _Element

    from ..lint import Linter

SPIFF_PROPERTY = "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"


@dataclass
class Site:
    """Where a statement is: the bundle, the file, the (sub-)process, and the element."""

    linter: Linter
    file: str
    process: _Element
    container: Container
    node_id: str
    node: _Element


# (site, the setting's name, its expression) -> what is wrong, one message each
Compare = Callable[[Site, str, str], list[str]]


def check(linter: Linter) -> None:
    for file, root in linter.bpmn_roots.items():
        for process in executable_processes(root):
            for container in containers(process):
                for node_id, node in container.nodes.items():
                    site = Site(linter, file, process, container, node_id, node)
                    for (meaning, compare), name, value in _statements(node):
                        for problem in compare(site, name, value):
                            linter.warn(file, node_id, f"{meaning} is stated twice: {problem}")


def _statements(node: _Element) -> Iterator[tuple[tuple[str, Compare], str, str]]:
    """Each setting of ``node`` that a row of the tables covers, with the row."""
    if local(node) == "serviceTask":
        try:
            binding = read_binding(node)
        except BindingError:
            binding = None  # the binding check reports it
        for name, value in (binding.params.items() if binding else ()):
            row = PARAMETERS.get((binding.handler, name)) if binding else None
            if row is not None:
                yield row, name, value
    if local(node) in ("userTask", "manualTask"):
        for name, value in task_properties(node).items():
            if name in PROPERTIES:
                yield PROPERTIES[name], name, value


def task_properties(node: _Element) -> dict[str, str]:
    """A user task's expression properties as the engine reads them: SpiffArena's
    ``spiffworkflow:property`` elements, else Camunda's or Zeebe's assignment."""
    found = {p.get("name") or "": p.get("value") or "" for p in node.iterfind(SPIFF_PROPERTY, NS)}
    try:
        assignment = read_assignment(node)
    except BindingError:
        assignment = {}  # the assignment check reports it
    return {**assignment, **found}


def _plain(text: str) -> str:
    """An expression as compared here: no ``${}``/``=`` wrapper, no quotes round a bare
    literal, one space between words."""
    inner = " ".join(unwrap(text).split())
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
        inner = inner[1:-1]
    return inner


def _literal(text: str) -> object:
    """The value of an expression that is a plain literal (``20``, ``'supervisors'``), else None."""
    try:
        return ast.literal_eval(unwrap(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _strings(text: str) -> set[str] | None:
    """The texts an expression can give when it only chooses between quoted strings
    (``'a' if x else 'b'``), else None (it computes its value: nothing to compare)."""
    try:
        tree = ast.parse(unwrap(text), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    body = tree.body
    values: set[str] = set()
    pending = [body]
    while pending:
        item = pending.pop()
        if isinstance(item, ast.IfExp):
            pending += [item.body, item.orelse]
        elif isinstance(item, ast.Constant) and isinstance(item.value, str):
            values.add(item.value)
        else:
            return None
    return values


def _timer_value(node: _Element) -> str:
    value = node.find("bpmn:timerEventDefinition/*", NS)
    return " ".join((value.text or "").split()) if value is not None else ""


# --- the rows --------------------------------------------------------------------------


def _reply_window(site: Site, name: str, value: str) -> list[str]:
    """``reply_days`` beside the timer the process waits on next: the letter promises the
    timer's date, so the parameter is never read."""
    return [f"the parameter {name}={value} here, and the timer {timer_id} ({timer_value}) the process waits on "
            f"next, which is what the letter promises. {name} is not used and can drift: remove it"
            for timer_id, timer_value in _timers_waited_on_after(site.container, site.node_id)]


def _timers_waited_on_after(container: Container, node_id: str) -> list[tuple[str, str]]:
    """The timer events the process waits on right after ``node_id``: directly, or behind
    an event-based gateway (as :mod:`..lookahead` reads them at run time)."""
    found = []
    targets = [flow.get("targetRef") or "" for flow in container.outgoing.get(node_id, [])]
    for target in targets:
        node = container.nodes.get(target)
        if node is None:
            continue
        if local(node) == "eventBasedGateway":
            targets += [f.get("targetRef") or "" for f in container.outgoing.get(target, [])]
        elif local(node) == "intermediateCatchEvent" and event_kind(node) == "timerEventDefinition":
            found.append((target, _timer_value(node)))
    return found


def _response_target(site: Site, name: str, value: str) -> list[str]:
    """The acknowledgement's ``target_days`` (the date the letter promises) beside the
    decision tables that set ``target_days`` (the target the timers and reports use)."""
    promised = _literal(value)
    if not isinstance(promised, int) or isinstance(promised, bool):
        return []
    later = []
    for decision, rule, days in _decision_outputs(site.linter, name):
        if days > promised:
            later.append(f"{days} in rule {rule} of {decision}")
    if not later:
        return []
    return [f"the acknowledgement promises a response in {name}={promised} business days, but the decision "
            f"table sets a longer {name} ({', '.join(later)}): those complaints are answered after the date the "
            f"letter gave, and nobody is told. Make the promise the longest target, or send a new date when "
            f"the target is longer"]


def _decision_outputs(linter: Linter, name: str) -> Iterator[tuple[str, str, int]]:
    """Each whole-number value a decision table's output ``name`` can take: (decision
    id, rule id, value)."""
    for root in linter.dmn_roots.values():
        for decision in root.iter("{*}decision"):
            for table in decision.iter("{*}decisionTable"):
                outputs = [o.get("name") for o in table.iterfind("{*}output")]
                if name not in outputs:
                    continue
                at = outputs.index(name)
                for rule in table.iterfind("{*}rule"):
                    entries = rule.findall("{*}outputEntry")
                    text = entries[at].findtext("{*}text") if at < len(entries) else None
                    days = _literal(text or "")
                    if isinstance(days, int) and not isinstance(days, bool):
                        yield decision.get("id") or "", rule.get("id") or "", days


def _assigned_group(site: Site, name: str, value: str) -> list[str]:
    """``assign_investigator``'s ``group`` beside the lane of the task that its result
    assigns: the investigator is picked from one group, and the task offered to another."""
    groups = _strings(value)
    result = _result_variable(site.node)
    if not groups or not result:
        return []
    problems = []
    lanes = lanes_of(site.process)
    reads = re.compile(rf"\b{re.escape(result)}\b")
    for task_id, task in site.container.nodes.items():
        if local(task) not in ("userTask", "manualTask"):
            continue
        assignee = task_properties(task).get("assignee", "")
        lane = lanes.get(task_id)
        if not reads.search(assignee) or lane is None or lane in groups:
            continue
        problems.append(f"the parameter {name}={value} here picks the person from "
                        f"{' or '.join(sorted(groups))}, but {task_id}, which they are assigned to ({assignee}), "
                        f"is in the lane {lane}: it is offered to {lane} if handed back. Make the two the same group")
    return problems


def _result_variable(node: _Element) -> str | None:
    try:
        binding = read_binding(node)
    except BindingError:
        return None
    return binding.result_variable if binding else None


def lanes_of(process: _Element) -> dict[str, str]:
    """Each flow node's lane name (the candidate group), innermost lane winning."""
    found: dict[str, str] = {}
    for lane in process.iter(f"{{{NS['bpmn']}}}lane"):  # document order: outer lanes before inner
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            found[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""
    return found


def _due_date(site: Site, name: str, value: str) -> list[str]:
    """A task's ``dueDate`` beside the interrupting timer on it (the moment the task is
    taken away). A non-interrupting timer may be a reminder, so only an interrupting one
    is compared, and only when no timer on the task says the same."""
    timers = [(node_id, node.get("cancelActivity") != "false", _timer_value(node))
              for node_id, node in site.container.nodes.items()
              if local(node) == "boundaryEvent" and node.get("attachedToRef") == site.node_id
              and event_kind(node) == "timerEventDefinition"]
    if any(_plain(timer) == _plain(value) for _id, _interrupting, timer in timers):
        return []
    return [f"the {name} {value} here, and the interrupting timer {timer_id} ({timer}) that takes the task "
            f"away: the inbox shows one deadline and the process keeps another. Give both the same value"
            for timer_id, interrupting, timer in timers if interrupting and timer]


def _candidate_group(site: Site, name: str, value: str) -> list[str]:
    """A ``candidateGroup`` beside the lane drawn around the task: the property wins."""
    group = _strings(value)
    lane = lanes_of(site.process).get(site.node_id)
    if not group or lane is None or lane in group:
        return []
    return [f"the {name} {value} here, which wins, and the lane {lane} drawn around the task: the diagram "
            f"shows it offered to {lane}. Move the task into the lane, or remove the property"]


# (handler, parameter) -> (the setting, in words; the comparison)
PARAMETERS: dict[tuple[str, str], tuple[str, Compare]] = {
    ("deliver_response", "reply_days"): ("the reply window", _reply_window),
    ("acknowledge", "target_days"): ("the response target", _response_target),
    ("assign_investigator", "group"): ("the group that handles the task", _assigned_group),
}
# task property -> (the setting, in words; the comparison)
PROPERTIES: dict[str, tuple[str, Compare]] = {
    "dueDate": ("the task's deadline", _due_date),
    "candidateGroup": ("who the task is offered to", _candidate_group),
}
