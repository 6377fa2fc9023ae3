"""The inbox: list, read, claim, unclaim, assign, comment, complete."""

from ..db import run_change
from ..policy import ASSIGN_TASKS, WORK_TASKS
from ..schemas.flat import flat_dumper
from ..schemas.resources import AssignIn, CommentIn, CommentOut, CompleteIn, Task, TaskDetail, TaskList, TaskQuery
from ..services import forms
from ..services import tasks as service
from .auth import current_user, require
from .blueprint import Blueprint
from .paging import listing_response

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="Human tasks")
TASK_ROW = flat_dumper(Task)


def _changed(change, *args):
    """Run the task ``change`` and make its answer in the same transaction: the answer's
    form schemas come from the version the instance runs, which a claim does not load,
    and reading it after the commit took a second transaction (on SQLite a second
    ``BEGIN IMMEDIATE``)."""
    def answered():
        return _detail(change(*args))

    answered.__qualname__ = change.__qualname__  # the logs name the change, not this wrapper
    return run_change(answered)


def _detail(task):
    schema, ui_schema = forms.schemas_for(task)
    out = {name: getattr(task, name) for name in Task().fields}
    out.update(instructions=task.instructions, form_schema=schema, form_ui_schema=ui_schema,
               data=task.submitted_data, excluded_users=task.excluded_users or [],
               # The flag says whether there are rules, so a task without any costs no query.
               independent_of=[element.bpmn_id for element in task.independent_of] if task.excludes_workers else [],
               exclude_entered_by=task.exclude_entered_by)
    return out


@bp.route("", methods=["GET"])
@bp.arguments(TaskQuery, location="query")
@bp.response(200, TaskList)
@require(WORK_TASKS)
def list_tasks(query):
    """``scope=mine`` (assigned to me), ``group`` (unclaimed in my groups) or ``all``
    (supervisors), with filters and sorting. Pages by keyset: follow ``links.next`` and
    ``links.prev``; ``total`` is exact up to ``INBOX_COUNT_BOUND`` and ``total_capped`` says
    there are more."""
    return listing_response(service.list_tasks(current_user(), **query), TASK_ROW)


@bp.route("/<task_id>", methods=["GET"])
@bp.response(200, TaskDetail)
@require(WORK_TASKS)
def get_task(task_id):
    """A task with its form schema (JSON Schema) and any submitted data."""
    return _detail(service.get_task(task_id, current_user()))


@bp.route("/<task_id>/claim", methods=["POST"])
@bp.response(200, TaskDetail)
@require(WORK_TASKS)
def claim(task_id):
    """Claim a task. 409 names the holder if someone else has it; claiming your own again
    is a no-op."""
    return _changed(service.claim, task_id, current_user())


@bp.route("/<task_id>/unclaim", methods=["POST"])
@bp.response(200, TaskDetail)
@require(WORK_TASKS)
def unclaim(task_id):
    """Hand a task back to its group."""
    return _changed(service.unclaim, task_id, current_user())


@bp.route("/<task_id>/assign", methods=["POST"])
@bp.arguments(AssignIn)
@bp.response(200, TaskDetail)
@require(ASSIGN_TASKS)
def assign(body, task_id):
    """A supervisor assigns the task to someone."""
    return _changed(service.assign, task_id, current_user(), body["assignee"])


@bp.route("/<task_id>/comments", methods=["POST"])
@bp.arguments(CommentIn)
@bp.response(201, CommentOut)
@require(WORK_TASKS)
def add_comment(body, task_id):
    """Comment on the task's complaint."""
    return run_change(service.comment, task_id, current_user(), body["body"])


@bp.route("/<task_id>/complete", methods=["POST"])
@bp.arguments(CompleteIn)
@bp.response(200, TaskDetail)
@require(WORK_TASKS)
def complete(body, task_id):
    """Complete a task you hold. 400 with per-field errors if the data does not match the
    form; 409 if you are not the assignee."""
    return _changed(service.complete, task_id, current_user(), body["data"])
