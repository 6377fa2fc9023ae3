"""Independence (ISO 10002 4.7) through the API and the pages: a task that the diagram says
must be independent of earlier steps (``excludeWorkersOf``) or of whoever entered the
complaint (``excludeEnteredBy``) cannot be claimed, assigned or completed by them, is not
offered to them, is refused at deploy when it names no task, and the auditor's sample
checks it."""

import re
import shutil

from bpmn_complaints.services import independence
from conftest import DIAGRAMS
from test_process_paths import PROCESSES, advance, assess, investigate, process, reply  # noqa: F401
from test_web_staff import Browser, add_user, text

RULE = "ISO 10002 4.7"
REVIEW = {"review_outcome": "decision_stands", "review_findings": "The first decision was right.",
          "final_decision": "We keep our decision.", "final_explanation": "The charge was correct.",
          "external_body": "ombudsman", "external_body_details": "Financial Ombudsman Service"}
ENTRY = {"name": "Pat Caller", "email": "pat@example.com", "phone": "0123 456789", "preferred_contact": "phone",
         "channel": "phone", "product": "Broadband", "description": "Rang to say the router never came.",
         "remedy_sought": ""}
NOVEMBER = {"from": "2026-11-01", "to": "2026-12-01"}


def person(api, name, groups=(), roles=("staff",)):
    """A user who can both sign in to the pages and call the API."""
    add_user(api.runner, name, groups, roles)
    result = api.runner.invoke(args=["token", name])
    assert result.exit_code == 0, result.output
    api.tokens[name] = result.output.strip().splitlines()[-1]
    return Browser(api.app).login(name)


def group_refs(api, who):
    return [t["complaint_reference"] for t in api.tasks(who, "group")["items"]]


def refused(response, *phrases):
    assert response.status_code == 403, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "forbidden" and error["details"]["rule"] == "independence"
    for phrase in phrases + (RULE,):
        assert phrase in error["message"], error["message"]
    return error


def test_the_entry_clerk_cannot_work_the_investigation(process):  # noqa: F811
    api = process
    clara = person(api, "clara", groups=["intake", "investigators"])
    entered = clara.post("/complaints/new", "/complaints/new", ENTRY)
    assert entered.status_code == 302, text(entered)
    ref = re.search(r'id="reference">([^<]+)<', text(clara.get(entered.headers["Location"]))).group(1)
    assess(api, ref)
    task = api.task_for("ivan", ref, scope="mine")
    assert task["bpmn_id"] == "Task_investigate"
    # The investigator hands it back: it is now offered to the investigators, but not to clara.
    assert api.post(f"/api/tasks/{task['id']}/unclaim", "ivan").status_code == 200
    assert ref in group_refs(api, "ivan")
    assert ref not in group_refs(api, "clara")

    error = refused(api.claim("clara", task["id"]), "you may not work on this task", "you entered this complaint")
    assert error["details"]["user"] == "clara"
    refused(api.post(f"/api/tasks/{task['id']}/assign", "sam", json={"assignee": "clara"}),
            "clara may not work on this task: clara entered this complaint")

    # The page says why instead of offering the claim, and the claim is refused there too.
    page = text(clara.get(f"/tasks/{task['id']}"))
    assert "You may not work on this task: you entered this complaint" in page
    assert "Claim this task" not in page and "Claim this task to fill in the form" not in page
    claim = clara.post(f"/tasks/{task['id']}", f"/tasks/{task['id']}/claim")
    assert claim.status_code == 403 and "you entered this complaint" in text(claim)
    assert api.get(f"/api/tasks/{task['id']}", "ivan").get_json()["assignee"] is None

    # ivan takes it back and completes it: the rule keeps only clara off it.
    assert api.claim("ivan", task["id"]).status_code == 200
    investigate(api, ref)
    events = api.history(ref, "sam")["events"]
    holders = [e["details"]["after"] if e["action"] == "task_assigned" else e["actor"]
               for e in events if e["action"] in ("task_claimed", "task_assigned", "task_completed")]
    assert "clara" not in holders and "ivan" in holders
    [created] = [e for e in events if e["action"] == "task_created" and e["bpmn_id"] == "Task_investigate"]
    assert created["details"]["exclude_entered_by"] is True and "independent_of" not in created["details"]


def test_the_approver_cannot_take_the_review_nor_be_assigned_it(process):  # noqa: F811
    api = process
    created = api.submit()
    ref = created["reference"]
    assess(api, ref, severity="high")  # high: the response needs a supervisor's approval
    investigate(api, ref)
    api.work("sam", ref, {"approval_decision": "approve"})
    reply(api, created, accepted=False)
    review = api.task_for("sue", ref)
    assert review["bpmn_id"] == "Task_internal_review"
    assert ref not in group_refs(api, "sam")

    refused(api.claim("sam", review["id"]),
            "you may not work on this task: you completed “Approve the response” (Task_approve_response)")
    refused(api.post(f"/api/tasks/{review['id']}/assign", "sam", json={"assignee": "sam"}),
            "you completed “Approve the response”")
    refused(api.post(f"/api/tasks/{review['id']}/assign", "sue", json={"assignee": "sam"}),
            "sam may not work on this task: sam completed “Approve the response” (Task_approve_response)")
    # Assigning it to sue first and then to sam is refused just the same.
    assert api.post(f"/api/tasks/{review['id']}/assign", "sam", json={"assignee": "sue"}).status_code == 200
    refused(api.post(f"/api/tasks/{review['id']}/assign", "sue", json={"assignee": "sam"}))
    detail = api.get(f"/api/tasks/{review['id']}", "sue").get_json()
    assert detail["assignee"] == "sue" and detail["excluded_users"] == ["ivan"]
    assert detail["independent_of"] == ["Task_approve_response", "Task_investigate"]
    assert detail["exclude_entered_by"] is False
    assert api.complete("sue", review["id"], REVIEW).status_code == 200
    [rule] = [e["details"] for e in api.history(ref, "sam")["events"]
              if e["action"] == "task_created" and e["bpmn_id"] == "Task_internal_review"]
    assert rule["independent_of"] == ["Task_approve_response", "Task_investigate"]


def test_whoever_investigated_cannot_approve_even_when_not_the_assigned_investigator(process):  # noqa: F811
    api = process
    ref = api.submit()["reference"]
    assess(api, ref, severity="high")
    task = api.task_for("ivan", ref, scope="mine")
    # A supervisor takes the investigation over: ``excludedUsers`` names only the assigned
    # investigator (ivan), so it is the independence rule that keeps sam off the approval.
    assert api.post(f"/api/tasks/{task['id']}/assign", "sam", json={"assignee": "sam"}).status_code == 200
    investigate(api, ref, who="sam")
    approval = api.task_for("sue", ref)
    assert approval["bpmn_id"] == "Task_approve_response"
    assert ref not in group_refs(api, "sam")
    refused(api.claim("sam", approval["id"]), "you completed “Investigate and propose response” (Task_investigate)")
    api.work("sue", ref, {"approval_decision": "approve"})


def test_a_page_assignment_offers_only_people_the_rule_allows(process):  # noqa: F811
    api = process
    sue = person(api, "sue", groups=["supervisors"], roles=("staff", "supervisor"))
    created = api.submit()
    ref = created["reference"]
    assess(api, ref, severity="high")
    investigate(api, ref)
    api.work("sam", ref, {"approval_decision": "approve"})
    reply(api, created, accepted=False)
    review = api.task_for("sue", ref)
    page = text(sue.get(f"/tasks/{review['id']}"))
    assert '<option value="sue"' in page and '<option value="sam"' not in page
    forced = sue.post(f"/tasks/{review['id']}", f"/tasks/{review['id']}/assign", {"assignee": "sam"})
    assert forced.status_code == 403 and "sam completed" in text(forced)


def test_a_step_completed_later_counts_and_the_diagrams_own_assignee_is_set_aside(api):
    assert api.deploy(DIAGRAMS / "independence.bpmn").exit_code == 0
    for name in ("anna", "bert", "carl"):
        api.user(name, groups=["team"])
    ref = api.submit()["reference"]
    tasks = {t["bpmn_id"]: t for t in api.tasks("anna", "group", reference=ref)["items"]}
    assert sorted(tasks) == ["Task_a", "Task_b"]
    other = api.submit()["reference"]
    # Task_b was created before anyone worked Task_a: completing Task_a bars anna from it now.
    assert api.claim("anna", tasks["Task_a"]["id"]).status_code == 200
    assert api.complete("anna", tasks["Task_a"]["id"], {}).status_code == 200
    assert [t["bpmn_id"] for t in api.tasks("anna", "group", reference=ref)["items"]] == []
    assert [t["bpmn_id"] for t in api.tasks("bert", "group", reference=ref)["items"]] == ["Task_b"]
    refused(api.claim("anna", tasks["Task_b"]["id"]), "you completed “Check A” (Task_a)")
    # Only the same complaint counts: the other complaint's Task_b is still anna's to take.
    assert sorted(t["bpmn_id"] for t in api.tasks("anna", "group", reference=other)["items"]) == ["Task_a", "Task_b"]
    api.work("bert", ref, {})

    # The diagram assigns Task_after to anna, whom it also excludes: it goes to the group.
    after = api.task_for("carl", ref)
    assert after["bpmn_id"] == "Task_after" and after["assignee"] is None
    assert ref not in group_refs(api, "anna") and ref not in group_refs(api, "bert")
    [set_aside] = [e for e in api.history(ref, "carl")["events"] if e["action"] == "assignee_excluded"]
    assert set_aside["details"] == {"user": "anna", "reasons": ["completed “Check A” (Task_a)"]}
    refused(api.claim("bert", after["id"]), "you completed “Check B” (Task_b)")
    api.work("carl", ref, {})


def _bundle(tmp_path, old, new):
    folder = tmp_path / "processes"
    shutil.copytree(PROCESSES, folder)
    bpmn = folder / "complaint_handling.bpmn"
    source = bpmn.read_text()
    assert old in source
    bpmn.write_text(source.replace(old, new))
    return folder


def test_deploy_refuses_a_rule_that_names_no_human_task(api, tmp_path):
    api.user("owner", roles=("process_owner",))
    rule = '<spiffworkflow:property name="excludeWorkersOf" value="Task_approve_response,Task_investigate"/>'
    for value, named in (("Task_approve_response,Task_investigat", "'Task_investigat'"),
                         ("Task_deliver_decision", "'Task_deliver_decision'")):
        folder = _bundle(tmp_path / value, rule, rule.replace("Task_approve_response,Task_investigate", value))
        result = api.runner.invoke(args=["deploy", str(folder)])
        assert result.exit_code == 1, result.output
        assert "Task_internal_review" in result.output and named in result.output
        assert "not a user or manual task in this diagram" in result.output
    folder = _bundle(tmp_path / "flag", '<spiffworkflow:property name="excludeEnteredBy" value="true"/>',
                     '<spiffworkflow:property name="excludeEnteredBy" value="yes"/>')
    result = api.runner.invoke(args=["deploy", str(folder)])
    assert result.exit_code == 1 and "Task_investigate" in result.output
    assert "excludeEnteredBy property is 'yes'; it must be true or false" in result.output
    assert api.runner.invoke(args=["deploy", str(PROCESSES)]).exit_code == 0


def _review_by_the_approver(api, monkeypatch):
    """A complaint whose approver also did the internal review, let through as a release
    without the rule, or an edit of the database, would have."""
    created = api.submit()
    ref = created["reference"]
    assess(api, ref, severity="high")
    investigate(api, ref)
    api.work("sam", ref, {"approval_decision": "approve"})
    reply(api, created, accepted=False)
    review = api.task_for("sam", ref, scope="all")
    with monkeypatch.context() as patched:
        patched.setattr(independence, "barred", lambda user_name, task: [])
        assert api.claim("sam", review["id"]).status_code == 200
        assert api.complete("sam", review["id"], REVIEW).status_code == 200
    return ref


def test_the_audit_sample_flags_a_review_by_the_approver(process, monkeypatch):  # noqa: F811
    api = process
    api.user("quinn", roles=("auditor",))
    forced = _review_by_the_approver(api, monkeypatch)
    clean = api.submit()
    assess(api, clean["reference"], severity="high")
    investigate(api, clean["reference"])
    api.work("sam", clean["reference"], {"approval_decision": "approve"})
    reply(api, clean, accepted=False)
    api.work("sue", clean["reference"], REVIEW)
    advance(api, days=1)

    response = api.get("/api/audit/sample", "quinn", query_string={**NOVEMBER, "size": 10})
    assert response.status_code == 200, response.get_json()
    sampled = {c["reference"]: c for c in response.get_json()["complaints"]}
    assert sampled[forced]["closure_reason"] == sampled[clean["reference"]]["closure_reason"] == "final_response_issued"
    checks = {ref: {c["check"]: c for c in sampled[ref]["checks"]} for ref in sampled}
    bad, good = checks[forced]["independence"], checks[clean["reference"]]["independence"]
    assert bad["result"] == "fail" and sampled[forced]["passed"] is False
    assert bad["reason"] == "sam completed both Task_approve_response and Task_internal_review"
    assert good["result"] == "pass" and sampled[clean["reference"]]["passed"] is True
    assert good["reason"] == ("each done by someone its rule allows: Task_investigate, Task_approve_response, "
                              "Task_internal_review")
    assert checks[forced]["chain_intact"]["result"] == "pass"  # the trail is intact: the work itself was wrong
