"""A supervisor's repairs from the complaint page (set a variable, move a waiting token,
cancel), each with a reason, through the same service as the API."""

import json

from flask import Blueprint, flash, redirect, request, url_for

from ..db import run_change
from ..exceptions import AppError
from ..policy import REPAIR_INSTANCES
from ..services import repair as service
from .auth import me, staff_required

bp = Blueprint("repair_pages", __name__, url_prefix="/complaints")


def _back(reference):
    return redirect(url_for("complaint_pages.show", reference=reference) + "#repair")


def _do(reference, done: str, change, *args):
    try:
        run_change(change, reference, me(), *args)
    except AppError as err:
        flash(err.message, "error")
    else:
        flash(done, "success")
    return _back(reference)


def _value(text: str):
    """A form's value as JSON when it reads as JSON (numbers, true, null, "quoted"), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@bp.route("/<reference>/repair/variable", methods=["POST"])
@staff_required(REPAIR_INSTANCES)
def set_variable(reference):
    form = request.form
    return _do(reference, "The variable is set.", service.set_variable, form.get("name", "").strip(),
               _value(form.get("value", "")), form.get("reason"))


@bp.route("/<reference>/repair/move", methods=["POST"])
@staff_required(REPAIR_INSTANCES)
def move_token(reference):
    form = request.form
    return _do(reference, "The process moved.", service.move_token, form.get("from", ""), form.get("to", "").strip(),
               form.get("reason"))


@bp.route("/<reference>/repair/cancel", methods=["POST"])
@staff_required(REPAIR_INSTANCES)
def cancel(reference):
    return _do(reference, "The complaint is cancelled.", service.cancel, request.form.get("reason"))
