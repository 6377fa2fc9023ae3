"""The auditor's sample as plain text, for the terminal and for printing."""

MARKS = {"pass": "PASS", "fail": "FAIL", "not_applicable": "N/A "}


def as_text(drawn: dict) -> str:
    """``drawn`` is the dumped sample (:class:`~bpmn_complaints.api.audit_schemas.AuditSample`)."""
    period = drawn["period"]
    lines = [f"Audit sample: {len(drawn['complaints'])} of {drawn['population']} complaints closed "
             f"from {period['from']} until {period['to']} (seed {drawn['seed']!r}); "
             f"{drawn['with_failures']} with a failed check", ""]
    for complaint in drawn["complaints"]:
        version = complaint["definition"] or {}
        lines.append(f"{complaint['reference']}  closed {complaint['closed_at']}  {complaint['closure_reason'] or ''}"
                     f"  {version.get('key', '')} v{version.get('version', '?')}")
        for check in complaint["checks"]:
            lines.append(f"  [{MARKS[check['result']]}] {check['label']}: {check['reason']}")
        lines.append("  path: " + " > ".join(step["bpmn_id"] or "?" for step in complaint["path"]))
        lines.append("")
    return "\n".join(lines)
