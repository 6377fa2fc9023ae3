"""Move a waiting token to another element of the same process (a supervisor's repair,
and what instance migration builds on): the token that waits at one element (a ready
user or manual task, a waiting event, a failed step) is taken off it and put on another,
which then starts as if a flow had led there.

SpiffWorkflow has no such operation (only ``reset_branch`` back to a finished task), so
this follows what ``Task.reset_branch`` does, on the waiting task itself: its children
and its event subscription go, its spec becomes the target's, and the target's update
hook runs. A task with boundary events hangs under a ``BoundaryEventSplit`` in the tree;
then it is the split that moves, so the boundary events go (or come) with the task.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from ..exceptions import Conflict
from .run import Run, all_workflows

WAITING_STATES = TaskState.READY | TaskState.WAITING | TaskState.ERROR
# Elements a token cannot be put on: it would wait for other tokens (joins), start
# another scope, be an event that only something else triggers, or end the process
# (stopping a complaint is a cancellation, with its own closure reason).
_NOT_TARGETS = (StartEvent, EndEvent, BoundaryEvent, EventBasedGateway, ParallelGateway, InclusiveGateway,
                ExclusiveGateway, SubWorkflowTask, LoopTask)


def waiting_tokens(run: Run) -> list[Task]:
    """The tasks where the instance waits (or failed), each one a token a repair may move."""
    found = []
    for workflow in all_workflows(run.workflow):
        for task in workflow.get_tasks(state=WAITING_STATES):
            spec = task.task_spec
            if spec.bpmn_id is None or isinstance(spec, (SubWorkflowTask, BoundaryEvent)):
                continue
            if task.has_state(TaskState.READY) and not spec.manual:
                continue  # about to run automatically, not waiting
            found.append(task)
    return found


def move_token(run: Run, from_element: str, to_element: str) -> Task:
    """Take the token waiting at ``from_element`` off it and start ``to_element`` (in the
    same process or sub-process) in its place. The caller runs the engine on and persists.

    :raises Conflict: if no token waits at ``from_element``, more than one does, or
        ``to_element`` is not an element a token can be put on.
    """
    tokens = [t for t in waiting_tokens(run) if t.task_spec.bpmn_id == from_element]
    if not tokens:
        raise Conflict(f"no token waits at {from_element!r}")
    if len(tokens) > 1:
        raise Conflict(f"{len(tokens)} tokens wait at {from_element!r}; this repair moves one at a time")
    token = tokens[0]
    target = _target_spec(token, to_element)
    anchor = token.parent if isinstance(token.parent.task_spec, BoundaryEventSplit) else token
    spec = _entry_spec(target)
    data = token.data
    _unsubscribe(anchor)
    anchor._drop_children(force=True)
    anchor.internal_data = {}
    anchor.task_spec = spec
    anchor.data = data
    anchor._set_state(TaskState.FUTURE)
    spec._predict(anchor, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
    spec._update(anchor)
    return anchor


def _target_spec(token: Task, to_element: str) -> Any:
    specs = [s for s in token.workflow.spec.task_specs.values() if s.bpmn_id == to_element]
    if not specs:
        raise Conflict(f"{to_element!r} is not an element of the process {token.task_spec.bpmn_id!r} waits in")
    spec = specs[0]
    if isinstance(spec, _NOT_TARGETS):
        raise Conflict(f"a token cannot be put on {to_element!r} ({type(spec).__name__}): choose a task or an "
                       "intermediate event")
    return spec


def _entry_spec(target: Any) -> Any:
    """The spec a flow into ``target`` leads to: its boundary-event split if it has one."""
    split = next((s for s in target.inputs if isinstance(s, BoundaryEventSplit)), None)
    return split or target


def _unsubscribe(anchor: Task) -> None:
    """Take the anchor and what hangs under it off the event manager (timers, messages)."""
    manager = anchor.workflow.top_workflow.event_manager
    for task in [anchor, *anchor.children]:
        if isinstance(task.task_spec, CatchingEvent):
            manager.remove_task(task)
