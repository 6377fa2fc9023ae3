"""One loaded instance and what happens to it during a change, and helpers every engine
module uses to walk a workflow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from ..models import Definition, Job, ProcessInstance
from .observer import InstanceObserver

MAX_STEPS = 5000  # engine steps per change; more means a loop with no wait state


@dataclass
class Run:
    """One loaded instance and what happened to it during this change."""

    instance: ProcessInstance
    definition: Definition
    observer: InstanceObserver
    workflow: BpmnWorkflow = None  # set right after creation
    actor: str = "system"
    steps: int = 0
    failure: Exception | None = None
    ended: bool = False  # an interrupting event sub-process finished the process
    attempts: dict[str | None, int] = field(default_factory=dict)  # by task id
    # Service tasks whose handler runs in this change (the worker's job for them); every
    # other one not marked inline waits for a job (:mod:`.continuations`).
    inline: set[str] = field(default_factory=set)
    deferred: list[str] = field(default_factory=list)  # task ids this change left to a job
    outcomes: dict[str, Any] = field(default_factory=dict)  # handler calls the worker made, by task id
    # The instance's timer job when the caller already holds it (the worker firing it), so
    # persist moves or deletes it without looking it up; ``None``: look it up.
    timer_job: Job | None = None
    new: bool = False  # the instance was created in this change (it has no rows elsewhere yet)
    # What the stored state held when it was loaded (``None``: not known, look it up): the
    # ready human tasks, whose rows are the ready rows of the projection, and whether a
    # timer waited, which is when the instance has a timer job. Persist then reads rows
    # only for what changed.
    loaded_ready: frozenset[str] | None = None
    loaded_timer: bool | None = None


def ready_human_tasks(workflow: BpmnWorkflow) -> dict[str, Task]:
    """The ready user and manual tasks of ``workflow`` and its sub-processes, by id."""
    return {str(task.id): task for wf in all_workflows(workflow)
            for task in wf.get_tasks(state=TaskState.READY, manual=True)}


def all_workflows(workflow: BpmnWorkflow) -> Iterator[BpmnWorkflow]:
    """The workflow and each of its sub-process workflows."""
    yield workflow
    yield from workflow.subprocesses.values()


def properties(spec: Any) -> dict[str, str]:
    """The extension properties (``spiffworkflow:property``) of a task spec."""
    return (getattr(spec, "extensions", None) or {}).get("properties") or {}
