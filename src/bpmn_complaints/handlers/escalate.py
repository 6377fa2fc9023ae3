"""``escalate``: email the supervisors that a complaint needs them.

Parameters: ``to_group`` (default ``supervisors``), ``reason``. Nobody in the group with
an email address is an incident: an escalation nobody hears of is worse than a stop.
"""

from typing import Any

from .mailing import complaint_of, group_addresses, sent_record
from .registry import handler
from .spec import HandlerContext, HandlerIncident


@handler("escalate", inline=True)  # pure and fast: reads our tables, queues mail in the outbox
def escalate(ctx: HandlerContext) -> dict[str, Any]:
    complaint = complaint_of(ctx, "escalate")
    group = ctx.params.get("to_group") or "supervisors"
    reason = ctx.params.get("reason") or "escalated"
    to = group_addresses(ctx, group)
    if not to:
        raise HandlerIncident(f"escalate: nobody in the {group!r} group has an email address")
    message = ctx.services.email(to, "escalation", reference=complaint.reference, group=group, reason=reason,
                                 task_name=ctx.task.name, staff_link=ctx.services.staff_link())
    ctx.services.record("escalated", reason=reason, group=group, task=ctx.task.bpmn_id, **sent_record(message))
    return {"reason": reason, "escalated_at": ctx.services.now().isoformat(), "message_id": message.message_id}
