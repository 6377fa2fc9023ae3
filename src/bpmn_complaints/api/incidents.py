"""Incidents: failed service tasks and jobs, and retrying them."""

from ..db import run_change
from ..policy import MANAGE_INCIDENTS, READ_INCIDENTS
from ..schemas.resources import IncidentOut
from ..services import instances as service
from .auth import current_user, require
from .blueprint import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/api/incidents", description="Incidents")


@bp.route("", methods=["GET"])
@bp.response(200, IncidentOut(many=True))
@require(READ_INCIDENTS)
def list_incidents():
    """Open incidents."""
    return service.list_incidents()


@bp.route("/<int:incident_id>/retry", methods=["POST"])
@bp.response(200, IncidentOut)
@require(MANAGE_INCIDENTS)
def retry(incident_id):
    """Run the failed task again."""
    return run_change(service.retry_incident, incident_id, current_user().name)
