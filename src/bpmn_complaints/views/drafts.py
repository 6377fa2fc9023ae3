"""The task page's autosave (static/drafts.js): the form's answers so far, kept as the
signed-in person's draft, with the session cookie and the CSRF token like every form."""

from flask import Blueprint, request
from flask_wtf.csrf import generate_csrf

from ..db import run_change
from ..policy import WORK_TASKS
from ..schemas.drafts import DraftFormIn, DraftOut
from ..services import drafts as service
from ..services import forms
from ..services.tasks import get_task
from .auth import me, staff_required
from .schema_form import parse_submission

bp = Blueprint("draft_pages", __name__, url_prefix="/tasks")


def _out(task_id, draft) -> dict:
    return DraftOut().dump({"task_id": task_id, "data": draft.data if draft else None,
                            "updated_at": draft.updated_at if draft else None})


@bp.route("/<task_id>/draft", methods=["GET"])
@staff_required(WORK_TASKS)
def show(task_id):
    """The draft, and a fresh CSRF token: the autosave carries on with it once the page's
    own token has expired."""
    return {**_out(task_id, service.get(task_id, me())), "csrf_token": generate_csrf()}


@bp.route("/<task_id>/draft", methods=["PUT"])
@staff_required(WORK_TASKS)
def save(task_id):
    """Keep the posted fields as the draft; read the way the form's Complete button is."""
    posted = DraftFormIn().load(request.get_json(silent=True) or {})["data"]
    user = me()
    schema, _ui = forms.schemas_for(get_task(task_id, user))
    data, _unreadable = parse_submission(schema, posted)
    return _out(task_id, run_change(service.save, task_id, user, data))
