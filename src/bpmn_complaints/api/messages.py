"""Messages to a running complaint, correlated by its reference."""

from ..db import run_change
from ..exceptions import Forbidden
from ..policy import SEND_MESSAGES, allows
from ..schemas.resources import MessageIn, MessageOut
from ..services import complaints
from ..services import instances as service
from .auth import current_user
from .blueprint import Blueprint

bp = Blueprint("messages", __name__, url_prefix="/api/messages", description="Messages")


@bp.route("/<name>", methods=["POST"])
@bp.arguments(MessageIn)
@bp.response(200, MessageOut)
def send(body, name):
    """Send message ``name`` (e.g. ``complainant_reply``) to the complaint with
    ``reference``. Complainants authenticate with their status token and may send only
    ``complainant_*`` messages; staff use their bearer token."""
    if body.get("token"):
        complaints.get_for_complainant(body["reference"], body["token"])
        if not name.startswith("complainant_"):
            raise Forbidden("complainants may only send complainant_* messages")
        actor = "complainant"
    else:
        user = current_user()
        if not allows(user, SEND_MESSAGES):
            raise Forbidden("this needs a staff role or the complaint's status token")
        complaints.check_visible(user, complaints.get_by_reference(body["reference"]))
        actor = user.name
    run_change(service.send_message, body["reference"], name, body["payload"], actor)
    complaint = complaints.get_by_reference(body["reference"])
    return {"reference": complaint.reference, "message": name, "status": complaint.status}
