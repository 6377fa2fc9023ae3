"""Timers on the injected clock: due dates, a non-interrupting reminder, an SLA breach."""

from datetime import UTC, datetime

from bpmn_complaints.clock import get_clock
from bpmn_complaints.worker import Worker
from conftest import DIAGRAMS

# Friday 2026-12-18 10:00 UTC: 2 business days later is Tuesday 22nd (GB/ENG calendar).
FRIDAY = datetime(2026, 12, 18, 10, 0, tzinfo=UTC)


def run_worker(api) -> int:
    with api.app.app_context():
        return Worker(owner="test").run_once()


def setup(api):
    with api.app.app_context():
        get_clock().set(FRIDAY)
    assert api.deploy(DIAGRAMS / "timers.bpmn").exit_code == 0, "deploy failed"
    api.user("ivan", groups=["investigators"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    return api.submit()["reference"]


def advance(api, **delta):
    with api.app.app_context():
        get_clock().advance(**delta)


def test_due_date_comes_from_the_sla_timer(api):
    ref = setup(api)
    task = api.task_for("ivan", ref)
    assert task["due_at"].startswith("2026-12-22T10:00:00")
    assert run_worker(api) == 0  # nothing due yet


def test_reminder_fires_without_cancelling_the_task(api):
    ref = setup(api)
    advance(api, hours=4, minutes=1)
    assert run_worker(api) == 1
    assert api.task_for("ivan", ref)["bpmn_id"] == "Task_investigate"
    events = api.history(ref, "sam")["events"]
    fired = [e for e in events if e["action"] == "timer_fired"]
    assert [e["bpmn_id"] for e in fired] == ["Timer_reminder"]
    assert any(e["action"] == "notified" for e in events), [(e["action"], e["details"]) for e in events][-4:]
    assert run_worker(api) == 0  # fired once, not again


def test_sla_breach_moves_the_work_to_a_supervisor(api):
    ref = setup(api)
    task = api.task_for("ivan", ref)
    api.claim("ivan", task["id"])
    advance(api, days=2)  # Sunday: not yet two business days
    run_worker(api)
    assert api.tasks("ivan", "mine")["total"] == 1
    advance(api, days=2)  # Tuesday 10:00 plus: breached
    run_worker(api)
    assert api.tasks("ivan", "mine")["total"] == 0
    breach = api.task_for("sam", ref)
    assert breach["bpmn_id"] == "Task_breach" and breach["lane"] == "supervisors"
    cancelled = api.get(f"/api/tasks/{task['id']}", "sam").get_json()
    assert cancelled["state"] == "cancelled"
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert "task_cancelled" in actions and actions.count("timer_fired") == 2


def test_completing_first_removes_the_timer_job(api):
    ref = setup(api)
    api.work("ivan", ref, {})
    advance(api, days=30)
    assert run_worker(api) == 0
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["state"] == "closed"
