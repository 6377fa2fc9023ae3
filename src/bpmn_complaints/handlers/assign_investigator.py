"""``assign_investigator``: pick the eligible group member with the lightest workload.

Parameters: ``group`` (default ``investigators``), ``exclude`` (a name or list of names
that may not take it, e.g. the original investigator for a review), ``intake_group``
(default ``intake``).

Conflicts of interest (ISO 10002 4.7) are never eligible: anyone named in the complaint
(or the complainant, matched by email), the person who entered it, whoever worked its
intake tasks, and the ``exclude`` list. Among the rest, members whose skills include the
complaint's category are preferred, then the lowest open workload, then the name (so the
choice is repeatable). Nobody eligible is an incident, never a silent null.
"""

from typing import Any

from .registry import handler
from .spec import HandlerContext, HandlerIncident


def _names(value: object) -> set[str]:
    if not value:
        return set()
    if isinstance(value, (list, tuple, set)):
        return {str(v) for v in value if v}
    return {str(value)}


@handler("assign_investigator", inline=True)  # pure and fast: picks from our tables, no outside I/O
def assign_investigator(ctx: HandlerContext) -> dict[str, Any]:
    group = ctx.params.get("group") or "investigators"
    excluded = _names(ctx.params.get("exclude"))
    complaint = ctx.complaint
    if complaint is not None:
        if complaint.entered_by:
            excluded.add(complaint.entered_by)
        excluded |= ctx.services.task_performers(ctx.params.get("intake_group") or "intake")
    members = ctx.services.group_members(group)
    excluded |= {m.name for m in members if ctx.services.named_in_complaint(m)}
    eligible = [m for m in members if m.name not in excluded]
    if not eligible:
        raise HandlerIncident(f"nobody in the {group!r} group is eligible to investigate "
                              f"(excluded: {', '.join(sorted(excluded)) or 'none'})")
    category = complaint.category if complaint is not None else None
    skilled = [m for m in eligible if category and category in (m.skills or [])]
    pool = skilled or eligible
    workload = ctx.services.open_workload([m.name for m in pool])
    chosen = min(pool, key=lambda m: (workload[m.name], m.name))
    return {"investigator": chosen.name, "workload": workload[chosen.name], "skill_match": bool(skilled),
            "excluded": sorted(excluded)}
