"""Evidence files in a real browser: a complainant attaches a photo to the complaint form and
finds it on the status page; an intake officer attaches a letter and downloads it."""

from test_web_browser import PASSWORD, chromium, live_server, new_page, shot  # noqa: F401

import evidence_files as make
from conftest import DIAGRAMS
from test_web_staff import add_user


def test_files_on_the_form_the_status_page_and_the_complaint_page(api, app, tmp_path, new_page, shot):  # noqa: F811
    app.config["ATTACHMENT_FOLDER"] = str(tmp_path / "attachments")
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    page = new_page()
    page.goto("/complain")
    page.get_by_label("Your name").fill("Dana Example")
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_label("What went wrong?").fill("The meter reading on my bill is wrong.")
    page.get_by_label("Photos, letters, receipts or emails").set_input_files(
        [{"name": "meter.png", "mimeType": "image/png", "buffer": make.png()}])
    page.get_by_role("button", name="Send complaint").click()
    page.wait_for_url("**/complain/received")
    assert "We have your 1 file too." in page.inner_text("main")
    page.click("#status-link")
    page.wait_for_url("**/status/*")
    files = page.locator("#evidence")
    assert "meter.png" in files.inner_text() and "PNG image" in files.inner_text()
    with page.expect_download() as download:
        files.get_by_role("link", name="meter.png").click()
    assert download.value.suggested_filename == "meter.png"
    assert download.value.path().read_bytes() == make.png()
    shot(page, "status_files")

    staff = new_page()
    staff.goto("/login")
    staff.get_by_label("User name").fill("alice")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_url("**/inbox")
    reference = page.url.split("/status/")[1].split("?")[0]
    staff.goto(f"/complaints/{reference}")
    staff.get_by_label("Attach files").set_input_files(
        [{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": make.pdf()}])
    staff.get_by_role("button", name="Attach", exact=True).click()
    staff.wait_for_url(f"**/complaints/{reference}#attachments")
    listed = staff.locator("#attachments").inner_text()
    assert "1 file attached." in staff.inner_text("main")
    assert "meter.png" in listed and "letter.pdf" in listed and "alice" in listed and "complainant" in listed
    with staff.expect_download() as download:
        staff.locator("#attachments").get_by_role("link", name="letter.pdf").click()
    assert download.value.suggested_filename == "letter.pdf"
    shot(staff, "complaint_files")
