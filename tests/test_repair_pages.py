"""The repair tools on the pages (#13): the incidents page, incident markers in the
complaint list and the inbox, and the complaint page's repair panel, as people use them."""

from conftest import DIAGRAMS
from test_web_staff import Browser, add_user


def _stranded(api):
    """A complaint whose completion failed on a timer naming a missing variable."""
    assert api.deploy(DIAGRAMS / "stuck_timer.bpmn").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    add_user(api.runner, "sam", ["intake"], roles=("staff", "supervisor"))
    add_user(api.runner, "audrey", roles=("auditor",))
    api.tokens["alice"] = api.runner.invoke(args=["token", "alice"]).output.strip().splitlines()[-1]
    ok, ref = api.submit()["reference"], api.submit()["reference"]
    task = api.task_for("alice", ref)
    api.claim("alice", task["id"])
    assert api.complete("alice", task["id"], {}).status_code == 422
    return ref, ok


def test_incidents_page_lists_the_incident_and_retries_it(api):
    ref, _ok = _stranded(api)
    audrey = Browser(api.app).login("audrey")
    page = audrey.get("/incidents").get_data(as_text=True)
    assert ref in page and "Timer_wait" in page and "completion" in page and "wait_for" in page
    assert "Retry</button>" not in page  # an auditor reads, and does not retry
    assert Browser(api.app).login("alice").get("/incidents").status_code == 403

    sam = Browser(api.app).login("sam")
    assert "Retry</button>" in sam.get("/incidents").get_data(as_text=True)
    answer = sam.post("/incidents", "/incidents/1/retry", follow_redirects=True).get_data(as_text=True)
    assert "wait_for" in answer  # still failing: the flash says why
    sam.post(f"/complaints/{ref}", f"/complaints/{ref}/repair/variable",
             {"name": "wait_for", "value": '"PT1H"', "reason": "the diagram needs a wait"})
    done = sam.post("/incidents", "/incidents/1/retry", follow_redirects=True).get_data(as_text=True)
    assert "ran again" in done and "No open incidents." in done


def test_markers_in_the_complaint_list_and_the_inbox(api):
    ref, ok = _stranded(api)
    sam = Browser(api.app).login("sam")
    listing = sam.get("/complaints").get_data(as_text=True)
    row = next(line for line in listing.splitlines() if f">{ref}</a>" in line)
    assert "incident-marker" in row
    other = next(line for line in listing.splitlines() if f">{ok}</a>" in line)
    assert "incident-marker" not in other
    inbox = Browser(api.app).login("alice").get("/inbox").get_data(as_text=True)
    row = next(line for line in inbox.splitlines() if f">{ref}</a>" in line)
    assert "incident-marker" in row


def test_repair_panel_shows_state_and_its_forms_move_and_cancel(api):
    assert api.deploy(DIAGRAMS / "wait.bpmn").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    add_user(api.runner, "sam", ["intake"], roles=("staff", "supervisor"))
    ref = api.submit()["reference"]
    sam = Browser(api.app).login("sam")
    page = sam.get(f"/complaints/{ref}").get_data(as_text=True)
    assert "Process state and repair" in page and "Timer_hour" in page and "due" in page
    assert "Process state and repair" not in Browser(api.app).login("alice").get(f"/complaints/{ref}").get_data(
        as_text=True)
    refused = sam.post(f"/complaints/{ref}", f"/complaints/{ref}/repair/move",
                       {"from": "Timer_hour", "to": "Task_follow_up", "reason": ""}, follow_redirects=True)
    assert "needs a reason" in refused.get_data(as_text=True)
    moved = sam.post(f"/complaints/{ref}", f"/complaints/{ref}/repair/move",
                     {"from": "Timer_hour", "to": "Task_follow_up", "reason": "called back"}, follow_redirects=True)
    text = moved.get_data(as_text=True)
    assert "The process moved." in text and "Process moved to another step (repair)" in text
    cancelled = sam.post(f"/complaints/{ref}", f"/complaints/{ref}/repair/cancel", {"reason": "a test entry"},
                         follow_redirects=True).get_data(as_text=True)
    assert "The complaint is cancelled." in cancelled and "Complaint cancelled (repair)" in cancelled
    assert "Process state and repair" not in cancelled  # closed: nothing left to repair
