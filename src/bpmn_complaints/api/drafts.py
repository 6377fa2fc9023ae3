"""A person's draft of a task's form: read it back, and save it while they type."""

from ..db import run_change
from ..policy import WORK_TASKS
from ..schemas.drafts import DraftIn, DraftOut
from ..services import drafts as service
from .auth import current_user, require
from .blueprint import Blueprint

bp = Blueprint("task_drafts", __name__, url_prefix="/api/tasks", description="Drafts of task forms")


def _out(task_id, draft):
    if draft is None:
        return {"task_id": task_id, "data": None, "updated_at": None}
    return {"task_id": task_id, "data": draft.data, "updated_at": draft.updated_at}


@bp.route("/<task_id>/draft", methods=["GET"])
@bp.response(200, DraftOut)
@require(WORK_TASKS)
def get_draft(task_id):
    """Your own draft of the task (``data`` is null when you have none). Nobody reads
    another person's draft."""
    return _out(task_id, service.get(task_id, current_user()))


@bp.route("/<task_id>/draft", methods=["PUT"])
@bp.arguments(DraftIn)
@bp.response(200, DraftOut)
@require(WORK_TASKS)
def put_draft(body, task_id):
    """Keep the form's answers so far as your draft, replacing the one before. Not
    validated against the form (only its field names are checked); 409 once the task is
    no longer ready."""
    return _out(task_id, run_change(service.save, task_id, current_user(), body["data"]))
