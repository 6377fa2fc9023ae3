"""The staff actions on a complaint's page: record a reply that came by phone, letter,
email or in person, turn a reply that came by email into the complainant's decision,
correct the complainant's contact details, send the acknowledgement again, close a
complaint as a duplicate, and reopen a closed one."""

from flask import Blueprint, flash, redirect, request, url_for
from marshmallow import ValidationError

from ..db import run_change
from ..exceptions import Conflict, NotFound
from ..policy import MARK_DUPLICATES, READ_COMPLAINTS, REOPEN_COMPLAINTS, RESEND_ACKNOWLEDGEMENTS
from ..schemas.staff_actions import ContactCorrection, DuplicateMark, EmailDecision, RecordedReply, Reopening
from ..services import staff_actions as service
from .auth import me, staff_required

bp = Blueprint("complaint_actions", __name__, url_prefix="/complaints")


def _back(reference: str, anchor: str = ""):
    return redirect(url_for("complaint_pages.show", reference=reference) + anchor)


def _problems(err: ValidationError) -> str:
    return "; ".join(f"{name.replace('_', ' ')}: {' '.join(m)}" for name, m in err.normalized_messages().items())


@bp.route("/<reference>/reply", methods=["POST"])
@staff_required(READ_COMPLAINTS)
def record_reply(reference):
    try:
        form = RecordedReply().load(request.form)
    except ValidationError as err:
        flash(f"The reply was not recorded: {_problems(err)}", "error")
        return _back(reference, "#record-reply")
    try:
        run_change(service.record_reply, reference, me(), form["kind"], form["text"].strip(), form["channel"])
    except Conflict as err:
        flash(f"The reply was not recorded: {err.message}", "error")
    else:
        flash("The complainant's reply is recorded, and the process has moved on.", "success")
    return _back(reference)


@bp.route("/<reference>/emails/<int:mail_id>/decision", methods=["POST"])
@staff_required(READ_COMPLAINTS)
def decide_from_email(reference, mail_id):
    try:
        form = EmailDecision().load(request.form)
        run_change(service.decide_from_email, reference, me(), mail_id, form["kind"], form["text"].strip())
    except ValidationError as err:
        flash(f"The reply was not recorded: {_problems(err)}", "error")
        return _back(reference, f"#email-{mail_id}")
    except (Conflict, NotFound) as err:
        flash(f"The reply was not recorded: {err.message}", "error")
        return _back(reference, f"#email-{mail_id}")
    flash("The email is recorded as the complainant's decision, and the process has moved on.", "success")
    return _back(reference)


@bp.route("/<reference>/contact", methods=["POST"])
@staff_required(READ_COMPLAINTS)
def correct_contact(reference):
    try:
        form = ContactCorrection().load({k: v.strip() or None for k, v in request.form.items()})
    except ValidationError as err:
        flash(f"The contact details were not changed: {_problems(err)}", "error")
        return _back(reference, "#contact")
    changed = run_change(service.correct_contact, reference, me(), form)
    flash(f"Corrected: {', '.join(f.replace('_', ' ') for f in changed)}." if changed else "Nothing changed.",
          "success")
    return _back(reference)


@bp.route("/<reference>/acknowledgement", methods=["POST"])
@staff_required(RESEND_ACKNOWLEDGEMENTS)
def resend_acknowledgement(reference):
    try:
        run_change(service.resend_acknowledgement, reference, me())
    except Conflict as err:
        flash(f"The acknowledgement was not sent: {err.message}", "error")
    else:
        flash("The acknowledgement is on its way again.", "success")
    return _back(reference)


@bp.route("/<reference>/duplicate", methods=["POST"])
@staff_required(MARK_DUPLICATES)
def mark_duplicate(reference):
    try:
        form = DuplicateMark().load(request.form)
        run_change(service.mark_duplicate, reference, me(), form["original"], form["note"].strip())
    except ValidationError as err:
        flash(f"The complaint was not closed: {_problems(err)}", "error")
        return _back(reference, "#duplicate")
    except (Conflict, NotFound) as err:
        flash(f"The complaint was not closed: {err.message}", "error")
        return _back(reference, "#duplicate")
    flash(f"Closed as a duplicate of {form['original'].strip().upper()}.", "success")
    return _back(reference)


@bp.route("/<reference>/reopen", methods=["POST"])
@staff_required(REOPEN_COMPLAINTS)
def reopen(reference):
    try:
        form = Reopening().load({"reason": request.form.get("reason", "").strip()})
        run_change(service.reopen, reference, me(), form["reason"])
    except ValidationError as err:
        flash(f"The complaint was not reopened: {_problems(err)}", "error")
        return _back(reference, "#reopen")
    except Conflict as err:
        flash(f"The complaint was not reopened: {err.message}", "error")
        return _back(reference, "#reopen")
    flash("The complaint is open again; a supervisor assesses it next.", "success")
    return _back(reference)
