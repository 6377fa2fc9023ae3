"""The engine loop: run SpiffWorkflow's engine steps until the process waits for a
person, a message or a timer, and turn what fails on the way into an incident."""

from __future__ import annotations

import time

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .. import metrics
from .incidents import record_failure
from .observer import Step
from .run import MAX_STEPS, Run, all_workflows, properties
from .service_tasks import ErrorThrown, HandlerFailed, catch_error
from .workarounds import SPIFF_MAX_DEPTH, interrupt_for_event_subprocesses, out_of_sight


class RunawayProcess(RuntimeError):
    """A change took more than :data:`.run.MAX_STEPS` engine steps, or went deeper than
    SpiffWorkflow walks the task tree: the diagram loops. ``bpmn_id`` is the last element."""

    def __init__(self, message: str, bpmn_id: str | None):
        super().__init__(message)
        self.bpmn_id = bpmn_id


def advance(run: Run, first: Task | None = None, complete_first: bool = False, *, strict: bool = False) -> None:
    """Run engine steps until no automatic task is ready, after running ``first`` (a
    service task that waited for its job) if given; with ``complete_first`` it is completed
    instead (an external worker did its work). A failure (a handler, an expression or
    the diagram) is recorded on :attr:`Run.failure` and as an incident or a scheduled
    retry; it does not propagate. With ``strict`` (a person's change, which is rolled back
    when a step fails) a failure of the definition (a script, a condition, a timer, a loop)
    propagates instead and nothing is recorded; a handler's failure still becomes its
    incident or scheduled retry, and the person's change is kept."""
    workflow = run.workflow
    started, steps_before = time.perf_counter(), run.steps

    def will_complete(task: Task) -> None:
        run.steps += 1
        element = task.task_spec.bpmn_id or task.task_spec.name
        if run.steps > MAX_STEPS:
            raise RunawayProcess(f"more than {MAX_STEPS} engine steps without reaching a wait state; "
                                 f"the diagram loops (last element {element})", task.task_spec.bpmn_id)
        if out_of_sight(task):
            raise RunawayProcess(f"the process went round more often than the engine can follow "
                                 f"({SPIFF_MAX_DEPTH} elements deep) without reaching a wait state; "
                                 f"the diagram loops (last element {element})", task.task_spec.bpmn_id)

    def did_complete(task: Task) -> None:
        spec = task.task_spec
        if spec.bpmn_id is None or not task.has_state(TaskState.COMPLETED):
            return
        definition = getattr(spec, "event_definition", None)
        run.observer.step_completed(Step(
            task_id=str(task.id), bpmn_id=spec.bpmn_id, name=spec.bpmn_name, type=type(spec).__name__,
            timer=isinstance(definition, TimerEventDefinition), manual=bool(spec.manual),
            properties=properties(spec)))

    try:
        if first is not None:
            try:
                will_complete(first)
                if complete_first:
                    first.complete()
                else:
                    first.run()
                did_complete(first)
            except ErrorThrown as thrown:
                catch_error(run, thrown)
        while True:
            try:
                workflow.do_engine_steps(will_complete_task=will_complete, did_complete_task=did_complete)
            except ErrorThrown as thrown:
                catch_error(run, thrown)
                continue
            interrupt_for_event_subprocesses(run)
            if not any(w.get_tasks(state=TaskState.READY, manual=False) for w in all_workflows(workflow)):
                break
    except Exception as err:  # a handler, an expression or the diagram failed: an incident
        if strict and not _handler_failed(err):
            raise
        run.failure = err
        record_failure(run, err)
    finally:
        metrics.ENGINE_STEPS.inc(run.steps - steps_before)
        metrics.ENGINE_SECONDS.observe(time.perf_counter() - started)


def _handler_failed(err: BaseException) -> bool:
    """Whether ``err`` is a service-task handler's failure (the outside world, not the
    definition): it has its own retries and incident, whoever's change ran it."""
    return isinstance(err, HandlerFailed) or isinstance(err.__cause__, HandlerFailed)
