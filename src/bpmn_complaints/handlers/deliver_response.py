"""``deliver_response``: communicate the decision to the complainant (ISO 10002 7.8).

Parameters (each also read from the task data field of the same name when the diagram
does not set it):

* ``kind``: ``decision`` (default), ``final_response`` (after a review; names external
  recourse), ``out_of_scope`` or ``summary_resolution``; it is the email template's name.
* ``decision``, ``explanation``, ``remedy``, ``recourse``: the text of the response.
* ``reply_days``: business days the complainant has to reply, for a diagram whose wait
  for the reply has no timer.

What the letter promises is what the diagram does: it invites a reply only when the
process waits for a message right after this task, and the reply-by date is when the
timer it waits on with it fires (``Event_no_reply`` in the shipped process).

Exactly what was sent is kept: the outbox row holds the rendered subject and both parts,
and the audit trail records its Message-ID and their SHA-256.
"""

from typing import Any

from .mailing import complaint_of, field, sent_record
from .registry import handler
from .spec import HandlerContext, HandlerIncident

KINDS = ("decision", "final_response", "out_of_scope", "summary_resolution")


@handler("deliver_response", inline=True, personal_data=True)  # pure, fast: queues mail; needs the address
def deliver_response(ctx: HandlerContext) -> dict[str, Any]:
    complaint = complaint_of(ctx, "deliver_response")
    kind = ctx.params.get("kind") or "decision"
    if kind not in KINDS:
        raise HandlerIncident(f"deliver_response: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    now = ctx.services.now()
    waits = ctx.task.waits_after
    awaits_reply = bool(waits.messages)
    reply_days = field(ctx, "reply_days")
    if not awaits_reply:
        reply_by = None
    elif waits.timers:
        reply_by = waits.timers[0]
    else:
        reply_by = ctx.services.calendar().add_business_days(now, int(reply_days)) if reply_days else None
    message = ctx.services.email(
        complaint.email, kind, reference=complaint.reference, reply_by=reply_by, awaits_reply=awaits_reply,
        status_link=ctx.services.status_link(),
        **{name: field(ctx, name) for name in ("decision", "explanation", "remedy", "recourse")},
    )
    sent = sent_record(message)
    promised = reply_by.isoformat() if reply_by else None
    ctx.services.record("response_delivered", kind=kind, task=ctx.task.bpmn_id, reply_by=promised,
                        awaits_reply=awaits_reply, **sent)
    return {"kind": kind, "delivered_at": now.isoformat(), "message_id": message.message_id,
            "sha256": sent["sha256"], "reply_by": promised, "awaits_reply": awaits_reply}
