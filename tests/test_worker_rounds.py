"""How the worker takes its work (issue 15, Operations): emails interleaved with job
batches, so an acknowledgement never waits behind a thousand timers; and the question
"when is the next work free to take?" answered from the partial indexes. On both
databases, through `bpmn-complaints worker --once`."""

import re
from datetime import timedelta

from sqlalchemy import event, insert, text

from bpmn_complaints.clock import utcnow
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Job
from bpmn_complaints.worker import Worker
from conftest import HERE
from test_operations import Captured
from test_outbox import smtp  # noqa: F401  (the real SMTP server fixture)

PROCESSES = HERE.parent / "processes"
ROUND = re.compile(r"worker round: jobs=(\d+) emails=(\d+)")


def due_timers(app, count: int) -> None:
    """``count`` timer jobs due now (on no instance: each runs at once and is done)."""
    with app.app_context():
        now = utcnow() - timedelta(seconds=5)
        db.session.execute(insert(Job), [{"kind": "timer", "instance_id": None, "due_at": now, "created_at": now,
                                          "attempts": 0, "payload": {}} for _ in range(count)])
        db.session.commit()


def test_an_acknowledgement_goes_out_in_the_first_round_of_a_thousand_timers(api, smtp):  # noqa: F811
    assert api.deploy(PROCESSES).exit_code == 0
    smtp.start()
    due_timers(api.app, 1000)
    api.submit()  # its acknowledgement is queued after the thousand timers fell due
    logs = Captured()
    result = api.runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    rounds = [(int(jobs), int(emails)) for jobs, emails in ROUND.findall(logs.readouterr().err)]
    assert rounds[0] == (50, 1), rounds  # one batch of timers, and the email with it
    assert sum(jobs for jobs, _ in rounds) == 1000 and sum(emails for _, emails in rounds) == 1
    assert len(smtp.sink.messages) == 1


def test_next_due_reads_the_partial_indexes(api, backend):
    """Each probe of the worker's next wake is answered by its partial index, not by a
    scan of the rows the other probe covers. (SQLite's planner, without statistics,
    answers the outbox's from its (status, due) index instead.)"""
    assert api.deploy(PROCESSES).exit_code == 0
    api.submit()
    due_timers(api.app, 20)
    statements = []
    with api.app.app_context():
        def seen(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            Worker(owner="probe").next_due()
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert len(statements) == 4, statements
        plans = []
        with db.engine.connect() as conn:
            if backend == "postgresql":
                conn.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: make the planner show its options
                explain = "EXPLAIN "
            else:
                explain = "EXPLAIN QUERY PLAN "
            for statement, parameters in statements:
                rows = conn.exec_driver_sql(explain + statement, parameters).all()
                plans.append(" ".join(str(part) for row in rows for part in row))
    used = {name for plan in plans for name in re.findall(r"ix_\w+", plan)}
    wanted = {"ix_jobs_free_due", "ix_jobs_lock_expires"}
    if backend == "postgresql":
        wanted |= {"ix_outbox_free_due", "ix_outbox_lock_expires"}
    assert wanted <= used, plans
    with api.app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM jobs")).scalar() >= 20
