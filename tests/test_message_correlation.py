"""A message correlates to exactly one waiting receiver (issue #12): two branches of a
multi-instance sub-process wait for the same message; a declared correlation key picks one,
and without one the message is refused rather than delivered to both."""

from conftest import DIAGRAMS

DIAGRAM = DIAGRAMS / "constructs" / "correlation.bpmn"


def _start(api, path):
    assert api.deploy(path).exit_code == 0
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    api.work("alice", ref, {"items": ["a", "b"]})
    return ref


def _send(api, ref, key=None):
    body = {"reference": ref, "payload": {"ok": True}}
    if key is not None:
        body["correlation_key"] = key
    return api.post("/api/messages/item_reply", "alice", json=body)


def _open(api, ref):
    return [t["bpmn_id"] for t in api.tasks("alice", "group")["items"] if t["complaint_reference"] == ref]


def test_the_correlation_key_picks_one_branch(api):
    ref = _start(api, DIAGRAM)
    assert _send(api, ref, "a").status_code == 200
    assert _open(api, ref) == []  # branch b still waits
    response = _send(api, ref, "a")  # a's receiver is gone
    assert response.status_code == 409
    assert "with the correlation key 'a'" in response.get_json()["error"]["message"]
    assert _send(api, ref, "b").status_code == 200
    assert _open(api, ref) == ["Task_close"]


def test_two_receivers_without_a_key_are_refused(api, tmp_path):
    ref = _start(api, DIAGRAM)
    response = _send(api, ref)  # the diagram declares a key, and none was sent
    assert response.status_code == 409
    assert "2 receivers wait for the message 'item_reply' (Catch_reply)" in response.get_json()["error"]["message"]
    assert _send(api, ref, "b").status_code == 200 and _open(api, ref) == []


def test_without_a_declared_key_an_ambiguous_message_is_refused(api, tmp_path):
    text = DIAGRAM.read_text().replace('<zeebe:subscription correlationKey="=item"/>', "")
    path = tmp_path / "nokey.bpmn"
    path.write_text(text)
    ref = _start(api, path)
    response = _send(api, ref)
    assert response.status_code == 409
    assert "declare a correlation key" in response.get_json()["error"]["message"]
    assert _open(api, ref) == []  # neither branch moved
    history = api.history(ref, "alice")["events"]
    assert not [e for e in history if e["action"] == "message_received"]
