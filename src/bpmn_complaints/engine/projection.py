"""Keep the human-task table in step with the workflow, in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from ..clock import utcnow
from ..expressions import ExpressionError
from ..extensions import db
from ..models import HumanTask, TaskIndependence
from ..models.task import PRIORITY_RANK
from . import camunda_forms
from .definitions import bundle_files
from .lint import entered_by_excluded, find_form, workers_excluded
from .run import Run, all_workflows, properties, ready_human_tasks


def _evaluate(task: Task, expression: str) -> Any:
    return task.workflow.script_engine.environment.evaluate(expression, task.data)


def _boundary_due(task: Task) -> datetime | None:
    """The earliest interrupting timer attached to ``task``: its due date."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    earliest: datetime | None = None
    for sibling in parent.children:
        spec = sibling.task_spec
        definition = getattr(spec, "event_definition", None)
        if sibling is task or not isinstance(definition, TimerEventDefinition):
            continue
        if not getattr(spec, "cancel_activity", True):
            continue
        value = sibling._get_internal_data("event_value")
        if isinstance(value, str):
            due = TimerEventDefinition.get_datetime(value)
            earliest = due if earliest is None or due < earliest else earliest
    return earliest


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def _new_row(run: Run, task: Task) -> HumanTask:
    spec = task.task_spec
    props = properties(spec)
    row = HumanTask(
        id=str(task.id), instance_id=run.instance.id,
        bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id, lane=spec.lane,
        candidate_group=spec.lane, state="ready", created_at=utcnow(),
        instructions=spec.documentation,
    )
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name in ("assignee", "candidateGroup", "excludedUsers", "dueDate", "followUpDate", "priority"):
        if props.get(name):
            try:
                values[name] = _evaluate(task, props[name])
            except ExpressionError as err:
                problems.append(f"{name}: {err}")
    if values.get("candidateGroup"):
        row.candidate_group = str(values["candidateGroup"])
    assignee = values.get("assignee")
    row.assignee = str(assignee) if assignee else None
    if row.assignee:
        row.claimed_at = row.created_at
    row.excluded_users = _as_list(values.get("excludedUsers"))
    row.exclude_entered_by = entered_by_excluded(props)
    row.independent_of = [TaskIndependence(bpmn_id=element) for element in workers_excluded(props)]
    row.excludes_workers = bool(row.independent_of)
    due = values.get("dueDate")
    row.due_at = _parse_due(due) if due else _boundary_due(task)
    follow_up = values.get("followUpDate")
    row.follow_up_at = _parse_due(follow_up) if follow_up else None
    priority = task_priority(values["priority"]) if values.get("priority") is not None else None
    if priority is None:
        priority = task.data.get("priority")
    row.priority = priority if priority in PRIORITY_RANK else "normal"
    row.priority_rank = PRIORITY_RANK[row.priority]
    bpmn_file = getattr(task.workflow.spec, "file", None) or ""
    files = bundle_files(run.definition)
    if props.get("formJsonSchemaFilename"):
        row.form_schema = find_form(files, bpmn_file, props["formJsonSchemaFilename"])
    if props.get("formUiSchemaFilename"):
        row.form_ui_schema = find_form(files, bpmn_file, props["formUiSchemaFilename"])
    if not row.form_schema and props.get(camunda_forms.PROPERTY):
        try:
            row.form_schema = camunda_forms.resolve(files, bpmn_file, spec.bpmn_id, props[camunda_forms.PROPERTY])
        except camunda_forms.FormUnsupported as err:
            problems.append(f"form: {err}")
    if problems:
        run.observer.record("task_property_failed", "engine", task_id=row.id, bpmn_id=row.bpmn_id,
                            problems=problems)
    return row


def _independence(row: HumanTask) -> dict[str, object]:
    """The task's independence rule for its ``task_created`` event, when it has one: the
    trail then holds the rule each task was created under, for the auditor (ISO 10002 4.7, 8.5)."""
    rule: dict[str, object] = {}
    if row.independent_of:
        rule["independent_of"] = [element.bpmn_id for element in row.independent_of]
    if row.exclude_entered_by:
        rule["exclude_entered_by"] = True
    return rule


def _parse_due(value: object) -> datetime | None:
    """A due or follow-up date from its ISO 8601 text; without an offset it is UTC."""
    try:
        due: datetime = TimerEventDefinition.get_datetime(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return due if due.tzinfo else due.replace(tzinfo=UTC)


# Camunda's numeric task priority in our four levels, as Camunda 8's Tasklist shows it
# (0-25 low, 26-50 medium, 51-75 high, 76-100 critical; Camunda 7's default is 50).
_PRIORITY_LEVELS = ((25, "low"), (50, "normal"), (75, "high"))


def task_priority(value: object) -> str | None:
    """Our priority for a task's declared ``value``: one of our levels by name, or a Camunda
    number; ``None`` if it is neither."""
    if isinstance(value, str) and value.strip().lower() in PRIORITY_RANK:
        return value.strip().lower()
    try:
        number = float(str(value))
    except ValueError:
        return None
    return next((level for limit, level in _PRIORITY_LEVELS if number <= limit), "urgent")


def refresh_rows(run: Run) -> None:
    """Bring the ready rows of a migrated instance up to its new version: each row's step,
    name, lane, instructions and form are read again from the task's new element. Who holds
    the task, when it was created and its due date stay as they were."""
    tasks = {str(task.id): task for wf in all_workflows(run.workflow)
             for task in wf.get_tasks(state=TaskState.READY, manual=True)}
    for row in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == run.instance.id,
                                                          HumanTask.state == "ready")):
        task = tasks.get(row.id)
        if task is None:
            continue
        fresh = _new_row(run, task)
        for column in ("bpmn_id", "name", "lane", "instructions", "form_schema", "form_ui_schema"):
            setattr(row, column, getattr(fresh, column))
        if not row.assignee:
            row.candidate_group = fresh.candidate_group


def sync_projection(run: Run) -> int:
    """Insert rows for newly ready human tasks and cancel rows whose task went away
    (an interrupting timer, a withdrawal). Returns how many human tasks are ready.

    When the run knows which tasks were ready when the state was loaded (their rows are
    the instance's ready rows), rows are read only for tasks that stopped being ready
    other than by completion; otherwise every ready row of the instance is read."""
    ready = ready_human_tasks(run.workflow)
    instance_id = run.instance.id
    if run.new:  # a new instance has no rows yet
        rows: dict[str, HumanTask | None] = {}
    elif run.loaded_ready is not None:
        rows = dict.fromkeys(run.loaded_ready)  # None: a row known to exist, not read
        gone = [task_id for task_id in run.loaded_ready if task_id not in ready and not _completed(run, task_id)]
        if gone:
            rows.update(_ready_rows(instance_id, HumanTask.id.in_(gone)))
    else:
        rows = dict(_ready_rows(instance_id))
    # Rows added in this transaction and not flushed yet are in the session only.
    rows.update({row.id: row for row in db.session.new
                 if isinstance(row, HumanTask) and row.instance_id == instance_id and row.state == "ready"})
    for task_id, task in ready.items():
        if task_id in rows:
            continue
        row = _new_row(run, task)
        run.observer.task_created(row)
        db.session.add(row)
        run.observer.record("task_created", "engine", task_id=row.id, bpmn_id=row.bpmn_id, name=row.name,
                            group=row.candidate_group, assignee=row.assignee,
                            due_at=row.due_at.isoformat() if row.due_at else None, **_independence(row))
    for task_id, found in rows.items():
        if task_id not in ready and found is not None:
            found.state = "cancelled"
            found.completed_at = utcnow()
            run.observer.record("task_cancelled", "engine", task_id=found.id, bpmn_id=found.bpmn_id, name=found.name)
    return len(ready)


def _completed(run: Run, task_id: str) -> bool:
    """Whether the task was completed in this change (its row was finished by the service)."""
    try:
        task = run.workflow.get_task_from_id(UUID(task_id))
    except (ValueError, WorkflowException):  # its sub-process is gone
        return False
    return task is not None and bool(task.has_state(TaskState.COMPLETED))


def _ready_rows(instance_id: int, *where: Any) -> dict[str, HumanTask | None]:
    # Called without autoflush (persist): a row this change already finished still reads
    # as ready from the database, so its loaded state decides.
    return {row.id: row for row in db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "ready", *where))
        if row.state == "ready"}
