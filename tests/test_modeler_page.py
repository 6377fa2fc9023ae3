"""The process owner's pages over HTTP: who may see and deploy, CSRF, and the problems a
bad diagram gets back as JSON (the modeler page's own calls)."""

import re

from conftest import HERE
from test_web_staff import Browser, add_user

PROCESSES = HERE.parent / "processes"
MAIN = (PROCESSES / "complaint_handling.bpmn").read_text()


def setup(api):
    assert api.deploy(PROCESSES).exit_code == 0
    add_user(api.runner, "paula", roles=("process_owner",))
    add_user(api.runner, "sam", ["supervisors"], roles=("staff", "supervisor"))
    return Browser(api.app).login("paula")


def csrf(browser):
    """The session's CSRF token, as the modeler page's script sends it. Taken from the
    sign-out form every page carries, so these tests do not need bpmn-js installed."""
    html = browser.get("/process/complaint_handling/edit").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def send(browser, action, xml, token):
    return browser.client.post(f"/process/complaint_handling/{action}", json={"xml": xml},
                               headers={"X-CSRFToken": token})


def test_versions_page_and_roles(api):
    paula = setup(api)
    page = paula.get("/process").get_data(as_text=True)
    assert "complaint_handling" in page and "Edit in the modeler" in page
    assert "initial_assessment.dmn" in page
    download = paula.get("/process/complaint_handling/1/diagram.bpmn")
    assert download.status_code == 200 and download.get_data(as_text=True) == MAIN
    sam = Browser(api.app).login("sam")
    assert "Edit in the modeler" not in sam.get("/process").get_data(as_text=True)
    assert sam.get("/process/complaint_handling/edit").status_code == 403
    answer = sam.client.post("/process/complaint_handling/deploy", json={"xml": MAIN})
    assert answer.status_code in (400, 403)  # no CSRF token, and not a process owner either way
    assert "error" in answer.get_json()


def test_deploy_needs_the_csrf_token(api):
    paula = setup(api)
    answer = paula.client.post("/process/complaint_handling/deploy", json={"xml": MAIN})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "bad_request"
    assert api.get("/api/definitions", "owner").get_json()["total"] == 1


def test_check_and_deploy_an_edited_diagram(api):
    paula = setup(api)
    token = csrf(paula)
    checked = send(paula, "check", MAIN, token)
    assert checked.status_code == 200 and checked.get_json()["ok"]
    unchanged = send(paula, "deploy", MAIN, token).get_json()
    assert unchanged == {**unchanged, "created": False, "version": 1}

    edited = MAIN.replace('name="Assess the complaint"', 'name="Assess the new complaint"')
    assert edited != MAIN
    deployed = send(paula, "deploy", edited, token)
    assert deployed.status_code == 200, deployed.get_json()
    assert deployed.get_json()["version"] == 2
    versions = api.get("/api/definitions", "owner").get_json()
    v2 = next(d for d in versions["items"] if d["version"] == 2)
    assert v2["deployed_by"] == "paula"
    # The decision table and the forms came along with the diagram.
    assert "initial_assessment.dmn" in v2["files"] and "forms/intake_assessment.schema.json" in v2["files"]
    bpmn = api.get("/api/definitions/complaint_handling/2/bpmn", "owner").get_data(as_text=True)
    assert "Assess the new complaint" in bpmn


def test_problems_come_back_as_json_naming_the_element(api):
    paula = setup(api)
    token = csrf(paula)
    broken = MAIN.replace('<spiffworkflow:serviceTaskOperator id="acknowledge"',
                          '<spiffworkflow:serviceTaskOperator id="no_such_handler"')
    answer = send(paula, "check", broken, token)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "deploy_failed"
    assert [p["element"] for p in error["details"]["problems"]] == ["Task_acknowledge"]
    assert "no_such_handler" in error["details"]["problems"][0]["message"]
    assert send(paula, "deploy", broken, token).status_code == 400
    assert api.get("/api/definitions", "owner").get_json()["total"] == 1
    assert send(paula, "check", "", token).status_code == 400
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert send(paula, "check", bomb, token).get_json()["error"]["code"] == "deploy_failed"
