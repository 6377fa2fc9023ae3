"""The REST API under ``/api``; the OpenAPI document is ``/api/openapi.json``."""

from . import (
    attachments,
    audit_sample,
    complaint_actions,
    complaints,
    definitions,
    drafts,
    editor,
    external_tasks,
    handlers,
    inbound,
    incidents,
    messages,
    outbox,
    repair,
    reports,
    tasks,
    workload,
)


def register(api) -> None:
    for module in (complaints, complaint_actions, attachments, tasks, drafts, definitions, editor, messages, incidents,
                   external_tasks, handlers, repair, outbox, inbound, reports, audit_sample, workload):
        api.register_blueprint(module.bp)
    api.spec.options["security"] = [{"bearerAuth": []}]
