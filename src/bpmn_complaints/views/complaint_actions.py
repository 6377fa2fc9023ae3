"""The staff actions on a complaint's page: record a reply that came by phone, letter,
email or in person, and correct the complainant's contact details."""

from flask import Blueprint, flash, redirect, request, url_for
from marshmallow import ValidationError

from ..db import run_change
from ..exceptions import Conflict
from ..policy import READ_COMPLAINTS
from ..schemas.staff_actions import ContactCorrection, RecordedReply
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
