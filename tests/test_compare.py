"""Comparing two deployed versions (ISO 10002 8.7) through the API, the page and the CLI:
changes in meaning are named one by one; moving shapes is "layout only"."""

import json
import re

from bpmn_complaints.engine.definitions import read_bundle
from conftest import HERE
from test_web_staff import Browser, add_user

PROCESSES = HERE.parent / "processes"
BPMN, DMN, FORM = "complaint_handling.bpmn", "initial_assessment.dmn", "forms/intake_assessment.schema.json"


def edited(files, name, old, new):
    assert old in files[name], (name, old)
    return {**files, name: files[name].replace(old, new, 1)}


def deploy(api, files):
    """Deploy as one owner editing the latest version, so each deploy names it as its base."""
    latest = api.get("/api/definitions", "paula").get_json()["items"]
    base = {"base_version": latest[0]["version"]} if latest else {}
    response = api.post("/api/definitions", "paula", json={"files": files, **base})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["version"]


def setup(api):
    api.user("paula", roles=["process_owner"])
    v1 = read_bundle([PROCESSES])
    assert deploy(api, v1) == 1
    v2 = edited(v1, BPMN, 'name="Assess the complaint"', 'name="Assess and classify the complaint"')
    v2 = edited(v2, BPMN, "business_days(10)</bpmn:timeDate>", "business_days(15)</bpmn:timeDate>")
    v2 = edited(v2, DMN, '<outputEntry id="Rule_1_days"><text>5</text>', '<outputEntry id="Rule_1_days"><text>3</text>')
    form = json.loads(v2[FORM])
    form["properties"]["vulnerable"] = {"title": "Is the complainant vulnerable?", "type": "boolean"}
    v2 = {**v2, FORM: json.dumps(form, indent=2)}
    assert deploy(api, v2) == 2
    v3 = edited(v2, BPMN, '<dc:Bounds x="440" y="190" width="100" height="80"/>',
                '<dc:Bounds x="460" y="200" width="100" height="80"/>')
    assert deploy(api, v3) == 3
    return v1


def test_changes_in_meaning_are_named(api):
    setup(api)
    response = api.get("/api/definitions/complaint_handling/compare", "paula", query_string={"from": 1, "to": 2})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["from"] == 1 and body["to"] == 2 and body["layout_only"] is False
    texts = {(c["kind"], c["area"], c["id"]): c["text"] for c in body["changes"]}
    assert texts == {
        ("changed", "element", "Task_intake_assessment"):
            "User task Task_intake_assessment “Assess and classify the complaint”: "
            "name Assess the complaint → Assess and classify the complaint",
        ("changed", "element", "Event_no_reply"):
            "Intermediate catch event Event_no_reply “No reply in 10 business days”: "
            "timer business_days(10) → business_days(15)",
        ("changed", "decision", "Rule_1"):
            "Rule Rule_1 of Priority and target time: when -, True, -, -, - then \"urgent\", 5 → "
            "when -, True, -, -, - then \"urgent\", 3",
        ("added", "form", "vulnerable"): "Field vulnerable (Is the complainant vulnerable?) was added",
    }
    # Backwards works too, and says the opposite.
    back = api.get("/api/definitions/complaint_handling/compare", "paula", query_string={"from": 2, "to": 1})
    assert ("removed", "vulnerable") in {(c["kind"], c["id"]) for c in back.get_json()["changes"]}


def test_moving_shapes_is_layout_only(api):
    setup(api)
    body = api.get("/api/definitions/complaint_handling/compare", "paula",
                   query_string={"from": 2, "to": 3}).get_json()
    assert body["layout_only"] is True and body["changes"] == []
    same = api.get("/api/definitions/complaint_handling/compare", "paula", query_string={"from": 3, "to": 3})
    assert same.get_json()["changes"] == [] and same.get_json()["layout_only"] is False


def test_defaults_a_modeler_drops_are_not_changes(api):
    v1 = setup(api)
    # bpmn-js writes no attribute that has its BPMN default (isInterrupting="true").
    assert deploy(api, edited(v1, BPMN, ' isInterrupting="true"', "")) == 4
    body = api.get("/api/definitions/complaint_handling/compare", "paula",
                   query_string={"from": 1, "to": 4}).get_json()
    assert body["changes"] == [] and body["layout_only"] is True


def test_a_changed_condition_names_its_flow(api):
    v1 = setup(api)
    v4 = edited(v1, BPMN, ">not (is_complaint and in_scope)<", ">not is_complaint or not in_scope<")
    assert deploy(api, v4) == 4
    body = api.get("/api/definitions/complaint_handling/compare", "paula",
                   query_string={"from": 1, "to": 4}).get_json()
    [change] = body["changes"]
    assert change["area"] == "flow" and change["kind"] == "changed"
    assert change["text"].endswith(": condition not (is_complaint and in_scope) → not is_complaint or not in_scope")


def test_roles_unknown_versions_and_bad_input(api):
    setup(api)
    api.user("alice", groups=["intake"])
    api.user("quinn", roles=["auditor"])
    url = "/api/definitions/complaint_handling/compare"
    assert api.get(url, "alice", query_string={"from": 1, "to": 2}).status_code == 403
    assert api.get(url, None, query_string={"from": 1, "to": 2}).status_code == 401
    assert api.get(url, "quinn", query_string={"from": 1, "to": 2}).status_code == 200
    missing = api.get(url, "quinn", query_string={"from": 1, "to": 9})
    assert missing.status_code == 404 and "version 9" in missing.get_json()["error"]["message"]
    bad = api.get(url, "quinn", query_string={"from": "one", "to": 2})
    assert bad.status_code in (400, 422) and "from" in json.dumps(bad.get_json()["error"])
    assert api.get("/api/definitions/nope/compare", "quinn", query_string={"from": 1, "to": 2}).status_code == 404


def test_page_and_cli(api):
    setup(api)
    add_user(api.runner, "sam", ["supervisors"], roles=("staff", "supervisor"))
    sam = Browser(api.app).login("sam")
    versions = sam.get("/process").get_data(as_text=True)
    assert "/process/complaint_handling/compare?from=1&amp;to=2" in versions
    page = sam.get("/process/complaint_handling/compare?from=1&to=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "4 changes." in html
    assert "Decision-table rules" in html and "Form fields" in html
    assert "timer business_days(10) → business_days(15)" in html
    latest = sam.get("/process/complaint_handling/compare").get_data(as_text=True)  # 2 → 3 by default
    assert "Only the layout changed" in latest
    assert sam.get("/process/complaint_handling/compare?from=1&to=7").status_code == 404

    result = api.runner.invoke(args=["compare", "complaint_handling", "1", "2"])
    assert result.exit_code == 0, result.output
    assert "changed  initial_assessment.dmn: Rule Rule_1 of Priority and target time" in result.output
    result = api.runner.invoke(args=["compare", "complaint_handling", "2", "3"])
    assert result.output.strip() == "only the layout changed"
    missing = api.runner.invoke(args=["compare", "complaint_handling", "1", "x"])
    assert missing.exit_code == 1 and "version x" in missing.output



def test_side_effects_and_equivalent_wrappers_are_not_changes(api):
    """What a modeler rewrites on its own (another namespace prefix, xsi:type, an empty
    extension element, a re-indented form) and ${x} for x are not changes."""
    v1 = setup(api)
    text = v1[BPMN].replace("xmlns:spiffworkflow=", "xmlns:spiff=").replace("spiffworkflow:", "spiff:")
    text = text.replace(' xsi:type="bpmn:tFormalExpression">not (is_complaint', '>not (is_complaint')
    assert 'id="decision" type="str" value="resolution_summary"' in text
    text = text.replace('value="resolution_summary"', 'value="${resolution_summary}"')
    v4 = {**v1, BPMN: text, FORM: json.dumps(json.loads(v1[FORM]), indent=4)}
    v4 = edited(v4, BPMN, '<bpmn:endEvent id="', '<bpmn:endEvent id="')
    end = re.search(r'<bpmn:endEvent id="[^"]+"[^>]*>', v4[BPMN]).group(0)
    v4 = edited(v4, BPMN, end, end + "<bpmn:extensionElements/>")
    assert deploy(api, v4) == 4
    body = api.get("/api/definitions/complaint_handling/compare", "paula",
                   query_string={"from": 1, "to": 4}).get_json()
    assert body["changes"] == [] and body["layout_only"] is True, body
    # A wrapper that changes the meaning still counts: JUEL's == coerces types.
    v5 = edited(v1, BPMN, ">complainant_satisfied == True<", ">${complainant_satisfied == true}<")
    assert deploy(api, v5) == 5
    body = api.get("/api/definitions/complaint_handling/compare", "paula",
                   query_string={"from": 1, "to": 5}).get_json()
    assert [c["area"] for c in body["changes"]] == ["flow"], body
