"""Camunda 7/8 constructs and structure run as Camunda runs them (issue #12), each from a
small diagram in tests/diagrams/constructs, deployed and driven through the CLI and the API."""

from sqlalchemy import select

from bpmn_complaints.extensions import db
from bpmn_complaints.models import AuditEvent
from conftest import DIAGRAMS

HERE = DIAGRAMS / "constructs"


def _deployed(api, name):
    result = api.deploy(HERE / name)
    assert result.exit_code == 0, result.output
    return result


def _ready(api, who, ref, scope="group"):
    return sorted((t["bpmn_id"], t["assignee"]) for t in api.tasks(who, scope)["items"]
                  if t["complaint_reference"] == ref)


def test_camunda7_collection_from_a_bpmn20_file(api):
    assert "complaint_handling version 1 deployed" in _deployed(api, "c7_collection.bpmn20.xml").output
    api.user("alice", groups=["intake"])
    api.user("ivan")
    api.user("sam")
    ref = api.submit()["reference"]
    api.work("alice", ref, {"reviewers": ["ivan", "sam"]})
    # One review per element of the collection, each assigned by ${reviewer}.
    assert _ready(api, "ivan", ref, "mine") == [("Task_review", "ivan")]
    assert _ready(api, "sam", ref, "mine") == [("Task_review", "sam")]
    assert _ready(api, "alice", ref) == []
    for who in ("ivan", "sam"):
        task = api.task_for(who, ref, scope="mine")
        assert api.complete(who, task["id"], {}).status_code == 200
    assert _ready(api, "alice", ref) == [("Task_close", None)]


def test_zeebe_collection_collects_each_output(api):
    _deployed(api, "zeebe_collection.bpmn")
    api.user("alice", groups=["intake"])
    api.user("ivan")
    api.user("sam")
    outcomes = {}
    for verdicts in (("accept", "reject"), ("accept", "accept")):
        ref = api.submit()["reference"]
        api.work("alice", ref, {"reviewers": ["ivan", "sam"]})
        for who, verdict in zip(("ivan", "sam"), verdicts, strict=True):
            task = api.task_for(who, ref, scope="mine")
            assert api.complete(who, task["id"], {"verdict": verdict}).status_code == 200
        outcomes[verdicts] = _ready(api, "alice", ref)
    # The gateway read the collected `verdicts` (=count(verdicts) = 2 and list contains(...)).
    assert outcomes == {("accept", "reject"): [("Task_escalate", None)], ("accept", "accept"): [("Task_close", None)]}


def test_collection_that_is_an_expression_is_refused(api, tmp_path):
    text = (HERE / "c7_collection.bpmn20.xml").read_text()
    path = tmp_path / "variant.bpmn"
    path.write_text(text.replace('camunda:collection="${reviewers}"', 'camunda:collection="${order.reviewers}"'))
    result = api.deploy(path)
    assert result.exit_code == 1
    assert "Task_review: the multi-instance collection '${order.reviewers}' is an expression" in result.output
    counted = text.replace('camunda:elementVariable="reviewer"/>', 'camunda:elementVariable="reviewer">'
                           "<bpmn:completionCondition>${nrOfCompletedInstances &gt;= 1}</bpmn:completionCondition>"
                           "</bpmn:multiInstanceLoopCharacteristics>")
    path.write_text(counted)
    result = api.deploy(path)
    assert result.exit_code == 1
    assert "Task_review: the completion condition uses nrOfCompletedInstances" in result.output


def test_abstract_task_passes_through_and_nested_task_inherits_the_lane(api):
    _deployed(api, "structure.bpmn")
    api.user("alice", groups=["intake"])
    api.user("sam", roles=("supervisor",))
    ref = api.submit()["reference"]
    # Task_note (a plain bpmn:task) asked nobody; the sub-process's task is intake's.
    assert _ready(api, "sam", ref, "all") == [("Task_assess", None)]
    assess = api.task_for("alice", ref)
    assert (assess["lane"], assess["candidate_group"]) == ("intake", "intake")
    api.work("alice", ref, {})
    # Two plain flows out of the sub-process: both branches run (an implicit parallel split).
    assert _ready(api, "alice", ref) == [("Task_call", None), ("Task_letter", None)]
    for bpmn_id in ("Task_call", "Task_letter"):
        task = next(t for t in api.tasks("alice", "group")["items"]
                    if t["complaint_reference"] == ref and t["bpmn_id"] == bpmn_id)
        assert api.claim("alice", task["id"]).status_code == 200
        assert api.complete("alice", task["id"], {}).status_code == 200
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["instance_status"] == "completed"


def test_a_task_in_an_unnamed_lane_needs_a_group(api, tmp_path):
    path = tmp_path / "unnamed.bpmn"
    path.write_text((HERE / "structure.bpmn").read_text().replace('name="intake"', ""))
    result = api.deploy(path)
    assert result.exit_code == 1
    for task in ("Task_assess", "Task_letter", "Task_call"):
        assert f"{task}: the task has no lane, no candidate group and no assignee" in result.output


def test_camunda7_leftover_beside_zeebe_is_ignored_with_a_warning(api, app, tmp_path):
    path = tmp_path / "leftover.bpmn"
    path.write_text((HERE / "zeebe_leftover.bpmn").read_text().replace(
        '<bpmn:startEvent id="Start_received"/>',
        '<bpmn:startEvent id="Start_received"><bpmn:extensionElements><zeebe:formDefinition formId="start"/>'
        '</bpmn:extensionElements></bpmn:startEvent>'))
    assert api.deploy(path).exit_code == 0
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deployed")).one()
        warnings = event.details["warnings"]
    assert any("Task_ack: camunda:class ignored" in w for w in warnings), warnings
    assert any("Start_received: the start event's form is not shown here" in w for w in warnings), warnings
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    assert api.runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert _ready(api, "alice", ref) == [("Task_assess", None)]


def test_spiffarena_blank_optional_parameter(api):
    _deployed(api, "spiff_empty_param.bpmn")
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    assert api.runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert _ready(api, "alice", ref) == [("Task_assess", None)]


def test_code_we_cannot_run_is_refused_with_its_element(api, tmp_path):
    text = (HERE / "zeebe_leftover.bpmn").read_text()
    extensions = '<bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="intake"/>'
    variants = {
        "listeners": text.replace(extensions, extensions + '<camunda:taskListener class="com.acme.L" event="create"/>'
                                  '<camunda:executionListener expression="${audit.log()}" event="start"/>'),
        "script": text.replace('<bpmn:endEvent id="End_done"/>', '<bpmn:endEvent id="End_done"/><bpmn:scriptTask '
                               'id="Task_script" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script>'
                               '</bpmn:scriptTask>'),
        "delegate": text.replace('<bpmn:endEvent id="End_done"/>',
                                 '<bpmn:endEvent id="End_done"><bpmn:messageEventDefinition id="Msg_1" '
                                 'camunda:class="com.acme.Send"/></bpmn:endEvent>'),
    }
    expected = {
        "listeners": ["Task_assess: a Camunda 7 task listener (create)", "Task_assess: a Camunda 7 execution listener"],
        "script": ["Task_script: the script is groovy, which this engine does not run"],
        "delegate": ["Msg_1: camunda:class binds a Java delegate"],
    }
    for name, variant in variants.items():
        path = tmp_path / f"{name}.bpmn"
        path.write_text(variant)
        result = api.deploy(path)
        assert result.exit_code == 1, result.output
        for message in expected[name]:
            assert message in result.output, result.output


def test_due_follow_up_and_priority_are_read(api):
    _deployed(api, "schedule.bpmn")
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    seen = []
    answers = {"Task_literal": {"reply_by": "2027-01-15T12:00:00Z", "prio": 30}, "Task_juel": {}, "Task_zeebe": {}}
    for bpmn_id, data in answers.items():
        task = api.task_for("alice", ref)
        assert task["bpmn_id"] == bpmn_id
        seen.append((task["due_at"], task["follow_up_at"], task["priority"]))
        api.work("alice", ref, data)
    assert seen == [
        ("2026-12-31T17:00:00+00:00", "2026-12-20T09:00:00+00:00", "urgent"),  # 80 of 100; no offset is UTC
        ("2027-01-15T12:00:00+00:00", None, "normal"),  # ${reply_by}, ${prio} = 30
        ("2027-01-15T12:00:00+00:00", "2026-12-24T09:00:00+00:00", "low"),  # =reply_by, priority 10
    ]
