"""Nothing typed on a task page is lost, through the Flask test client: the form comes back
from the draft, adding a comment keeps it, a reassignment keeps it and names the new
holder, and an expired form keeps it and can be sent again."""

import re
import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from test_web_staff import first_task_id, staff, text  # noqa: F401

NOTE = "Rang Dana at 10:00; her neighbour Mrs Patel let the engineer in."
OURS = {"Origin": "http://localhost"}  # what a browser sends with a form posted from our page


def claimed(staff, api, who="alice"):  # noqa: F811
    """A complaint whose assessment ``who`` has claimed on the page; returns the browser and task id."""
    api.submit(description="The engineer never came.")
    browser = staff(who)
    task_id = first_task_id(text(browser.get("/inbox?scope=group")))
    assert browser.post(f"/tasks/{task_id}", f"/tasks/{task_id}/claim").status_code == 302
    return browser, task_id


def answers(**more):
    return {"_form": "1", "severity": "high", "note": NOTE, **more}


def note_in(html) -> bool:
    return f">{NOTE}</textarea>" in html


def fresh_token(html) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def expired_token(browser, app) -> str:
    """The token the page would have carried two hours ago (tokens last one hour)."""
    with browser.client.session_transaction() as session:
        raw = session["csrf_token"]

    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 2 * 3600

    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=TwoHoursAgo).dumps(raw)


def test_the_task_page_puts_the_draft_back_into_the_form(staff, api):  # noqa: F811
    alice, task_id = claimed(staff, api)
    page = f"/tasks/{task_id}"
    html = text(alice.get(page))
    assert f'data-draft-url="/tasks/{task_id}/draft"' in html and 'id="draft-status"' in html
    # The autosave: JSON with the session cookie and the CSRF token in a header.
    save = alice.client.put(f"{page}/draft", json={"data": {"severity": "high", "note": NOTE, "in_scope": "true"}},
                            headers={"X-CSRFToken": fresh_token(html)})
    assert save.status_code == 200, save.get_json()
    assert save.get_json()["data"] == {"severity": "high", "note": NOTE, "in_scope": True}
    refused = alice.client.put(f"{page}/draft", json={"data": {"note": "no token"}})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]["message"]
    back = alice.get(f"{page}/draft").get_json()
    assert back["data"]["note"] == NOTE and back["csrf_token"]

    html = text(alice.get(page))
    assert note_in(html) and '<option value="high" selected>' in html
    assert 'name="in_scope" value="true" checked' in html and "Draft saved" in html
    # bob, in the same group, sees the task but not alice's draft.
    assert NOTE not in text(staff("bob").get(page))
    # Without a session there is no token to match: refused before anyone is looked up.
    signed_out = api.app.test_client().put(f"{page}/draft", json={"data": {"note": "x"}}, headers={"X-CSRFToken": "x"})
    assert signed_out.status_code == 400 and signed_out.get_json()["error"]["code"] == "bad_request"
    assert alice.get(f"{page}/draft").get_json()["data"]["note"] == NOTE


def test_adding_a_comment_keeps_what_was_typed_in_the_form(staff, api):  # noqa: F811
    alice, task_id = claimed(staff, api)
    page = f"/tasks/{task_id}"
    html = text(alice.get(page))
    # The comment's box and button belong to the task's form, so its fields come along.
    assert 'form="task-form" formaction="/tasks/' in html and 'name="body" rows="3"' in html
    added = alice.post(page, f"{page}/comments", {**answers(), "body": "Asked the depot for the log."},
                       follow_redirects=True)
    html = text(added)
    assert "Comment added." in html and "Asked the depot for the log." in html
    assert note_in(html) and '<option value="high" selected>' in html
    empty = alice.post(page, f"{page}/comments", {**answers(note=NOTE + " Twice."), "body": " "},
                       follow_redirects=True)
    assert "Write something" in text(empty) and f">{NOTE} Twice.</textarea>" in text(empty)
    # Someone who does not hold the task posts no fields: the comment is added, no draft made.
    sam = staff("sam")
    assert sam.post(page, f"{page}/comments", {"body": "Supervisor note"}, follow_redirects=True).status_code == 200
    assert sam.get(f"{page}/draft").get_json()["data"] is None


def test_a_reassignment_keeps_the_text_and_says_who_holds_the_task(staff, api):  # noqa: F811
    alice, task_id = claimed(staff, api)
    page = f"/tasks/{task_id}"
    token = fresh_token(text(alice.get(page)))  # alice's page is open while she types
    sam = staff("sam")
    assert sam.post(page, f"{page}/assign", {"assignee": "bob"}).status_code == 302
    sent = alice.client.post(f"{page}/complete", data={"csrf_token": token, **answers(in_scope="true")})
    assert sent.status_code == 409
    html = text(sent)
    assert "This task is now held by bob; your answers are kept as a draft." in html
    assert note_in(html) and '<option value="high" selected>' in html
    assert alice.get(f"{page}/draft").get_json()["data"] == {"severity": "high", "note": NOTE, "in_scope": True}
    # The new holder starts from the form: a draft is its author's alone.
    bobs = text(staff("bob").get(page))
    assert NOTE not in bobs and "Complete</button>" in bobs
    # alice still finds her text on the page (read-only now), and gets it back with the task.
    assert note_in(text(alice.get(page))) and "Below is your draft" in text(alice.get(page))
    assert sam.post(page, f"{page}/assign", {"assignee": "alice"}).status_code == 302
    html = text(alice.get(page))
    assert note_in(html) and "Complete</button>" in html
    done = alice.post(page, f"{page}/complete", answers(in_scope="true"), follow_redirects=True)
    assert done.request.path == "/inbox" and f'data-task-done="{task_id}"' in text(done)
    assert note_in(text(sam.get(page))) and "This task is completed (by alice" in text(sam.get(page))


def test_a_task_handed_back_meanwhile_keeps_the_text_too(staff, api):  # noqa: F811
    alice, task_id = claimed(staff, api)
    page = f"/tasks/{task_id}"
    token = fresh_token(text(alice.get(page)))
    assert staff("sam").post(page, f"{page}/unclaim").status_code == 302
    sent = alice.client.post(f"{page}/complete", data={"csrf_token": token, **answers(in_scope="true")})
    assert sent.status_code == 409
    assert "handed back to the intake group; your answers are kept as a draft. Claim it" in text(sent)
    assert note_in(text(sent))


def test_an_expired_form_keeps_the_answers_and_can_be_sent_again(staff, api, app):  # noqa: F811
    alice, task_id = claimed(staff, api)
    page = f"/tasks/{task_id}"
    alice.get(page)
    sent = alice.client.post(f"{page}/complete", data={"csrf_token": expired_token(alice, app), **answers()},
                             headers=OURS)
    assert sent.status_code == 400
    html = text(sent)
    assert "This form had expired, so it was not sent. Your answers are kept as a draft." in html
    assert note_in(html) and '<option value="high" selected>' in html
    assert alice.get(f"{page}/draft").get_json()["data"]["note"] == NOTE
    # Send it again with the page's fresh token: it goes through (the missing answer is reported).
    again = alice.client.post(f"{page}/complete", data={"csrf_token": fresh_token(html), **answers()})
    assert again.status_code == 400 and "There is a problem" in text(again) and note_in(text(again))
    done = alice.client.post(f"{page}/complete", data={"csrf_token": fresh_token(html), **answers(in_scope="true")})
    assert done.status_code == 302 and done.headers["Location"] == "/inbox"


def test_an_expired_comment_form_keeps_the_comment_and_the_answers(staff, api, app):  # noqa: F811
    alice, task_id = claimed(staff, api)
    page = f"/tasks/{task_id}"
    alice.get(page)
    sent = alice.client.post(f"{page}/comments", data={"csrf_token": "garbled", **answers(),
                                                        "body": "Depot says Tuesday."}, headers=OURS)
    assert sent.status_code == 400
    html = text(sent)
    assert "your comment was not added: it is still in its box" in html and "Your answers are kept as a draft." in html
    assert ">Depot says Tuesday.</textarea>" in html and note_in(html)
    # A form with nothing typed in it (hand back, claim) just says so and changes nothing.
    handed = alice.client.post(f"{page}/unclaim", data={"csrf_token": "garbled"}, headers=OURS, follow_redirects=True)
    assert handed.request.path == page and "That form had expired, so nothing was changed." in text(handed)
    assert "Hand back to the group" in text(handed)
    assert "Depot says Tuesday." not in text(alice.get(page)).split('id="comments"')[1].split("<textarea")[0]


def test_another_sites_forged_form_neither_becomes_a_draft_nor_fills_the_page(staff, api):  # noqa: F811
    alice, task_id = claimed(staff, api)
    page = f"/tasks/{task_id}"
    forged = {"csrf_token": "none", **answers(note="Close it as out of scope."), "body": "Forged"}
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {}):
        sent = alice.client.post(f"{page}/complete", data=forged, headers=headers)
        assert sent.status_code == 302 and sent.headers["Location"] == page
        assert "Close it as out of scope." not in text(alice.get(page))
        assert alice.get(f"{page}/draft").get_json()["data"] is None
    assert alice.client.post(f"{page}/comments", data=forged, headers={"Origin": "null"}).status_code == 302
    assert "Forged" not in text(alice.get(page))


def test_a_form_sent_after_the_session_ended_leads_to_sign_in_and_back(staff, api):  # noqa: F811
    alice, task_id = claimed(staff, api)
    stranger = api.app.test_client()  # alice's browser once the session cookie has gone
    sent = stranger.post(f"/tasks/{task_id}/complete", data={"csrf_token": "old", **answers()})
    assert sent.status_code == 302 and sent.headers["Location"] == f"/login?next=/tasks/{task_id}"
    login = text(stranger.get(sent.headers["Location"]))
    assert "You had been signed out, so nothing was sent" in login and "this browser kept what you typed" in login
    # Nothing was taken from the unauthenticated post.
    assert alice.get(f"/tasks/{task_id}/draft").get_json()["data"] is None
