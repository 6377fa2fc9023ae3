"""Deploying definitions: validation, safety, versions."""

from conftest import DIAGRAMS

SIMPLE = (DIAGRAMS / "simple" / "simple.bpmn").read_text()
FORMS = {
    "forms/assess.schema.json": (DIAGRAMS / "simple" / "forms" / "assess.schema.json").read_text(),
    "forms/investigate.schema.json": (DIAGRAMS / "simple" / "forms" / "investigate.schema.json").read_text(),
}


def deploy(api, files, who="owner", base=None):
    """Deploy through the API; ``base`` is the version the files were edited from (an API
    deploy to a process that has versions must say, see test_safe_deploys)."""
    if who not in api.tokens:
        api.user(who, roles=["process_owner"])
    return api.post("/api/definitions", who, json={"files": files, **({"base_version": base} if base else {})})


def problems(response):
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "deploy_failed"
    return error["details"]["problems"]


def test_deploy_versions_and_redeploy_is_a_noop(api):
    first = deploy(api, {"simple.bpmn": SIMPLE, **FORMS})
    assert first.status_code == 201 and first.get_json()["version"] == 1
    again = deploy(api, {"simple.bpmn": SIMPLE, **FORMS})
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["version"] == 1
    changed = deploy(api, {"simple.bpmn": SIMPLE.replace("Assess the complaint", "Assess it"), **FORMS}, base=1)
    assert changed.status_code == 201 and changed.get_json()["version"] == 2
    listed = api.get("/api/definitions", "owner").get_json()
    assert [d["version"] for d in listed["items"]] == [2, 1]
    xml = api.get("/api/definitions/complaint_handling/1/bpmn", "owner")
    assert xml.status_code == 200 and b"Assess the complaint" in xml.data


def test_running_complaints_keep_their_version(api):
    deploy(api, {"simple.bpmn": SIMPLE, **FORMS})
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["supervisor"])
    old = api.submit()["reference"]
    assert deploy(api, {"simple.bpmn": SIMPLE.replace("Assess the complaint", "Assess it"), **FORMS},
                  base=1).status_code == 201
    new = api.submit()["reference"]
    assert api.get(f"/api/complaints/{old}", "sam").get_json()["definition_version"] == 1
    assert api.get(f"/api/complaints/{new}", "sam").get_json()["definition_version"] == 2
    assert api.task_for("alice", old)["name"] == "Assess the complaint"
    assert api.task_for("alice", new)["name"] == "Assess it"


def test_gateway_condition_cannot_import(api):
    evil = SIMPLE.replace(">not in_scope<", ">__import__('os').system('touch /tmp/pwned')<")
    found = problems(deploy(api, {"simple.bpmn": evil, **FORMS}))
    assert any(p["element"] == "Flow_out" and "__import__" in p["message"] for p in found), found
    assert api.get("/api/definitions", "owner").get_json()["total"] == 0


def test_three_problems_are_all_reported(api):
    broken = (SIMPLE
              .replace('id="acknowledge"', 'id="no_such_handler"')
              .replace("assess.schema.json", "missing.schema.json")
              .replace(">not in_scope<", ">in_scope.__class__<"))
    found = problems(deploy(api, {"simple.bpmn": broken, **FORMS}))
    elements = {p["element"] for p in found}
    assert {"Task_ack", "Task_assess", "Flow_out"} <= elements, found
    assert any("no_such_handler" in p["message"] for p in found)
    assert any("missing.schema.json" in p["message"] for p in found)
    assert api.get("/api/definitions", "owner").get_json()["total"] == 0


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" isExecutable="true"><bpmn:documentation>&lol9;</bpmn:documentation></bpmn:process>
</bpmn:definitions>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" isExecutable="true"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:process>
</bpmn:definitions>"""


def test_xml_bomb_and_external_entity_are_refused(api):
    for name, body in (("bomb.bpmn", BOMB), ("xxe.bpmn", XXE)):
        found = problems(deploy(api, {name: body}))
        assert found[0]["file"] == name
        assert "DOCTYPE" in found[0]["message"]
        assert "root:" not in str(found)


def test_utf16_doctype_is_refused_too(api):
    found = problems(deploy(api, {"xxe.bpmn": XXE.replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
                                  .encode("utf-16").decode("latin-1")}))
    assert found and found[0]["file"] == "xxe.bpmn"


def test_oversized_upload_is_refused(api):
    api.app.config["MAX_DEFINITION_BYTES"] = 10_000
    found = problems(deploy(api, {"simple.bpmn": SIMPLE + " " * 20_000, **FORMS}))
    assert "limit" in found[0]["message"]


def test_reserved_ids_and_unbound_service_task(api):
    bad = SIMPLE.replace('"StartEvent_1"', '"Start"').replace(
        '<spiffworkflow:serviceTaskOperator id="acknowledge" resultVariable="acknowledgement">',
        "<spiffworkflow:unused>"
    ).replace("</spiffworkflow:serviceTaskOperator>", "</spiffworkflow:unused>")
    found = problems(deploy(api, {"simple.bpmn": bad, **FORMS}))
    messages = " | ".join(f"{p['element']}: {p['message']}" for p in found)
    assert "Start: " in messages and "collides" in messages
    assert "Task_ack: " in messages and "names no handler" in messages


def test_camunda_and_zeebe_bindings(api):
    camunda = SIMPLE.replace(
        'xmlns:spiffworkflow=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:spiffworkflow='
    ).replace('<bpmn:serviceTask id="Task_ack" name="Acknowledge">',
              '<bpmn:serviceTask id="Task_ack" name="Acknowledge" camunda:type="external" camunda:topic="acknowledge">'
    ).replace('<spiffworkflow:serviceTaskOperator id="acknowledge" resultVariable="acknowledgement">',
              "<spiffworkflow:unused>").replace("</spiffworkflow:serviceTaskOperator>", "</spiffworkflow:unused>")
    assert deploy(api, {"simple.bpmn": camunda, **FORMS}).status_code == 201
    zeebe = camunda.replace('camunda:type="external" camunda:topic="acknowledge"', "").replace(
        "<spiffworkflow:unused>", '<zeebe:taskDefinition xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
                                  'type="acknowledge"/><spiffworkflow:unused>')
    assert deploy(api, {"simple.bpmn": zeebe, **FORMS}, base=1).status_code == 201
    java = camunda.replace('camunda:type="external" camunda:topic="acknowledge"', 'camunda:class="com.acme.Ack"')
    found = problems(deploy(api, {"simple.bpmn": java, **FORMS}, base=2))
    assert found[0]["element"] == "Task_ack" and "Java" in found[0]["message"]


def test_deploy_needs_process_owner(api):
    api.user("alice", groups=["intake"])
    response = api.post("/api/definitions", "alice", json={"files": {"simple.bpmn": SIMPLE}})
    assert response.status_code == 403


def test_cli_deploy_prints_problems_and_exits_1(api, tmp_path):
    (tmp_path / "bad.bpmn").write_text(SIMPLE.replace(">not in_scope<", ">open('x')<"))
    result = api.runner.invoke(args=["deploy", str(tmp_path / "bad.bpmn")])
    assert result.exit_code == 1
    assert "Flow_out" in result.output and "open" in result.output
    assert "Traceback" not in result.output


def test_an_executable_process_without_an_id_is_a_problem_not_a_crash(api):
    for missing in ('', 'id=""'):
        bpmn = SIMPLE.replace('<bpmn:process id="complaint_handling"', f"<bpmn:process {missing}")
        found = problems(deploy(api, {"simple.bpmn": bpmn, **FORMS}))
        assert any("has no id" in p["message"] for p in found), found


def test_a_time_date_that_is_a_duration_says_so(api):
    wait = (DIAGRAMS / "wait.bpmn").read_text().replace(
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration>", "<bpmn:timeDate>P3D</bpmn:timeDate>")
    response = deploy(api, {"wait.bpmn": wait})
    assert response.status_code == 201, response.get_json()
    api.user("sam", roles=["staff", "supervisor"])
    ref = api.submit()["reference"]
    incidents = api.get(f"/api/complaints/{ref}", "sam").get_json()["incidents"]
    assert any("is a duration, not a date" in i["message"] for i in incidents), incidents
