"""The pages in a real browser: keyboard-only complaint, the intake officer's form with a
missing answer, the claim race between two people, and the complainant's reply."""

import os
import re
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bpmn_complaints.extensions import db
from bpmn_complaints.models import HumanTask
from conftest import DIAGRAMS, HERE
from test_web_staff import PASSWORD, add_user

CHROMIUM = "/usr/bin/chromium"
PROCESSES = HERE.parent / "processes"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app):
    """The test app on http://127.0.0.1:<free port>, served from a thread."""
    port = _free_port()
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture(scope="module")
def chromium():
    """One chromium for this module. Not session-wide: a running sync Playwright keeps an
    asyncio loop that would stop other modules from starting their own."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium) as root")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, live_server):
    """``new_page()`` opens a page in a fresh browser context (its own cookies). Any page
    that breaks our Content-Security-Policy fails the test."""
    contexts = []
    blocked = []

    def open_page():
        context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda message: blocked.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert blocked == [], "the Content-Security-Policy blocked something"


@pytest.fixture
def shot():
    """``shot(page, name)`` saves a full-page screenshot to tests/screenshots/."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return save


def focused_id(page):
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page, selector, limit=40):
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def sign_in(page, name):
    page.goto("/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inbox")


def test_complainant_submits_with_the_keyboard_only(api, new_page, shot):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    page = new_page()
    page.goto("/")
    shot(page, "portal_home")
    tab_to(page, "main a.button.primary")  # "Make a complaint"
    page.keyboard.press("Enter")
    page.wait_for_url("**/complain")
    tab_to(page, "#name")
    page.keyboard.type("Dana Example")
    page.keyboard.press("Tab")
    assert focused_id(page) == "email"
    page.keyboard.type("dana@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("0123 456789")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first contact choice: Email
    tab_to(page, "#product")
    page.keyboard.type("Broadband")
    # Send it without a description: the error summary takes the focus.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("A refund")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    # app.js moves the focus once the page has loaded; the summary can be in the DOM before.
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    shot(page, "portal_complain_error")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the summary's link puts the cursor in the field
    assert focused_id(page) == "description"
    page.keyboard.type("I was charged twice for March.")
    assert page.input_value("#name") == "Dana Example" and page.input_value("#remedy_sought") == "A refund"
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/complain/received")
    reference = page.inner_text("#reference")
    assert re.fullmatch(r"C-\d{4}-[A-Z0-9]{6}", reference)
    shot(page, "portal_received")
    page.focus("#status-link")
    page.keyboard.press("Enter")
    # The link's token is in the fragment: the page's script posts it, and the address bar
    # ends with no token at all.
    page.wait_for_selector(".status-now")
    assert page.url.endswith(f"/status/{reference}") and "token" not in page.url
    assert "Being assessed" in page.inner_text("main")
    shot(page, "portal_status")


def test_intake_officer_fixes_a_missing_answer_then_completes(api, new_page, shot):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    reference = api.submit(description="The engineer did not come on Tuesday.")["reference"]
    page = new_page()
    page.goto("/inbox")
    page.wait_for_url("**/login?next=*")
    shot(page, "login")
    sign_in(page, "alice")
    page.get_by_role("link", name="My groups' unclaimed").click()
    row = page.locator("tr", has_text=reference)
    shot(page, "inbox_group")
    row.get_by_role("button", name="Claim").click()
    page.wait_for_url("**/tasks/*")
    assert "You claimed" in page.inner_text(".flashes")
    page.select_option("#f-severity", "high")
    page.fill("#f-note", "Booked a new visit for Friday.")
    page.get_by_role("button", name="Complete").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "This field is required." in summary.inner_text()
    assert "This field is required." in page.inner_text("#f-in_scope-error")
    assert page.input_value("#f-severity") == "high"
    assert page.input_value("#f-note") == "Booked a new visit for Friday."
    shot(page, "task_error")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Complete").click()
    page.wait_for_url("**/inbox")
    assert f"Done: “Assess the complaint” for {reference}" in page.inner_text(".flashes")
    shot(page, "inbox_after_complete")
    page.goto(f"/complaints/{reference}")
    assert "Task completed" in page.inner_text(".timeline")
    shot(page, "complaint_page")


def test_two_investigators_race_for_a_task(api, new_page, shot):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    add_user(api.runner, "ivan", ["investigators"])
    add_user(api.runner, "iris", ["investigators"])
    api.user("alice", groups=["intake"])
    reference = api.submit()["reference"]
    ivan, iris = new_page(), new_page()
    sign_in(ivan, "ivan")
    sign_in(iris, "iris")
    assert reference not in ivan.inner_text("main")
    api.work("alice", reference, {"in_scope": True, "severity": "medium"})
    for page in (ivan, iris):
        page.goto("/inbox?scope=group")
        assert reference in page.inner_text("main")
    ivan.locator("tr", has_text=reference).get_by_role("button", name="Claim").click()
    ivan.wait_for_url("**/tasks/*")
    iris.locator("tr", has_text=reference).get_by_role("button", name="Claim").click()
    iris.wait_for_url("**/inbox*")
    assert "ivan has already claimed this task" in iris.inner_text(".flashes")
    shot(iris, "claim_lost")


def test_complainant_accepts_the_decision(api, new_page, shot):
    assert api.deploy(DIAGRAMS / "reply.bpmn").exit_code == 0
    created = api.submit()
    page = new_page()
    page.goto(f"/status/{created['reference']}?token={created['status_token']}")  # a link sent before #token=
    assert "Awaiting your reply" in page.inner_text("main")
    assert "token" not in page.url  # the page's script took it out of the address bar and the history
    shot(page, "status_awaiting_reply")
    page.fill("#comment", "Thank you for sorting it out.")
    page.get_by_role("button", name="I accept the decision").click()
    page.wait_for_selector(".flash-success")
    assert "you accept our decision" in page.inner_text(".flashes")
    assert "Closed" in page.inner_text(".status-now")
    shot(page, "status_closed")


def test_complaint_page_highlights_the_current_task(api, app, new_page, shot):
    if not (Path(app.static_folder).parent / "node_modules" / "bpmn-js" / "dist").is_dir():
        pytest.skip("bpmn-js is not installed in web/node_modules: run `make browser-deps` (needs npm)")
    # The shipped process: the test diagrams carry no layout (BPMN DI) to draw.
    assert api.deploy(PROCESSES).exit_code == 0
    add_user(api.runner, "sam", ["intake"], roles=("staff", "supervisor"))
    reference = api.submit()["reference"]
    page = new_page()
    sign_in(page, "sam")
    problems = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.goto(f"/complaints/{reference}")
    page.wait_for_selector("#diagram.ready")
    assert problems == []
    with app.app_context():
        ready = {t.bpmn_id for t in db.session.scalars(select(HumanTask).where(
            HumanTask.complaint_reference == reference, HumanTask.state == "ready"))}
    assert ready, "the process should be waiting on a person"
    highlighted = {el.get_attribute("data-element-id") for el in page.locator(".djs-element.current").all()}
    assert highlighted == ready
    assert page.locator('.djs-element.done[data-element-id]').count() >= 1
    assert "of complaint_handling" in page.inner_text(".diagram-panel")
    shot(page, "complaint_diagram")
    # The shipped intake form renders in full from its JSON Schema.
    page.locator(".main-col table").get_by_role("link").first.click()
    page.wait_for_url("**/tasks/*")
    assert page.locator("fieldset legend", has_text="Is this a complaint?").count() == 1
    assert page.locator("#f-category option").count() > 5
    shot(page, "task_shipped_intake_form")


def test_intake_officer_records_a_phone_complaint(api, new_page, shot):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    page = new_page()
    sign_in(page, "alice")
    page.goto("/complaints")
    page.get_by_role("link", name="Record a complaint").click()
    page.wait_for_url("**/complaints/new")
    page.get_by_label("Their name (required)").fill("Pat Caller")
    page.get_by_label("Email address (or a postal address below)").fill("pat@example.com")
    page.get_by_role("button", name="Record the complaint").click()
    page.wait_for_selector(".error-summary")
    assert "Choose how the complaint reached us." in page.inner_text(".error-summary")
    shot(page, "staff_record_error")
    page.get_by_role("group", name="How did it reach us?").get_by_label("Phone", exact=True).check()
    page.get_by_label("What went wrong? (required)").fill("Rang to say the router never came.")
    page.get_by_role("button", name="Record the complaint").click()
    page.wait_for_url("**/complaints/new/recorded")
    reference = page.inner_text("#reference")
    assert re.fullmatch(r"C-\d{4}-[A-Z0-9]{6}", reference) and page.inner_text("#status-code")
    shot(page, "staff_recorded")
    page.get_by_role("link", name="Open the complaint").click()
    page.wait_for_url(f"**/complaints/{reference}")
    assert "via phone" in page.inner_text("main")


def test_a_letter_only_complaint_is_recorded_and_its_acknowledgement_downloads_as_a_pdf(api, new_page, shot):
    """ISO 10002 4.5: a complainant without email. The acknowledgement is a PDF to post,
    with the reference and the status code the recorded page showed."""
    import io

    pytest.importorskip("pypdf")
    from pypdf import PdfReader
    try:
        import weasyprint  # noqa: F401
    except OSError as err:
        pytest.skip(f"WeasyPrint cannot load Pango: {err}")
    assert api.deploy(PROCESSES).exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    page = new_page()
    sign_in(page, "alice")
    page.goto("/complaints/new")
    page.get_by_label("Their name (required)").fill("Ada Post")
    page.get_by_label("Their postal address (optional with an email address)").fill("12 High Street\nLeeds LS1 1AA")
    page.get_by_role("group", name="How did it reach us?").get_by_label("Letter", exact=True).check()
    page.get_by_label("What went wrong? (required)").fill("My meter was read wrong.")
    page.get_by_role("button", name="Record the complaint").click()
    page.wait_for_url("**/complaints/new/recorded")
    reference, code = page.inner_text("#reference"), page.inner_text("#status-code")
    page.get_by_role("link", name="Open the complaint").click()
    page.wait_for_url(f"**/complaints/{reference}")
    assert "Letters to post" in page.inner_text("#letters")
    shot(page, "letters_to_post")
    with page.expect_download() as download:
        page.locator("#letters a", has_text="(PDF)").first.click()
    content = Path(download.value.path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert reference in text and code in text and "Ada Post" in text
