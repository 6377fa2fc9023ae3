"""The task page: the complaint, the instructions, the form, comments; claim, hand back,
reassign and complete."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..db import run_change
from ..exceptions import Conflict, NotFound, ValidationFailed
from ..policy import ASSIGN_TASKS, WORK_TASKS, allows
from ..services import complaints as complaints_service
from ..services import forms, independence
from ..services import tasks as service
from ..services.users import group_members
from .auth import me, safe_next, staff_required
from .schema_form import build_fields, parse_submission

bp = Blueprint("task_pages", __name__, url_prefix="/tasks")


def _complaint_for(task, user):
    """The task's complaint, if this user may read it (ISO 10002 4.10)."""
    if task.complaint_reference is None:
        return None
    try:
        complaint = complaints_service.get_by_reference(task.complaint_reference)
        complaints_service.check_visible(user, complaint)
    except NotFound:
        return None
    return complaint


def _render(task, data=None, errors=None, status=200):
    user = me()
    schema, _ui = forms.schemas_for(task)
    if data is None:
        data = task.submitted_data or {}
    candidates = []
    if allows(user, ASSIGN_TASKS) and task.state == "ready":
        # Only people the task's independence rule lets work it (ISO 10002 4.7); the service refuses the rest.
        members = [u.name for u in group_members(task.candidate_group)] if task.candidate_group else []
        candidates = [name for name in members if not independence.barred(name, task)]
    barred = independence.barred(user.name, task) if task.state == "ready" else []
    fields = build_fields(schema, data, errors)
    return render_template(
        "task.html", task=task, complaint=_complaint_for(task, user), schema=schema, fields=fields,
        labels={f.name: f.label for f in fields}, errors=errors or {}, user=user, candidates=candidates,
        barred=barred, may_complete=task.state == "ready" and task.assignee == user.name and not barred,
    ), status


@bp.route("/<task_id>")
@staff_required(WORK_TASKS)
def show(task_id):
    return _render(service.get_task(task_id, me()))


@bp.route("/<task_id>/claim", methods=["POST"])
@staff_required(WORK_TASKS)
def claim(task_id):
    try:
        task = run_change(service.claim, task_id, me())
    except Conflict as err:
        # Someone was quicker: say who, and stay where the user was.
        flash(err.message, "error")
        return redirect(safe_next(request.form.get("next"), url_for("inbox.inbox")))
    flash(f"You claimed “{task.name}”.", "success")
    return redirect(url_for("task_pages.show", task_id=task_id))


@bp.route("/<task_id>/unclaim", methods=["POST"])
@staff_required(WORK_TASKS)
def unclaim(task_id):
    try:
        task = run_change(service.unclaim, task_id, me())
    except Conflict as err:
        flash(err.message, "error")
        return redirect(url_for("task_pages.show", task_id=task_id))
    flash(f"“{task.name}” is back with the {task.candidate_group or 'team'} group.", "success")
    return redirect(url_for("inbox.inbox"))


@bp.route("/<task_id>/assign", methods=["POST"])
@staff_required(ASSIGN_TASKS)
def assign(task_id):
    assignee = request.form.get("assignee", "").strip()
    if not assignee:
        flash("Choose who should do this task.", "error")
        return redirect(url_for("task_pages.show", task_id=task_id))
    try:
        task = run_change(service.assign, task_id, me(), assignee)
    except Conflict as err:
        flash(err.message, "error")
        return redirect(url_for("task_pages.show", task_id=task_id))
    flash(f"“{task.name}” is now assigned to {task.assignee}.", "success")
    return redirect(url_for("task_pages.show", task_id=task_id))


@bp.route("/<task_id>/comments", methods=["POST"])
@staff_required(WORK_TASKS)
def comment(task_id):
    body = request.form.get("body", "")
    if not body.strip():
        flash("Write something before adding a comment.", "error")
    else:
        run_change(service.comment, task_id, me(), body)
        flash("Comment added.", "success")
    return redirect(url_for("task_pages.show", task_id=task_id) + "#comments")


@bp.route("/<task_id>/complete", methods=["POST"])
@staff_required(WORK_TASKS)
def complete(task_id):
    user = me()
    task = service.get_task(task_id, user)
    schema, _ui = forms.schemas_for(task)
    data, errors = parse_submission(schema, request.form)
    if errors:
        return _render(task, data, errors, 400)
    try:
        task = run_change(service.complete, task_id, user, data)
    except ValidationFailed as err:
        return _render(service.get_task(task_id, user), data, err.details, 400)
    except Conflict as err:
        flash(err.message, "error")
        return redirect(url_for("task_pages.show", task_id=task_id))
    message = {"text": f"Done: “{task.name}” for {task.complaint_reference or 'this process'}."}
    following = _next_task(user, task.complaint_reference)
    if following is not None:
        message.update(link=url_for("task_pages.show", task_id=following.id), link_text=f"Next: {following.name}")
    flash(message, "success")
    return redirect(url_for("inbox.inbox"))


def _next_task(user, reference):
    """What to do next: this complaint's next task for me or my groups, else my top task."""
    for scope, ref in (("mine", reference), ("group", reference), ("mine", None)):
        if scope == "mine" or reference:
            items, _total = service.list_tasks(user, scope=scope, reference=ref, limit=1)
            if items:
                return items[0]
    return None
