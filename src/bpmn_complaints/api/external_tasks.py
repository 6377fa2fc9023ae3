"""External tasks, Camunda 7's REST API: fetch and lock, complete, failure, BPMN error,
extend lock. Only ``integration`` tokens (and admins), for the topics their account holds."""

from ..db import run_change
from ..policy import WORK_EXTERNAL_TASKS
from ..schemas.external_tasks import (
    ExternalBpmnErrorIn,
    ExternalCompleteIn,
    ExternalExtendLockIn,
    ExternalFailureIn,
    ExternalFetchAndLockIn,
    ExternalLockedTaskOut,
)
from ..services import external_tasks as service
from .auth import current_user, require
from .blueprint import Blueprint

bp = Blueprint("external_tasks", __name__, url_prefix="/api/external-tasks", description="External tasks")


@bp.route("/fetch-and-lock", methods=["POST"])
@bp.arguments(ExternalFetchAndLockIn)
@bp.response(200, ExternalLockedTaskOut(many=True))
@require(WORK_EXTERNAL_TASKS)
def fetch_and_lock(body):
    """Lock up to ``maxTasks`` tasks of the topics for ``workerId``; with
    ``asyncResponseTimeout``, wait that long (bounded) for one to come."""
    return service.fetch_and_lock(current_user(), body["worker_id"], body["topics"], body["max_tasks"],
                                  body["async_response_timeout"])


@bp.route("/<task_id>/complete", methods=["POST"])
@bp.arguments(ExternalCompleteIn)
@bp.response(204)
@require(WORK_EXTERNAL_TASKS)
def complete(body, task_id):
    """Complete a task you hold, setting ``variables``; the process moves on."""
    run_change(service.complete, current_user(), task_id, body["worker_id"], body["variables"])


@bp.route("/<task_id>/failure", methods=["POST"])
@bp.arguments(ExternalFailureIn)
@bp.response(204)
@require(WORK_EXTERNAL_TASKS)
def failure(body, task_id):
    """Report a failure: with ``retries`` left the task is fetchable again after
    ``retryTimeout`` ms; with 0 it becomes an incident."""
    run_change(service.failure, current_user(), task_id, body["worker_id"], body["error_message"],
               body["error_details"], body["retries"], body["retry_timeout"])


@bp.route("/<task_id>/bpmn-error", methods=["POST"])
@bp.arguments(ExternalBpmnErrorIn)
@bp.response(204)
@require(WORK_EXTERNAL_TASKS)
def bpmn_error(body, task_id):
    """Throw a BPMN error: the task's boundary error event with that code catches it (an
    incident if none does)."""
    run_change(service.bpmn_error, current_user(), task_id, body["worker_id"], body["error_code"],
               body["error_message"], body["variables"])


@bp.route("/<task_id>/extend-lock", methods=["POST"])
@bp.arguments(ExternalExtendLockIn)
@bp.response(204)
@require(WORK_EXTERNAL_TASKS)
def extend_lock(body, task_id):
    """Hold the lock ``newDuration`` ms from now (only while it is still yours and live)."""
    run_change(service.extend_lock, current_user(), task_id, body["worker_id"], body["new_duration"])
