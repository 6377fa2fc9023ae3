"""The editor's helpers over HTTP, as the editor page and a script call them: the handler
list, conditions checked against the process's variables, timer previews on the business
calendar, the form preview, and the bundle as a zip both ways."""

import io
import json
import re
import zipfile
from datetime import UTC, datetime

from bpmn_complaints.clock import get_clock
from conftest import HERE
from test_web_staff import Browser, add_user

PROCESSES = HERE.parent / "processes"
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def owner(api):
    assert api.deploy(PROCESSES).exit_code == 0
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    return api


def post(api, path, body, who="owner"):
    response = api.post(path, who, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def page_session(api):
    add_user(api.runner, "paula", roles=("process_owner",))
    browser = Browser(api.app).login("paula")
    html = browser.get("/process/complaint_handling/edit").get_data(as_text=True)
    return browser, re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_handler_list_is_the_running_apps(api):
    owner(api)
    listed = api.get("/api/handlers", "owner").get_json()
    names = [item["name"] for item in listed]
    assert {"acknowledge", "escalate", "assign_investigator", "deliver_response"} <= set(names)
    assert len(names) == len(set(names))
    assert api.get("/api/handlers", "sam").status_code == 200  # supervisors read handlers
    api.user("stan", groups=["intake"])
    assert api.get("/api/handlers", "stan").status_code == 403
    # The editor page's list is the same record, with each handler's documentation.
    browser, _csrf = page_session(api)
    page = browser.get("/process/handlers.json").get_json()
    assert [item["name"] for item in page["items"]] == names and page["total"] == len(names)
    escalate = next(item for item in page["items"] if item["name"] == "escalate")
    assert escalate["origin"].startswith("built-in") and "to_group" in escalate["description"]


def test_a_condition_is_checked_against_the_variables_the_process_can_have(api):
    owner(api)
    known = post(api, "/api/editor/check-expression", {"key": "complaint_handling",
                                                        "expression": "priority == 'urgent' and safety_implication"})
    assert known["ok"] and known["names"] == ["priority", "safety_implication"]
    misspelt = post(api, "/api/editor/check-expression", {"key": "complaint_handling", "expression": "prority == 'x'"})
    assert not misspelt["ok"] and misspelt["unknown"] == ["prority"] and "prority" in misspelt["message"]
    juel = post(api, "/api/editor/check-expression",
                {"key": "complaint_handling", "expression": "${severity == 'high'}"})
    assert juel["ok"] and juel["names"] == ["severity"]
    broken = post(api, "/api/editor/check-expression", {"key": "complaint_handling", "expression": "severity =="})
    assert not broken["ok"] and "not allowed" in broken["message"]
    # The editor's unsaved bundle counts: a form field added there is a variable.
    files = {"p.bpmn": (PROCESSES / "complaint_handling.bpmn").read_text(),
             "forms/new.schema.json": json.dumps({"type": "object", "properties": {"account_number": {}}})}
    added = post(api, "/api/editor/check-expression", {"files": files, "expression": "account_number != ''"})
    assert added["ok"], added
    assert api.post("/api/editor/check-expression", "owner", json={"expression": "x"}).status_code == 400


def test_a_timer_preview_counts_business_days(api):
    owner(api)
    with api.app.app_context():
        get_clock().set(FRIDAY)
    after_weekend = post(api, "/api/editor/timer-preview", {"expression": "business_days(1)"})
    assert after_weekend["due_at"].startswith("2026-11-30T10:00")  # Monday, not Saturday
    assert after_weekend["business_days"] == 1 and "Mon 30 Nov 2026" in after_weekend["message"]
    received = post(api, "/api/editor/timer-preview", {"expression": "add_business_days(received_at, 2)"})
    assert received["due_at"].startswith("2026-12-01T10:00")
    duration = post(api, "/api/editor/timer-preview", {"expression": "P3D", "kind": "timeDuration"})
    assert duration["due_at"].startswith("2026-11-30T10:00") and "not a business day" not in duration["message"]
    typo = post(api, "/api/editor/timer-preview", {"expression": "P3X", "kind": "timeDuration"})
    assert not typo["ok"] and "no ISO 8601 duration" in typo["message"]
    later = post(api, "/api/editor/timer-preview", {"expression": "business_days(target_days)"})
    assert later["ok"] and later["due_at"] is None and "target_days" in later["message"]
    sample = post(api, "/api/editor/timer-preview", {"expression": "business_days(target_days)",
                                                      "variables": {"target_days": 5}})
    assert sample["due_at"].startswith("2026-12-04T10:00")
    bad_kind = api.post("/api/editor/timer-preview", "owner", json={"expression": "P1D", "kind": "timeSoon"})
    assert bad_kind.status_code == 400


def test_the_bundle_downloads_as_a_zip_and_deploys_back(api):
    owner(api)
    download = api.get("/api/definitions/complaint_handling/1/bundle.zip", "owner")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        names = archive.namelist()
        contents = {name: archive.read(name).decode() for name in names}
    assert "complaint_handling.bpmn" in names and "initial_assessment.dmn" in names
    assert "forms/intake_assessment.schema.json" in names
    # The same files again: nothing new.
    again = api.post("/api/definitions/bundle.zip", "owner", data={"file": (io.BytesIO(download.data), "b.zip")},
                     content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["version"] == 1 and not again.get_json()["created"]
    # Edited, inside a folder as a zipped folder has it, sent as the body.
    contents["initial_assessment.dmn"] = contents["initial_assessment.dmn"].replace(
        '<outputEntry id="Rule_9_priority"><text>"low"</text>',
        '<outputEntry id="Rule_9_priority"><text>"normal"</text>')
    edited = io.BytesIO()
    with zipfile.ZipFile(edited, "w") as archive:
        for name, text in contents.items():
            archive.writestr(f"my-process/{name}", text)
    unbased = api.client.post("/api/definitions/bundle.zip", data=edited.getvalue(), content_type="application/zip",
                              headers=api.headers("owner"))
    assert unbased.status_code == 428 and unbased.get_json()["error"]["code"] == "base_required", unbased.get_json()
    deployed = api.client.post("/api/definitions/bundle.zip?base_version=1", data=edited.getvalue(),
                               content_type="application/zip", headers=api.headers("owner"))
    assert deployed.status_code == 201 and deployed.get_json()["based_on"] == 1, deployed.get_json()
    # Version 1's zip again, with version 2 named as its base (a form field beside the file): a revert on
    # purpose, deployed as version 3.
    revert = api.post("/api/definitions/bundle.zip", "owner", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(download.data), "b.zip"), "base_version": "2"})
    assert revert.status_code == 201 and revert.get_json()["based_on"] == 2, revert.get_json()
    version_2 = api.get("/api/definitions/complaint_handling/2/bundle.zip", "owner")  # version 3 is version 1's
    with zipfile.ZipFile(io.BytesIO(version_2.data)) as archive:
        assert sorted(archive.namelist()) == sorted(names)
        table = archive.read("initial_assessment.dmn").decode()
        assert '<outputEntry id="Rule_9_priority"><text>"normal"</text>' in table
    # What a zip may not do.
    climbing = io.BytesIO()
    with zipfile.ZipFile(climbing, "w") as archive:
        archive.writestr("../evil.bpmn", contents["complaint_handling.bpmn"])
    refused = api.client.post("/api/definitions/bundle.zip", data=climbing.getvalue(), headers=api.headers("owner"))
    assert refused.status_code == 400 and "may not leave the bundle" in refused.get_json()["error"]["message"]
    not_zip = api.client.post("/api/definitions/bundle.zip", data=b"hello", headers=api.headers("owner"))
    assert not_zip.status_code == 400 and "not a zip" in not_zip.get_json()["error"]["message"]
    assert api.client.post("/api/definitions/bundle.zip", data=download.data,
                           headers=api.headers("sam")).status_code == 403


def test_the_form_preview_is_the_task_pages_form(api):
    owner(api)
    browser, token = page_session(api)
    schema = {"title": "Billing check", "type": "object", "required": ["account_number"], "properties": {
        "account_number": {"title": "Account number", "type": "string", "description": "As printed on the bill."},
        "disputed": {"title": "Disputed", "type": "boolean"},
        "channel": {"title": "Channel", "type": "string", "oneOf": [{"const": "web", "title": "Web form"}]}}}
    preview = browser.client.post("/process/form-preview", json={"schema": schema}, headers={"X-CSRFToken": token})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert 'for="f-account_number"' in html and "(required)" in html and "As printed on the bill." in html
    assert 'type="checkbox"' in html and '<option value="web"' in html and "Web form" in html
    broken = browser.client.post("/process/form-preview", json={"schema": {"properties": []}},
                                 headers={"X-CSRFToken": token})
    assert broken.status_code == 400


def test_the_page_deploys_every_file_it_edited(api):
    owner(api)
    browser, token = page_session(api)
    files = browser.get("/process/complaint_handling/1/files.json").get_json()
    assert files["version"] == 1 and "initial_assessment.dmn" in files["files"]
    form = json.loads(files["files"]["forms/record_action.schema.json"])
    form["properties"]["receipt_number"] = {"title": "Receipt number", "type": "string"}
    form["required"] = [*form.get("required", []), "receipt_number"]
    edited = {**files["files"], "forms/record_action.schema.json": json.dumps(form)}
    answer = browser.client.post("/process/complaint_handling/deploy", json={"files": edited, "base_version": 1},
                                 headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["version"] == 2, answer.get_json()
    compare = api.get("/api/definitions/complaint_handling/compare", "owner", query_string={"from": 1, "to": 2})
    assert any(c["id"] == "receipt_number" for c in compare.get_json()["changes"])
    opened = browser.client.post("/process/complaint_handling/open-bundle", headers={"X-CSRFToken": token},
                                 data={"file": (io.BytesIO(api.get("/api/definitions/complaint_handling/2/bundle.zip",
                                                                   "owner").data), "v2.zip")},
                                 content_type="multipart/form-data")
    assert opened.status_code == 200
    assert json.loads(opened.get_json()["files"]["forms/record_action.schema.json"])["required"][-1] == "receipt_number"
