"""``acknowledge``: acknowledge receipt (ISO 10002 7.4) by email to the complainant.

Parameters: ``target_days`` (business days to the response, default 20).

The email gives the reference, the next steps, the expected response date on the
business calendar, and the status link. When the acknowledgement runs in the
submission's own first step (the usual place: right after the start event) the link
carries the plain status token; later (after a retry, or behind a user task) the token is
gone for good, since only its hash is stored, and the email asks for the token the
complainant was shown at submission instead.
"""

from typing import Any

from .mailing import complaint_of, sent_record
from .registry import handler
from .spec import HandlerContext


@handler("acknowledge")
def acknowledge(ctx: HandlerContext) -> dict[str, Any]:
    complaint = complaint_of(ctx, "acknowledge")
    target_days = int(ctx.params.get("target_days") or 20)
    now = ctx.services.now()
    expected = ctx.services.calendar().add_business_days(now, target_days)
    has_token = ctx.services.status_token() is not None
    message = ctx.services.email(
        complaint.email, "acknowledgement", reference=complaint.reference, received_at=complaint.received_at,
        expected_response_by=expected, target_days=target_days, status_link=ctx.services.status_link(),
        has_token=has_token,
    )
    sent = sent_record(message)
    ctx.services.record("acknowledged", expected_response_by=expected.isoformat(), **sent)
    return {"acknowledged_at": now.isoformat(), "expected_response_by": expected.isoformat(),
            "message_id": message.message_id, "status_link_has_token": has_token}
