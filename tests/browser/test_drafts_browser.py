"""Nothing typed is lost, in a real browser: an intake officer types into the assessment form,
adds a comment, reloads, loses the connection for a moment, and has the task reassigned by
a supervisor through the API while she types. Her text survives each time."""

from test_web_browser import chromium, live_server, new_page, shot, sign_in  # noqa: F401

from conftest import DIAGRAMS
from test_web_staff import PASSWORD, add_user

NOTE = "Rang Dana at 10:00; Mrs Patel next door let the engineer in."


def token_for(api, name):
    result = api.runner.invoke(args=["token", name])
    assert result.exit_code == 0, result.output
    api.tokens[name] = result.output.strip().splitlines()[-1]


def type_at_end(field, text):
    """Type as a person does after clicking into the field: keys, at the end of the text."""
    field.click()
    field.press("Control+End")
    field.press_sequentially(text)


def saved(page):
    page.wait_for_function("() => document.getElementById('draft-status').textContent.includes('Draft saved')")


def test_typed_answers_survive_a_comment_a_reload_an_outage_and_a_reassignment(api, new_page, shot):  # noqa: F811
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    add_user(api.runner, "bob", ["intake"])
    add_user(api.runner, "sam", ["intake"], roles=("staff", "supervisor"))
    token_for(api, "sam")
    reference = api.submit(description="The engineer never came.")["reference"]
    page = new_page()
    problems = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    sign_in(page, "alice")
    page.goto("/inbox?scope=group")
    page.locator("tr", has_text=reference).get_by_role("button", name="Claim").click()
    page.wait_for_url("**/tasks/*")
    task_id = page.url.rsplit("/", 1)[1]
    note = page.locator("#f-note")

    # Typing is autosaved as the draft.
    page.select_option("#f-severity", "high")
    type_at_end(note, NOTE)
    saved(page)

    # Adding a comment straight after typing (before any autosave) keeps the form.
    type_at_end(note, " Booked Friday.")
    page.fill("#comment-body", "Asked the depot for the van's log.")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_selector(".flash-success")
    assert "Comment added." in page.inner_text(".flashes")
    assert "Asked the depot for the van's log." in page.inner_text("#comments")
    assert note.input_value() == NOTE + " Booked Friday." and page.input_value("#f-severity") == "high"
    assert page.input_value("#comment-body") == ""

    page.reload()
    assert note.input_value() == NOTE + " Booked Friday." and page.input_value("#f-severity") == "high"
    shot(page, "task_draft_restored")

    # The server cannot be reached: the page says so, leaving asks first, and the browser's
    # copy comes back after the reload.
    page.route("**/draft", lambda route: route.abort() if route.request.method == "PUT" else route.continue_())
    type_at_end(note, " No answer at the door.")
    page.wait_for_function("() => document.getElementById('draft-status').textContent.startsWith('Not saved yet')")
    shot(page, "task_draft_unsaved")
    page.unroute("**/draft")
    dialogs = []

    def leave(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    page.reload()
    assert dialogs == ["beforeunload"]
    assert note.input_value() == NOTE + " Booked Friday. No answer at the door."
    saved(page)  # the restored copy went on to the server
    page.reload()
    assert dialogs == ["beforeunload"]  # nothing unsaved this time: no question
    assert note.input_value() == NOTE + " Booked Friday. No answer at the door."

    # A supervisor gives the task to bob while alice is still typing.
    moved = api.post(f"/api/tasks/{task_id}/assign", "sam", json={"assignee": "bob"})
    assert moved.status_code == 200, moved.get_json()
    type_at_end(note, " Sent.")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Complete").click()
    page.wait_for_selector(".flash-error")
    assert "This task is now held by bob; your answers are kept as a draft." in page.inner_text(".flashes")
    whole = NOTE + " Booked Friday. No answer at the door. Sent."
    assert note.input_value() == whole
    shot(page, "task_reassigned_draft_kept")
    page.reload()
    assert note.input_value() == whole and "Below is your draft" in page.inner_text("main")

    # bob starts from an empty form: alice's draft is hers.
    bob = new_page()
    sign_in(bob, "bob")
    bob.goto(f"/tasks/{task_id}")
    assert bob.input_value("#f-note") == "" and bob.get_by_role("button", name="Complete").is_visible()
    assert problems == []


def test_answers_typed_after_the_session_ended_come_back_after_signing_in(api, new_page, shot):  # noqa: F811
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    reference = api.submit()["reference"]
    page = new_page()
    sign_in(page, "alice")
    page.goto("/inbox?scope=group")
    page.locator("tr", has_text=reference).get_by_role("button", name="Claim").click()
    page.wait_for_url("**/tasks/*")
    task_url = page.url
    note = page.locator("#f-note")
    type_at_end(note, NOTE)
    saved(page)
    page.context.clear_cookies()  # the session ended (timed out, or the server restarted with a new key)
    type_at_end(note, " Then the line went dead.")
    page.wait_for_function("() => document.getElementById('draft-status').textContent.startsWith('Not saved yet')")
    page.get_by_role("button", name="Complete").click()
    page.wait_for_url("**/login?next=**")
    assert "You had been signed out, so nothing was sent" in page.inner_text(".flashes")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(task_url)
    assert note.input_value() == NOTE + " Then the line went dead."
    assert "Restored what you typed in this browser" in page.inner_text("#draft-status")
    saved(page)
    shot(page, "task_restored_after_sign_in")
    page.reload()
    assert note.input_value() == NOTE + " Then the line went dead."  # now from the server's draft
    # Signing out takes this browser's copies away.
    type_at_end(note, " More.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('complaints-draft:'))") == []
