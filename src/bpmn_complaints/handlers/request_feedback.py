"""``request_feedback``: the closing letter, with the satisfaction survey link (ISO 10002
7.9, 8.3). It says how the complaint ended: a withdrawal is confirmed, and otherwise the
action recorded (``action_taken`` and ``action_completed_on`` in the task data, as the
shipped ``Task_record_action`` records them) is what we did.

The link is ``FEEDBACK_SURVEY_URL`` (or ``PUBLIC_BASE_URL/feedback/<reference>``) with a
signature that only fits this complaint (see :func:`bpmn_complaints.mail.links.verify_feedback_signature`).
"""

from typing import Any

from .mailing import complaint_of, field, sent_record
from .registry import handler
from .spec import HandlerContext


@handler("request_feedback", inline=True, personal_data=True)  # pure, fast: queues mail; needs the address
def request_feedback(ctx: HandlerContext) -> dict[str, Any]:
    complaint = complaint_of(ctx, "request_feedback")
    message = ctx.services.email(
        complaint.email, "feedback_request", reference=complaint.reference, survey_link=ctx.services.feedback_link(),
        status_link=ctx.services.status_link(), withdrawn=complaint.closure_reason == "withdrawn",
        closed_at=complaint.closed_at or ctx.services.now(), action_taken=field(ctx, "action_taken"),
        action_completed_on=field(ctx, "action_completed_on"))
    ctx.services.record("feedback_requested", task=ctx.task.bpmn_id, **sent_record(message))
    return {"requested_at": ctx.services.now().isoformat(), "message_id": message.message_id}
