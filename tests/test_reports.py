"""The clause-8 management report (ISO 10002 8.2, 8.3, 8.4, 8.6) through the HTTP API,
the CLI and the web page, after six complaints went down different paths of the real
process on the test's clock."""

import csv
import io
import json

import pytest

from test_process_paths import INVESTIGATION, RECORD_ACTION, advance, assess, investigate, process, reply  # noqa: F401
from test_web_staff import Browser, add_user

NOVEMBER = {"from": "2026-11-01", "to": "2026-12-01"}
PERSONAL = ("Dana Example", "dana@example.com", "Charged twice.")


def answer_survey(api, reference, satisfaction, resolved):
    from bpmn_complaints.mail.links import feedback_signature

    with api.app.test_request_context():
        survey = f"/feedback/{reference}?sig={feedback_signature(reference)}"
    done = Browser(api.app).post(survey, survey, {"satisfaction": str(satisfaction), "resolved": resolved})
    assert done.status_code == 200, done.get_data(as_text=True)


@pytest.fixture
def scenario(process):  # noqa: F811
    """Six complaints received on Monday 23 November 2026, 09:00 UTC:

    ===  ===========================  ==============================  ============================
    ref  path                         target (business days)          closed
    ===  ===========================  ==============================  ============================
    a    out of scope                 20 (low)                        Tue 24, after 1 business day
    b    summary resolution           20 (low)                        Mon 23, at once
    c    accepted by reply (email)    20 (low)                        Wed 25, after 2
    d    dissatisfied, review         5 (critical: urgent)            Mon 30 10:00, after 5: late
    e    withdrawn before assessment  20 (the acknowledgement's)      Mon 23, at once
    f    left open                    5 (critical: urgent)            open, overdue since Mon 30 09:00
    ===  ===========================  ==============================  ============================
    """
    api = process
    api.app.config["SUBMIT_RATE_LIMIT"] = "60 per minute"  # six complaints from one test client
    for name, roles in (("quinn", ["auditor"]), ("paula", ["process_owner"]), ("root", ["admin"])):
        api.user(name, roles=roles)
    created = {
        "a": api.submit(), "b": api.submit(), "c": api.submit(channel="email"),
        "d": api.submit(category="service"), "e": api.submit(),
        "f": api.submit(category="service", product="Kettle"),
    }
    ref = {key: value["reference"] for key, value in created.items()}
    assess(api, ref["b"], resolvable_at_once=True)
    api.work("alice", ref["b"], {"resolution_summary": "Refunded on the phone.", "remedy_type": "refund",
                                 "complainant_satisfied": True})
    withdrawn = api.post("/api/messages/complainant_withdrew", json={
        "reference": ref["e"], "token": created["e"]["status_token"], "payload": {}})
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assess(api, ref["c"])
    assess(api, ref["d"], severity="critical", category="service")
    assess(api, ref["f"], severity="critical", category="service")

    advance(api, days=1)  # Tuesday 24
    assess(api, ref["a"], in_scope=False, out_of_scope_explanation="Not our product.", signpost_to="The maker")

    advance(api, days=1)  # Wednesday 25
    investigate(api, ref["c"])
    reply(api, created["c"], accepted=True)
    api.work("ivan", ref["c"], RECORD_ACTION, scope="mine")
    investigate(api, ref["d"])
    api.work("sam", ref["d"], {"approval_decision": "approve"})
    reply(api, created["d"], accepted=False)

    advance(api, days=5, hours=1)  # Monday 30, 10:00: f's target passed an hour ago
    api.work("sue", ref["d"], {
        "review_outcome": "decision_stands", "review_findings": "The first decision was right.",
        "final_decision": "We keep our decision.", "final_explanation": "The charge was correct.",
        "external_body": "ombudsman", "external_body_details": "Financial Ombudsman Service"})
    answer_survey(api, ref["a"], 4, "partly")
    answer_survey(api, ref["c"], 5, "yes")
    for key in "abcde":
        assert api.get(f"/api/complaints/{ref[key]}", "sam").get_json()["state"] == "closed", key
    return api, ref


def report(api, who="sam", path="/api/reports/summary", **period):
    response = api.get(path, who, query_string=period)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_the_november_report_adds_up(scenario):
    api, ref = scenario
    body = report(api, **NOVEMBER).get_json()
    assert body["period"] == {"from": "2026-11-01", "to": "2026-12-01", "duration_unit": "business days",
                              "calendar": "GB"}
    assert body["volume"] == {"received": 6, "closed": 5, "open_at_end": 1, "overdue_at_end": 1}
    kpis = body["kpis"]
    assert kpis["time_to_acknowledge"] == {"count": 6, "median": 0, "p90": 0}
    assert kpis["time_to_close"] == {"count": 5, "median": 1, "p90": 5}  # 0 0 1 2 5
    assert kpis["within_target"] == {"closed_with_target": 5, "within": 4, "share": 0.8}
    assert kpis["escalation"] == {"closed": 5, "dissatisfied": 1, "rate": 0.2}
    assert kpis["withdrawn"] == {"count": 1, "share": 0.2}

    analysis = body["analysis"]
    assert analysis["by_category"] == [{"key": "billing", "count": 4}, {"key": "service", "count": 2}]
    assert analysis["by_product"] == [{"key": "Broadband", "count": 5}, {"key": "Kettle", "count": 1}]
    assert analysis["by_priority"] == [{"key": "low", "count": 3}, {"key": "urgent", "count": 2},
                                       {"key": "(not recorded)", "count": 1}]
    assert analysis["by_channel"] == [{"key": "web", "count": 5}, {"key": "email", "count": 1}]
    assert analysis["by_closure_reason"] == [{"key": k, "count": 1} for k in (
        "final_response_issued", "out_of_scope", "resolved_accepted", "summary_resolution", "withdrawn")]
    assert analysis["trend"] == [{"month": "2026-11", "received": 6, "closed": 5}]

    assert body["satisfaction"] == {
        "surveys_sent": 5, "responses": 2, "response_rate": 0.4, "average_rating": 4.5,
        "ratings": [{"rating": r, "count": int(r in (4, 5))} for r in range(1, 6)],
        "resolved": {"yes": 1, "partly": 1, "no": 0}, "resolved_share": 0.5,
    }
    assert body["overdue"] == [{"reference": ref["f"], "priority": "urgent", "category": "service",
                                "target_at": "2026-11-30T09:00:00+00:00", "business_days_overdue": 0}]
    assert not any(text in json.dumps(body) for text in PERSONAL)


def test_the_period_bounds_count_what_falls_inside(scenario):
    api, ref = scenario
    # From Tuesday: nothing received, three closed (a on Tuesday, c on Wednesday, d on Monday).
    body = report(api, **{"from": "2026-11-24", "to": "2026-12-01"}).get_json()
    assert body["volume"] == {"received": 0, "closed": 3, "open_at_end": 1, "overdue_at_end": 1}
    assert body["kpis"]["time_to_close"] == {"count": 3, "median": 2, "p90": 5}
    # Up to Sunday 29: f's target (Monday 09:00) had not passed, and d was still open.
    body = report(api, **{"from": "2026-11-01", "to": "2026-11-29"}).get_json()
    assert body["volume"] == {"received": 6, "closed": 4, "open_at_end": 2, "overdue_at_end": 0}
    assert body["kpis"]["within_target"]["share"] == 1.0
    # A year across a month boundary: one row per month.
    body = report(api, **{"from": "2026-10-01", "to": "2027-01-01"}).get_json()
    assert [m["month"] for m in body["analysis"]["trend"]] == ["2026-10", "2026-11", "2026-12"]
    assert [m["received"] for m in body["analysis"]["trend"]] == [0, 6, 0]


def test_without_a_period_it_reports_the_last_full_month(scenario):
    api, _ref = scenario
    body = report(api).get_json()  # the clock says Monday 30 November 2026
    assert body["period"]["from"] == "2026-10-01" and body["period"]["to"] == "2026-11-01"
    assert body["volume"] == {"received": 0, "closed": 0, "open_at_end": 0, "overdue_at_end": 0}
    only_from = report(api, **{"from": "2026-11-23"}).get_json()
    assert only_from["period"]["to"] == "2026-12-01" and only_from["volume"]["received"] == 6


def test_the_csv_export_and_the_cli_give_the_same_figures(scenario):
    api, ref = scenario
    response = report(api, "quinn", "/api/reports/summary.csv", **NOVEMBER)
    assert response.mimetype == "text/csv"
    assert "complaints-report-2026-11-01-to-2026-12-01.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "key", "value"]
    for row in (["volume", "received", "6"], ["volume", "overdue_at_end", "1"], ["time_to_close", "median", "1"],
                ["within_target", "share", "0.8"], ["escalation", "rate", "0.2"], ["by_category", "billing", "4"],
                ["trend_closed", "2026-11", "5"], ["satisfaction", "average_rating", "4.5"],
                ["satisfaction_rating", "5", "1"], ["overdue", ref["f"], "2026-11-30T09:00:00+00:00"]):
        assert row in rows, row
    assert not any(t in text for t in PERSONAL)

    cli = api.runner.invoke(args=["report", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "csv"])
    assert cli.exit_code == 0, cli.output
    assert cli.output.splitlines() == text.splitlines()
    cli = api.runner.invoke(args=["report", "--from", "2026-11-01", "--to", "2026-12-01"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == report(api, "paula", **NOVEMBER).get_json()
    bad = api.runner.invoke(args=["report", "--from", "2026-12-01", "--to", "2026-11-01"])
    assert bad.exit_code == 1 and "--to" in bad.output


def test_only_managers_read_reports(process):  # noqa: F811
    api = process
    for name, roles in (("quinn", ["auditor"]), ("paula", ["process_owner"]), ("root", ["admin"])):
        api.user(name, roles=roles)
    for path in ("/api/reports/summary", "/api/reports/summary.csv"):
        for who in ("sam", "quinn", "paula", "root"):
            assert api.get(path, who).status_code == 200, (path, who)
        forbidden = api.get(path, "alice")
        assert forbidden.status_code == 403 and forbidden.get_json()["error"]["code"] == "forbidden"
        anonymous = api.get(path)
        assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"
    assert api.get("/api/reports/summary", "alice", query_string={"from": "junk"}).status_code == 403


@pytest.mark.parametrize("path", ["/api/reports/summary", "/api/reports/summary.csv"])
@pytest.mark.parametrize("period, field", [
    ({"from": "2026-13-01"}, "from"), ({"to": "yesterday"}, "to"),
    ({"from": "2026-12-01", "to": "2026-11-01"}, "to"), ({"from": "2026-11-01", "to": "2026-11-01"}, "to"),
])
def test_a_bad_period_is_400_with_field_errors(process, path, period, field):  # noqa: F811
    response = process.get(path, "sam", query_string=period)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and list(error["details"]) == [field]


def test_the_report_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    summary = paths["/api/reports/summary"]["get"]
    assert {p["name"] for p in summary["parameters"]} >= {"from", "to"}
    assert "text/csv" in paths["/api/reports/summary.csv"]["get"]["responses"]["200"]["content"]


def test_the_reports_page_shows_the_figures_to_managers_only(scenario):
    api, ref = scenario
    add_user(api.runner, "mona", roles=("supervisor",))
    add_user(api.runner, "stan", ["intake"])
    mona = Browser(api.app).login("mona")
    page = mona.get("/reports", query_string=NOVEMBER)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/reports"' in html  # the nav link
    assert 'href="/reports/summary.csv?from=2026-11-01&amp;to=2026-12-01"' in html
    assert '<label for="f-from">From' in html and 'id="f-from" name="from" value="2026-11-01"' in html
    assert '<td class="num">4</td>' in html  # billing
    assert ref["f"] in html and not any(t in html for t in PERSONAL)
    download = mona.get("/reports/summary.csv", query_string=NOVEMBER)
    assert download.mimetype == "text/csv"
    exported = report(api, path="/api/reports/summary.csv", **NOVEMBER)
    assert download.get_data(as_text=True) == exported.get_data(as_text=True)
    bad = mona.get("/reports", query_string={"from": "2026-12-01", "to": "2026-11-01"})
    assert bad.status_code == 400 and "must be a later date than from" in bad.get_data(as_text=True)
    stan = Browser(api.app).login("stan")
    assert 'href="/reports"' not in stan.get("/inbox").get_data(as_text=True)
    assert stan.get("/reports").status_code == 403
