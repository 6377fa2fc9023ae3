"""Safe deploys (#13): each version records its base; a deploy from an older base is
refused with 409 and the newer version's changes, on the modeler page, the API and the
CLI; --force or the page's confirmation overrides it, on the record; an unchanged bundle
is a no-op by every path; roll back deploys an old version's files as a new version."""

import io
import shutil

from conftest import HERE
from test_deploy import FORMS, SIMPLE, deploy
from test_modeler_page import MAIN, csrf, setup

PROCESSES = HERE.parent / "processes"


def _deploy(api, files, base=None, force=False):
    body = {"files": files, **({"base_version": base} if base else {}), **({"force": True} if force else {})}
    return api.post("/api/definitions", "owner", json=body)


def _versions(api):
    return api.get("/api/definitions", "owner").get_json()["items"]


def test_lost_update_the_second_editor_is_refused_with_409(api):
    assert deploy(api, {"simple.bpmn": SIMPLE, **FORMS}).status_code == 201
    alice = SIMPLE.replace("Assess the complaint", "Assess it (Alice)")
    bob = SIMPLE.replace('name="Investigate"', 'name="Investigate (Bob)"')
    first = _deploy(api, {"simple.bpmn": alice, **FORMS}, base=1)
    assert first.status_code == 201 and first.get_json()["based_on"] == 1
    second = _deploy(api, {"simple.bpmn": bob, **FORMS}, base=1)
    assert second.status_code == 409, second.get_json()
    error = second.get_json()["error"]
    assert error["code"] == "stale_base"
    assert (error["details"]["base_version"], error["details"]["latest_version"]) == (1, 2)
    assert [c["id"] for c in error["details"]["changes"]] == ["Task_assess"]
    assert "Assess it (Alice)" in error["details"]["changes"][0]["text"]
    assert [v["version"] for v in _versions(api)] == [2, 1]
    forced = _deploy(api, {"simple.bpmn": bob, **FORMS}, base=1, force=True)
    assert forced.status_code == 201
    assert (forced.get_json()["version"], forced.get_json()["based_on"], forced.get_json()["forced"]) == (3, 1, True)
    trail = api.get("/api/audit/system", "owner")
    if trail.status_code == 200:  # the system chain's reader, where there is one
        assert any(e.get("details", {}).get("forced_over") == 2 for e in trail.get_json().get("items", []))


def test_the_modeler_page_refuses_a_stale_base_and_deploys_on_confirmation(api):
    paula = setup(api)
    token = csrf(paula)

    def send(xml, base, force=False):
        return paula.client.post("/process/complaint_handling/deploy", json={"xml": xml, "base_version": base,
                                                                              "force": force},
                                 headers={"X-CSRFToken": token})

    colleague = send(MAIN.replace('name="Acknowledge', 'name="Send the acknowledgement'), 1)
    assert colleague.status_code == 200 and colleague.get_json()["version"] == 2
    mine = MAIN.replace('name="Complaint received"', 'name="A complaint arrives"')
    assert 'name="Complaint received"' in MAIN
    refused = send(mine, 1)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "stale_base"
    assert any("Send the acknowledgement" in c["text"] for c in refused.get_json()["error"]["details"]["changes"])
    confirmed = send(mine, 1, force=True)
    assert confirmed.status_code == 200 and confirmed.get_json()["version"] == 3
    latest = _versions(api)[0]
    assert (latest["source"], latest["based_on"], latest["forced"]) == ("modeler", 1, True)


def _copy(tmp_path):
    folder = tmp_path / "processes"
    shutil.copytree(PROCESSES, folder)
    return folder


def test_cli_deploy_of_files_older_than_the_modeler_version_is_refused(api, tmp_path):
    """The docs' workflow (edit processes/, deploy it) once silently reverted the modeler."""
    folder = _copy(tmp_path)
    api.user("owner", roles=("process_owner",))
    assert api.runner.invoke(args=["deploy", str(folder)]).exit_code == 0
    paula = setup_page(api)
    token = csrf(paula)
    modeler = paula.client.post("/process/complaint_handling/deploy", json={
        "xml": MAIN.replace('name="Acknowledge', 'name="Send the acknowledgement'), "base_version": 1},
        headers={"X-CSRFToken": token})
    assert modeler.get_json()["version"] == 2
    main = folder / "complaint_handling.bpmn"
    main.write_text(main.read_text().replace('name="Complaint received"', 'name="A complaint arrives"'))
    refused = api.runner.invoke(args=["deploy", str(folder)])
    assert refused.exit_code == 1, refused.output
    assert "based on version 1, but version 2" in refused.output and "in the modeler page" in refused.output
    assert "Send the acknowledgement" in refused.output  # what the newer version changed
    assert len(_versions(api)) == 2
    # The unchanged shipped files are version 1's: deploying them would revert too.
    again = api.runner.invoke(args=["deploy", str(PROCESSES)])
    assert again.exit_code == 1 and "based on version 1" in again.output, again.output
    forced = api.runner.invoke(args=["deploy", str(folder), "--force"])
    assert forced.exit_code == 0 and "version 3 deployed over a newer version (forced)" in forced.output


def setup_page(api):
    from test_web_staff import Browser, add_user

    add_user(api.runner, "paula", roles=("process_owner",))
    return Browser(api.app).login("paula")


def test_export_then_edit_then_deploy_is_based_on_the_exported_version(api, tmp_path):
    folder = _copy(tmp_path)
    api.user("owner", roles=("process_owner",))
    assert api.runner.invoke(args=["deploy", str(folder)]).exit_code == 0
    changed = MAIN.replace('name="Acknowledge', 'name="Send the acknowledgement')
    assert _deploy(api, {**_files(folder), "complaint_handling.bpmn": changed}, base=1).status_code == 201
    work = tmp_path / "work"
    exported = api.runner.invoke(args=["export", "complaint_handling", str(work)])
    assert exported.exit_code == 0, exported.output
    assert '"version": 2' in (work / ".deployed-version").read_text()
    main = work / "complaint_handling.bpmn"
    assert "Send the acknowledgement" in main.read_text()
    main.write_text(main.read_text().replace('name="Complaint received"', 'name="A complaint arrives"'))
    result = api.runner.invoke(args=["deploy", str(work)])
    assert result.exit_code == 0 and "version 3 deployed" in result.output, result.output
    assert _versions(api)[0]["based_on"] == 2
    assert '"version": 3' in (work / ".deployed-version").read_text()


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*")
            if p.is_file() and p.suffix in (".bpmn", ".dmn", ".json")}


def test_unchanged_files_are_a_no_op_by_every_path(api, tmp_path):
    folder = _copy(tmp_path)
    api.user("owner", roles=("process_owner",))
    assert api.runner.invoke(args=["deploy", str(folder)]).exit_code == 0
    cli = api.runner.invoke(args=["deploy", str(folder)])
    assert cli.exit_code == 0 and "unchanged" in cli.output
    assert _deploy(api, _files(folder)).status_code == 200
    # curl -F file=@forms/x.json sends the file name without its folder.
    uploads = [(io.BytesIO(p.read_bytes()), p.name) for p in sorted(folder.rglob("*")) if p.is_file()]
    multipart = api.client.post("/api/definitions", headers=api.headers("owner"), data={"file": uploads},
                                content_type="multipart/form-data")
    assert multipart.status_code == 200 and multipart.get_json()["created"] is False, multipart.get_json()
    paula = setup_page(api)
    page = paula.client.post("/process/complaint_handling/deploy", json={"xml": MAIN, "base_version": 1},
                             headers={"X-CSRFToken": csrf(paula)})
    assert page.get_json()["created"] is False
    assert len(_versions(api)) == 1


def test_multipart_deploy_takes_base_version_and_force(api):
    assert deploy(api, {"simple.bpmn": SIMPLE, **FORMS}).status_code == 201
    assert _deploy(api, {"simple.bpmn": SIMPLE.replace("Assess the complaint", "Assess"), **FORMS},
                   base=1).status_code == 201
    changed = SIMPLE.replace('name="Investigate"', 'name="Look into it"')
    uploads = [(io.BytesIO(changed.encode()), "simple.bpmn")] + [
        (io.BytesIO(text.encode()), name.split("/")[-1]) for name, text in FORMS.items()]
    refused = api.client.post("/api/definitions", headers=api.headers("owner"),
                              data={"file": uploads, "base_version": "1"}, content_type="multipart/form-data")
    assert refused.status_code == 409
    uploads = [(io.BytesIO(changed.encode()), "simple.bpmn")] + [
        (io.BytesIO(text.encode()), name.split("/")[-1]) for name, text in FORMS.items()]
    forced = api.client.post("/api/definitions", headers=api.headers("owner"),
                             data={"file": uploads, "base_version": "1", "force": "true"},
                             content_type="multipart/form-data")
    assert forced.status_code == 201 and forced.get_json()["forced"] is True


def test_roll_back_deploys_an_old_versions_files_as_a_new_version(api):
    assert deploy(api, {"simple.bpmn": SIMPLE, **FORMS}).status_code == 201
    assert _deploy(api, {"simple.bpmn": SIMPLE.replace("Assess the complaint", "Assess"), **FORMS},
                   base=1).status_code == 201
    rolled = api.post("/api/definitions/complaint_handling/1/rollback", "owner")
    assert rolled.status_code == 201, rolled.get_json()
    body = rolled.get_json()
    assert (body["version"], body["source"], body["based_on"]) == (3, "rollback:1", 2)
    versions = _versions(api)
    assert versions[0]["sha256"] == versions[2]["sha256"] != versions[1]["sha256"]
    assert api.post("/api/definitions/complaint_handling/1/rollback", "owner").status_code == 200  # no-op now
    cli = api.runner.invoke(args=["rollback", "complaint_handling", "2"])
    assert cli.exit_code == 0 and "version 4 deployed with the files of version 2" in cli.output, cli.output


def test_the_versions_page_rolls_back_and_shows_base_and_warnings(api):
    import re

    assert deploy(api, {"simple.bpmn": SIMPLE, **FORMS}).status_code == 201
    camunda = SIMPLE.replace('xmlns:xsi=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi=').replace(
        'name="Investigate"', 'name="Investigate" camunda:asyncBefore="true"')
    assert _deploy(api, {"simple.bpmn": camunda, **FORMS}, base=1).status_code == 201
    paula = setup_page(api)
    page = paula.get("/process").get_data(as_text=True)
    assert "from version 1" in page and "1 lint warning(s): Task_investigate: camunda:asyncBefore" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = paula.client.post("/process/complaint_handling/1/rollback", data={"csrf_token": token})
    assert answer.status_code == 302
    latest = _versions(api)[0]
    assert (latest["version"], latest["source"]) == (3, "rollback:1")
    assert "a roll-back to version 1" in paula.get("/process").get_data(as_text=True)


def test_an_api_deploy_without_a_base_is_refused_once_the_process_has_versions(api):
    """An integrator's script that sends no base_version could undo a colleague's version
    it never saw: once the process has versions, the API asks for the base (428)."""
    first = deploy(api, {"simple.bpmn": SIMPLE, **FORMS})
    assert first.status_code == 201 and first.get_json()["based_on"] is None  # a new process needs no base
    assert _deploy(api, {"simple.bpmn": SIMPLE.replace("Assess the complaint", "Assess"), **FORMS},
                   base=1).status_code == 201
    mine = {"simple.bpmn": SIMPLE.replace('name="Investigate"', 'name="Look into it"'), **FORMS}
    refused = _deploy(api, mine)
    assert refused.status_code == 428, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "base_required"
    assert (error["details"]["latest_version"], error["details"]["latest_deployed_by"]) == (2, "owner")
    assert "base_version=2" in error["message"]
    uploads = [(io.BytesIO(mine["simple.bpmn"].encode()), "simple.bpmn")] + [
        (io.BytesIO(text.encode()), name.split("/")[-1]) for name, text in FORMS.items()]
    multipart = api.client.post("/api/definitions", headers=api.headers("owner"), data={"file": uploads},
                                content_type="multipart/form-data")
    assert multipart.status_code == 428 and multipart.get_json()["error"]["code"] == "base_required"
    assert [v["version"] for v in _versions(api)] == [2, 1]
    # The latest version's files need no base (a no-op), an older version's are a revert (409).
    assert _deploy(api, {"simple.bpmn": SIMPLE.replace("Assess the complaint", "Assess"), **FORMS}).status_code == 200
    revert = _deploy(api, {"simple.bpmn": SIMPLE, **FORMS})
    assert revert.status_code == 409 and revert.get_json()["error"]["details"]["base_version"] == 1
    # Stating the base deploys; so does force, on top of the latest, and the trail says no base was stated.
    assert _deploy(api, mine, base=2).get_json()["version"] == 3
    other = {"simple.bpmn": SIMPLE.replace('name="Investigate"', 'name="Investigate it"'), **FORMS}
    forced = _deploy(api, other, force=True)
    assert forced.status_code == 201, forced.get_json()
    assert (forced.get_json()["version"], forced.get_json()["based_on"]) == (4, 3)
    with api.app.app_context():
        from sqlalchemy import select

        from bpmn_complaints.extensions import db
        from bpmn_complaints.models import AuditEvent

        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deployed")
                                    .order_by(AuditEvent.id))
        assert [e.details.get("base_stated") for e in events] == [False, True, True, False]
