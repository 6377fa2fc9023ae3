"""Real ``bpmn-complaints worker`` processes on one PostgreSQL database: timers fire exactly
once across workers, a killed worker's jobs are taken over, two jobs of one instance
race and neither change is lost, SIGTERM finishes the job in hand, and a sleeping worker
wakes for a timer written after it went to sleep.

The workers run on real time, so the complaints are created with the app clock set back
a day: their one-hour timers are due in the real past. To stop a worker in the middle of
a job, the test holds a row lock on that job's instance; the worker blocks on it, and the
test sees it waiting in ``pg_stat_activity``.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from bpmn_complaints.clock import get_clock
from bpmn_complaints.db import run_change, trail
from bpmn_complaints.extensions import db
from bpmn_complaints.models import AuditEvent, Complaint, HumanTask, Job, ProcessInstance
from bpmn_complaints.services.complaints import submit
from conftest import DIAGRAMS, PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set COMPLAINTS_TEST_DATABASE_URL")

CLI = Path(sys.executable).with_name("bpmn-complaints")
WAIT = 120  # seconds before a test gives up waiting; a failure, never a measurement


@pytest.fixture
def backend():
    return "postgresql"


class Workers:
    """Worker processes started through the real CLI, stopped at the end of the test."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, pythonpath: Path | None = None, **config) -> subprocess.Popen:
        # The plugin folder goes in front of the caller's own path (a worktree's src), not instead of it.
        path = os.pathsep.join(p for p in (str(pythonpath or ""), os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, **({"PYTHONPATH": path} if path else {}), "PYTHONUNBUFFERED": "1",
               "COMPLAINTS_SQLALCHEMY_DATABASE_URI": PG_URL,
               "COMPLAINTS_SECRET_KEY": "test", **{f"COMPLAINTS_{k}": str(v) for k, v in config.items()}}
        proc = subprocess.Popen([str(CLI), "worker"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        self.procs.append(proc)
        line = proc.stdout.readline()
        assert "started" in line, line + proc.stdout.read()
        return proc

    def stop(self, proc) -> tuple[int, str]:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=WAIT)
        return proc.returncode, output

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


@pytest.fixture
def workers():
    started = Workers()
    yield started
    started.close()


@pytest.fixture
def lock_conn():
    """A connection of the test's own, to hold row locks and watch the workers."""
    engine = create_engine(PG_URL)
    conn = engine.connect()
    yield conn
    conn.close()
    engine.dispose()


def complaints(app, n: int, diagram: str, ago=timedelta(days=1)) -> list[int]:
    """Deploy ``diagram`` and submit ``n`` complaints at ``ago`` before real time; returns
    their instance ids in the order their timers are due."""
    with app.app_context():
        get_clock().set(datetime.now(UTC) - ago)
    assert app.test_cli_runner().invoke(args=["deploy", str(DIAGRAMS / diagram)]).exit_code == 0
    with app.app_context():
        for i in range(n):
            run_change(submit, {"name": f"Person {i}", "email": "p@example.com", "description": "Late."})
        return list(db.session.scalars(select(Job.instance_id).order_by(Job.due_at, Job.id)))


def wait_for(check, what: str):
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


# The instances' jobs: a worker also keeps recurring jobs of no instance waiting (the
# heatmap's rollup, the folding of the task counts), which these tests leave alone.
OF_INSTANCES = Job.instance_id.is_not(None)


def jobs_left(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(Job.id)).where(OF_INSTANCES))
        db.session.commit()
        return count


def jobs_run(output: str) -> int:
    return sum(int(line.split()[0]) for line in output.splitlines() if " job(s) run" in line)


def waiting_on_locks(conn) -> int:
    conn.execute(text("SELECT pg_stat_clear_snapshot()"))  # else the view stays as the transaction first saw it
    return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                             "AND datname = current_database()")).scalar()


def hold_lock(conn, instance_id: int) -> None:
    conn.execute(text("SELECT id FROM process_instances WHERE id = :id FOR UPDATE"), {"id": instance_id})


def fired(app) -> Counter:
    """timer_fired events per instance, from the audit trail."""
    with app.app_context():
        rows = db.session.execute(
            select(ProcessInstance.id, AuditEvent.bpmn_id)
            .join(Complaint, Complaint.id == ProcessInstance.complaint_id)
            .join(AuditEvent, AuditEvent.complaint_id == Complaint.id)
            .where(AuditEvent.action == "timer_fired"))
        return Counter(instance_id for instance_id, _ in rows)


def follow_ups(app) -> set[int]:
    """Instances that moved on past their timer: their follow-up task is in the inbox."""
    with app.app_context():
        return set(db.session.scalars(select(HumanTask.instance_id).where(
            HumanTask.bpmn_id == "Task_follow_up", HumanTask.state == "ready")))


def test_three_workers_fire_four_hundred_timers_exactly_once(app, workers):
    # Enough that the three take jobs side by side for seconds (each job is a few ms);
    # a thousand proved nothing more and cost a minute of the suite.
    ids = complaints(app, 400, "wait.bpmn")
    procs = [workers.start() for _ in range(3)]
    wait_for(lambda: jobs_left(app) == 0, "the timers to fire")
    for proc in procs:
        code, output = workers.stop(proc)
        assert code == 0 and "stopped" in output, output
    assert fired(app) == {i: 1 for i in ids}
    assert follow_ups(app) == set(ids)


def test_a_killed_workers_jobs_are_run_by_the_next_worker(app, workers, lock_conn):
    ids = complaints(app, 12, "wait.bpmn")
    hold_lock(lock_conn, ids[3])
    first = workers.start(JOB_LOCK_SECONDS=3)
    wait_for(lambda: waiting_on_locks(lock_conn) == 1, "the worker to reach the fourth job")
    with app.app_context():
        owners = set(db.session.scalars(select(Job.lock_owner).where(OF_INSTANCES)))
    # It leases nothing: the job in hand is locked by the transaction that runs it, the
    # others are free for any worker.
    assert owners == {None}, owners
    first.send_signal(signal.SIGKILL)
    first.communicate()
    lock_conn.rollback()
    assert fired(app) == {i: 1 for i in ids[:3]}

    second = workers.start(JOB_LOCK_SECONDS=3)
    wait_for(lambda: jobs_left(app) == 0, "the second worker to take the jobs over")
    code, output = workers.stop(second)
    assert code == 0 and jobs_run(output) == 9, output
    assert fired(app) == {i: 1 for i in ids}
    assert follow_ups(app) == set(ids)


def test_two_workers_racing_on_one_instance_keep_both_changes(app, workers, lock_conn, tmp_path):
    # The submission left the service task to its job, due at once; the timer is due 15
    # seconds from now (room for a slow machine to start a worker), so that the first worker
    # loads the instance before the timer is due and the second one after. Here crm_update
    # is only known, for deploy: it runs in the workers.
    app.extensions["complaints_handlers"].register("crm_update", lambda ctx: pytest.fail("ran in the submission"))
    [instance_id] = set(complaints(app, 1, "timer_and_retry.bpmn", ago=timedelta(hours=1, seconds=-15)))
    with app.app_context():
        timer_due = db.session.scalar(select(Job.due_at).where(Job.kind == "timer"))
    # The workers' crm_update succeeds: a plugin registered through its entry point.
    (tmp_path / "crm_ok.py").write_text("def crm_update(ctx):\n    return {'crm_id': 'CRM-7'}\n")
    dist = tmp_path / "crm_ok-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: crm-ok\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[bpmn_complaints.handlers]\ncrm_update = crm_ok:crm_update\n")

    hold_lock(lock_conn, instance_id)
    procs = [workers.start(tmp_path)]
    wait_for(lambda: waiting_on_locks(lock_conn) == 1, "the first worker to write the handler's result")
    assert datetime.now(UTC) < timer_due, "too slow to load the instance before the timer was due"
    procs.append(workers.start(tmp_path))
    # Both have loaded the instance and are writing it: neither has seen the other's change.
    wait_for(lambda: waiting_on_locks(lock_conn) == 2, "the second worker to write the timer")
    lock_conn.rollback()
    wait_for(lambda: jobs_left(app) == 0, "both jobs to finish")
    outputs = [workers.stop(proc) for proc in procs]
    # Two jobs ran, each once. Which worker ran the one whose change lost the race is not
    # fixed: the loser runs it again, unless the other worker, done first, took it (a job
    # is locked by the transaction running it, not leased to a worker).
    assert [code for code, _ in outputs] == [0, 0], outputs
    assert sum(jobs_run(output) for _, output in outputs) == 2, outputs

    # Each wrote over the state both had loaded; had the second write gone through as it
    # was, it would have undone the first. Both changes are there, each once, so the loser
    # ran again on the winner's state.
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        complaint = db.session.get(Complaint, instance.complaint_id)
        ready = set(db.session.scalars(select(HumanTask.bpmn_id).where(HumanTask.state == "ready")))
        actions = Counter(db.session.scalars(select(AuditEvent.action).where(AuditEvent.complaint_id == complaint.id)))
        assert trail.verify(trail.stream_for(complaint)) == []
    assert instance.status == "running" and ready == {"Task_check", "Task_follow_up"}
    assert actions["timer_fired"] == 1 and actions["handler_ran"] == 1 and actions["incident"] == 0


def test_sigterm_finishes_the_job_in_hand_and_exits_0(app, workers, lock_conn):
    ids = complaints(app, 5, "wait.bpmn")
    hold_lock(lock_conn, ids[1])
    proc = workers.start()
    wait_for(lambda: waiting_on_locks(lock_conn) == 1, "the worker to be in its second job")
    proc.send_signal(signal.SIGTERM)
    lock_conn.rollback()
    output, _ = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0 and "stopped" in output, output
    assert fired(app) == {ids[0]: 1, ids[1]: 1}
    with app.app_context():
        left = db.session.execute(select(Job.instance_id, Job.lock_owner).where(OF_INSTANCES)).all()
    assert sorted(left) == [(i, None) for i in sorted(ids[2:])]  # unlocked for the next worker


def test_a_sleeping_worker_wakes_for_a_timer_written_after_it_slept(app, workers):
    # A timer an hour away: the worker plans to sleep for as long as it may (a minute).
    [later] = complaints(app, 1, "wait.bpmn", ago=timedelta(0))
    proc = workers.start()
    time.sleep(1)
    with app.app_context():
        get_clock().set(datetime.now(UTC) - timedelta(days=1))
        complaint, _ = run_change(submit, {"name": "Dana", "email": "d@example.com", "description": "Late."})
        due_now = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.complaint_id == complaint.id))
    # Well within the minute it would otherwise sleep: the NOTIFY of the commit woke it.
    wait_for(lambda: fired(app) == {due_now: 1}, "the worker to wake for the new timer")
    code, output = workers.stop(proc)
    assert code == 0 and "stopped" in output, output
    assert follow_ups(app) == {due_now} and later not in fired(app)
