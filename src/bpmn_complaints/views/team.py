"""The team page: workload per person (ISO 10002 4.3, 4.14), for supervisors."""

from flask import Blueprint, render_template

from ..api.workload import SUPERVISORS
from ..services.workload import workload
from .auth import staff_required

bp = Blueprint("team_pages", __name__, url_prefix="/team")


@bp.route("")
@staff_required(*SUPERVISORS)
def index():
    return render_template("team.html", load=workload())
