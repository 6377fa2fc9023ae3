"""Move a running instance to another version of its process (SpiffWorkflow's
``SpecDiff``/``migrate_workflow``), by element id or by an explicit mapping.

:func:`plan` says, without changing anything, where each waiting token would land and what
is ambiguous or impossible; :func:`migrate` applies a plan that has no problem. A step
that the new version removed is never guessed: it needs a mapping (``old=new``). SpiffWorkflow
also suggests a step in the same place in the flow; that is shown as a suggestion and still
needs the mapping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from ..exceptions import Conflict
from ..models import Definition, ProcessInstance
from .definitions import load_specs
from .loop import advance
from .persist import persist
from .projection import refresh_rows
from .run import Run
from .runtime import load

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.task import Task

WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
HUMAN = {"UserTask", "ManualTask", "NoneTask"}


@dataclass
class Landing:
    """Where one waiting token goes."""

    element: str
    state: str
    target: str | None
    how: str  # "same id" | "mapped" | "" (nowhere)
    note: str = ""


@dataclass
class InstancePlan:
    instance_id: int
    tokens: list[Landing] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # ambiguous or impossible: refuse
    notes: list[str] = field(default_factory=list)
    # Tasks of removed elements that leave the tree on migration: finished steps are spliced
    # out (their children move up to their parent), dead branches dropped.
    splice: list[Task] = field(default_factory=list, repr=False)
    drop: list[Task] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "tokens": [asdict(t) for t in self.tokens],
                "problems": self.problems, "notes": self.notes}


class _Facts:
    """What SpecDiff compares two aligned specs by. SpiffWorkflow asks its serializer's
    registry, which does not know our spec classes (they are never serialized)."""

    @staticmethod
    def convert(spec: Any) -> dict[str, Any]:
        return {"typename": type(spec).__name__, "bpmn_name": getattr(spec, "bpmn_name", None),
                "lane": getattr(spec, "lane", None), "extensions": repr(getattr(spec, "extensions", None)),
                "outputs": sorted(s.name for s in spec.outputs)}


def _added_like(old: Any, workflow: BpmnWorkflow, new_spec: BpmnProcessSpec) -> str:
    """The new version's elements of ``old``'s kind that the old version lacks: what a
    removed step was most likely renamed to, for the person to choose from (never taken)."""
    kind = _kind(old)
    added = sorted(f"{spec.bpmn_id} ({spec.bpmn_name})" if getattr(spec, "bpmn_name", None) else spec.bpmn_id
                   for name, spec in new_spec.task_specs.items()
                   if getattr(spec, "bpmn_id", None) and name not in workflow.spec.task_specs and _kind(spec) == kind)
    return f"; the {kind}s it added: {', '.join(added)}" if added else ""


def _kind(spec: Any) -> str:
    name = type(spec).__name__
    if name in HUMAN or getattr(spec, "manual", False):
        return "human task"
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return "timer event"
    if definition is not None:
        return f"{type(definition).__name__.replace('EventDefinition', '').lower()} event"
    return name


def _align(workflow: BpmnWorkflow, new_spec: BpmnProcessSpec, mapping: dict[str, str],
           plan: InstancePlan) -> WorkflowDiff:
    """SpiffWorkflow's alignment, by id only, overridden by ``mapping``; every problem in ``plan``."""
    spec_diff = SpecDiff(_Facts(), workflow.spec, new_spec)
    diff = WorkflowDiff(workflow, spec_diff)
    for task in list(workflow.tasks.values()):
        old = task.task_spec
        bpmn_id = old.bpmn_id
        if bpmn_id is not None and bpmn_id in mapping:
            target = new_spec.task_specs.get(mapping[bpmn_id])
            if target is None:
                plan.problems.append(f"the mapping {bpmn_id}={mapping[bpmn_id]} names no element of the new version")
                continue
            diff.alignment[task] = target
            _land(task, target, "mapped", plan)
            continue
        target = new_spec.task_specs.get(_mapped_name(old.name, mapping) if bpmn_id is None else old.name)
        guess = spec_diff.alignment.get(old)
        diff.alignment[task] = target
        if target is not None:
            _land(task, target, "same id", plan)
            continue
        waiting = task.has_state(WAITING)
        if bpmn_id is None and not waiting:
            continue  # an internal task SpiffWorkflow rebuilds
        hint = (f"; it looks like {guess.bpmn_id} (the same place in the flow): confirm with the mapping "
                f"{bpmn_id}={guess.bpmn_id}" if guess is not None and guess.bpmn_id
                else f"; map it to a step of the new version ({bpmn_id}=new_id){_added_like(old, workflow, new_spec)}")
        if waiting:
            plan.tokens.append(Landing(bpmn_id or old.name, TaskState.get_name(task.state), None, ""))
            plan.problems.append(f"waits at {bpmn_id}, which the new version removed{hint}")
        elif task.has_state(TaskState.COMPLETED) and _joins(old):
            plan.problems.append(f"its path passed the gateway {bpmn_id}, which the new version removed{hint}")
        elif task.has_state(TaskState.COMPLETED):
            plan.splice.append(task)
            if bpmn_id is not None:
                plan.notes.append(f"its path passed {bpmn_id}, which the new version removed: the step leaves the "
                                  "instance's state (the trail keeps it)")
        else:
            plan.drop.append(task)  # cancelled or predicted: a dead branch, predicted again if needed
    return diff


def _joins(spec: Any) -> bool:
    """Whether a spec merges or splits tokens (its finished task cannot simply leave the tree)."""
    name = type(spec).__name__
    return "Gateway" in name or "Join" in name or len(spec.inputs) > 1


def _prune(workflow: BpmnWorkflow, result: InstancePlan) -> None:
    for task in result.drop:
        if task.id in workflow.tasks and task.parent is not None:
            workflow._remove_task(task.id)
    for task in result.splice:
        parent = task.parent
        if task.id not in workflow.tasks or parent is None:
            continue
        at = parent._children.index(task.id)
        parent._children[at:at + 1] = list(task._children)
        for child in task.children:
            child._parent = parent.id
        task._children = []
        workflow.tasks.pop(task.id)


def _timer_note(definition: Any) -> str:
    """What migrating does to a waiting timer: it is set again from the new element."""
    if isinstance(definition, TimeDateEventDefinition):
        return "its timer's date is computed again from the same data"
    if isinstance(definition, TimerEventDefinition):
        return "its timer starts again from the moment of the migration"
    return ""


def _mapped_name(name: str, mapping: dict[str, str]) -> str:
    """The name of an internal spec SpiffWorkflow derives from an element id
    (``Task_x.BoundaryEventSplit``), with that id mapped."""
    element, dot, rest = name.partition(".")
    return f"{mapping[element]}{dot}{rest}" if dot and element in mapping else name


def _land(task: Task, target: Any, how: str, plan: InstancePlan) -> None:
    if not task.has_state(WAITING) or task.task_spec.bpmn_id is None:
        return
    landing = Landing(task.task_spec.bpmn_id, TaskState.get_name(task.state), target.bpmn_id or target.name, how)
    if task.has_state(TaskState.ERROR):
        plan.problems.append(f"{landing.element} failed and has an open incident: retry or repair it first")
    old_kind, new_kind = _kind(task.task_spec), _kind(target)
    if old_kind != new_kind:
        plan.problems.append(f"{landing.element} is a {old_kind}, but {landing.target} is a {new_kind}: a token "
                             "cannot wait there the same way")
    elif task.has_state(TaskState.WAITING):
        landing.note = _timer_note(getattr(target, "event_definition", None))
    plan.tokens.append(landing)


def _workflows(run: Run, new: Any, mapping: dict[str, str], plan: InstancePlan) -> list[tuple[Any, Any, Any]]:
    top = run.workflow
    pairs = [(top, new.spec, _align(top, new.spec, mapping, plan))]
    for sub in top.subprocesses.values():
        spec = new.subprocess_specs.get(sub.spec.name)
        if spec is None:
            if sub.get_tasks(state=WAITING):
                plan.problems.append(f"the sub-process {sub.spec.name} is running, and the new version has none")
            continue
        pairs.append((sub, spec, _align(sub, spec, mapping, plan)))
    return pairs


def _max_bytes() -> int:
    return int(current_app.config["MAX_DEFINITION_BYTES"])


def plan(instance: ProcessInstance, target: Definition, mapping: dict[str, str]) -> InstancePlan:
    """Where each waiting token of ``instance`` would land in ``target``; nothing changes."""
    result = InstancePlan(instance.id)
    if instance.status == "completed":
        result.problems.append("the process has ended")
        return result
    run = load(instance, "migration")
    _workflows(run, load_specs(target, _max_bytes()), mapping, result)
    return result


def migrate(instance: ProcessInstance, target: Definition, mapping: dict[str, str], actor: str) -> InstancePlan:
    """Move ``instance`` to ``target`` and run it to its next wait, in the caller's
    transaction (the instance's version column makes a concurrent change lose).

    :raises Conflict: when the plan has a problem; nothing is changed then.
    """
    if instance.status == "completed":
        raise Conflict("the process has ended: there is nothing to migrate")
    result = InstancePlan(instance.id)
    run = load(instance, actor)
    new = load_specs(target, _max_bytes())
    pairs = _workflows(run, new, mapping, result)
    if result.problems:
        raise Conflict("this complaint cannot be migrated as asked: " + "; ".join(result.problems),
                       {"plan": result.as_dict()})
    source = run.definition
    for workflow, spec, diff in pairs:
        _prune(workflow, result)
        migrate_workflow(diff, workflow, spec)
        stale = sorted({t.task_spec.name for t in workflow.tasks.values() if spec.task_specs.get(t.task_spec.name)
                        is not t.task_spec})
        if stale:
            raise Conflict(f"this complaint cannot be migrated: its state still refers to {', '.join(stale)}, "
                           "which the new version does not have; map them")
    run.workflow.subprocess_specs = new.subprocess_specs
    instance.definition_id = target.id
    instance.definition = target
    run.definition = target
    run.observer.record("instance_migrated", actor, instance_id=instance.id,
                        definition=f"{target.key} v{target.version}", from_version=source.version,
                        to_version=target.version, mapping=mapping,
                        tokens=[{"from": t.element, "to": t.target, "how": t.how} for t in result.tokens])
    refresh_rows(run)
    advance(run)
    persist(run)
    return result
