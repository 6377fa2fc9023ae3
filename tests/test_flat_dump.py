"""The task and complaint lists dump their rows without marshmallow (schemas.flat): the JSON
is what the documented schema dumps, field for field, and a schema the flat dumper does
not know is refused."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields

from bpmn_complaints.extensions import db
from bpmn_complaints.models import Complaint, HumanTask
from bpmn_complaints.schemas.flat import flat_dumper
from bpmn_complaints.schemas.resources import ComplaintSummary, Task
from conftest import DIAGRAMS


def _same_json(client_body: dict, dumped: dict) -> None:
    assert client_body == dumped
    assert list(client_body) == sorted(dumped)  # the JSON provider sorts keys either way


def test_a_row_dumps_as_the_schema_does_set_or_empty():
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    full = SimpleNamespace(id="t-1", name="Assess", bpmn_id="Task_assess", lane="intake", candidate_group="intake",
                           assignee="alice", complaint_reference="C-1", priority="high", due_at=at,
                           follow_up_at=at - timedelta(days=1), state="completed", created_at=at - timedelta(days=2),
                           claimed_at=at - timedelta(hours=1), completed_at=at, completed_by="alice")
    empty = SimpleNamespace(**{name: None for name in vars(full)})
    dump = flat_dumper(Task)
    for row in (full, empty):
        assert dump(row) == Task().dump(row)
    assert dump(full)["due_at"] == "2026-03-04T05:06:07.891011+00:00"


def test_numbers_and_flags_dump_as_the_schema_does():
    class Counted(Schema):
        n = fields.Integer()
        on = fields.Boolean()
        label = fields.String(attribute="title", data_key="heading")

    dump = flat_dumper(Counted)
    for row in (SimpleNamespace(n=3, on=True, title="x"), SimpleNamespace(n="4", on="no", title=7),
                SimpleNamespace(n=None, on=None, title=None), SimpleNamespace(n=5.0, on=0, title="")):
        assert dump(row) == Counted().dump(row)


@pytest.mark.parametrize("field", [fields.Nested(Task), fields.List(fields.String()), fields.Dict(),
                                   fields.DateTime(format="%Y"), fields.Integer(as_string=True), fields.Float()])
def test_a_field_that_is_not_flat_is_refused(field):
    schema = Schema.from_dict({"x": field})
    with pytest.raises(TypeError, match="flat"):
        flat_dumper(schema)


def test_the_lists_answer_what_their_schemas_dump(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sue", roles=("supervisor",))
    references = [api.submit()["reference"] for _ in range(3)]
    task = api.task_for("alice", references[0])
    assert api.claim("alice", task["id"]).status_code == 200
    assert api.complete("alice", task["id"], {"in_scope": True, "severity": "high"}).status_code == 200

    tasks = api.tasks("sue", "all", state="completed")["items"] + api.tasks("alice", "group")["items"]
    complaints = api.get("/api/complaints", "sue").get_json()["items"]
    assert len(tasks) == 3 and len(complaints) == 3
    with api.app.app_context():
        for item in tasks:
            _same_json(item, Task().dump(db.session.get_one(HumanTask, item["id"])))
        assert tasks[0]["completed_at"] and tasks[0]["claimed_at"]
        for item in complaints:
            row = db.session.scalar(db.select(Complaint).where(Complaint.reference == item["reference"]))
            _same_json(item, ComplaintSummary().dump(row))
