"""User tasks assigned the way Camunda Modeler's Assignment panel writes it (Camunda 7
attributes, Camunda 8 zeebe:assignmentDefinition), in diagrams without lanes."""

from conftest import DIAGRAMS


def test_camunda7_candidate_group_and_assignees(api):
    assert api.deploy(DIAGRAMS / "camunda7_assignment.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("ivan", groups=["investigators"])
    api.user("sam", groups=["supervisors"])
    ref = api.submit()["reference"]
    assess = api.task_for("alice", ref)
    assert (assess["bpmn_id"], assess["lane"], assess["candidate_group"]) == ("Task_assess", None, "intake")
    assert api.tasks("ivan", "group")["total"] == 0
    api.work("alice", ref, {"reviewer": "ivan"})
    review = api.task_for("ivan", ref, scope="mine")  # ${reviewer}: an expression on task data
    assert (review["bpmn_id"], review["assignee"]) == ("Task_review", "ivan")
    assert api.complete("ivan", review["id"], {}).status_code == 200
    filing = api.task_for("sam", ref, scope="mine")  # a plain name is a literal
    assert (filing["bpmn_id"], filing["assignee"]) == ("Task_file", "sam")
    assert api.complete("sam", filing["id"], {}).status_code == 200
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["instance_status"] == "completed"


def test_zeebe_candidate_group_expression(api):
    assert api.deploy(DIAGRAMS / "zeebe_assignment.bpmn").exit_code == 0
    api.user("bella", groups=["billing_team"])
    api.user("dora", groups=["delivery_team"])
    ref = api.submit(category="billing")["reference"]
    assert api.task_for("bella", ref)["candidate_group"] == "billing_team"
    assert api.tasks("dora", "group")["total"] == 0


def test_assignments_we_cannot_honour_are_deploy_errors(api, tmp_path):
    text = (DIAGRAMS / "camunda7_assignment.bpmn").read_text()
    cases = {
        'camunda:candidateGroups="intake, quality"': "several candidate groups",
        'camunda:candidateUsers="alice,ivan"': "candidate users are not supported",
        'camunda:candidateGroups="intake +"': None,  # a literal group name: fine
    }
    for attribute, expected in cases.items():
        path = tmp_path / "variant.bpmn"
        path.write_text(text.replace('camunda:candidateGroups="intake"', attribute))
        result = api.deploy(path)
        if expected is None:
            assert result.exit_code == 0, result.output
            continue
        assert result.exit_code == 1, result.output
        assert "Task_assess" in result.output and expected in result.output, result.output
    bare = text.replace(' camunda:candidateGroups="intake"', "")
    path.write_text(bare)
    result = api.deploy(path)
    assert result.exit_code == 1 and "Task_assess: the task has no lane, no candidate group" in result.output
