"""What an operator watches (issue 15, Operations): /healthz, /readyz, /metrics for
Prometheus (restricted by config), log lines with a request id and the complaint's
reference but no personal data, and the worker's heartbeat. Through HTTP and the CLI."""

import io
import json
import logging
import re
import socket
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bpmn_complaints import create_app
from bpmn_complaints.extensions import db
from conftest import HERE

PROCESSES = HERE.parent / "processes"


def figures(response) -> dict[tuple[str, tuple], float]:
    """The samples of a /metrics answer: (name, sorted labels) -> value."""
    assert response.status_code == 200, response.data
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_wants_the_newest_migration_and_tells_of_the_worker(app, client, runner):
    response = client.get("/readyz")  # db.create_all(): no migration history
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"]["ok"] is False
    with app.app_context():
        db.drop_all()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert checks["worker"] == {"ok": False, "last_seen_seconds_ago": None, "message": "no worker has been seen"}

    assert runner.invoke(args=["worker", "--once"]).exit_code == 0  # a worker run from cron beats too
    worker = client.get("/readyz").get_json()["checks"]["worker"]
    assert worker["ok"] is True and worker["last_seen_seconds_ago"] < 60
    app.config["WORKER_STALE_SECONDS"] = 0
    worker = client.get("/readyz").get_json()["checks"]["worker"]
    assert worker["ok"] is False and "no worker seen for" in worker["message"]


def test_metrics_count_requests_engine_queues_and_tasks(api):
    assert api.deploy(PROCESSES).exit_code == 0
    api.user("alice", groups=["intake"])
    before = figures(api.client.get("/metrics"))
    reference = api.submit()["reference"]
    api.get(f"/api/complaints/{reference}", "alice")
    after = figures(api.client.get("/metrics"))

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("bpmn_complaints_http_requests_total", method="POST", route="/api/complaints", status="201") == 1
    assert grew("bpmn_complaints_http_requests_total", method="GET", route="/api/complaints/<reference>",
                status="200") == 1
    assert grew("bpmn_complaints_http_request_duration_seconds_count", method="POST", route="/api/complaints") == 1
    assert grew("bpmn_complaints_engine_steps_total") > 0
    assert grew("bpmn_complaints_engine_run_seconds_count") >= 1
    assert after[("bpmn_complaints_outbox_messages", (("status", "pending"),))] == 1  # the acknowledgement
    assert after[("bpmn_complaints_outbox_messages", (("status", "failed"),))] == 0
    assert after[("bpmn_complaints_tasks_open", (("group", "intake"),))] == 1
    assert after[("bpmn_complaints_tasks_overdue", (("group", "intake"),))] == 0
    assert after[("bpmn_complaints_incidents_open", ())] == 0
    assert ("bpmn_complaints_jobs_due", (("kind", "timer"),)) not in after  # its timers are days away
    assert after[("bpmn_complaints_worker_last_seen_seconds", ())] == -1


def test_metrics_are_open_only_to_the_configured_addresses_or_token(app, client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    outside = {"REMOTE_ADDR": "192.0.2.7"}
    response = client.get("/metrics", environ_base=outside)
    assert response.status_code == 403 and b"METRICS_ALLOW" in response.data
    app.config["METRICS_ALLOW"] = ["192.0.2.0/24"]
    assert client.get("/metrics", environ_base=outside).status_code == 200
    app.config.update(METRICS_ALLOW=[], METRICS_TOKEN="scrape-me")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


class Captured:
    """What the handler the factory installed writes, read back."""

    def __init__(self):
        self.stream = io.StringIO()
        ours = logging.getLogger("bpmn_complaints").handlers
        (self.handler,) = [h for h in ours if h.get_name() == "bpmn_complaints"]
        self.previous = self.handler.setStream(self.stream)

    def readouterr(self):
        text, self.stream = self.stream.getvalue(), io.StringIO()
        self.handler.setStream(self.stream)
        return SimpleNamespace(err=text)


@pytest.fixture
def json_app(app):
    """The app as in production: JSON log lines."""
    json_app = create_app({**app.config, "TESTING": True, "LOG_FORMAT": "json"})
    yield json_app
    with json_app.app_context():
        db.engine.dispose()


@pytest.fixture
def logs_out(json_app):  # the log lines, as an operator's log collector would read them off stderr
    captured = Captured()
    yield captured
    captured.handler.setStream(captured.previous)


def log_lines(captured) -> list[dict]:
    return [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]


def test_log_lines_are_json_with_the_request_id_and_no_personal_data(json_app, logs_out):
    runner, client = json_app.test_cli_runner(), json_app.test_client()
    assert runner.invoke(args=["deploy", str(PROCESSES)]).exit_code == 0
    logs_out.readouterr()
    created = client.post("/api/complaints", json={"name": "Dana Example", "email": "dana@example.com",
                                                    "phone": "0123 456789", "description": "Charged twice."},
                          headers={"X-Request-ID": "req-42"})
    assert created.status_code == 201 and created.headers["X-Request-ID"] == "req-42"
    reference, token = created.get_json()["reference"], created.get_json()["status_token"]
    status = client.get(f"/api/complaints/{reference}", query_string={"token": token})
    assert status.status_code == 200 and re.fullmatch(r"[0-9a-f]{32}", status.headers["X-Request-ID"])
    bad = client.get("/healthz", headers={"X-Request-ID": "no spaces or \u00e9 allowed" * 10})
    assert bad.headers["X-Request-ID"] != "no spaces or \u00e9 allowed" * 10

    captured = logs_out.readouterr()
    lines = log_lines(captured)
    submitted = next(line for line in lines if line.get("event") == "request" and line["method"] == "POST")
    assert submitted["request_id"] == "req-42" and submitted["route"] == "/api/complaints"
    assert submitted["status"] == 201 and submitted["level"] == "INFO" and "time" in submitted
    looked_up = next(line for line in lines if line.get("route") == "/api/complaints/<reference>")
    assert looked_up["request_id"] == status.headers["X-Request-ID"]
    for secret in ("Dana", "dana@example.com", "0123 456789", "Charged twice", token):
        assert secret not in captured.err


def test_deploys_smtp_failures_and_retries_are_logged_with_the_reference(json_app, logs_out):
    runner, client = json_app.test_cli_runner(), json_app.test_client()
    with socket.socket() as probe:  # a port nobody listens on: the SMTP server is down
        probe.bind(("127.0.0.1", 0))
        json_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=probe.getsockname()[1])
    assert runner.invoke(args=["deploy", str(PROCESSES)]).exit_code == 0
    reference = client.post("/api/complaints", json={"name": "Dana Example", "email": "dana@example.com",
                                                     "description": "Charged twice."}).get_json()["reference"]
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    captured = logs_out.readouterr()
    lines = log_lines(captured)
    deployed = next(line for line in lines if line.get("event") == "deployed")
    assert deployed["key"] == "complaint_handling" and deployed["version"] == 1
    retry = next(line for line in lines if line.get("event") == "email_retry")
    assert retry["complaint"] == reference and retry["attempts"] == 1 and retry["level"] == "WARNING"
    assert "Connection" in retry["error"] or "refused" in retry["error"].lower()
    assert "dana@example.com" not in captured.err and "Dana" not in captured.err
