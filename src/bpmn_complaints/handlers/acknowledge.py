"""``acknowledge``: acknowledge receipt (ISO 10002 7.4) by email to the complainant.

Parameters: ``target_days`` (business days to the response, default 20).

The email gives the reference and the status code, the next steps, the expected
response date on the business calendar, and the status link (which opens the status page
at any step: its token is derived from the code).
"""

from typing import Any

from .mailing import complaint_of, sent_record
from .registry import handler
from .spec import HandlerContext


@handler("acknowledge", inline=True, personal_data=True)  # pure, fast: queues mail; needs the address
def acknowledge(ctx: HandlerContext) -> dict[str, Any]:
    complaint = complaint_of(ctx, "acknowledge")
    target_days = int(ctx.params.get("target_days") or 20)
    now = ctx.services.now()
    expected = ctx.services.calendar().add_business_days(now, target_days)
    message = ctx.services.email(
        complaint.email, "acknowledgement", reference=complaint.reference, received_at=complaint.received_at,
        expected_response_by=expected, target_days=target_days, status_link=ctx.services.status_link(),
    )
    sent = sent_record(message)
    ctx.services.record("acknowledged", expected_response_by=expected.isoformat(), **sent)
    return {"acknowledged_at": now.isoformat(), "expected_response_by": expected.isoformat(),
            "message_id": message.message_id}
