"""The staff complaint pages: the list, and one complaint with its tasks, timeline, incidents and diagram."""

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from ..api.schemas import PRIORITIES, ComplaintQuery
from ..exceptions import Conflict
from ..services import complaints as service
from ..services import instances
from ..services.definitions import main_bpmn
from ..services.tasks import list_tasks_for_complaint
from ..services.transaction import run_change
from . import vendor
from .auth import STAFF_ROLES, me, staff_required

bp = Blueprint("complaint_pages", __name__, url_prefix="/complaints")

# The audit trail in words; an action missing here is shown as its name with spaces.
ACTIONS = {
    "complaint_received": "Complaint received",
    "instance_started": "Process started",
    "handler_ran": "Automatic step ran",
    "task_created": "Task offered",
    "task_claimed": "Task claimed",
    "task_unclaimed": "Task handed back",
    "task_assigned": "Task assigned",
    "task_completed": "Task completed",
    "comment_added": "Comment added",
    "status_changed": "Status changed",
    "message_received": "Message from the complainant",
    "task_cancelled": "Task cancelled",
    "incident": "Incident opened",
    "incident_resolved": "Incident resolved",
    "retry_scheduled": "Retry scheduled",
    "email_sent": "Email sent",
    "email_failed": "Email failed",
    "complaint_closed": "Complaint closed",
    "target_set": "Response target set",
}
# Audit actions whose bpmn_id marks a diagram element as done.
DONE_ACTIONS = ("task_completed", "step_completed", "handler_ran", "timer_fired", "message_received")
# Details worth a line in the timeline (the rest is in the API's /history).
SHOWN_DETAILS = ("name", "before", "after", "handler", "message", "definition", "reason", "channel", "target_days")


@bp.route("")
@staff_required(*STAFF_ROLES)
def index():
    """Complaints the signed-in person may see, newest first; a reference jumps straight to it."""
    reference = request.args.get("reference", "").strip().upper()
    if reference:
        return redirect(url_for("complaint_pages.show", reference=reference))
    args = {k: v for k, v in request.args.items() if v != "" and k in ("state", "priority")}
    query = ComplaintQuery(exclude=("limit", "offset")).load(args)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    size = current_app.config["INBOX_PAGE_SIZE"]
    items, total = service.list_complaints(me(), **query, limit=size, offset=(page - 1) * size)
    pages = max(1, -(-total // size))
    return render_template("complaints.html", items=items, total=total, page=page, pages=pages, query=query,
                           priorities=PRIORITIES,
                           link=lambda **changes: url_for("complaint_pages.index", **{**args, "page": page, **changes}))


def _load(reference):
    complaint = service.get_by_reference(reference)
    service.check_visible(me(), complaint)
    return complaint


@bp.route("/<reference>")
@staff_required(*STAFF_ROLES)
def show(reference):
    complaint = _load(reference)
    instance = service.instance_of(complaint)
    events, problems = service.history(complaint)
    tasks = list_tasks_for_complaint(complaint)
    incidents = service.incidents(complaint)
    current = {t.bpmn_id for t in tasks if t.state == "ready"}
    current |= {i.bpmn_id for i in incidents if i.resolved_at is None and i.bpmn_id}
    done = {e.bpmn_id for e in events if e.action in DONE_ACTIONS and e.bpmn_id} - current
    return render_template(
        "complaint.html", complaint=complaint, instance=instance, events=events, chain_problems=problems,
        tasks=tasks, incidents=incidents, actions=ACTIONS, shown_details=SHOWN_DETAILS, user=me(),
        diagram={"available": vendor.available("bpmn-js"), "done": sorted(done), "current": sorted(current),
                 "failed": sorted(i.bpmn_id for i in incidents if i.resolved_at is None and i.bpmn_id)},
    )


@bp.route("/<reference>/diagram.bpmn")
@staff_required(*STAFF_ROLES)
def diagram(reference):
    """The BPMN of the version this complaint runs on, for the diagram viewer."""
    instance = service.instance_of(_load(reference))
    _name, text = main_bpmn(instance.definition)
    return Response(text, mimetype="application/xml")


@bp.route("/<reference>/incidents/<int:incident_id>/retry", methods=["POST"])
@staff_required("supervisor")
def retry(reference, incident_id):
    _load(reference)
    try:
        run_change(instances.retry_incident, incident_id, me().name)
    except Conflict as err:
        flash(err.message, "error")
    else:
        flash("The failed step ran again. If it failed once more, the incident below says why.", "success")
    return redirect(url_for("complaint_pages.show", reference=reference) + "#incidents")
