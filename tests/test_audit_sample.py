"""The auditor's sample (ISO 10002 8.5) through the HTTP API, the CLI and the web page,
on the report tests' six complaints (five closed in November 2026, down five different
paths of the real process; d was answered an hour after its target)."""

import json
import random

import pytest
from sqlalchemy import text

from bpmn_complaints.extensions import db
from test_process_paths import process  # noqa: F401
from test_reports import NOVEMBER, PERSONAL, scenario  # noqa: F401
from test_web_staff import Browser, add_user

CHECKS = ("chain_intact", "acknowledged", "assessed", "response_delivered", "within_target", "complainant_reply",
          "closure_reason", "survey_requested", "process_version", "incidents", "independence")


def draw(api, who="quinn", **query):
    response = api.get("/api/audit/sample", who, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def results(complaint):
    return {check["check"]: check["result"] for check in complaint["checks"]}


def reasons(complaint):
    return {check["check"]: check["reason"] for check in complaint["checks"]}


def by_reference(body):
    return {c["reference"]: c for c in body["complaints"]}


def test_every_closed_complaint_is_checked_when_the_sample_is_larger(scenario):  # noqa: F811
    api, ref = scenario
    body = draw(api, size=50, **NOVEMBER)
    assert body["period"] == NOVEMBER and body["size"] == 50 and body["seed"] == "2026-11-01/2026-12-01"
    assert body["population"] == 5 and body["with_failures"] == 1
    sampled = by_reference(body)
    assert sorted(sampled) == sorted(ref[k] for k in "abcde")  # f is still open
    P, F, NA = "pass", "fail", "not_applicable"
    expected = {  # in CHECKS order
        "a": (P, P, P, P, P, NA, P, P, P, P, NA),   # out of scope: no reply asked for
        "b": (P, P, P, P, P, NA, P, P, P, P, NA),   # summary resolution
        "c": (P, P, P, P, P, P, P, P, P, P, P),     # decision accepted
        "d": (P, P, P, P, F, P, P, P, P, P, P),     # final response an hour late
        "e": (P, P, NA, NA, NA, NA, P, P, P, P, NA),  # withdrawn before assessment
    }
    for key, row in expected.items():
        assert results(sampled[ref[key]]) == dict(zip(CHECKS, row, strict=True)), key
        assert sampled[ref[key]]["passed"] is (F not in row)

    d = sampled[ref["d"]]
    assert d["target_at"] == "2026-11-30T09:00:00+00:00" and d["closure_reason"] == "final_response_issued"
    assert reasons(d)["within_target"] == "last response after the target of 2026-11-30 09:00 UTC"
    assert [c["at"] for c in d["checks"] if c["check"] == "within_target"] == ["2026-11-30T10:00:00+00:00"]
    assert reasons(d)["complainant_reply"] == "replied: was not satisfied"
    assert reasons(d)["response_delivered"] == "sent: decision, final_response"
    assert reasons(d)["process_version"] == "complaint_handling version 1"
    assert d["definition"] == {"key": "complaint_handling", "version": 1}
    path = [step["bpmn_id"] for step in d["path"]]
    assert path[:3] == ["StartEvent_received", "Task_acknowledge", "Task_intake_assessment"]
    assert path.index("Task_investigate") < path.index("Task_approve_response") < path.index("Task_internal_review")
    assert path[-1] == "EndEvent_closed" and "Timer_investigation_reminder" in path
    assert {s["by"] for s in d["path"] if s["bpmn_id"] == "Task_internal_review"} == {"sue"}

    a = sampled[ref["a"]]
    assert reasons(a)["acknowledged"] == "0 business day(s) after receipt"
    assert reasons(a)["assessed"] == "Assess the complaint (Task_intake_assessment) completed by alice"
    assert [c["at"] for c in a["checks"] if c["check"] == "assessed"] == ["2026-11-24T09:00:00+00:00"]
    assert reasons(a)["response_delivered"] == "sent: out_of_scope"
    # b's resolution and c's investigation were created in the same instant as their
    # assessment: the trail's order still tells which task came first.
    for key in "bcd":
        assert reasons(sampled[ref[key]])["assessed"] == reasons(a)["assessed"], key
    assert reasons(sampled[ref["c"]])["complainant_reply"] == "replied: accepted the decision"
    assert reasons(sampled[ref["e"]])["assessed"] == "withdrawn before Task_intake_assessment was completed"
    assert reasons(sampled[ref["e"]])["closure_reason"] == "withdrawn"
    assert not any(t in json.dumps(body) for t in PERSONAL)


def test_the_same_seed_draws_the_same_sample(scenario):  # noqa: F811
    api, ref = scenario
    closed = sorted(ref[k] for k in "abcde")
    drawn = {}
    for seed in ("audit-2026", "another", "2026-11-01/2026-12-01"):
        first = draw(api, size=2, seed=seed, **NOVEMBER)
        again = draw(api, "sam", size=2, seed=seed, **NOVEMBER)
        assert first == again
        drawn[seed] = [c["reference"] for c in first["complaints"]]
        # Any other tool can repeat the draw: Python's random over the references in order.
        assert drawn[seed] == sorted(random.Random(seed).sample(closed, 2))
    assert draw(api, size=2, **NOVEMBER)["complaints"] == draw(api, size=2, seed="2026-11-01/2026-12-01",
                                                                **NOVEMBER)["complaints"]
    assert len({tuple(v) for v in drawn.values()}) > 1
    # Up to Wednesday 25: only a, b, c and e had closed.
    assert draw(api, size=10, **{"from": "2026-11-01", "to": "2026-11-26"})["population"] == 4


def test_a_changed_audit_event_fails_the_chain_check(scenario):  # noqa: F811
    api, ref = scenario
    with api.app.app_context():
        changed = db.session.execute(text(
            "UPDATE audit_events SET actor = 'mallory' WHERE stream = :stream AND action = 'task_completed' "
            "AND bpmn_id = 'Task_intake_assessment'"), {"stream": f"complaint:{ref['c']}"})
        assert changed.rowcount == 1
        db.session.commit()
    sampled = by_reference(draw(api, size=5, **NOVEMBER))
    c = sampled[ref["c"]]
    assert results(c)["chain_intact"] == "fail" and c["passed"] is False
    assert reasons(c)["chain_intact"].endswith("was changed after it was written")
    assert results(sampled[ref["a"]])["chain_intact"] == "pass"


def test_the_cli_prints_the_same_sample(scenario):  # noqa: F811
    api, ref = scenario
    period = ["--from", "2026-11-01", "--to", "2026-12-01", "--size", "5"]
    cli = api.runner.invoke(args=["audit-sample", *period, "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == draw(api, size=5, **NOVEMBER)
    cli = api.runner.invoke(args=["audit-sample", *period])
    assert cli.exit_code == 0, cli.output
    lines = cli.output.splitlines()
    assert lines[0] == ("Audit sample: 5 of 5 complaints closed from 2026-11-01 until 2026-12-01 "
                        "(seed '2026-11-01/2026-12-01'); 1 with a failed check")
    block = cli.output.split(ref["d"])[1].split("\n\n")[0]
    assert "[FAIL] Within target: last response after the target of 2026-11-30 09:00 UTC" in block
    assert "[PASS] Audit trail intact" in block and "path: StartEvent_received > Task_acknowledge >" in block
    assert "[N/A ] Assessed" in cli.output.split(ref["e"])[1]
    bad = api.runner.invoke(args=["audit-sample", "--size", "0"])
    assert bad.exit_code == 1 and "--size" in bad.output


def test_only_auditors_supervisors_and_admins_draw_samples(process):  # noqa: F811
    api = process
    for name, roles in (("quinn", ["auditor"]), ("paula", ["process_owner"]), ("root", ["admin"])):
        api.user(name, roles=roles)
    for who in ("quinn", "sam", "root"):
        assert api.get("/api/audit/sample", who).status_code == 200, who
    for who in ("alice", "paula"):
        forbidden = api.get("/api/audit/sample", who, query_string={"size": "junk"})
        assert forbidden.status_code == 403 and forbidden.get_json()["error"]["code"] == "forbidden"
    anonymous = api.get("/api/audit/sample")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"
    empty = draw(api, **NOVEMBER)
    assert empty["population"] == 0 and empty["complaints"] == [] and empty["size"] == 10


@pytest.mark.parametrize("query, field", [
    ({"size": "0"}, "size"), ({"size": "501"}, "size"), ({"size": "ten"}, "size"), ({"seed": "x" * 101}, "seed"),
    ({"from": "2026-13-01"}, "from"), ({"from": "2026-12-01", "to": "2026-11-01"}, "to"),
])
def test_bad_input_is_400_with_field_errors(process, query, field):  # noqa: F811
    process.user("quinn", roles=["auditor"])
    response = process.get("/api/audit/sample", "quinn", query_string=query)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and list(error["details"]) == [field]


def test_the_sample_is_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/audit/sample"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "size", "seed"}
    assert "AuditSample" in document["components"]["schemas"]


def test_the_sample_page_shows_a_card_per_complaint(scenario):  # noqa: F811
    api, ref = scenario
    add_user(api.runner, "olga", roles=("auditor",))
    add_user(api.runner, "stan", ["intake"])
    olga = Browser(api.app).login("olga")
    page = olga.get("/audit/sample", query_string={**NOVEMBER, "size": "5", "seed": "print"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/audit/sample"' in html  # the nav link
    assert 'id="f-seed" name="seed" value="print"' in html and 'id="f-size" name="size" value="5"' in html
    assert html.count('class="panel audit-card') == 5
    for key in "abcde":
        assert f'<a href="/complaints/{ref[key]}">{ref[key]}</a>' in html
    assert html.count('<span aria-hidden="true">✗</span> Fail') == 1
    assert "last response after the target of 2026-11-30 09:00 UTC" in html
    assert "complaint_handling v1" in html and "<code>Task_intake_assessment</code>" in html
    assert not any(t in html for t in PERSONAL)
    bad = olga.get("/audit/sample", query_string={"size": "0"})
    assert bad.status_code == 400 and "There is a problem" in bad.get_data(as_text=True)
    stan = Browser(api.app).login("stan")
    assert 'href="/audit/sample"' not in stan.get("/inbox").get_data(as_text=True)
    assert stan.get("/audit/sample").status_code == 403
