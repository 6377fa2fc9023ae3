"""Messages to a running complaint, correlated by its reference.

A ``complainant_*`` message speaks for the complainant. It comes either from the complainant
(their status token), or from staff recording a reply that reached them by phone, letter,
email or in person: the same named, audited action as on the complaint's page
(:func:`~bpmn_complaints.services.staff_actions.record_reply`, permission ``record_replies``),
so the trail says who recorded it and by which channel. Other messages are staff messages.
"""

from typing import Any

from marshmallow import ValidationError

from ..db import run_change
from ..exceptions import Forbidden
from ..policy import RECORD_REPLIES, SEND_MESSAGES, allows, roles_for
from ..schemas.resources import MessageIn, MessageOut
from ..schemas.staff_actions import RecordedReply
from ..services import complaints, staff_actions
from ..services import instances as service
from .auth import current_user
from .blueprint import Blueprint

bp = Blueprint("messages", __name__, url_prefix="/api/messages", description="Messages")

COMPLAINANT = "complainant_"


@bp.route("/<name>", methods=["POST"])
@bp.arguments(MessageIn)
@bp.response(200, MessageOut)
def send(body, name):
    """Send message ``name`` (e.g. ``complainant_reply``) to the complaint with ``reference``.

    Complainants authenticate with their status token (``token``) and may send only
    ``complainant_*`` messages. Staff send a ``complainant_*`` message only to record a reply
    the complainant gave them, with the ``channel`` it came by (roles: staff, supervisor);
    other messages need a bearer token of a role that may send messages."""
    reference = body["reference"]
    if body.get("token"):
        complaints.get_for_complainant(reference, body["token"])
        if not name.startswith(COMPLAINANT):
            raise Forbidden("complainants may only send complainant_* messages")
        run_change(service.send_message, reference, name, body["payload"], "complainant",
                   correlation_key=body["correlation_key"])
    elif name.startswith(COMPLAINANT):
        user = current_user()
        if not allows(user, RECORD_REPLIES):
            raise Forbidden("only the complainant's status token, or staff recording a reply they received "
                            f"(roles: {', '.join(roles_for(RECORD_REPLIES))}), may send complainant_* messages")
        reply = RecordedReply().load(_recorded_reply(name, body))
        run_change(staff_actions.record_reply, reference, user, reply["kind"], reply["text"].strip(),
                   reply["channel"])
    else:
        user = current_user()
        if not allows(user, SEND_MESSAGES):
            raise Forbidden(f"this needs one of the roles: {', '.join(roles_for(SEND_MESSAGES))}")
        complaints.check_visible(user, complaints.get_by_reference(reference))
        run_change(service.send_message, reference, name, body["payload"], user.name,
                   correlation_key=body["correlation_key"])
    complaint = complaints.get_by_reference(reference)
    return {"reference": complaint.reference, "message": name, "status": complaint.status}


def _recorded_reply(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The complaint page's reply form for message ``name`` with ``body``'s payload."""
    payload = body["payload"]
    kinds = {(message, accepted): kind for kind, (message, accepted) in staff_actions.REPLIES.items()}
    if name not in {message for message, _ in kinds}:
        raise ValidationError({"name": [f"staff record only {', '.join(sorted({m for m, _ in kinds}))}"]})
    accepted = payload.get("accepted") if (name, None) not in kinds else None
    if (name, accepted) not in kinds:
        raise ValidationError({"accepted": ["say whether the complainant accepts the decision: true or false"]})
    return {"kind": kinds[(name, accepted)], "channel": body.get("channel"), "text": payload.get("comment", "")}
