"""The staff complaint pages: the list, and one complaint with its tasks, timeline, incidents,
attached files and diagram."""

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from .. import status_code
from ..db import run_change
from ..exceptions import AppError, Conflict
from ..input_limits import bounded_int
from ..mail import links
from ..policy import (
    ATTACH_FILES,
    ENTER_COMPLAINTS,
    INSPECT_INSTANCES,
    MANAGE_INCIDENTS,
    READ_COMPLAINTS,
    RECORD_REPLIES,
    allows,
)
from ..schemas.resources import PRIORITIES, ComplaintQuery, StaffComplaintIn
from ..services import attachments, case_file, downloads, inbound, instances, letters, paging, repair, staff_actions
from ..services import complaints as service
from ..services.definitions import main_bpmn
from ..services.tasks import list_tasks_for_complaint
from . import vendor
from .auth import me, staff_required
from .portal import CONTACT_CHOICES, received_files
from .portal import FIELDS as PUBLIC_FIELDS
from .portal import MESSAGES as PUBLIC_MESSAGES

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
    "category_changed": "Category changed",
    "reply_recorded": "Reply recorded by staff",
    "contact_corrected": "Contact details corrected",
    "attachment_added": "File attached",
    "assignee_excluded": "Assignee set aside (independence)",
    "email_received": "Email received",
    "staff_notified": "Staff told by email",
    "email_reply_decided": "Email recorded as the complainant's decision",
    "variable_set": "Process variable set (repair)",
    "token_moved": "Process moved to another step (repair)",
    "complaint_cancelled": "Complaint cancelled (repair)",
    "incident_retried": "Incident retried",
    "instance_migrated": "Moved to another version of the process (migration)",
}
# Audit actions whose bpmn_id marks a diagram element as done.
DONE_ACTIONS = ("task_completed", "step_completed", "handler_ran", "timer_fired", "message_received")
# Details worth a line in the timeline (the rest is in the API's /history).
SHOWN_DETAILS = ("name", "before", "after", "handler", "message", "definition", "reason", "channel", "target_days",
                 "fields", "content_type", "surface", "matched_by", "kind", "by")


@bp.route("")
@staff_required(READ_COMPLAINTS)
def index():
    """Complaints the signed-in person may see, newest first; a reference jumps straight to it."""
    reference = request.args.get("reference", "").strip().upper()
    if reference:
        return redirect(url_for("complaint_pages.show", reference=reference))
    args = {k: v for k, v in request.args.items() if v != "" and k in ("state", "priority", "q")}
    query = ComplaintQuery(exclude=("limit", "offset")).load(
        {**args, **({"cursor": request.args["cursor"]} if request.args.get("cursor") else {})})
    # A search pages by number within its capped matches; the list by cursor (``page=N``
    # from older links still opens that page).
    page = max(1, bounded_int(request.args.get("page", 1, type=int) or 1, "page") or 1)
    size = current_app.config["INBOX_PAGE_SIZE"]
    found = service.list_complaints(me(), **query, limit=size, offset=(page - 1) * size)

    def link(**position):
        return url_for("complaint_pages.index", **args, **{k: v for k, v in position.items() if v is not None})

    if "offsets" in found.extra:
        before, after = found.extra["offsets"]
        prev_link = link(page=before // size + 1) if before is not None else None
        next_link = link(page=after // size + 1) if after is not None else None
    else:
        prev_link = link(cursor=found.prev) if found.prev else None
        next_link = link(cursor=found.next) if found.next else None
    return render_template("complaints.html", items=found.items, total=found.total, capped=found.capped,
                           searched=bool(query.get("q")), total_shown=paging.shown(found.total, found.capped),
                           prev_link=prev_link, next_link=next_link, first_link=link() if prev_link else None,
                           query=query, priorities=PRIORITIES,
                           with_incident=instances.open_incident_complaints({c.id for c in found.items}))


# Staff entry of a complaint that came by phone, letter, in person... (ISO 10002 4.5, 7.2)
CHANNEL_CHOICES = (("phone", "Phone"), ("letter", "Letter"), ("email", "Email"), ("in_person", "In person"),
                   ("social_media", "Social media"))
ENTRY_FIELDS = PUBLIC_FIELDS[:3] + ("postal_address", "preferred_contact", "channel") + tuple(
    f for f in PUBLIC_FIELDS[3:] if f != "preferred_contact")
ENTRY_MESSAGES = {**PUBLIC_MESSAGES, "name": "Enter the complainant's name.",
                  "email": "Enter the complainant's email address, like name@example.com, or their postal address.",
                  "postal_address": "Keep the postal address under 1,000 characters.",
                  "description": "Say what went wrong, in their words as far as you can.",
                  "channel": "Choose how the complaint reached us."}


@bp.route("/new", methods=["GET", "POST"])
@staff_required(ENTER_COMPLAINTS)
def new():
    """Record a complaint that reached us another way than the web form. The person who
    enters it is recorded (and never becomes its investigator)."""
    values = {name: request.form.get(name, "") for name in ENTRY_FIELDS}
    errors = {}
    if request.method == "POST":
        answers = {k: v.strip() for k, v in values.items() if v.strip()}
        problems = {} if "channel" in answers else {"channel": ["required"]}
        try:
            data = StaffComplaintIn().load(answers)
        except ValidationError as err:
            problems.update(err.messages)
        errors = {name: ENTRY_MESSAGES.get(name, "Check this answer.") for name in ENTRY_FIELDS if name in problems}
        if not errors:
            complaint, _token = run_change(service.submit, data, me().name)
            # The reference only: the session cookie is signed, not encrypted, so it never
            # holds the complainant's token or code (the page reads them from the complaint).
            session["recorded"] = {"reference": complaint.reference}
            return redirect(url_for("complaint_pages.recorded"))
    return render_template("complaint_new.html", values=values, errors=errors, fields=ENTRY_FIELDS,
                           contact_choices=CONTACT_CHOICES, channel_choices=CHANNEL_CHOICES), (400 if errors else 200)


@bp.route("/new/recorded")
@staff_required(ENTER_COMPLAINTS)
def recorded():
    """The reference, the complainant's status code and status link, to read out or put in
    a letter."""
    entry = session.get("recorded")
    if not entry:
        return redirect(url_for("complaint_pages.index"))
    complaint = service.get_by_reference(entry["reference"])
    if complaint.entered_by != me().name:
        return redirect(url_for("complaint_pages.index"))
    status_url = links.status_link(complaint.reference, links.status_token(complaint))
    return render_template("complaint_recorded.html", reference=complaint.reference,
                           code=status_code.display(complaint.status_code or ""), status_url=status_url)


def _load(reference):
    complaint = service.get_by_reference(reference)
    service.check_visible(me(), complaint)
    return complaint


@bp.route("/<reference>")
@staff_required(READ_COMPLAINTS)
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
        case_file=case_file.entries(complaint), same_person=service.same_person(complaint, me()),
        attachments=attachments.of_complaint(complaint),
        emails_to_decide=[m for m in inbound.replies_of(complaint) if m.case_message_id is None],
        duplicate_of=staff_actions.duplicate_of(complaint),
        duplicates=staff_actions.duplicates_of(complaint), to_print=letters.to_print(complaint),
        diagram={"available": vendor.available("bpmn-js"), "done": sorted(done), "current": sorted(current),
                 "failed": sorted(i.bpmn_id for i in incidents if i.resolved_at is None and i.bpmn_id)},
        process_state=repair.state(reference, me()) if allows(me(), INSPECT_INSTANCES) and complaint.state == "open"
        and instance.status != "completed" else None,
    )


@bp.route("/<reference>/diagram.bpmn")
@staff_required(READ_COMPLAINTS)
def diagram(reference):
    """The BPMN of the version this complaint runs on, for the diagram viewer."""
    instance = service.instance_of(_load(reference))
    _name, text = main_bpmn(instance.definition)
    return Response(text, mimetype="application/xml")


@bp.route("/<reference>/incidents/<int:incident_id>/retry", methods=["POST"])
@staff_required(MANAGE_INCIDENTS)
def retry(reference, incident_id):
    _load(reference)
    try:
        run_change(instances.retry_incident, incident_id, me().name)
    except AppError as err:
        flash(err.message, "error")
    else:
        flash("The failed step ran again. If it failed once more, the incident below says why.", "success")
    return redirect(url_for("complaint_pages.show", reference=reference) + "#incidents")


@bp.route("/<reference>/attachments", methods=["POST"])
@staff_required(ATTACH_FILES)
def attach(reference):
    """Attach files (evidence the complainant sent by post or email, photos from a visit...)."""
    _load(reference)
    try:
        evidence = received_files()
        if not evidence:
            flash("Choose a file to attach first.", "error")
        else:
            rows = run_change(attachments.attach_as_staff, me(), reference, evidence, "staff_page")
            flash(f"{len(rows)} file{'s' if len(rows) != 1 else ''} attached.", "success")
    except (attachments.FileRefused, Conflict) as err:
        flash(f"Nothing was attached: {err.message}.", "error")
    return redirect(url_for("complaint_pages.show", reference=reference) + "#attachments")


@bp.route("/<reference>/letters/<int:letter_id>.pdf")
@staff_required(READ_COMPLAINTS)
def letter_pdf(reference, letter_id):
    """An email or letter the product wrote for this complaint, as a PDF to print."""
    complaint, message = letters.for_staff(me(), reference, letter_id)
    response = Response(letters.pdf(complaint, message), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{complaint.reference}-{message.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<reference>/letters/<int:letter_id>/posted", methods=["POST"])
@staff_required(RECORD_REPLIES)
def letter_posted(reference, letter_id):
    try:
        run_change(letters.mark_posted, me(), reference, letter_id)
    except Conflict as err:
        flash(err.message, "error")
    else:
        flash("The letter is marked as posted.", "success")
    return redirect(url_for("complaint_pages.show", reference=reference) + "#letters")


@bp.route("/<reference>/attachments/<int:attachment_id>")
@staff_required(READ_COMPLAINTS)
def attachment(reference, attachment_id):
    """One attached file, as a download with safe headers."""
    return downloads.send(downloads.for_staff(me(), reference, attachment_id))
