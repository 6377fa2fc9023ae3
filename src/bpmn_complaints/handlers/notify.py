"""``notify``: a generic templated email.

Parameters: ``template`` (default ``notification``; any template in the email folders),
``to`` (an address or a list), ``to_group`` (a group's members), ``to_complainant``
(true/false), ``title`` and ``message`` (the text, for the generic template). With no
recipient named, the group of the service task's lane is told.

A notification is for information: when nobody it names has an email address, it is
recorded in the audit trail as not sent, and the process goes on.
"""

from typing import Any

from .mailing import group_addresses, sent_record
from .registry import handler
from .spec import HandlerContext


def _recipients(ctx: HandlerContext) -> list[str]:
    to = ctx.params.get("to") or []
    addresses = set([to] if isinstance(to, str) else to)
    group = ctx.params.get("to_group")
    if not (addresses or group or ctx.params.get("to_complainant")):
        group = ctx.task.lane
    if group:
        addresses.update(group_addresses(ctx, group))
    if ctx.params.get("to_complainant") and ctx.complaint is not None:
        addresses.add(ctx.complaint.email)
    return sorted(a for a in addresses if a)


@handler("notify", inline=True, personal_data=True)  # pure, fast: queues mail; needs the address
def notify(ctx: HandlerContext) -> dict[str, Any]:
    template = ctx.params.get("template") or "notification"
    to = _recipients(ctx)
    at = ctx.services.now().isoformat()
    if not to:
        ctx.services.record("notified", template=template, sent=False, reason="no recipient has an email address",
                            task=ctx.task.bpmn_id)
        return {"template": template, "at": at, "message_id": None}
    reference = ctx.complaint.reference if ctx.complaint is not None else ""
    message = ctx.services.email(to, template, reference=reference, task_name=ctx.task.name,
                                 title=ctx.params.get("title"), message=ctx.params.get("message"),
                                 staff_link=(ctx.services.staff_link() if reference
                                             else ctx.services.setting("PUBLIC_BASE_URL")))
    ctx.services.record("notified", sent=True, task=ctx.task.bpmn_id, **sent_record(message))
    return {"template": template, "at": at, "message_id": message.message_id}
