"""What a change writes, and how (issue 17: per change, as few statements as the work
needs). Through the API and the worker, on both databases: the trail's events of a change
reach the database in one statement and the chain still verifies; a new instance's row is
written once, with the state it reached; a completion that claims is one UPDATE of the
task; a timer job is taken in the transaction that fires it (one commit, no lease, at
most ten statements). The bench (bench/lifecycle.py) counts every kind of change."""

from pathlib import Path

import pytest
from sqlalchemy import event, select

from bpmn_complaints.clock import get_clock
from bpmn_complaints.db import trail
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Complaint, HumanTask, Job

STEPS = Path(__file__).resolve().parent.parent / "bench" / "diagrams" / "steps"


class Recorded:
    """The SQL statements and commits that reach the database while it is open."""

    def __init__(self, app):
        self.app, self.statements, self.commits = app, [], 0

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    def _statement(self, _conn, _cursor, statement, *_args):
        self.statements.append(" ".join(statement.split()))

    def _commit(self, *_args):
        self.commits += 1

    def starting(self, prefix: str) -> list[str]:
        return [s for s in self.statements if s.upper().startswith(prefix.upper())]


@pytest.fixture
def steps(api):
    assert api.deploy(STEPS).exit_code == 0
    api.user("alice", groups=("intake",))
    api.user("sam", roles=("supervisor",))
    return api


def chain_of(app, reference):
    with app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
        return trail.verify(trail.stream_for(complaint))


def test_a_submission_writes_its_events_in_one_statement_and_its_instance_once(steps):
    with Recorded(steps.app) as sql:
        reference = steps.submit()["reference"]
    # complaint_received, instance_started, the start event's step and task_created
    assert len(sql.starting("INSERT INTO audit_events")) == 1, sql.statements
    assert len(sql.starting("INSERT INTO process_instances")) == 1
    assert sql.starting("UPDATE process_instances") == [], sql.statements
    assert chain_of(steps.app, reference) == []
    history = [e["action"] for e in steps.history(reference, "sam")["events"]]
    assert history[:4] == ["complaint_received", "instance_started", "step_completed", "task_created"], history


def test_a_completion_that_claims_is_one_update_and_a_timer_job_one_transaction(steps):
    reference = steps.submit()["reference"]
    task = steps.task_for("alice", reference)
    with Recorded(steps.app) as sql:
        response = steps.complete("alice", task["id"], {"decision": "ok"})
    assert response.status_code == 200, response.get_json()
    assert len(sql.starting("UPDATE human_tasks")) == 1, sql.statements
    assert len(sql.starting("UPDATE process_instances")) == 1, sql.statements
    assert len(sql.starting("INSERT INTO audit_events")) == 1, sql.statements
    with steps.app.app_context():
        row = db.session.get(HumanTask, task["id"])
        assert (row.state, row.assignee, row.completed_by) == ("completed", "alice", "alice")
    actions = [e["action"] for e in steps.history(reference, "sam")["events"]]
    assert actions.index("task_claimed") + 1 == actions.index("task_completed"), actions

    # The message, then the timer: the worker takes the due job in the transaction that fires it.
    with Recorded(steps.app) as sql:
        response = steps.post("/api/messages/supplier_answer", "sam",
                              json={"reference": reference, "payload": {"ok": True}})
    assert response.status_code == 200, response.get_json()
    assert len(sql.starting("UPDATE process_instances")) == 1, sql.statements  # one version check
    with steps.app.app_context():
        get_clock().advance(hours=1, minutes=1)
        from bpmn_complaints.worker.jobs import run_next

        with Recorded(steps.app) as sql:
            assert run_next("test", expired_first=True) == 1
        assert db.session.scalar(select(Job.id).where(Job.kind == "timer")) is None  # its only timer fired
    assert sql.commits == 1, sql.statements
    assert sql.starting("UPDATE jobs") == [], sql.statements  # no lease was written
    assert len(sql.statements) <= 10, sql.statements
    assert steps.task_for("alice", reference)["name"] == "Close"
    assert chain_of(steps.app, reference) == []
