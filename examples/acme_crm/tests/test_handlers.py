"""Unit tests for crm_update: a handler is a plain function of a HandlerContext."""

from types import SimpleNamespace

import pytest
from acme_crm.handlers import crm_update

from bpmn_complaints.handlers import HandlerContext, HandlerIncident
from bpmn_complaints.handlers.spec import DefinitionInfo, TaskInfo


def context(**params) -> HandlerContext:
    complaint = SimpleNamespace(reference="C-2026-ABCDEF", category="billing")
    task = TaskInfo(id="t1", bpmn_id="Task_crm", name="Update the CRM", lane="intake", data={})
    return HandlerContext(complaint=complaint, task=task, definition=DefinitionInfo("complaint_handling", 1),
                          params=params)


def test_describes_the_update():
    result = crm_update(context(status="received"))
    assert result["case"] == "ACME-C-2026-ABCDEF" and result["status"] == "received"
    assert result == crm_update(context(status="received"))  # same step, same update id


def test_an_unknown_status_is_an_incident():
    with pytest.raises(HandlerIncident, match="status must be one of"):
        crm_update(context(status="lost"))
