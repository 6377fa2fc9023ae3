"""Staff record a complaint that came by phone or letter (ISO 10002 4.5, 7.2): the same
process as a web complaint, with its channel and who entered it."""

import html
import re

from test_web_staff import Browser, add_user, staff, text  # noqa: F401 - staff is a fixture

ENTRY = {"name": "Pat Caller", "email": "pat@example.com", "phone": "0123 456789", "preferred_contact": "phone",
         "channel": "phone", "product": "Broadband", "description": "Rang to say the router <b>never</b> came.",
         "remedy_sought": ""}


def test_missing_answers_are_listed_and_the_rest_kept(staff):
    alice = staff("alice")
    response = alice.post("/complaints/new", "/complaints/new",
                          {**ENTRY, "name": "", "channel": "", "description": "Still no router."})
    page = text(response)
    assert response.status_code == 400
    summary = page[page.index("There is a problem"):page.index("</ul>")]
    assert "Enter the complainant&#39;s name." in summary and "Choose how the complaint reached us." in summary
    assert summary.index("name.") < summary.index("reached us")  # in the order of the form
    assert 'value="pat@example.com"' in page and "Still no router.</textarea>" in page


def test_a_phone_complaint_runs_like_a_web_one_and_records_who_entered_it(staff, api):
    alice = staff("alice")
    assert "Record a complaint" in text(alice.get("/complaints"))
    response = alice.post("/complaints/new", "/complaints/new", ENTRY)
    assert response.status_code == 302, text(response)
    page = text(alice.get(response.headers["Location"]))
    reference = re.search(r'id="reference">([^<]+)<', page).group(1)
    code = re.search(r'id="status-code">([^<]+)<', page).group(1)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", code)
    status_url = html.unescape(re.search(r'id="status-link" href="([^"]+)"', page).group(1))
    assert f"/status/{reference}#token=" in status_url

    # The link opens the public status page, and so does the code read out on the phone,
    # typed in lower case with a space for the hyphen.
    public = text(Browser(api.app).open_status(status_url[status_url.index("/status/"):]))
    assert f"Your complaint {reference}" in public
    typed = Browser(api.app).get("/status", query_string={"reference": reference.lower(),
                                                           "token": code.lower().replace("-", " ")},
                                 follow_redirects=True)
    assert f"Your complaint {reference}" in text(typed)

    api.user("sam", roles=["staff", "supervisor"])
    detail = api.get(f"/api/complaints/{reference}", "sam").get_json()
    assert detail["channel"] == "phone" and detail["entered_by"] == "alice"
    assert detail["description"] == ENTRY["description"]
    [received] = [e for e in api.history(reference, "sam")["events"] if e["action"] == "complaint_received"]
    assert received["actor"] == "alice" and received["details"]["channel"] == "phone"
    # It is offered to intake like any complaint, and its text is escaped on the page.
    assert api.task_for("sam", reference, scope="all")["lane"] == "intake"
    shown = text(alice.get(f"/complaints/{reference}"))
    assert "&lt;b&gt;never&lt;/b&gt;" in shown and "<b>never</b>" not in shown


def test_only_staff_and_supervisors_record_complaints(staff, api):
    add_user(api.runner, "quinn", roles=("auditor",))
    quinn = Browser(api.app).login("quinn")
    assert quinn.get("/complaints/new").status_code == 403
    assert "Record a complaint" not in text(quinn.get("/complaints"))
    assert Browser(api.app).get("/complaints/new").status_code == 302  # to the sign-in page
