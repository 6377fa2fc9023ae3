"""The staff pages through the Flask test client: sign-in, inbox, task page, complaint page."""

import html
import re
from urllib.parse import parse_qs

import pytest

from bpmn_complaints import create_app
from conftest import DIAGRAMS

PASSWORD = "correct horse battery"


class Browser:
    """One person's cookie jar; forms are posted with the CSRF token of the page they
    came from, as a browser would."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def token(self, page):
        html = self.client.get(page).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post(self, page, action, data=None, **kw):
        """Post ``data`` to ``action`` from the form on ``page``."""
        return self.client.post(action, data={"csrf_token": self.token(page), **(data or {})}, **kw)

    def open_status(self, link):
        """Follow a status link as a browser does: the server sees the path only; the page's
        script (static/status.js) posts the fragment's token from the page's form."""
        path, _, fragment = link.partition("#")
        page = self.client.get(path)
        token = parse_qs(fragment).get("token", [""])[0]
        if not token:
            return page
        html = page.get_data(as_text=True)
        assert page.status_code == 401 and 'id="open-status"' in html and "/static/status.js" in html, html
        return self.post(path, path, {"token": token}, follow_redirects=True)

    def login(self, name, password=PASSWORD):
        response = self.post("/login", "/login", {"name": name, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self


def add_user(runner, name, groups=(), roles=("staff",), password=PASSWORD):
    args = ["users", "add", name, "--password", password]
    for group in groups:
        args += ["--group", group]
    for role in roles:
        args += ["--role", role]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output


@pytest.fixture
def staff(api):
    """The simple diagram deployed, alice and bob in intake, ivan an investigator, sam a
    supervisor; returns a function giving each a signed-in browser."""
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    add_user(api.runner, "bob", ["intake"])
    add_user(api.runner, "ivan", ["investigators"])
    add_user(api.runner, "sam", ["intake"], roles=("staff", "supervisor"))
    return lambda name: Browser(api.app).login(name)


def text(response):
    return response.get_data(as_text=True)


def first_task_id(html):
    return re.search(r'href="/tasks/([0-9a-f-]{36})"', html).group(1)


# -- sign-in ---------------------------------------------------------------------------

def test_pages_need_sign_in_and_the_login_form_carries_a_csrf_token(staff, client):
    response = client.get("/inbox")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert 'name="csrf_token"' in text(client.get("/login"))
    # A form posted without its token is refused with a page, not JSON.
    refused = client.post("/login", data={"name": "alice", "password": PASSWORD})
    assert refused.status_code == 400 and "This form has expired" in text(refused)


def test_wrong_password_then_sign_in_and_out(staff, app):
    browser = Browser(app)
    wrong = browser.post("/login", "/login", {"name": "alice", "password": "nope"})
    assert wrong.status_code == 401 and "name or password is not right" in text(wrong)
    assert 'value="alice"' in text(wrong)
    signed_in = browser.post("/login", "/login", {"name": "alice", "password": PASSWORD, "next": "/inbox"})
    assert signed_in.headers["Location"] == "/inbox"
    assert "Signed in as" in text(browser.get("/inbox"))
    out = browser.post("/inbox", "/logout")
    assert out.status_code == 302
    assert browser.get("/inbox").status_code == 302


def test_next_never_leaves_the_site(staff, app):
    browser = Browser(app)
    response = browser.post("/login", "/login", {"name": "alice", "password": PASSWORD,
                                                 "next": "https://evil.example/"})
    assert response.headers["Location"] == "/inbox"


def test_session_cookie_flags(staff, app, tmp_path):
    browser = Browser(app)
    response = browser.post("/login", "/login", {"name": "alice", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # Plain http on loopback (the default PUBLIC_BASE_URL): not Secure, so local runs work.
    assert "Secure" not in cookie
    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert create_app({"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": "https://complaints.example"}
                      ).config["SESSION_COOKIE_SECURE"] is True
    assert create_app({"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": "http://complaints.example"}
                      ).config["SESSION_COOKIE_SECURE"] is True
    assert create_app({"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": "https://complaints.example",
                       "SESSION_COOKIE_SECURE": False}).config["SESSION_COOKIE_SECURE"] is False


def test_the_api_stays_csrf_exempt(staff, api):
    # Bearer-token clients post JSON without any CSRF token.
    api.user("carol", groups=["intake"])
    ref = api.submit()["reference"]
    task = api.task_for("carol", ref)
    assert api.claim("carol", task["id"]).status_code == 200


# -- inbox -----------------------------------------------------------------------------

def test_inbox_group_tab_claim_and_my_tasks(staff, api):
    ref = api.submit()["reference"]
    alice = staff("alice")
    assert "You hold no tasks" in text(alice.get("/inbox"))
    group = text(alice.get("/inbox?scope=group"))
    assert ref in group and "Assess the complaint" in group and "Claim" in group
    task_id = first_task_id(group)
    claimed = alice.post("/inbox?scope=group", f"/tasks/{task_id}/claim", {"next": "/inbox?scope=group"},
                         follow_redirects=True)
    assert claimed.request.path == f"/tasks/{task_id}"
    assert "You claimed" in text(claimed)
    mine = text(alice.get("/inbox"))
    assert ref in mine and "Open" in mine
    assert ref not in text(alice.get("/inbox?scope=group"))


def test_claim_conflict_says_who_won(staff, api):
    ref = api.submit()["reference"]
    alice, bob = staff("alice"), staff("bob")
    task_id = first_task_id(text(bob.get("/inbox?scope=group")))
    bob_token = bob.token("/inbox?scope=group")
    alice.post("/inbox?scope=group", f"/tasks/{task_id}/claim")
    lost = bob.client.post(f"/tasks/{task_id}/claim", data={"csrf_token": bob_token, "next": "/inbox?scope=group"},
                           follow_redirects=True)
    assert lost.request.path == "/inbox"
    assert "alice has already claimed this task" in text(lost)
    assert ref not in text(bob.get("/inbox"))


def test_all_tab_is_for_supervisors(staff, api):
    ref = api.submit()["reference"]
    alice, sam = staff("alice"), staff("sam")
    assert "All tasks" not in text(alice.get("/inbox"))
    forbidden = alice.get("/inbox?scope=all")
    assert forbidden.status_code == 403 and "only supervisors see every task" in text(forbidden)
    page = text(sam.get("/inbox?scope=all"))
    assert "All tasks" in page and ref in page


def test_inbox_filters_sorting_and_pages(staff, api, app):
    refs = [api.submit()["reference"] for _ in range(3)]
    app.config["INBOX_PAGE_SIZE"] = 2
    alice = staff("alice")
    first = text(alice.get("/inbox?scope=group&sort=-created"))
    assert "3 tasks" in first and first.count("/claim") == 2 and 'rel="prev"' not in first
    assert refs[2] in first and refs[0] not in first
    # The page links carry a cursor (keyset paging), not a page number.
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    assert "cursor=" in following and "page=" not in following
    second = text(alice.get(following))
    assert refs[0] in second and refs[2] not in second and "Previous" in second and 'rel="next"' not in second
    assert refs[2] in text(alice.get("/inbox?scope=group&sort=-created&page=1"))
    assert "No tasks here match these filters" in text(alice.get("/inbox?scope=group&priority=urgent"))
    assert refs[0] not in text(alice.get("/inbox?scope=group&overdue=true"))
    assert refs[2] in text(alice.get("/inbox?scope=group&overdue=false&lane=intake&sort=-created"))
    assert "No tasks here" in text(alice.get("/inbox?scope=group&lane=investigators"))
    assert alice.get("/inbox?sort=sideways").status_code == 400


def test_the_lane_filter_offers_every_open_lane_to_a_supervisor_and_their_own_to_staff(staff, api):
    api.user("alice2", groups=["intake"])
    api.user("ivan2", groups=["investigators"])
    first, second = api.submit()["reference"], api.submit()["reference"]
    api.work("alice2", first, {"in_scope": True, "severity": "high"})  # its next task is the investigators'

    def lanes(page):
        return re.findall(r'<option value="([^"]+)"', page.split('id="f-lane"')[1].split("</select>")[0])

    assert lanes(text(staff("sam").get("/inbox?scope=all"))) == ["intake", "investigators"]
    assert lanes(text(staff("alice").get("/inbox?scope=group"))) == ["intake"]
    # A lane whose tasks are all done is no longer offered.
    api.work("alice2", second, {"in_scope": True, "severity": "high"})
    for reference in (first, second):
        api.work("ivan2", reference, {"findings": "Charged twice; refunded."})
    assert lanes(text(staff("sam").get("/inbox?scope=all"))) == ["intake"]


# -- task page -------------------------------------------------------------------------

def test_task_page_form_errors_keep_the_data_then_complete(staff, api):
    ref = api.submit(description="The router never arrived.")["reference"]
    alice = staff("alice")
    task_id = first_task_id(text(alice.get("/inbox?scope=group")))
    page = text(alice.get(f"/tasks/{task_id}"))
    assert "Decide whether this is a complaint we handle." in page and "The router never arrived." in page
    assert "Claim this task to fill in the form" in page and "disabled" in page
    alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/claim")
    page = text(alice.get(f"/tasks/{task_id}"))
    # The schema became widgets: a required boolean as yes/no radios, an enum as a select,
    # a long string as a textarea; with required markers.
    assert 'type="radio" name="in_scope" value="true"' in page
    assert '<select id="f-severity" name="severity"' in page and '<textarea id="f-note" name="note"' in page
    assert page.count("(required)") == 2

    bad = alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/complete",
                     {"severity": "high", "note": "Called <b>them</b>"})
    assert bad.status_code == 400
    html = text(bad)
    assert "There is a problem" in html and 'href="#f-in_scope"' in html
    assert re.search(r'id="f-in_scope-error">This field is required.', html)
    assert '<option value="high" selected>' in html
    assert "Called &lt;b&gt;them&lt;/b&gt;</textarea>" in html

    done = alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/complete",
                      {"in_scope": "true", "severity": "high", "note": "ok"}, follow_redirects=True)
    assert done.request.path == "/inbox"
    assert f"Done: “Assess the complaint” for {ref}" in text(done)
    investigators = text(staff("ivan").get("/inbox?scope=group"))
    assert ref in investigators and "Investigate" in investigators


def test_complete_moves_on_to_the_next_task(staff, api):
    api.submit()
    ref2 = api.submit()["reference"]
    sam = staff("sam")
    ids = re.findall(r'href="/tasks/([0-9a-f-]{36})"', text(sam.get("/inbox?scope=group")))
    for task_id in ids:
        sam.post("/inbox", f"/tasks/{task_id}/claim")
    done = sam.post(f"/tasks/{ids[0]}", f"/tasks/{ids[0]}/complete", {"in_scope": "false", "severity": "low"},
                    follow_redirects=True)
    html = text(done)
    assert "Next: Assess the complaint" in html and f'href="/tasks/{ids[1]}"' in html
    assert ref2 in html


def test_comments_visibility_unclaim_and_reassign(staff, api):
    ref = api.submit()["reference"]
    alice, ivan, sam = staff("alice"), staff("ivan"), staff("sam")
    task_id = first_task_id(text(alice.get("/inbox?scope=group")))
    assert ivan.get(f"/tasks/{task_id}").status_code == 404
    alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/comments", {"body": "Rang the customer"})
    assert "Rang the customer" in text(alice.get(f"/tasks/{task_id}"))
    empty = alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/comments", {"body": "  "}, follow_redirects=True)
    assert "Write something" in text(empty)

    alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/claim")
    # Not a supervisor: no reassignment, and the route refuses.
    assert "Assign to" not in text(alice.get(f"/tasks/{task_id}"))
    assert alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/assign", {"assignee": "bob"}).status_code == 403
    page = text(sam.get(f"/tasks/{task_id}"))
    assert "Assign to" in page and '<option value="bob"' in page
    moved = sam.post(f"/tasks/{task_id}", f"/tasks/{task_id}/assign", {"assignee": "bob"}, follow_redirects=True)
    assert "now assigned to bob" in text(moved)
    assert ref in text(staff("bob").get("/inbox"))
    back = sam.post(f"/tasks/{task_id}", f"/tasks/{task_id}/unclaim", follow_redirects=True)
    assert "back with the intake group" in text(back)
    assert ref in text(alice.get("/inbox?scope=group"))


# -- complaint page --------------------------------------------------------------------

def test_complaint_page_timeline_and_visibility(staff, api):
    ref = api.submit()["reference"]
    alice, ivan = staff("alice"), staff("ivan")
    task_id = first_task_id(text(alice.get("/inbox?scope=group")))
    alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/claim")
    page = text(alice.get(f"/complaints/{ref}"))
    assert "Complaint received" in page and "Task claimed" in page and "by alice" in page
    assert "hash chain is intact" in page and "complaint_handling v1" in page
    assert ivan.get(f"/complaints/{ref}").status_code == 404


def test_incident_retry_button_for_supervisors(api):
    calls = []

    def crm_update(ctx):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("CRM refused the connection")
        return {}

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    assert api.deploy(DIAGRAMS / "flaky.bpmn").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    add_user(api.runner, "sam", ["supervisors"], roles=("staff", "supervisor"))
    ref = api.submit()["reference"]
    api.run_worker()
    sam = Browser(api.app).login("sam")
    page = text(sam.get(f"/complaints/{ref}"))
    assert "CRM refused the connection" in page and ">Retry</button>" in page
    incident_id = re.search(rf'/complaints/{ref}/incidents/(\d+)/retry', page).group(1)
    alice = Browser(api.app).login("alice")
    assert alice.post("/inbox", f"/complaints/{ref}/incidents/{incident_id}/retry").status_code == 403
    retried = sam.post(f"/complaints/{ref}", f"/complaints/{ref}/incidents/{incident_id}/retry",
                       follow_redirects=True)
    assert "ran again" in text(retried)
    api.run_worker()
    assert len(calls) == 2
    assert "resolved" in text(sam.get(f"/complaints/{ref}"))


def test_complaint_diagram_source_and_markers(staff, api):
    ref = api.submit()["reference"]
    alice, ivan = staff("alice"), staff("ivan")
    page = text(alice.get(f"/complaints/{ref}"))
    assert "version 1 of complaint_handling" in page
    xml = alice.get(f"/complaints/{ref}/diagram.bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b'id="Task_assess"' in xml.data
    assert ivan.get(f"/complaints/{ref}/diagram.bpmn").status_code == 404
    if "data-xml-url" in page:  # bpmn-js installed in web/node_modules
        assert "data-current='[\"Task_assess\"]'" in page and "Task_ack" in page
        with alice.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js") as bundle:
            assert bundle.status_code == 200
    assert alice.get("/vendor/left-pad/index.js").status_code == 404
    assert alice.get("/vendor/bpmn-js/../package.json").status_code == 404


def test_complaints_list_and_landing_page_by_role(staff, api):
    ref = api.submit()["reference"]
    add_user(api.runner, "quinn", roles=("auditor",))
    quinn = Browser(api.app)
    landed = quinn.post("/login", "/login", {"name": "quinn", "password": PASSWORD})
    assert landed.headers["Location"] == "/complaints"
    page = text(quinn.get("/complaints"))
    assert ref in page and "Inbox" not in page
    assert quinn.get(f"/complaints?reference={ref.lower()}").headers["Location"] == f"/complaints/{ref}"
    assert ref not in text(quinn.get("/complaints?state=closed"))
    assert quinn.get("/inbox").status_code == 403
    assert ref not in text(staff("ivan").get("/complaints"))
    assert ref in text(staff("alice").get("/complaints?state=open"))
