"""The public complainant portal: how to complain, the complaint form, the confirmation,
and the status page reached with the reference and the secret token, where the complainant
replies, adds evidence and downloads the files they sent."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from marshmallow import Schema, ValidationError, fields, validate

from .. import status_code
from ..db import run_change
from ..exceptions import Conflict
from ..extensions import limiter
from ..schemas.resources import ComplaintIn
from ..services import attachments, downloads, instances
from ..services import complaints as service

bp = Blueprint("portal", __name__)

FIELDS = ("name", "email", "phone", "product", "description", "remedy_sought", "preferred_contact")
# Plain-language messages (what to do, not what went wrong), in the order of the form.
MESSAGES = {
    "name": "Enter your name.",
    "email": "Enter your email address, like name@example.com.",
    "phone": "Enter a phone number of up to 40 characters.",
    "product": "Enter the product or service in up to 200 characters.",
    "description": "Tell us what went wrong.",
    "remedy_sought": "Shorten what you would like us to do to 5,000 characters or fewer.",
    "preferred_contact": "Choose how you would like us to contact you.",
}
CONTACT_CHOICES = (("email", "Email"), ("phone", "Phone"), ("letter", "Letter"))
REPLIES = {
    "accept": ("complainant_reply", True, "Thank you. We have recorded that you accept our decision."),
    "dissatisfied": ("complainant_reply", False,
                     "Thank you. We have recorded that you are not satisfied, and we will review your complaint."),
    "withdraw": ("complainant_withdrew", None, "Your complaint has been withdrawn. We will not take it further."),
}


def _submit_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


def received_files() -> list[attachments.Evidence]:
    """The files of this request's form, checked (every file part, whatever its field name).

    :raises attachments.FileRefused: for a file too large, of a type we do not take, or one too many.
    """
    return attachments.receive(f for _, f in request.files.items(multi=True))


@bp.app_template_global()
def file_limits() -> dict:
    return attachments.limits()


@bp.app_template_filter("file_kind")
def _file_kind(content_type: str) -> str:
    return attachments.label(content_type)


@bp.app_template_filter("filesize")
def _filesize(size: int) -> str:
    for unit, step in (("MB", 1024 * 1024), ("kB", 1024)):
        if size >= step:
            return f"{size / step:.3g} {unit}"
    return f"{size} bytes"


@bp.route("/")
def home():
    return render_template("portal/home.html", assessment_days=current_app.config["TARGET_ASSESSMENT_DAYS"],
                           response_days=current_app.config["TARGET_RESPONSE_DAYS"])


@bp.route("/complain", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"])
def complain():
    values = {name: request.form.get(name, "") for name in FIELDS}
    errors = {}
    if request.method == "POST":
        data, evidence = None, []
        try:
            data = ComplaintIn().load({k: v.strip() for k, v in values.items() if v.strip()})
        except ValidationError as err:
            errors = {name: MESSAGES.get(name, "Check this answer.") for name in FIELDS if name in err.messages}
        try:
            evidence = received_files()
        except attachments.FileRefused as err:
            errors["files"] = err.message + "."
        if data is not None and not errors:
            complaint, token = run_change(attachments.submit_with_evidence, {**data, "channel": "web"}, None,
                                          evidence, "complaint_form")
            session["submitted"] = {"reference": complaint.reference, "token": token,
                                    "code": status_code.display(complaint.status_code or ""), "files": len(evidence)}
            return redirect(url_for("portal.received"))
    return render_template("portal/complain.html", values=values, errors=errors, fields=FIELDS + ("files",),
                           contact_choices=CONTACT_CHOICES), (400 if errors else 200)


@bp.route("/complain/received")
def received():
    submitted = session.get("submitted")
    if not submitted:
        return redirect(url_for("portal.home"))
    status_url = url_for("portal.status", reference=submitted["reference"], token=submitted["token"])
    return render_template("portal/received.html", reference=submitted["reference"], status_url=status_url,
                           code=submitted.get("code", ""), files=submitted.get("files", 0))


@bp.route("/status", methods=["GET"])
def find_status():
    reference = request.args.get("reference", "").strip().upper()
    token = request.args.get("token", "").strip()
    if reference and token:
        return redirect(url_for("portal.status", reference=reference, token=token))
    return render_template("portal/find_status.html", reference=reference)


def _status_page(reference: str, token: str, **kept):
    """The status page; ``kept`` carries what a refused reply form had (its comment, the error)."""
    return render_template("portal/status.html", complaint=service.public_status(reference, token), token=token,
                           attachments=attachments.for_complainant(reference, token), **kept)


def _lookup_limit() -> str:
    return current_app.config["STATUS_LOOKUP_RATE_LIMIT"]


@bp.route("/status/<reference>")
@limiter.limit(_lookup_limit, deduct_when=lambda response: response.status_code == 404)
def status(reference):
    return _status_page(reference, request.args.get("token", ""))


def _attach(reference: str, token: str, evidence: list, surface: str) -> None:
    try:
        rows = run_change(attachments.attach_as_complainant, reference, token, evidence, surface)
    except (attachments.FileRefused, Conflict) as err:
        flash(f"We could not add your files: {err.message}.", "error")
        return
    if rows:
        flash(f"Thank you. We have added {len(rows)} file{'s' if len(rows) != 1 else ''} to your complaint.",
              "success")
    else:
        flash("Thank you. We have these files already.", "success")


@bp.route("/status/<reference>/reply", methods=["POST"])
@limiter.limit(_submit_limit)
def reply(reference):
    token = request.form.get("token", "")
    service.get_for_complainant(reference, token)
    choice = REPLIES.get(request.form.get("choice", ""))
    if choice is None:
        flash("Choose one of the buttons.", "error")
        return redirect(url_for("portal.status", reference=reference, token=token))
    name, accepted, thanks = choice
    comment = request.form.get("comment", "").strip()[:5000]
    try:
        evidence = received_files()
    except attachments.FileRefused as err:
        # Nothing was sent: show the form again with what they wrote.
        return _status_page(reference, token, reply_comment=comment, reply_error=err.message + "."), 400
    payload = {"comment": comment} if accepted is None else {"accepted": accepted, "comment": comment}
    try:
        run_change(instances.send_message, reference, name, payload, "complainant")
    except Conflict:
        flash("We could not record that just now, because your complaint is not at a stage where it applies. "
              "The page below shows where it is. If you need help, reply to our last email.", "error")
    else:
        flash(thanks, "success")
        if evidence:
            _attach(reference, token, evidence, "reply")
    return redirect(url_for("portal.status", reference=reference, token=token))


@bp.route("/status/<reference>/attachments", methods=["POST"])
@limiter.limit(_submit_limit)
def add_evidence(reference):
    """The status page's "Add evidence" form, authenticated by the reference and token."""
    token = request.form.get("token", "")
    service.get_for_complainant(reference, token)
    try:
        evidence = received_files()
    except attachments.FileRefused as err:
        flash(f"We could not add your files: {err.message}.", "error")
    else:
        if evidence:
            _attach(reference, token, evidence, "status_page")
        else:
            flash("Choose a file to add first.", "error")
    return redirect(url_for("portal.status", reference=reference, token=token) + "#evidence")


@bp.route("/status/<reference>/attachments/<int:attachment_id>")
def attachment(reference, attachment_id):
    """One of the complainant's own files, as a download."""
    token = request.args.get("token", "")
    return downloads.send(downloads.for_complainant(reference, token, attachment_id))


class FeedbackIn(Schema):
    satisfaction = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    resolved = fields.String(required=True, validate=validate.OneOf(service.RESOLVED_ANSWERS))
    comment = fields.String(load_default=None, validate=validate.Length(max=5000))


SATISFACTION_CHOICES = ((5, "Very satisfied"), (4, "Satisfied"), (3, "Neither satisfied nor dissatisfied"),
                        (2, "Dissatisfied"), (1, "Very dissatisfied"))
RESOLVED_CHOICES = (("yes", "Yes"), ("partly", "Partly"), ("no", "No"))
FEEDBACK_MESSAGES = {"satisfaction": "Choose how satisfied you are.", "resolved": "Choose whether we resolved it.",
                     "comment": "Shorten your comment to 5,000 characters or fewer."}


@bp.route("/feedback/<reference>", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"])
def feedback(reference):
    """The satisfaction survey (ISO 10002 8.3), reached from the link in our email."""
    signature = request.values.get("sig", "")
    state = service.feedback_status(reference, signature)
    values = {name: request.form.get(name, "") for name in ("satisfaction", "resolved", "comment")}
    errors = {}
    if request.method == "POST" and state["closed"] and not state["answered"]:
        try:
            data = FeedbackIn().load({k: v for k, v in values.items() if v.strip()})
        except ValidationError as err:
            errors = {name: FEEDBACK_MESSAGES[name] for name in FEEDBACK_MESSAGES if name in err.messages}
        else:
            run_change(service.record_feedback, reference, signature, **data)
            state["answered"] = True
            flash("Thank you for your feedback. It helps us improve.", "success")
    return render_template("portal/feedback.html", state=state, signature=signature, values=values,
                           errors=errors, satisfaction_choices=SATISFACTION_CHOICES,
                           resolved_choices=RESOLVED_CHOICES), (400 if errors else 200)
