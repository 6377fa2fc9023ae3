"""The incidents page: every open incident (a failed step the engine ran, or a person's
change that was rolled back), with its complaint, element and reason, and a retry."""

from flask import Blueprint, flash, redirect, render_template, url_for

from ..db import run_change
from ..exceptions import AppError
from ..policy import MANAGE_INCIDENTS, READ_INCIDENTS
from ..services import instances
from .auth import me, staff_required

bp = Blueprint("incident_pages", __name__, url_prefix="/incidents")


@bp.route("")
@staff_required(READ_INCIDENTS)
def index():
    return render_template("incidents.html", incidents=instances.list_incidents())


@bp.route("/<int:incident_id>/retry", methods=["POST"])
@staff_required(MANAGE_INCIDENTS)
def retry(incident_id):
    try:
        run_change(instances.retry_incident, incident_id, me().name)
    except AppError as err:
        flash(err.message, "error")
    else:
        flash("The failed step ran again. If it failed once more, the incident says why.", "success")
    return redirect(url_for("incident_pages.index"))
