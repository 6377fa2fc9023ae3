"""Staff actions on a complaint, as on its page: send the acknowledgement again, close it as
a duplicate of another, reopen a closed one, and turn a reply by email into the
complainant's decision. Each is audited in the complaint's trail."""

from ..db import run_change
from ..policy import MARK_DUPLICATES, RECORD_REPLIES, REOPEN_COMPLAINTS, RESEND_ACKNOWLEDGEMENTS
from ..schemas.staff_actions import ActionDone, DuplicateMark, EmailDecision, Reopening
from ..services import complaints
from ..services import staff_actions as service
from .auth import current_user, require
from .blueprint import Blueprint

bp = Blueprint("complaint_actions_api", __name__, url_prefix="/api/complaints",
               description="Staff actions on a complaint")


def _done(complaint) -> dict:
    return {"reference": complaint.reference, "state": complaint.state, "status": complaint.status,
            "closure_reason": complaint.closure_reason}


# The repairs (api/repair.py) answer with the same body.
done = _done


@bp.route("/<reference>/acknowledgement", methods=["POST"])
@bp.response(200, ActionDone)
@bp.alt_response(409, description="The complaint is closed, or was never acknowledged")
@require(RESEND_ACKNOWLEDGEMENTS)
def resend_acknowledgement(reference):
    """Send the acknowledgement again, to the address on the complaint now, with the
    response date the first one gave."""
    return _done(run_change(service.resend_acknowledgement, reference, current_user()))


@bp.route("/<reference>/duplicate", methods=["POST"])
@bp.arguments(DuplicateMark)
@bp.response(200, ActionDone)
@bp.alt_response(409, description="The complaint is not open, or the two cannot be linked")
@require(MARK_DUPLICATES)
def mark_duplicate(body, reference):
    """Close an open complaint as a duplicate of ``original`` (a reference): its open work
    stops, both complaints link the other, and the complainant is told."""
    return _done(run_change(service.mark_duplicate, reference, current_user(), body["original"],
                            body["note"].strip()))


@bp.route("/<reference>/reopen", methods=["POST"])
@bp.arguments(Reopening)
@bp.response(200, ActionDone)
@bp.alt_response(409, description="The complaint is open or erased, or the process has no reopen path")
@require(REOPEN_COMPLAINTS)
def reopen(body, reference):
    """Reopen a closed complaint for ``reason``: the newest process version runs from its
    ``complaint_reopened`` message start event."""
    return _done(run_change(service.reopen, reference, current_user(), body["reason"].strip()))


@bp.route("/<reference>/emails/<int:mail_id>/decision", methods=["POST"])
@bp.arguments(EmailDecision)
@bp.response(200, ActionDone)
@bp.alt_response(404, description="The complaint received no such email")
@bp.alt_response(409, description="The email was turned into a decision already, or the process does not wait for it")
@require(RECORD_REPLIES)
def decide_from_email(body, reference, mail_id):
    """Turn the reply by email ``mail_id`` into the complainant's decision: ``accept``, or
    ``dissatisfied`` with ``text``, their reason (the email channel's reply)."""
    run_change(service.decide_from_email, reference, current_user(), mail_id, body["kind"], body["text"].strip())
    return _done(complaints.get_by_reference(reference))
