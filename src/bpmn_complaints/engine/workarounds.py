"""Where SpiffWorkflow 3.2 does not do what BPMN (or a shared, cached spec) needs.

Each workaround names the upstream behaviour it works around, and
``tests/test_spiff_canaries.py`` holds a canary per workaround: a test of plain
SpiffWorkflow that fails once upstream changes that behaviour, so the workaround can be
reviewed and deleted. Trap 1 (``PythonScriptEngine.call_service`` hides the cause with a
``NameError``) is worked around in :class:`.script_engine.ComplaintScriptEngine`.
"""

from __future__ import annotations

import inspect
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

from .run import Run, all_workflows

# -- event sub-processes that interrupt ------------------------------------------------
# Upstream: when an interrupting event sub-process starts, SpiffWorkflow 3.2 leaves the
# rest of its process running (the user task it interrupted stays READY), and when it
# finishes, the workflow is not completed while other branches still wait.


def interrupt_for_event_subprocesses(run: Run) -> None:
    """When an interrupting event sub-process starts (e.g. a withdrawal), cancel the rest
    of its process; when it has finished, the process has ended."""
    for workflow in list(all_workflows(run.workflow)):
        for task in workflow.get_tasks(state=TaskState.STARTED | TaskState.READY | TaskState.COMPLETED):
            if not getattr(task.task_spec, "interrupting", False):
                continue
            if not (task.has_state(TaskState.COMPLETED) or _event_fired(run.workflow, task)):
                continue
            if not task._get_internal_data("interrupted"):
                task._set_internal_data(interrupted=True)
                _cancel_all_but(workflow, task)
                run.observer.record("process_interrupted", "engine", task_id=str(task.id),
                                    bpmn_id=task.task_spec.bpmn_id)
            if task.has_state(TaskState.COMPLETED) and workflow is run.workflow:
                run.ended = True


def _cancel_all_but(workflow: BpmnWorkflow, task: Task) -> None:
    """Cancel every unfinished task of ``workflow`` except ``task`` and its ancestors."""
    ancestors = set()
    parent = task.parent
    while parent is not None:
        ancestors.add(parent.id)
        parent = parent.parent
    for other in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if other.id != task.id and other.id not in ancestors and not isinstance(
                other.task_spec, SubWorkflowTask) and not other.has_state(TaskState.FINISHED_MASK):
            other.cancel()


def _event_fired(workflow: BpmnWorkflow, task: Task) -> bool:
    """Whether the start event of event sub-process ``task`` has caught its event (a
    timer-started one exists from the beginning, waiting)."""
    sub_process = workflow.subprocesses.get(task.id)
    return sub_process is not None and any(
        isinstance(t.task_spec, StartEvent) for t in sub_process.get_tasks(state=TaskState.COMPLETED))


# -- the start task of a shared spec ---------------------------------------------------
# Upstream: BpmnStartTask.trigger_wf wires a message- or signal-started event sub-process
# into the process spec (start -> sub-process -> end) the first time one fires. Our
# parsed specs are cached and shared by every instance of a version, so that wiring would
# start the sub-process in each later instance at once.


class StartTask(BpmnStartTask):  # type: ignore[misc]
    """The process's internal start task, which starts an event sub-process in the one
    instance whose event fired, without rewiring the shared spec."""

    def trigger_wf(self, my_task: Task, spec_name: str) -> Any:
        child = my_task._add_child(self._wf_spec.task_specs[spec_name], TaskState.FUTURE)
        child.triggered = True
        child.task_spec._update(child)
        return child.id


def freeze_start(process_spec: Any) -> None:
    """Install :class:`StartTask` in a freshly parsed ``process_spec``: link each event
    sub-process to the end while parsing (and name the start as its input, one way only)."""
    start = process_spec.start
    start.__class__ = StartTask
    for name in start.trigger_specs:
        sub_process = process_spec.task_specs[name]
        if start not in sub_process.inputs:
            sub_process._connect_notify(start)
        if process_spec.end not in sub_process.outputs:
            sub_process.connect(process_spec.end)


# -- how deep SpiffWorkflow looks --------------------------------------------------------
# Upstream: every ``get_tasks`` walks the task tree with ``TaskIterator(max_depth=1000)``,
# and each element a token passes adds a level. A loop of three elements that goes round
# about 330 times puts its READY task below that depth: ``do_engine_steps`` no longer sees
# it and returns as if the process waited, with nothing to wait for.

SPIFF_MAX_DEPTH: int = inspect.signature(TaskIterator.__init__).parameters["max_depth"].default


def out_of_sight(task: Task) -> bool:
    """Whether the children of ``task`` would lie beyond the depth SpiffWorkflow walks."""
    return bool(task.depth >= SPIFF_MAX_DEPTH - 1)
