"""The management report in a real browser: a supervisor chooses the period with the
keyboard, reads the figures, and the page prints as the management-review document."""

from test_web_browser import PASSWORD, chromium, live_server, new_page, shot  # noqa: F401

from test_process_paths import process  # noqa: F401
from test_reports import scenario  # noqa: F401
from test_web_staff import add_user


def test_report_page_by_keyboard_and_in_print(scenario, new_page, shot):  # noqa: F811
    api, ref = scenario
    add_user(api.runner, "mona", roles=("supervisor",))
    page = new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/login")
    page.get_by_label("User name").fill("mona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports")
    assert page.get_by_label("From").input_value() == "2026-10-01"  # last full month by default

    page.get_by_label("From").fill("2026-11-01")
    page.get_by_label("Until").fill("2026-12-01")
    page.keyboard.press("Enter")  # submits from the focused field, no mouse needed
    page.wait_for_url("**/reports?from=2026-11-01&to=2026-12-01")

    def tile(label):
        label = page.locator("dt").get_by_text(label, exact=True)
        return page.locator(".tile").filter(has=label).locator(".tile-value")

    assert tile("Received").inner_text() == "6"
    assert tile("Closed within target").inner_text() == "80%"
    assert tile("Average rating").inner_text() == "4.5 / 5"
    billing = page.locator("table.bars", has_text="By category").locator("tr", has_text="billing")
    assert billing.locator(".bar-fill").evaluate("e => e.style.width") == "100%"
    assert page.get_by_role("link", name=ref["f"]).is_visible()
    assert page.get_by_role("link", name="Download CSV").get_attribute("href").endswith(
        "/reports/summary.csv?from=2026-11-01&to=2026-12-01")
    assert page.get_by_role("button", name="Print").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert not overflow, "the report is wider than the window"
    shot(page, "reports")

    page.emulate_media(media="print")
    assert not page.locator("form.filters").is_visible()
    assert not page.get_by_role("navigation", name="Staff").is_visible()
    assert page.locator("#h-satisfaction").is_visible()
    shot(page, "reports-print")
    assert errors == []
