"""Camunda's forms become our JSON Schema form (issue #12): camunda:formData, Camunda Forms
by camunda:formRef/formKey and zeebe:formDefinition/userTaskForm. The API shows the form,
validates answers against it, and the gateways read the answers."""

import json

from conftest import DIAGRAMS

HERE = DIAGRAMS / "constructs"


def _task(api, who, ref, bpmn_id):
    items = [t for t in api.tasks(who, "group")["items"] if t["complaint_reference"] == ref]
    assert [t["bpmn_id"] for t in items] == [bpmn_id], items
    detail = api.get(f"/api/tasks/{items[0]['id']}", who).get_json()
    assert api.claim(who, detail["id"]).status_code == 200
    return detail


def _errors(response):
    assert response.status_code == 400, response.get_json()
    return response.get_json()["error"]["details"]


def test_camunda7_form_data_and_camunda_forms(api):
    assert api.deploy(HERE / "c7_forms").exit_code == 0
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    assess = _task(api, "alice", ref, "Task_assess")
    schema = assess["form_schema"]
    assert schema["required"] == ["approved"]
    assert schema["properties"]["approved"] == {"type": "boolean", "title": "Approve the remedy?"}
    assert schema["properties"]["tier"]["oneOf"] == [{"const": "gold", "title": "Gold"},
                                                     {"const": "silver", "title": "Silver"}]
    assert schema["properties"]["tier"]["default"] == "silver"
    assert (schema["properties"]["amount"]["minimum"], schema["properties"]["amount"]["maximum"]) == (0, 1000)
    assert schema["properties"]["reply_by"]["format"] == "date"
    errors = _errors(api.complete("alice", assess["id"], {"tier": "bronze", "amount": 5000, "reply_by": "soon",
                                                          "extra": 1}))
    assert set(errors) == {"approved", "tier", "amount", "reply_by", "extra"}, errors
    assert errors["extra"] == ["This form has no such field."]
    assert api.complete("alice", assess["id"], {"approved": True, "tier": "gold", "amount": 40}).status_code == 200

    review = _task(api, "alice", ref, "Task_review")  # ${approved && tier == 'gold'}: taken
    props = review["form_schema"]["properties"]
    assert set(props) == {"decision", "case_code", "reply_email"}  # display components and the group flattened
    assert review["form_schema"]["required"] == ["decision"]
    errors = _errors(api.complete("alice", review["id"], {"case_code": "ab-1", "reply_email": "nobody"}))
    assert set(errors) == {"decision", "case_code", "reply_email"}, errors
    assert api.complete("alice", review["id"], {"decision": "uphold", "case_code": "AB-123"}).status_code == 200

    follow = _task(api, "alice", ref, "Task_follow_up")
    assert follow["form_schema"]["properties"]["minutes"]["type"] == "integer"
    assert _errors(api.complete("alice", follow["id"], {"minutes": 0}))["minutes"]
    assert api.complete("alice", follow["id"], {"called": True, "minutes": 12}).status_code == 200
    assert api.get(f"/api/complaints/{ref}", "alice").get_json()["instance_status"] == "completed"


def test_form_data_default_applies_when_unanswered(api):
    assert api.deploy(HERE / "c7_forms").exit_code == 0
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    assess = _task(api, "alice", ref, "Task_assess")
    # tier defaults to silver, so the gateway takes its default flow, not the gold one.
    assert api.complete("alice", assess["id"], {"approved": True}).status_code == 200
    follow = _task(api, "alice", ref, "Task_follow_up")
    assert follow["bpmn_id"] == "Task_follow_up"
    done = api.get(f"/api/tasks/{assess['id']}", "alice").get_json()
    assert done["data"] == {"approved": True, "tier": "silver"}


def test_zeebe_embedded_and_linked_forms(api):
    assert api.deploy(HERE / "zeebe_forms").exit_code == 0
    api.user("alice", groups=["intake"])
    routes = {}
    for route in ("refund", "apology"):
        ref = api.submit()["reference"]
        triage = _task(api, "alice", ref, "Task_triage")
        assert triage["form_schema"]["properties"]["route"]["oneOf"][0] == {"const": "refund", "title": "Refund"}
        assert _errors(api.complete("alice", triage["id"], {}))["route"] == ["This field is required."]
        assert api.complete("alice", triage["id"], {"route": route}).status_code == 200
        items = [t for t in api.tasks("alice", "group")["items"] if t["complaint_reference"] == ref]
        routes[route] = [t["bpmn_id"] for t in items]
        if route == "refund":
            refund = _task(api, "alice", ref, "Task_refund")
            assert refund["form_schema"]["properties"]["refund"] == {"type": "number", "title": "Refund",
                                                                     "minimum": 0}
    assert routes == {"refund": ["Task_refund"], "apology": ["Task_apology"]}


def _variant(tmp_path, source, name, text):
    folder = tmp_path / "bundle"
    if not folder.exists():
        folder.mkdir()
        for file in source.rglob("*"):
            if file.is_file():
                target = folder / file.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(file.read_text())
    (folder / name).write_text(text)
    return folder


def test_unsupported_form_components_are_refused_by_name(api, tmp_path):
    form = json.loads((HERE / "zeebe_forms" / "refund.form").read_text())
    form["components"] += [{"type": "dynamiclist", "key": "items", "components": []},
                           {"type": "iframe", "url": "https://example.com"},
                           {"type": "textfield", "key": "note", "conditional": {"hide": "=refund > 10"}}]
    folder = _variant(tmp_path, HERE / "zeebe_forms", "refund.form", json.dumps(form))
    result = api.deploy(folder)
    assert result.exit_code == 1
    assert "Task_refund: the form has what this engine cannot show" in result.output
    for named in ("dynamiclist 'items'", "the component type 'iframe'", "textfield 'note': a condition"):
        assert named in result.output, result.output


def test_forms_we_cannot_show_or_find_are_deploy_errors(api, tmp_path):
    text = (HERE / "c7_forms" / "c7_forms.bpmn").read_text()
    follow_up = 'camunda:formKey="camunda-forms:deployment:forms/follow_up.form"'
    cases = {
        'camunda:formRef="reviewForm"': 'camunda:formRef="missingForm"',
        follow_up: 'camunda:formKey="embedded:app:forms/x.html"',
        'type="long"': 'type="money"',
        '<camunda:constraint name="min" config="0"/>': '<camunda:constraint name="validator" config="com.acme.V"/>',
    }
    expected = ["no Camunda Form (.form file) in the bundle has the id 'missingForm'",
                "names an HTML or external form", "has the type 'money'", "has the constraint 'validator'"]
    for (old, new), message in zip(cases.items(), expected, strict=True):
        folder = _variant(tmp_path, HERE / "c7_forms", "c7_forms.bpmn", text.replace(old, new))
        result = api.deploy(folder)
        assert result.exit_code == 1 and message in result.output, result.output


def test_the_task_page_shows_a_camunda_form(api):
    from test_web_staff import Browser, add_user

    assert api.deploy(HERE / "c7_forms").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    api.user("alice")
    ref = api.submit()["reference"]
    task = _task(api, "alice", ref, "Task_assess")
    html = Browser(api.app).login("alice").get(f"/tasks/{task['id']}").get_data(as_text=True)
    for label in ("Approve the remedy?", "Customer tier", "Refund", "Reply by"):
        assert label in html
    assert '<option value="gold"' in html and "Silver" in html
    assert 'type="date"' in html
