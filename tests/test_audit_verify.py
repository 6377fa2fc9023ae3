"""`bpmn-complaints verify-audit` (ISO 10002 8.5): an auditor checks every trail's hash
chain; a change made behind the application's back is found and named."""

from sqlalchemy import text

from bpmn_complaints.extensions import db
from conftest import HERE

PROCESSES = HERE.parent / "processes"


def tamper(api, sql, **params):
    with api.app.app_context():
        db.session.execute(text(sql), params)
        db.session.commit()


def test_intact_trails_pass_and_a_changed_event_is_named(api):
    assert api.deploy(PROCESSES).exit_code == 0
    first, second = api.submit()["reference"], api.submit()["reference"]

    result = api.runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("audit trail(s) checked: all intact")

    tamper(api, "UPDATE audit_events SET actor = 'mallory' WHERE stream = :s AND seq = 2",
           s=f"complaint:{second}")
    result = api.runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert f"complaint:{second}: event 2 was changed after it was written" in result.output
    assert f"complaint:{first}" not in result.output
    assert api.runner.invoke(args=["verify-audit", "--reference", first]).exit_code == 0

    # The history view says the same to a supervisor.
    api.user("sam", roles=["staff", "supervisor"])
    history = api.history(second, "sam")
    assert history["chain_intact"] is False and history["chain_problems"]


def test_a_removed_event_breaks_the_chain(api):
    assert api.deploy(PROCESSES).exit_code == 0
    reference = api.submit()["reference"]
    tamper(api, "DELETE FROM audit_events WHERE stream = :s AND seq = 1", s=f"complaint:{reference}")
    result = api.runner.invoke(args=["verify-audit", "--reference", reference])
    assert result.exit_code == 1
    assert "event 1 is missing" in result.output


def test_an_unknown_reference_is_an_error(api):
    result = api.runner.invoke(args=["verify-audit", "--reference", "C-2026-NOPE"])
    assert result.exit_code == 1 and "no audit trail for C-2026-NOPE" in result.output
