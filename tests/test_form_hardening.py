"""Task forms cannot hang, mislead or overfill (issue #15, bad input): patterns are checked
at deploy and run with a time limit, every $ref resolves inside the form, a field the form
does not declare is refused, and a task without a form gives the engine routing values only."""

import json
import shutil

from conftest import DIAGRAMS


def _bundle(tmp_path, **schema_changes):
    folder = tmp_path / "simple"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(DIAGRAMS / "simple", folder)
    path = folder / "forms" / "assess.schema.json"
    schema = json.loads(path.read_text())
    for name, prop in schema_changes.pop("properties", {}).items():
        schema["properties"][name] = prop
    schema.update(schema_changes)
    path.write_text(json.dumps(schema))
    return folder


def _assess(api):
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    task = api.task_for("alice", ref)
    assert api.claim("alice", task["id"]).status_code == 200
    return task


def test_nested_repeat_pattern_is_a_deploy_error(api, tmp_path):
    result = api.deploy(_bundle(tmp_path, properties={"code": {"type": "string", "pattern": "^(a+)+$"}}))
    assert result.exit_code == 1
    assert "/properties/code: the pattern '^(a+)+$' repeats a group that repeats again" in result.output


def test_unresolvable_refs_are_deploy_errors(api, tmp_path):
    for ref, ok in (("#/$defs/code", True), ("#/$defs/missing", False), ("other.json#/code", False),
                    ("https://example.com/schema.json", False)):
        folder = _bundle(tmp_path, properties={"code": {"$ref": ref}}, **{"$defs": {"code": {"type": "string"}}})
        result = api.deploy(folder)
        if ok:
            assert result.exit_code == 0, result.output
            continue
        assert result.exit_code == 1, ref
        assert f"/properties/code: the $ref {ref!r} cannot be resolved" in result.output


def test_a_slow_pattern_the_deploy_check_misses_is_cut_off(api, tmp_path):
    # (a|aa)+ has no nested repeat, but backtracks exponentially on a near miss.
    assert api.deploy(_bundle(tmp_path, properties={"code": {"type": "string", "pattern": "^(a|aa)+$"}})).exit_code == 0
    task = _assess(api)
    response = api.complete("alice", task["id"], {"in_scope": True, "severity": "low", "code": "a" * 5000 + "!"})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["details"]["code"] == [
        "the answer took too long to check against the form's pattern"]
    response = api.complete("alice", task["id"], {"in_scope": True, "severity": "low", "code": "aaa"})
    assert response.status_code == 200, response.get_json()


def test_undeclared_fields_are_refused_and_not_in_the_trail(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    task = _assess(api)
    response = api.complete("alice", task["id"], {"in_scope": True, "severity": "low", "secret": "Dana's words"})
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == {"secret": ["This form has no such field."]}
    history = api.history(task["complaint_reference"], "alice")
    assert "secret" not in json.dumps(history)


def test_a_task_without_a_form_gives_the_engine_routing_values_only(api):
    assert api.deploy(DIAGRAMS / "camunda7_assignment.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("ivan")
    ref = api.submit()["reference"]
    words = "The customer was upset."
    api.work("alice", ref, {"reviewer": "ivan", "note": words, "urgent": True})
    # The code routes (${reviewer} assigns the next task); the words stay in the case file.
    assert api.task_for("ivan", ref, scope="mine")["assignee"] == "ivan"
    events = [e for e in api.history(ref, "alice")["events"] if e["action"] == "task_completed"]
    data = events[0]["details"]["data"]
    assert data["urgent"] is True and data["note"] != words and words not in json.dumps(events)
