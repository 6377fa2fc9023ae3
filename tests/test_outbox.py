"""The outbox, delivered over real SMTP to an aiosmtpd server on loopback (no mocks).

Emails are written in the engine step's transaction and sent by the worker after commit,
at least once per outbox row, always with the row's Message-ID.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bpmn_complaints.clock import get_clock
from bpmn_complaints.extensions import db
from bpmn_complaints.models import OutboxMessage, ProcessInstance
from bpmn_complaints.worker import Worker
from conftest import DIAGRAMS

# Friday 2026-12-18 10:00 UTC: 10 business days later (GB/ENG: Christmas, Boxing Day
# observed on the 28th, New Year's Day) is Wednesday 6 January 2027.
FRIDAY = datetime(2026, 12, 18, 10, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []
        self.received = threading.Event()
        self.hold = threading.Event()  # while set, DATA is accepted but not answered
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.received.set()
        while self.hold.is_set():
            await asyncio.sleep(0.02)
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [m["Message-ID"].strip() for m in self.messages]


class SmtpServer:
    def __init__(self, port: int):
        self.port, self.sink, self.controller = port, Sink(), None

    def start(self):
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.sink.hold.clear()
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    """A stopped SMTP server on a free loopback port, which the app is configured to use."""
    server = SmtpServer(free_port())
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, MAIL_FROM="Complaints <complaints@acme.example>")
    yield server
    server.stop()


def run_worker(api) -> int:
    """Run ``worker --once`` the way an operator does; returns the emails sent."""
    with api.app.app_context():
        worker = Worker(owner="test")
        worker.run_once()
        return worker.delivered


def advance(api, **delta):
    with api.app.app_context():
        get_clock().advance(**delta)


def outbox(api) -> list[OutboxMessage]:
    with api.app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def body(message, subtype="plain") -> str:
    return message.get_body(preferencelist=(subtype,)).get_content().replace("\r\n", "\n")


def setup_respond(api, **submit):
    with api.app.app_context():
        get_clock().set(FRIDAY)
    assert api.deploy(DIAGRAMS / "respond.bpmn").exit_code == 0
    api.user("ivan", groups=["investigators"])
    return api.submit(**submit)


def test_acknowledgement_arrives_with_reference_date_and_link(api, smtp):
    smtp.start()
    created = setup_respond(api, name="Dana <b>Example</b>")
    ref, token = created["reference"], created["status_token"]
    [row] = outbox(api)
    assert row.status == "pending" and row.template == "acknowledgement"

    assert run_worker(api) == 1
    [mail] = smtp.sink.messages
    assert mail["Message-ID"].strip() == row.message_id and row.message_id.startswith(f"<{ref}.acknowledgement.")
    assert mail["To"] == "dana@example.com" and mail["From"] == "Complaints <complaints@acme.example>"
    assert ref in mail["Subject"]
    text = body(mail)
    assert ref in text and "Wednesday 6 January 2027" in text and "10 working days" in text
    link = f"http://127.0.0.1:5000/status/{ref}#token={token}"
    assert link in text
    html = body(mail, "html")
    assert f'href="{link}"' in html and "Wednesday 6 January 2027" in html
    assert "Dana &lt;b&gt;Example&lt;/b&gt;" in html and "Dana <b>Example</b>" in text  # HTML part escaped

    # The link's token is the complainant's real token.
    query = parse_qs(urlsplit(link).fragment)
    assert api.get(f"/api/complaints/{ref}", query_string={"token": query["token"][0]}).status_code == 200
    [row] = outbox(api)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert run_worker(api) == 0 and len(smtp.sink.messages) == 1

    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    events = api.history(ref, "sam")["events"]
    acknowledged = next(e for e in events if e["action"] == "acknowledged")
    assert acknowledged["details"]["message_id"] == row.message_id
    assert "dana@example.com" not in str(events)  # no personal data in the trail
    assert any(e["action"] == "email_sent" and e["details"]["message_id"] == row.message_id for e in events)


def test_the_token_is_only_in_the_email_never_in_the_workflow_state(api, smtp):
    created = setup_respond(api)
    with api.app.app_context():
        [state] = db.session.scalars(select(ProcessInstance.state)).all()
    assert created["status_token"] not in state
    assert created["status_code"].replace("-", "") not in state
    [row] = outbox(api)
    assert f"token={created['status_token']}" in row.body_text


def test_response_escalation_and_survey_emails_arrive(api, smtp):
    smtp.start()
    api.runner.invoke(args=["users", "add", "sam", "--group", "supervisors", "--email", "sam@acme.example"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    created = setup_respond(api)
    ref = created["reference"]
    api.work("ivan", ref, {"decision": "We agree: you were charged twice.",
                           "explanation": "A retry in our billing run took the payment again.",
                           "remedy": "We have refunded £42.50 to your card."})
    assert run_worker(api) == 4
    ack, response, escalation, survey = smtp.sink.messages
    assert ref in response["Subject"] and response["To"] == "dana@example.com"
    text = body(response)
    assert "We agree: you were charged twice." in text and "refunded £42.50" in text
    assert "A retry in our billing run" in text
    # This diagram closes right after the decision: the letter promises no reply window.
    assert "not satisfied" not in text and "You can see your complaint's page at any time" in text
    assert f"/status/{ref}#token={created['status_token']}" in text  # the link opens the page at any step
    assert escalation["To"] == "sam@acme.example" and "refund over the approval limit" in body(escalation)
    assert f"/feedback/{ref}?sig=" in body(survey)

    # What was sent is on record: the outbox row, and its hash in the audit trail.
    rows = {r.template: r for r in outbox(api)}
    assert rows["decision"].body_text == text
    delivered = next(e for e in api.history(ref, "sam")["events"] if e["action"] == "response_delivered")
    assert delivered["details"]["message_id"] == rows["decision"].message_id == response["Message-ID"].strip()
    assert len(delivered["details"]["sha256"]) == 64


def test_smtp_down_then_back_delivers_each_row_exactly_once(api, smtp):
    ref = setup_respond(api)["reference"]
    assert run_worker(api) == 0  # nothing listens on the port yet
    [row] = outbox(api)
    assert row.status == "pending" and row.attempts == 1 and "Connection" in row.last_error
    assert row.next_attempt_at == FRIDAY + timedelta(seconds=60)
    assert run_worker(api) == 0 and outbox(api)[0].attempts == 1  # not due again yet

    advance(api, seconds=61)
    assert run_worker(api) == 0
    [row] = outbox(api)
    assert row.attempts == 2 and row.next_attempt_at == FRIDAY + timedelta(seconds=61 + 120)  # doubled

    smtp.start()
    advance(api, seconds=120)
    result = api.runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert smtp.sink.ids() == [row.message_id]
    advance(api, hours=1)
    assert run_worker(api) == 0
    assert smtp.sink.ids() == [row.message_id]
    [row] = outbox(api)
    assert row.status == "sent" and row.attempts == 3
    api.user("sam", roles=["supervisor"])
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["instance_status"] == "running"


def test_a_delivery_that_keeps_failing_is_visible_and_can_be_retried(api, smtp):
    api.app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    api.user("sam", roles=["staff", "supervisor"])
    ref = setup_respond(api)["reference"]
    run_worker(api)
    advance(api, minutes=2)
    run_worker(api)
    [row] = outbox(api)
    assert row.status == "failed" and row.attempts == 2

    listed = api.get("/api/outbox", "sam", query_string={"status": "failed"})
    assert listed.status_code == 200, listed.get_json()
    [item] = listed.get_json()["items"]
    assert item["message_id"] == row.message_id and item["complaint_reference"] == ref
    assert item["attempts"] == 2 and "Connection" in item["last_error"]
    assert "body_text" not in item  # bodies hold the status link; they stay in the database
    assert api.get("/api/outbox", "ivan").status_code == 403
    assert api.get("/api/outbox", "sam", query_string={"status": "sent"}).get_json()["total"] == 0
    # The complaint goes on; only the email is stuck.
    assert api.task_for("ivan", ref)["bpmn_id"] == "Task_decide"
    assert any(e["action"] == "email_failed" for e in api.history(ref, "sam")["events"])

    smtp.start()
    assert api.post(f"/api/outbox/{row.id}/retry", "ivan").status_code == 403
    retried = api.post(f"/api/outbox/{row.id}/retry", "sam")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "pending"
    assert api.post(f"/api/outbox/{row.id}/retry", "sam").status_code == 409  # not failed any more
    assert run_worker(api) == 1 and smtp.sink.ids() == [row.message_id]


def test_a_refused_recipient_fails_at_once(api, smtp):
    smtp.start()
    smtp.sink.refuse.add("nobody@example.com")
    setup_respond(api, email="nobody@example.com")
    assert run_worker(api) == 0
    [row] = outbox(api)
    assert row.status == "failed" and row.attempts == 1 and "550" in row.last_error


def test_a_crash_between_sending_and_recording_resends_with_the_same_message_id(api, smtp, tmp_path):
    smtp.start()
    smtp.sink.hold.set()
    assert api.deploy(DIAGRAMS / "respond.bpmn").exit_code == 0
    ref = api.submit()["reference"]
    [row] = outbox(api)

    env = dict(os.environ, COMPLAINTS_SQLALCHEMY_DATABASE_URI=api.app.config["SQLALCHEMY_DATABASE_URI"],
               COMPLAINTS_SMTP_PORT=str(smtp.port), COMPLAINTS_SECRET_KEY="test", COMPLAINTS_JOB_LOCK_SECONDS="60")
    command = [str(Path(sys.executable).parent / "bpmn-complaints"), "worker"]
    worker = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # The server has the whole message; the worker is waiting for its "250".
        assert smtp.sink.received.wait(30), worker.stdout.read1().decode() if worker.poll() is not None else ""
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait(10)
        worker.stdout.close()
    smtp.sink.hold.clear()

    [row] = outbox(api)
    assert row.status == "pending" and row.attempts == 0 and row.lock_owner.endswith(f":{worker.pid}")
    assert run_worker(api) == 0  # the dead worker's lock still holds
    advance(api, seconds=61)
    assert run_worker(api) == 1
    first, second = smtp.sink.messages
    assert smtp.sink.ids() == [row.message_id, row.message_id]
    assert body(first) == body(second) and ref in first["Subject"]
    [row] = outbox(api)
    assert row.status == "sent" and row.attempts == 1
