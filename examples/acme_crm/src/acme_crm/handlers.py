"""``crm_update``: tell ACME's CRM where a complaint stands.

A diagram uses it as a service task::

    <spiffworkflow:serviceTaskOperator id="crm_update" resultVariable="crm">
      <spiffworkflow:parameters>
        <spiffworkflow:parameter id="status" type="str" value="'received'"/>
      </spiffworkflow:parameters>
    </spiffworkflow:serviceTaskOperator>

The worker calls it outside any transaction, under its timeout, so a real package could
call the CRM here (sending ``ctx.idempotency_key`` so a retry is harmless, and reading its
URL and token from ``ctx.config``, i.e. ``COMPLAINTS_PLUGIN_ACME_CRM_HANDLERS_*``). This one
only works out the update and returns it (stored in the task data as ``crm``).
"""

import hashlib

from bpmn_complaints.handlers import HandlerContext, HandlerIncident, RetryLater

STATUSES = ("received", "investigating", "resolved", "closed")


def crm_update(ctx: HandlerContext) -> dict:
    """Describe the CRM update for this complaint and step.

    :raises HandlerIncident: if the diagram passes a status the CRM does not know.
    :raises RetryLater: if the complaint has no reference yet (it always has one once
        submitted; this shows the transient error class).
    """
    status = ctx.params.get("status")
    if status not in STATUSES:
        raise HandlerIncident(f"crm_update: status must be one of {', '.join(STATUSES)}, not {status!r}")
    if ctx.complaint is None or not ctx.complaint.reference:
        raise RetryLater("the complaint has no reference yet", delay=30)
    reference = ctx.complaint.reference
    update_id = hashlib.sha256(f"{reference}:{ctx.task.bpmn_id}:{status}".encode()).hexdigest()[:16]
    return {"case": f"ACME-{reference}", "status": status, "update_id": update_id,
            "category": ctx.complaint.category}
