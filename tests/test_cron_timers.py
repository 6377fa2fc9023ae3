"""Cron timeCycle values as Camunda reads them (issue #12): seconds first, fired again and
again on the injected clock, within the timer limits, and refused where Camunda 7 and 8
would read them differently."""

from datetime import UTC, datetime

from bpmn_complaints.clock import get_clock
from bpmn_complaints.worker import Worker
from conftest import DIAGRAMS

DIAGRAM = DIAGRAMS / "constructs" / "cron_cycle.bpmn"
FRIDAY = datetime(2026, 12, 18, 10, 0, tzinfo=UTC)


def _fired(api, ref):
    """Each time the reminder's path ran (its end event completed)."""
    events = api.history(ref, "sam")["events"]
    return [e["bpmn_id"] for e in events if e["action"] == "step_completed" and e["bpmn_id"] == "End_reminded"]


def _worker(api):
    with api.app.app_context():
        return Worker(owner="test").run_once()


def _advance(api, **delta):
    with api.app.app_context():
        get_clock().advance(**delta)


def test_cron_cycle_fires_each_weekday_morning(api):
    with api.app.app_context():
        get_clock().set(FRIDAY)
    assert api.deploy(DIAGRAM).exit_code == 0
    api.user("ivan", groups=["investigators"])
    api.user("sam", roles=("staff", "supervisor"))
    ref = api.submit()["reference"]
    assert _worker(api) == 0
    _advance(api, days=2)  # Sunday 10:00: no weekday morning yet
    _worker(api)
    assert _fired(api, ref) == []
    _advance(api, days=1)  # Monday 10:00: Monday 09:00 has passed
    _worker(api)
    assert _fired(api, ref) == ["End_reminded"]
    assert _worker(api) == 0  # once for Monday, not again
    _advance(api, days=1)  # Tuesday 10:00
    _worker(api)
    assert _fired(api, ref) == ["End_reminded", "End_reminded"]
    assert api.task_for("ivan", ref)["bpmn_id"] == "Task_investigate"  # non-interrupting


def test_cron_values_camunda_would_not_run_alike_are_refused(api, tmp_path):
    text = DIAGRAM.read_text()
    cases = {
        "0/30 * * * * ?": "fires more often than every 60 s",
        "0 9 * * 1-5": "has five fields",
        "0 0 9 ? * 2-6": "the day of the week in '0 0 9 ? * 2-6' is a number",
        "0 0 0 30 2 ?": "names no time in the next 100 years",
        "0 0 12 15W * ?": "nearest weekday (W)",
    }
    for cron, message in cases.items():
        path = tmp_path / "variant.bpmn"
        path.write_text(text.replace("0 0 9 ? * MON-FRI", cron))
        result = api.deploy(path)
        assert result.exit_code == 1, (cron, result.output)
        assert "Timer_morning" in result.output and message in result.output, result.output
    for cron in ("@daily", "0 30 8 1 JAN-JUN ? 2027"):
        path.write_text(text.replace("0 0 9 ? * MON-FRI", cron))
        assert api.deploy(path).exit_code == 0, cron
