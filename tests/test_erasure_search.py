"""After erasure (one complaint by hand, another by the retention period) none of the
complainant's strings is left anywhere: every table is read row by row, and on PostgreSQL
the whole database is dumped with pg_dump and searched too."""

import os
import shutil
import subprocess
import warnings

from sqlalchemy import MetaData, select
from sqlalchemy.exc import SAWarning

from bpmn_complaints.clock import get_clock
from bpmn_complaints.extensions import db
from test_mail_in import Receiver, mail
from test_outbox import run_worker, smtp  # noqa: F401  (the real SMTP server fixture)
from test_process_paths import RECORD_ACTION, assess, investigate, process  # noqa: F401


def person(n):
    return {"name": f"Quentin Zebedee{n}", "email": f"quentin.zebedee{n}@example.org", "phone": f"07700 90012{n}",
            "description": f"My meter reading was doubled, case{n} wombat.", "remedy_sought": f"Refund me{n} please"}


def words(n):
    return {"notes": f"Prefers letters{n}, lives near the depot.", "findings": f"Meter misread{n} by the visitor.",
            "comment": f"Called back{n} about the meter.", "reply": f"Fine{n}, thanks for sorting the meter.",
            "action": f"Credited{n} the account.", "emailed": f"My neighbour{n} saw the meter too.",
            "subject": f"Meter photos{n}"}


def run_one(api, n, receiver):
    created = api.submit(**person(n))
    ref = created["reference"]
    # A reply by email, with a file, through the SMTP receiver: it is in the case file now.
    sender = f"{person(n)['name']} <{person(n)['email']}>"
    reply = mail(f"{words(n)['subject']} {ref}", words(n)["emailed"], sender=sender)
    reply.add_attachment(b"%PDF-1.4\n%%EOF\n" + str(n).encode(), maintype="application", subtype="pdf",
                         filename=f"meter{n}.pdf")
    assert receiver.send(reply, sender=person(n)["email"]) is None
    assess(api, ref, assessment_notes=words(n)["notes"])
    task = api.task_for("ivan", ref, scope="mine")
    assert api.post(f"/api/tasks/{task['id']}/comments", "ivan", json={"body": words(n)["comment"]}).status_code < 300
    investigate(api, ref, findings=words(n)["findings"], response_decision=f"We agree{n}, sorry.")
    payload = {"accepted": True, "comment": words(n)["reply"]}
    reply = api.post("/api/messages/complainant_reply",
                     json={"reference": ref, "token": created["status_token"], "payload": payload})
    assert reply.status_code == 200, reply.get_json()
    api.work("ivan", ref, {**RECORD_ACTION, "action_taken": words(n)["action"]}, scope="mine")
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["state"] == "closed"
    return ref, [*person(n).values(), *words(n).values(), f"We agree{n}, sorry."]


def every_row(app) -> str:
    with app.app_context():
        metadata = MetaData()
        with warnings.catch_warnings():  # expression indexes are not reflected; only rows matter here
            warnings.simplefilter("ignore", SAWarning)
            metadata.reflect(db.engine)
        with db.engine.connect() as connection:
            return "\n".join(repr(tuple(row)) for table in metadata.sorted_tables
                             for row in connection.execute(select(table)))


def pg_dump(app) -> str | None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql") or shutil.which("pg_dump") is None:
        return None
    with app.app_context():
        conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--data-only", conninfo], check=True, capture_output=True, text=True,
                          env={**os.environ}).stdout


def test_nothing_of_the_complainant_is_left_after_erase_and_retention(process, smtp):  # noqa: F811
    process.user("root", roles=["admin"])
    smtp.start()
    receiver = Receiver(process.app)
    try:
        first, first_strings = run_one(process, 1, receiver)
        second, second_strings = run_one(process, 2, receiver)
    finally:
        receiver.stop()
    run_worker(process)
    before = every_row(process.app)
    assert all(s in before for s in first_strings + second_strings)  # the search can find them

    assert process.post(f"/api/complaints/{first}/erase", "root", json={"reason": "request"}).status_code == 200
    with process.app.app_context():
        get_clock().advance(days=31)
    result = process.runner.invoke(args=["retention", "--days", "30"])
    assert result.exit_code == 0 and second in result.output, result.output

    rows = every_row(process.app)
    dump = pg_dump(process.app) or ""
    for text in first_strings + second_strings:
        assert text not in rows, text
        assert text not in dump, text
    assert first in rows and second in rows  # the records themselves stay
