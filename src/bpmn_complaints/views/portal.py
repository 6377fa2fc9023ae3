"""The public complainant portal: how to complain, the complaint form, the confirmation,
and the status page reached with the reference and the secret token, where the complainant
replies, adds evidence and downloads the files they sent.

The status token never travels in a URL the server sees, so no access log (ours, a proxy's)
keeps it: letters link to ``/status/<ref>#token=...``, a fragment the browser keeps to
itself, and ``static/status.js`` posts it from the page's form (a person without scripts
types the status code into the same form). Once a token or code is shown, the session
remembers the reference for ``STATUS_ACCESS_SECONDS``, never the token or the code; the
session cookie is signed, not encrypted, so it holds nothing that would open the complaint
elsewhere. Links sent before this (``?token=``) still open the page, and the page removes
the token from the address bar."""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from marshmallow import Schema, ValidationError, fields, validate

from .. import status_code
from ..db import run_change
from ..exceptions import Conflict
from ..extensions import limiter
from ..mail import links
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
            _grant(complaint.reference)
            session["submitted"] = {"reference": complaint.reference, "files": len(evidence)}
            return redirect(url_for("portal.received"))
    return render_template("portal/complain.html", values=values, errors=errors, fields=FIELDS + ("files",),
                           contact_choices=CONTACT_CHOICES), (400 if errors else 200)


def _grant(reference: str) -> None:
    """Remember in the session that this browser showed ``reference``'s credential."""
    now = time.time()
    granted = {ref: until for ref, until in session.get("status_access", {}).items() if until > now}
    granted[reference] = now + current_app.config["STATUS_ACCESS_SECONDS"]
    session["status_access"] = dict(sorted(granted.items(), key=lambda item: item[1])[-5:])


def _credential(reference: str) -> str:
    """What opens ``reference`` for this request: the token or code sent with it, else the
    complaint's code when the session was granted it (empty: nothing opens it). A token
    that opens it grants the session."""
    sent = (request.form.get("token") or request.args.get("token") or "").strip()
    if sent:
        service.get_for_complainant(reference, sent)
        _grant(reference.upper())
        return sent
    if session.get("status_access", {}).get(reference.upper(), 0) > time.time():
        _grant(reference.upper())
        return service.code_for_session(reference) or ""
    return ""


@bp.route("/complain/received")
def received():
    submitted = session.get("submitted")
    if not submitted:
        return redirect(url_for("portal.home"))
    complaint = service.get_for_complainant(submitted["reference"], _credential(submitted["reference"]))
    status_url = url_for("portal.status", reference=complaint.reference) + links.token_fragment(
        links.status_token(complaint))
    return render_template("portal/received.html", reference=complaint.reference, status_url=status_url,
                           code=status_code.display(complaint.status_code or ""), files=submitted.get("files", 0))


def _lookup_limit() -> str:
    return current_app.config["STATUS_LOOKUP_RATE_LIMIT"]


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(_lookup_limit, deduct_when=lambda response: response.status_code == 404)
def find_status():
    """The reference and status code typed in (posted, so the code stays out of the URL;
    an old bookmark's query still works), then the complaint's own page."""
    reference = request.values.get("reference", "").strip().upper()
    token = request.values.get("token", "").strip()
    if reference and token:
        service.get_for_complainant(reference, token)
        _grant(reference)
        return redirect(url_for("portal.status", reference=reference), 303)
    return render_template("portal/find_status.html", reference=reference)


def _status_page(reference: str, token: str, **kept):
    """The status page; ``kept`` carries what a refused reply form had (its comment, the error)."""
    return render_template("portal/status.html", complaint=service.public_status(reference, token),
                           attachments=attachments.for_complainant(reference, token), **kept)


@bp.route("/status/<reference>", methods=["GET", "POST"])
@limiter.limit(_lookup_limit, deduct_when=lambda response: response.status_code == 404)
def status(reference):
    """With a credential (posted by the page's form, or an old link's query) or a granted
    session, the status page; without, the form that asks for the code (401)."""
    credential = _credential(reference)
    if request.method == "POST":
        return redirect(url_for("portal.status", reference=reference.upper()), 303)
    if not credential:
        return render_template("portal/open_status.html", reference=reference.upper()), 401
    return _status_page(reference, credential)


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
    token = _credential(reference)
    service.get_for_complainant(reference, token)
    choice = REPLIES.get(request.form.get("choice", ""))
    if choice is None:
        flash("Choose one of the buttons.", "error")
        return redirect(url_for("portal.status", reference=reference))
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
    return redirect(url_for("portal.status", reference=reference))


@bp.route("/status/<reference>/attachments", methods=["POST"])
@limiter.limit(_submit_limit)
def add_evidence(reference):
    """The status page's "Add evidence" form, authenticated by the session (or a token)."""
    token = _credential(reference)
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
    return redirect(url_for("portal.status", reference=reference) + "#evidence")


@bp.route("/status/<reference>/attachments/<int:attachment_id>")
def attachment(reference, attachment_id):
    """One of the complainant's own files, as a download."""
    return downloads.send(downloads.for_complainant(reference, _credential(reference), attachment_id))


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
