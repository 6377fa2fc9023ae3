"""Run and persist process instances.

Every change to an instance follows one path: restore the workflow (re-attaching our
script engine), apply the change, run engine steps until the process waits, then write
the state, the human-task projection, the timer job and the audit events in the current
transaction. The caller commits; the instance row's version column makes a concurrent
change fail at commit (``UPDATE ... WHERE id=? AND version=?``) so it can be retried.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from flask import current_app
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select

from .. import audit
from ..clock import get_clock, utcnow
from ..db.notify import announce
from ..exceptions import Conflict, NotFound
from ..extensions import db
from ..handlers.spec import BpmnError, DefinitionInfo, HandlerContext, HandlerIncident, RetryLater, TaskInfo
from ..models import AuditEvent, Complaint, Definition, Incident, Job, ProcessInstance
from . import serializer
from .calendar import BusinessCalendar
from .definitions import load_specs
from .projection import sync_projection
from .script_engine import ComplaintScriptEngine

MAX_STEPS = 5000  # engine steps per change; more means a loop with no wait state


class RunawayProcess(RuntimeError):
    pass


@dataclass
class Session:
    """One loaded instance and what happened to it during this change."""

    instance: ProcessInstance
    complaint: Complaint | None
    definition: Definition
    workflow: BpmnWorkflow = None
    actor: str = "system"
    steps: int = 0
    failure: Exception | None = None
    ended: bool = False  # an interrupting event sub-process finished the process
    attempts: dict = field(default_factory=dict)


def business_calendar() -> BusinessCalendar:
    """The calendar of ``CALENDAR_COUNTRY``/``CALENDAR_SUBDIVISION``/``CALENDAR_CLOSURES``
    that timers and service-level measures count business days on."""
    cfg = current_app.config
    key = (cfg["CALENDAR_COUNTRY"], cfg["CALENDAR_SUBDIVISION"], tuple(cfg["CALENDAR_CLOSURES"]))
    cache = current_app.extensions.setdefault("complaints_calendars", {})
    if key not in cache:
        cache[key] = BusinessCalendar(*key[:2], closures=key[2])
    return cache[key]


def _script_engine(session: Session) -> ComplaintScriptEngine:
    clock = get_clock()
    return ComplaintScriptEngine(clock.now, business_calendar(), lambda task, **kw: _call_handler(session, task, **kw))


def _max_bytes() -> int:
    return current_app.config["MAX_DEFINITION_BYTES"]


# -- starting and loading -------------------------------------------------------------

def start_instance(definition: Definition, complaint: Complaint | None, data: dict, actor: str) -> ProcessInstance:
    """Create an instance of ``definition`` with start ``data`` and run it to its first wait."""
    parsed = load_specs(definition, _max_bytes())
    now = utcnow()
    instance = ProcessInstance(
        complaint_id=complaint.id if complaint else None, definition_id=definition.id,
        status="running", state="{}", serializer_version=serializer.VERSION, created_at=now, updated_at=now,
    )
    instance.definition = definition
    db.session.add(instance)
    db.session.flush()
    session = Session(instance, complaint, definition, actor=actor)
    session.workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=_script_engine(session))
    start = session.workflow.get_next_task(state=TaskState.READY)
    start.data.update(json.loads(json.dumps(data, default=str)))
    audit.record("instance_started", actor, complaint, definition=f"{definition.key} v{definition.version}",
                 instance_id=instance.id)
    _advance(session)
    return instance


def load(instance: ProcessInstance, actor: str) -> Session:
    complaint = db.session.get(Complaint, instance.complaint_id) if instance.complaint_id else None
    session = Session(instance, complaint, instance.definition, actor=actor)
    parsed = load_specs(instance.definition, _max_bytes())
    session.workflow = serializer.loads(instance.state, parsed.spec, parsed.subprocess_specs, _script_engine(session))
    return session


def _all_workflows(workflow: BpmnWorkflow):
    yield workflow
    yield from workflow.subprocesses.values()


def _find_task(workflow: BpmnWorkflow, task_id: str):
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, WorkflowException):
        task = None
    if task is None:
        raise NotFound(f"task {task_id} is not part of this process instance")
    return task


# -- changes --------------------------------------------------------------------------

def complete_task(instance: ProcessInstance, task_id: str, data: dict, actor: str) -> Session:
    """Complete a ready user/manual task with submitted ``data`` and move the process on."""
    session = load(instance, actor)
    task = _find_task(session.workflow, task_id)
    if not task.has_state(TaskState.READY) or not task.task_spec.manual:
        raise Conflict("this task is no longer waiting to be completed")
    task.data.update(data)
    task.run()
    _advance(session)
    return session


def send_message(instance: ProcessInstance, name: str, payload: dict, actor: str) -> Session:
    """Deliver message ``name`` to the instance.

    :raises Conflict: if the process is not waiting for that message.
    """
    session = load(instance, actor)
    event = BpmnEvent(MessageEventDefinition(name), payload)
    try:
        session.workflow.send_event(event)
    except WorkflowException:
        raise Conflict(f"this complaint is not waiting for the message {name!r} now") from None
    audit.record("message_received", actor, session.complaint, message=name,
                 payload=audit.for_trail(payload, free_text=None))
    _advance(session)
    return session


def fire_timers(instance: ProcessInstance) -> Session:
    """Let due timers fire (trap 7: they only do when the host asks)."""
    session = load(instance, "timer")
    session.workflow.refresh_timers()
    _advance(session)
    return session


def retry(instance: ProcessInstance, actor: str, attempts: dict | None = None) -> Session:
    """Put failed tasks back to ready and run again; the open incident is resolved if it
    goes through, or its attempt count grows if it fails again. ``attempts`` maps task
    ids to the attempts made so far (for scheduled retries)."""
    session = load(instance, actor)
    session.attempts.update(attempts or {})
    failed = [t for w in _all_workflows(session.workflow) for t in w.get_tasks(state=TaskState.ERROR)]
    if not failed:
        raise Conflict("this instance has no failed task to retry")
    for task in failed:
        task._set_state(TaskState.READY)
    now = utcnow()
    open_incidents = db.session.scalars(
        select(Incident).where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
    ).all()
    for incident in open_incidents:
        session.attempts[incident.task_id] = incident.attempts
    _advance(session)
    if session.failure is None:
        for incident in open_incidents:
            incident.resolved_at, incident.resolved_by = now, actor
            audit.record("incident_resolved", actor, session.complaint, task_id=incident.task_id,
                         bpmn_id=incident.bpmn_id, incident_id=incident.id)
    return session


# -- the engine loop ------------------------------------------------------------------

def _advance(session: Session) -> None:
    workflow = session.workflow

    def will_complete(task):
        session.steps += 1
        if session.steps > MAX_STEPS:
            raise RunawayProcess(
                f"more than {MAX_STEPS} engine steps without reaching a wait state; "
                f"the diagram loops (last element {task.task_spec.bpmn_id or task.task_spec.name})"
            )

    def did_complete(task):
        spec = task.task_spec
        if spec.bpmn_id is None or not task.has_state(TaskState.COMPLETED):
            return
        definition = getattr(spec, "event_definition", None)
        action = "timer_fired" if isinstance(definition, TimerEventDefinition) else "step_completed"
        audit.record(action, "engine", session.complaint, task_id=str(task.id), bpmn_id=spec.bpmn_id,
                     name=spec.bpmn_name, type=type(spec).__name__)
        # Automatic steps finish within one change; their status is passed through on the way.
        status = _properties(spec).get("complaintStatus")
        if status and session.complaint is not None and not spec.manual:
            audit.change_status(session.complaint, status)

    try:
        while True:
            try:
                workflow.do_engine_steps(will_complete_task=will_complete, did_complete_task=did_complete)
            except _ErrorThrown as thrown:
                _catch_error(session, thrown)
                continue
            _interrupt_for_event_subprocesses(session)
            if not any(w.get_tasks(state=TaskState.READY, manual=False) for w in _all_workflows(workflow)):
                break
    except Exception as err:  # a handler, an expression or the diagram failed: an incident
        session.failure = err
        _record_failure(session, err)
    _persist(session)


def _interrupt_for_event_subprocesses(session: Session) -> None:
    """When an interrupting event sub-process starts (e.g. a withdrawal), cancel the rest
    of its process; when it has finished, the process has ended."""
    for workflow in list(_all_workflows(session.workflow)):
        for task in workflow.get_tasks(state=TaskState.STARTED | TaskState.READY | TaskState.COMPLETED):
            if not getattr(task.task_spec, "interrupting", False):
                continue
            if not (task.has_state(TaskState.COMPLETED) or _event_fired(session.workflow, task)):
                continue
            if not task._get_internal_data("interrupted"):
                task._set_internal_data(interrupted=True)
                ancestors = set()
                parent = task.parent
                while parent is not None:
                    ancestors.add(parent.id)
                    parent = parent.parent
                for other in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
                    if other.id != task.id and other.id not in ancestors and not isinstance(
                            other.task_spec, SubWorkflowTask) and not other.has_state(TaskState.FINISHED_MASK):
                        other.cancel()
                audit.record("process_interrupted", "engine", session.complaint, task_id=str(task.id),
                             bpmn_id=task.task_spec.bpmn_id)
            if task.has_state(TaskState.COMPLETED) and workflow is session.workflow:
                session.ended = True


def _event_fired(workflow: BpmnWorkflow, task) -> bool:
    """Whether the start event of event sub-process ``task`` has caught its event (a
    timer-started one exists from the beginning, waiting)."""
    sub_process = workflow.subprocesses.get(task.id)
    return sub_process is not None and any(
        isinstance(t.task_spec, StartEvent) for t in sub_process.get_tasks(state=TaskState.COMPLETED))


def _record_failure(session: Session, err: Exception) -> None:
    failed = [t for w in _all_workflows(session.workflow) for t in w.get_tasks(state=TaskState.ERROR)]
    task = failed[0] if failed else None
    spec = task.task_spec if task else None
    task_id = str(task.id) if task else None
    handler = getattr(spec, "operation_name", None)
    cause = err.__cause__ if isinstance(err, _HandlerFailed) and err.__cause__ is not None else err
    message = _describe(cause)
    attempts = session.attempts.get(task_id, 0) + 1
    retries = _allowed_retries(spec)
    if isinstance(cause, RetryLater) and attempts <= retries and task is not None:
        delay = cause.delay or _backoff(spec, attempts)
        due = utcnow() + timedelta(seconds=delay)
        db.session.add(Job(kind="retry", instance_id=session.instance.id, due_at=due, created_at=utcnow(),
                           payload={"task_id": task_id, "attempts": attempts}, last_error=message))
        announce(due)
        audit.record("retry_scheduled", "engine", session.complaint, task_id=task_id,
                     bpmn_id=spec.bpmn_id if spec else None, handler=handler, message=message,
                     attempts=attempts, due_at=due.isoformat())
        return
    incident = db.session.scalar(
        select(Incident).where(Incident.instance_id == session.instance.id, Incident.resolved_at.is_(None),
                               Incident.task_id == task_id)
    )
    if incident is None:
        incident = Incident(instance_id=session.instance.id, task_id=task_id,
                            bpmn_id=spec.bpmn_id if spec else None, handler=handler,
                            message=message, attempts=attempts, created_at=utcnow())
        db.session.add(incident)
    else:
        incident.message, incident.attempts = message, attempts
    db.session.flush()
    audit.record("incident", "engine", session.complaint, task_id=task_id,
                 bpmn_id=spec.bpmn_id if spec else None, handler=handler, message=message,
                 attempts=attempts, incident_id=incident.id)


def _describe(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    if isinstance(err, (HandlerIncident, RetryLater)) or type(err).__module__.startswith("bpmn_complaints"):
        return text
    return f"{type(err).__name__}: {text}" if not text.startswith(type(err).__name__) else text


def _allowed_retries(spec) -> int:
    retries = getattr(spec, "retries", None)
    return retries if retries is not None else current_app.config["HANDLER_DEFAULT_RETRIES"]


def _backoff(spec, attempts: int) -> float:
    base = getattr(spec, "retry_backoff_base", None) or 2
    return float(base) ** attempts


# -- service tasks --------------------------------------------------------------------

class _HandlerFailed(RuntimeError):
    """Carries a handler's own exception (as ``__cause__``) through SpiffWorkflow."""


def _call_handler(session: Session, task, operation_name: str, operation_params: dict):
    registry = current_app.extensions["complaints_handlers"]
    func = registry.get(operation_name)
    spec = task.task_spec
    if func is None:
        raise _HandlerFailed(f"no handler is registered under {operation_name!r}")
    ctx = HandlerContext(
        complaint=session.complaint,
        task=TaskInfo(str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.lane,
                      json.loads(json.dumps(task.data, default=str))),
        definition=DefinitionInfo(session.definition.key, session.definition.version),
        params=operation_params,
        attempt=session.attempts.get(str(task.id), 0) + 1,
        services=current_app.extensions["complaints_host"](session),
    )
    try:
        # A savepoint: whatever a failing handler wrote is undone, the step's other work kept.
        with db.session.begin_nested():
            result = func(ctx)
            json.dumps(result)
    except BpmnError as err:
        catcher = _error_catcher(task, err.code)
        if catcher is None:
            raise _HandlerFailed(
                f"BPMN error {err.code!r} ({err}) is not caught: no boundary error event on "
                f"{spec.bpmn_id} has that error code") from None
        raise _ErrorThrown(task, catcher, err, operation_name) from err
    except TypeError as err:
        raise _HandlerFailed(f"handler {operation_name!r} returned data that is not JSON: {err}") from err
    except Exception as err:  # the handler's own error, kept intact for the incident
        raise _HandlerFailed(str(err)) from err
    audit.record("handler_ran", "engine", session.complaint, task_id=str(task.id), bpmn_id=spec.bpmn_id,
                 handler=operation_name, attempt=ctx.attempt)
    return result


class _ErrorThrown(Exception):
    """A handler's :class:`BpmnError` that a boundary error event on its task catches."""

    def __init__(self, task, catcher, error: BpmnError, handler: str):
        super().__init__(str(error))
        self.task, self.catcher, self.error, self.handler = task, catcher, error, handler


def _error_catcher(task, code: str):
    """The waiting boundary error event attached to ``task`` that catches ``code``: one
    naming that code first, else one without a code (BPMN's catch-all).

    Only this task's own boundary events are asked. SpiffWorkflow's event manager would
    offer the error to every waiting error event in the workflow, so a parallel branch
    could catch an error that is not its own."""
    split = task.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit):
        return None
    waiting = [t for t in split.children if t is not task and t.has_state(TaskState.WAITING)
               and isinstance(getattr(t.task_spec, "event_definition", None), ErrorEventDefinition)]
    for wanted in (code, None):
        for candidate in waiting:
            if candidate.task_spec.event_definition.code == wanted:
                return candidate
    return None


def _catch_error(session: Session, thrown: _ErrorThrown) -> None:
    """Route a caught BPMN error down its boundary event: the service task is cancelled
    (it produced no result), and the boundary event gets the error as data."""
    task, catcher, error = thrown.task, thrown.catcher, thrown.error
    details = {"code": error.code, "message": str(error), "task": task.task_spec.bpmn_id}
    definition = catcher.task_spec.event_definition
    definition.catch(catcher, BpmnEvent(definition, payload=details, target=task.workflow))
    catcher.data["bpmn_error"] = details
    task._set_state(TaskState.CANCELLED)
    catcher.task_spec._update(catcher)
    audit.record("bpmn_error_caught", "engine", session.complaint, task_id=str(task.id),
                 bpmn_id=task.task_spec.bpmn_id, handler=thrown.handler, code=error.code,
                 message=str(error), caught_by=catcher.task_spec.bpmn_id)


# -- persistence ----------------------------------------------------------------------

def _persist(session: Session) -> None:
    instance, workflow = session.instance, session.workflow
    now = utcnow()
    instance.state = serializer.dumps(workflow)
    instance.serializer_version = serializer.VERSION
    instance.updated_at = now
    ready_human = sync_projection(session)
    if session.failure is not None and not _has_retry_job(instance):
        instance.status = "error"
    elif workflow.completed or session.ended:
        instance.status = "completed"
        instance.completed_at = now
    else:
        instance.status = "running" if ready_human else "waiting"
    _update_complaint(session)
    _schedule_timer(session)
    db.session.flush()


def _has_retry_job(instance) -> bool:
    return db.session.scalar(select(Job.id).where(Job.instance_id == instance.id, Job.kind == "retry").limit(1)) is not None


def _update_complaint(session: Session) -> None:
    complaint = session.complaint
    if complaint is None:
        return
    data = session.workflow.last_task.data if session.workflow.last_task else {}
    priority = data.get("priority")
    if isinstance(priority, str) and priority != complaint.priority:
        complaint.priority = priority
    category = data.get("category")
    if isinstance(category, str) and category and category != complaint.category:
        # The intake officer's classification replaces the complainant's own word for it
        # (it picks the investigator and feeds the clause-8 reports).
        audit.record("category_changed", "engine", complaint, before=complaint.category, after=category)
        complaint.category = category
    _record_target(session, data.get("target_days"))
    if session.workflow.completed or session.ended:
        if complaint.state == "open":
            complaint.state = "closed"
            complaint.closed_at = utcnow()
            audit.record("complaint_closed", "engine", complaint, reason=complaint.closure_reason)
        audit.change_status(complaint, "Closed")
        return
    status = _current_status(session.workflow)
    if status:
        audit.change_status(complaint, status)


def _record_target(session: Session, target_days) -> None:
    """Put the response target a diagram set (``target_days`` in task data, business days
    from receipt, as the initial-assessment decision table does) in the audit trail when
    it is first set or changes, so reports can measure "closed within target" (ISO 10002
    8.4) without opening workflow state."""
    complaint = session.complaint
    if not isinstance(target_days, int) or isinstance(target_days, bool):
        return
    last = db.session.scalar(
        select(AuditEvent.details).where(AuditEvent.complaint_id == complaint.id, AuditEvent.action == "target_set")
        .order_by(AuditEvent.id.desc()).limit(1))
    if last is not None and last.get("target_days") == target_days:
        return
    target_at = session.workflow.script_engine.calendar.add_business_days(complaint.received_at, target_days)
    audit.record("target_set", "engine", complaint, target_days=target_days, target_at=target_at.isoformat())


def _properties(spec) -> dict:
    return (getattr(spec, "extensions", None) or {}).get("properties") or {}


def _current_status(workflow: BpmnWorkflow) -> str | None:
    """The ``complaintStatus`` property of the newest active element that has one."""
    best, best_time = None, -1.0
    for wf in _all_workflows(workflow):
        for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR):
            status = _properties(task.task_spec).get("complaintStatus")
            if not status and task.has_state(TaskState.WAITING):
                # An event-based gateway waits on behalf of the events after it.
                status = next((s for s in (_properties(c.task_spec).get("complaintStatus")
                                           for c in task.children) if s), None)
            if status and task.last_state_change >= best_time:
                best, best_time = status, task.last_state_change
    return best


def next_timer(workflow: BpmnWorkflow):
    """The earliest moment a waiting timer in ``workflow`` is due, or ``None``.

    The event manager knows every task that waits for an event, including the events
    after an event-based gateway (which are not in the WAITING state themselves)."""
    earliest = None
    for task in list(workflow.event_manager.tasks.values()):
        if not _waits_on_timer(getattr(task.task_spec, "event_definition", None)):
            continue
        value = task._get_internal_data("event_value")
        if isinstance(value, dict):
            value = value.get("next") if value.get("cycles") != 0 else None
        if not value:
            continue
        due = TimerEventDefinition.get_datetime(value)
        earliest = due if earliest is None or due < earliest else earliest
    return earliest


def _waits_on_timer(definition) -> bool:
    """A timer, or (an event-based gateway's) multiple definition that includes one."""
    if isinstance(definition, TimerEventDefinition):
        return True
    return isinstance(definition, MultipleEventDefinition) and any(
        isinstance(d, TimerEventDefinition) for d in definition.event_definitions)


def _schedule_timer(session: Session) -> None:
    instance = session.instance
    due = None if (session.workflow.completed or session.ended) else next_timer(session.workflow)
    job = db.session.scalar(select(Job).where(Job.instance_id == instance.id, Job.kind == "timer"))
    if due is None:
        if job is not None:
            db.session.execute(delete(Job).where(Job.id == job.id))
        return
    if job is None or due < job.due_at:
        announce(due)  # a sleeping worker may have planned to wake later than this
    if job is None:
        db.session.add(Job(kind="timer", instance_id=instance.id, due_at=due, created_at=utcnow(), payload={}))
    elif job.due_at != due:
        job.due_at, job.attempts, job.last_error = due, 0, None
