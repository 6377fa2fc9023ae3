"""The auditor's sample and the team page in a real browser: an auditor draws a sample with
the keyboard and prints it; a supervisor reads the team's workload."""

from test_web_browser import PASSWORD, chromium, live_server, new_page, shot  # noqa: F401

from test_process_paths import advance, assess, process  # noqa: F401
from test_reports import scenario  # noqa: F401
from test_web_staff import add_user


def sign_in(page, name):
    page.goto("/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_audit_sample_page_by_keyboard_and_in_print(scenario, new_page, shot):  # noqa: F811
    api, ref = scenario
    add_user(api.runner, "olga", roles=("auditor",))
    page = new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    sign_in(page, "olga")
    page.get_by_role("link", name="Audit sample").click()
    page.wait_for_url("**/audit/sample")
    page.get_by_label("From").fill("2026-11-01")
    page.get_by_label("Until").fill("2026-12-01")
    page.get_by_label("Seed").fill("november")
    page.keyboard.press("Enter")
    page.wait_for_url("**/audit/sample?from=2026-11-01&to=2026-12-01&size=10&seed=november")
    assert page.locator(".audit-card").count() == 5
    late = page.locator(".audit-card", has=page.get_by_role("link", name=ref["d"]))
    assert late.locator("tr.result-fail th").inner_text() == "Within target"
    assert late.locator(".verdict").inner_text() == "✗ A check failed"
    overflow = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert not overflow, "the sample is wider than the window"
    shot(page, "audit-sample")

    page.emulate_media(media="print")
    assert not page.locator("form.filters").is_visible()
    assert late.locator(".audit-path").is_visible()
    shot(page, "audit-sample-print")
    assert errors == []


def test_team_page(process, new_page, shot):  # noqa: F811
    api = process
    api.app.config["SUBMIT_RATE_LIMIT"] = "60 per minute"
    refs = [api.submit()["reference"] for _ in range(3)]
    assess(api, refs[0])
    assert api.claim("alice", api.task_for("alice", refs[1])["id"]).status_code == 200
    advance(api, days=3)
    add_user(api.runner, "mona", ["supervisors"], roles=("staff", "supervisor"))
    page = new_page()
    sign_in(page, "mona")
    page.get_by_role("link", name="Team").click()
    page.wait_for_url("**/team")
    alice = page.locator("tr", has=page.get_by_role("rowheader", name="alice"))
    assert alice.locator(".overdue-label").inner_text() == "1 overdue"
    shot(page, "team")
