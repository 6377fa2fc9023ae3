"""One loaded instance and what happens to it during a change, and helpers every engine
module uses to walk a workflow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from ..models import Definition, ProcessInstance
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


def all_workflows(workflow: BpmnWorkflow) -> Iterator[BpmnWorkflow]:
    """The workflow and each of its sub-process workflows."""
    yield workflow
    yield from workflow.subprocesses.values()


def properties(spec: Any) -> dict[str, str]:
    """The extension properties (``spiffworkflow:property``) of a task spec."""
    return (getattr(spec, "extensions", None) or {}).get("properties") or {}
