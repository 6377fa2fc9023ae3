"""The team page: workload per person (ISO 10002 4.3, 4.14), for supervisors."""

from flask import Blueprint, render_template

from ..policy import SEE_WORKLOAD
from ..services.workload import workload
from .auth import staff_required

bp = Blueprint("team_pages", __name__, url_prefix="/team")


@bp.route("")
@staff_required(SEE_WORKLOAD)
def index():
    return render_template("team.html", load=workload())
