"""The task page: the complaint, the instructions, the form, comments; claim, hand back,
reassign and complete. What the person typed survives a comment, a reassignment and an
expired form: it comes back on the page and is kept as their draft (services/drafts.py)."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..db import run_change
from ..exceptions import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from ..policy import ASSIGN_TASKS, WORK_TASKS, allows
from ..services import attachments, case_file, drafts, forms, independence
from ..services import complaints as complaints_service
from ..services import preview as previews
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


def _render(task, data=None, errors=None, status=200, comment="", preview=None):
    """The page, its form filled with ``data``; else with the person's own draft, else with
    what was submitted."""
    user = me()
    schema, _ui = forms.schemas_for(task)
    complaint = _complaint_for(task, user)
    earlier = case_file.earlier_round(task) if complaint is not None and task.state == "ready" else None
    draft = drafts.own(task, user)
    if data is None:
        # Your own draft first; a step that comes back (sent back, or a second round)
        # starts from its last answers.
        data = draft.data if draft else (
            task.submitted_data or (earlier.submitted_data if earlier is not None else None) or {})
    candidates = []
    if allows(user, ASSIGN_TASKS) and task.state == "ready":
        # Only people the task's independence rule lets work it (ISO 10002 4.7); the service refuses the rest.
        members = [u.name for u in group_members(task.candidate_group)] if task.candidate_group else []
        candidates = [name for name in members if not independence.barred(name, task)]
    barred = independence.barred(user.name, task) if task.state == "ready" else []
    fields = build_fields(schema, data, errors)
    return render_template(
        "task.html", task=task, complaint=complaint, schema=schema, fields=fields,
        case_file=case_file.entries(complaint) if complaint is not None else [], earlier=earlier,
        since=case_file.since(complaint, earlier) if earlier is not None else [],
        labels={f.name: f.label for f in fields}, errors=errors or {}, user=user, candidates=candidates,
        barred=barred, may_complete=task.state == "ready" and task.assignee == user.name and not barred,
        draft=draft, comment=comment, preview=preview,
        attachments=attachments.of_complaint(complaint) if complaint is not None else [],
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
    # The comment button belongs to the task's form, so the answers typed so far come along.
    if request.form.get("_form"):
        _keep(task_id, me())
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
        run_change(drafts.keep, task_id, user, data)
        return _render(task, data, errors, 400)
    try:
        task = run_change(service.complete, task_id, user, data)
    except ValidationFailed as err:
        run_change(drafts.keep, task_id, user, data)
        return _render(service.get_task(task_id, user), data, err.details, 400)
    except Conflict as err:
        kept = run_change(drafts.keep, task_id, user, data) is not None
        task = service.get_task(task_id, user)
        flash(_not_sent(task, user, kept, err.message), "error")
        return _render(task, data, status=409)
    # task_done: static/drafts.js forgets this browser's copy of the answers.
    message = {"text": f"Done: “{task.name}” for {task.complaint_reference or 'this process'}.", "task_done": task.id}
    following = _next_task(user, task.complaint_reference)
    if following is not None:
        message.update(link=url_for("task_pages.show", task_id=following.id), link_text=f"Next: {following.name}")
    flash(message, "success")
    return redirect(url_for("inbox.inbox"))


@bp.route("/<task_id>/preview", methods=["POST"])
@staff_required(WORK_TASKS)
def preview(task_id):
    """The task page again, with what completing it now would send and hand on."""
    user = me()
    task = service.get_task(task_id, user)
    schema, _ui = forms.schemas_for(task)
    data, errors = parse_submission(schema, request.form)
    run_change(drafts.keep, task_id, user, data)
    if errors:
        return _render(service.get_task(task_id, user), data, errors, 400)
    try:
        shown = previews.preview(task_id, user, data)
    except ValidationFailed as err:
        return _render(service.get_task(task_id, user), data, err.details, 400)
    except (Conflict, Forbidden) as err:
        flash(f"No preview: {err.message}", "error")
        return _render(service.get_task(task_id, user), data, status=409)
    return _render(service.get_task(task_id, user), data, preview=shown)


def _next_task(user, reference):
    """What to do next: this complaint's next task for me or my groups, else my top task."""
    for scope, ref in (("mine", reference), ("group", reference), ("mine", None)):
        if scope == "mine" or reference:
            items = service.list_tasks(user, scope=scope, reference=ref, limit=1, count=False).items
            if items:
                return items[0]
    return None


def _not_sent(task, user, kept: bool, reason: str) -> str:
    """Why the answers were not sent, and where they are now."""
    where = "your answers are kept as a draft" if kept else "your answers are below, but could not be kept: copy them"
    if task.state != "ready":
        by = f" by {task.completed_by}" if task.completed_by else ""
        return (f"This task is already {task.state}{by}, so your answers were not sent. "
                "They are below: copy what you need.")
    if task.assignee is None:
        group = task.candidate_group or "team"
        return f"This task was handed back to the {group} group; {where}. Claim it to send them."
    if task.assignee != user.name:
        return f"This task is now held by {task.assignee}; {where}."
    return f"Your answers were not sent ({reason}); {where}."


def _keep(task_id: str, user) -> None:
    """Keep the task form's posted answers as the person's draft, where the rules allow it."""
    schema, _ui = forms.schemas_for(service.get_task(task_id, user))
    run_change(drafts.keep, task_id, user, parse_submission(schema, request.form)[0])


def _from_our_page() -> bool:
    """Whether a post came from one of this site's pages (its Origin, else its Referer).
    Only such a post, its token expired, is trusted to hold what the person typed; another
    site's forged form must not become their draft or fill their page."""
    source = urlsplit(request.headers.get("Origin") or request.headers.get("Referer") or "")
    ours = urlsplit(request.host_url)
    return (source.scheme, source.netloc) == (ours.scheme, ours.netloc)


@bp.errorhandler(CSRFError)
def expired_form(err):
    """A form that outlived its CSRF token or the session keeps what was typed.

    Signed in, and posted from our own page, the task page comes back with the posted
    answers (kept as a draft), the comment being written and a fresh token, ready to send
    again. Signed out, nothing posted can be trusted; the browser kept the answers
    (static/drafts.js) and puts them back on the task page after sign-in.
    """
    task_id = (request.view_args or {}).get("task_id", "")
    page = url_for("task_pages.show", task_id=task_id)
    if not current_user.is_authenticated:
        flash("You had been signed out, so nothing was sent. Sign in again: this browser kept what you typed, "
              "and the task page puts it back.", "error")
        return redirect(url_for("auth.login", next=page))
    if request.endpoint not in ("task_pages.complete", "task_pages.comment") or not allows(me(), WORK_TASKS) \
            or not _from_our_page():
        flash("That form had expired, so nothing was changed. Please try again.", "error")
        return redirect(page)
    user = me()
    try:
        task = service.get_task(task_id, user)
    except AppError:
        return redirect(page)  # which says why, as the task page does
    data = parse_submission(forms.schemas_for(task)[0], request.form)[0] if request.form.get("_form") else None
    kept = data is not None and run_change(drafts.keep, task_id, user, data) is not None
    answers = " Your answers are kept as a draft." if kept else ""
    if request.endpoint == "task_pages.comment":
        flash(f"This form had expired, so your comment was not added: it is still in its box, ready to add again."
              f"{answers}", "error")
    else:
        flash(f"This form had expired, so it was not sent.{answers} Check the answers below and send them again.",
              "error")
    return _render(task, data, status=400, comment=request.form.get("body", ""))
