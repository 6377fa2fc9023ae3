"""The engine runs an instance that serves no complaint, with no observer registered:
it knows process instances, tasks and timers, and nothing of complaints."""

from pathlib import Path

import pytest
from sqlalchemy import select

from bpmn_complaints.clock import get_clock
from bpmn_complaints.engine import runtime
from bpmn_complaints.engine.observer import NullObserver
from bpmn_complaints.extensions import db
from bpmn_complaints.models import AuditEvent, Complaint, Definition, HumanTask, Job, ProcessInstance

DIAGRAMS = Path(__file__).parent / "diagrams"


class Listening(NullObserver):
    """Writes down what the engine reports."""

    def __init__(self):
        self.heard = []

    def record(self, action, actor, *, task_id=None, bpmn_id=None, **details):
        self.heard.append((action, bpmn_id))

    def step_completed(self, step):
        self.heard.append(("step", step.bpmn_id))

    def settled(self, settled):
        self.heard.append(("settled", settled.ended))


@pytest.fixture
def engine_app(api):
    assert api.deploy(DIAGRAMS / "wait.bpmn").exit_code == 0
    api.app.extensions.pop("complaints_observer")
    return api.app


def test_an_instance_without_a_complaint_runs_to_its_end(engine_app):
    with engine_app.app_context():
        definition = db.session.scalars(select(Definition)).one()
        observer = Listening()
        instance = runtime.start_instance(definition, {"note": "no complaint here"}, "tester", observer)
        db.session.commit()
        assert instance.complaint_id is None and instance.status == "waiting"
        assert ("instance_started", None) in observer.heard and ("settled", False) in observer.heard
        job = db.session.scalars(select(Job).where(Job.instance_id == instance.id)).one()
        assert job.kind == "timer"

        get_clock().set(job.due_at)
        runtime.fire_timers(instance)
        db.session.commit()
        task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).one()
        assert task.bpmn_id == "Task_follow_up" and task.complaint_id is None

        runtime.complete_task(instance, task.id, {}, "tester")
        db.session.commit()
        assert db.session.get(ProcessInstance, instance.id).status == "completed"
        # Nobody registered an observer, so nothing was written to any trail.
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "timer_fired")).all() == []
        assert db.session.scalars(select(Complaint)).all() == []
