"""``close_complaint``: record the closure and its reason code (ISO 10002 7.9)."""

from typing import Any

from .registry import handler
from .spec import HandlerContext, HandlerIncident


@handler("close_complaint", inline=True)  # pure and fast: closes the complaint row, no outside I/O
def close_complaint(ctx: HandlerContext) -> dict[str, Any]:
    reason = ctx.params.get("reason")
    if not reason or not isinstance(reason, str):
        raise HandlerIncident("close_complaint needs a 'reason' parameter (a closure reason code)")
    ctx.services.close_complaint(reason)
    return {"reason": reason, "closed_at": ctx.services.now().isoformat()}
