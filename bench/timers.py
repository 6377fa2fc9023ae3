"""How late timers fire, and how many timer jobs worker processes get through.

1. Lateness, on SQLite and on PostgreSQL: 10,000 timers are pending (due tomorrow), and a
   few hundred complaints have a timer due in the next seconds, a little apart. One
   ``bpmn-complaints worker`` process fires them; a timer's lateness is the time of its
   ``timer_fired`` audit event minus its due time.
2. Throughput, on PostgreSQL: 1, 2 and 4 worker processes sleep until a burst of timers
   all due at one moment, then fire them; jobs per second = burst / (last fire - due).

The baseline, measured in the same run, is raw SpiffWorkflow firing the same timer in
memory: restore the serialized state, refresh the waiting timer, run the engine steps
and serialize again, with no database, lock or audit trail.

The pending timers are copies of one waiting instance (they never fire during the run);
the timers that fire belong to complaints submitted the normal way.

Run: .venv/bin/python bench/timers.py [--quick] [POSTGRESQL_URL]
The PostgreSQL URL defaults to $COMPLAINTS_BENCH_DATABASE_URL, then to the database
complaints_bench on 127.0.0.1 (created when missing). Its public schema is DROPPED: never point it at real data.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from scratch_db import DEFAULT_URL, fresh_schema, prepare  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bpmn_complaints import create_app  # noqa: E402
from bpmn_complaints.clock import get_clock  # noqa: E402
from bpmn_complaints.db import run_change  # noqa: E402
from bpmn_complaints.extensions import db  # noqa: E402
from bpmn_complaints.models import AuditEvent, Job, ProcessInstance  # noqa: E402
from bpmn_complaints.services.complaints import submit  # noqa: E402

DIAGRAM = ROOT / "tests" / "diagrams" / "wait.bpmn"  # start, a one-hour timer, a user task
CLI = Path(sys.executable).with_name("bpmn-complaints")


def now() -> datetime:
    return datetime.now(UTC)


def raw_fire_ms(n: int) -> float:
    """Median ms for raw SpiffWorkflow to restore, fire and save the same waiting timer."""
    parser = SpiffBpmnParser()
    # Plain SpiffWorkflow evaluates timer values as Python, so the literal is quoted.
    parser.add_bpmn_str(DIAGRAM.read_bytes().replace(b">PT1H<", b">'PT1H'<"))
    spec = parser.get_spec("complaint_handling")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    workflow = BpmnWorkflow(spec, script_engine=PythonScriptEngine())
    workflow.do_engine_steps()
    [waiting] = workflow.event_manager.tasks.values()
    waiting._set_internal_data(event_value=(now() - timedelta(hours=1)).isoformat())
    state = serializer.serialize_json(workflow)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        workflow = serializer.deserialize_json(state)
        workflow.script_engine = PythonScriptEngine()
        workflow.refresh_waiting_tasks()
        workflow.do_engine_steps()
        serializer.serialize_json(workflow)
        samples.append(time.perf_counter() - start)
    assert not workflow.event_manager.tasks, "the raw timer did not fire"
    return statistics.median(samples) * 1000


def fresh_app(url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        fresh_schema(db)
    assert app.test_cli_runner().invoke(args=["deploy", str(DIAGRAM)]).exit_code == 0
    return app


def submit_at(app, moments: list[datetime]) -> None:
    """Submit one complaint per moment, with the app clock there (its timer is due an hour later)."""
    with app.app_context():
        for moment in moments:
            get_clock().set(moment)
            run_change(submit, {"name": "Bench", "email": "b@example.com", "description": "Late."})
        get_clock().reset()


def add_pending(app, n: int) -> None:
    """``n`` timers due tomorrow: one submitted complaint and copies of its waiting instance."""
    submit_at(app, [now() + timedelta(hours=23)])
    with app.app_context():
        original = db.session.scalar(select(ProcessInstance))
        columns = ("definition_id", "status", "state", "serializer_version", "created_at", "updated_at")
        row = {c: getattr(original, c) for c in columns}
        db.session.execute(insert(ProcessInstance), [row] * (n - 1))
        due = db.session.scalar(select(Job.due_at))
        copies = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.complaint_id.is_(None)))
        db.session.execute(insert(Job), [{"kind": "timer", "instance_id": i, "due_at": due, "created_at": now(),
                                          "payload": {}, "attempts": 0} for i in copies])
        db.session.commit()


def start_workers(url: str, count: int) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COMPLAINTS_SQLALCHEMY_DATABASE_URI": url}
    procs = [subprocess.Popen([str(CLI), "worker"], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(count)]
    for proc in procs:
        assert "started" in proc.stdout.readline()
    return procs


def stop(procs) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.communicate(timeout=60)


def fired_at(app, expected: int, patience: float) -> dict[int, datetime]:
    """When each complaint's timer fired (its ``timer_fired`` event), once ``expected`` have."""
    deadline = time.monotonic() + patience
    with app.app_context():
        while True:
            fired = dict(db.session.execute(select(AuditEvent.complaint_id, AuditEvent.at)
                                            .where(AuditEvent.action == "timer_fired")).all())
            db.session.commit()
            if len(fired) >= expected or time.monotonic() > deadline:
                return fired
            time.sleep(0.2)


def due_at(app) -> dict[int, datetime]:
    """The due time of each complaint's timer job."""
    with app.app_context():
        return dict(db.session.execute(select(ProcessInstance.complaint_id, Job.due_at)
                                       .join(Job, Job.instance_id == ProcessInstance.id)
                                       .where(ProcessInstance.complaint_id.is_not(None))).all())


def lateness(url: str, pending: int, timers: int, spacing: float) -> list[float]:
    """Lateness in ms of ``timers`` timers, ``spacing`` s apart, among ``pending`` others."""
    app = fresh_app(url)
    add_pending(app, pending)
    first_due = now() + timedelta(seconds=timers * 0.04 + 4)  # after the setup below
    submit_at(app, [first_due + timedelta(seconds=i * spacing - 3600) for i in range(timers)])
    dues = {c: d for c, d in due_at(app).items() if d < first_due + timedelta(hours=1)}
    procs = start_workers(url, 1)
    setup_overran = now() > first_due
    try:
        fired = fired_at(app, timers, timers * spacing + 60)
    finally:
        stop(procs)
    assert len(fired) == timers and not setup_overran, "the timers did not fire as planned"
    return [(fired[c] - due).total_seconds() * 1000 for c, due in dues.items()]


def throughput(url: str, workers: int, burst: int, pending: int) -> float:
    """Jobs per second ``workers`` processes get through on a burst all due at one moment."""
    app = fresh_app(url)
    add_pending(app, pending)
    procs = start_workers(url, workers)
    try:
        due = now() + timedelta(seconds=burst * 0.04 + 4)
        submit_at(app, [due - timedelta(hours=1)] * burst)
        setup_overran = now() > due
        fired = fired_at(app, burst, 120)
    finally:
        stop(procs)
    assert len(fired) == burst and not setup_overran, "the burst did not fire as planned"
    return burst / (max(fired.values()) - due).total_seconds()


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pg_url", nargs="?", default=os.environ.get("COMPLAINTS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--quick", action="store_true", help="fewer timers: a smoke run in about a minute")
    args = parser.parse_args()
    pending, timers, burst = (1_000, 50, 100) if args.quick else (10_000, 200, 400)
    prepare(args.pg_url)

    raw_ms = raw_fire_ms(200)
    print(f"baseline: raw SpiffWorkflow fires the timer in memory in {raw_ms:.2f} ms "
          f"({1000 / raw_ms:.0f} jobs/s on one core)")
    print(f"\ntimer lateness, 1 worker, {timers} timers 50 ms apart among {pending:,} pending:")
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in (("SQLite", f"sqlite:///{tmp}/bench.sqlite"), ("PostgreSQL", args.pg_url)):
            p50, p99, worst = percentiles(lateness(url, pending, timers, 0.05))
            print(f"  {name:<10} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  max {worst:7.1f} ms  "
                  f"(p50 = {p50 / raw_ms:.1f}x the raw fire)")
    print(f"\nthroughput on PostgreSQL, a burst of {burst} timers due at once among {pending:,} pending:")
    one = None
    for count in (1, 2, 4):
        rate = throughput(args.pg_url, count, burst, pending)
        one = one or rate
        print(f"  {count} worker(s): {rate:7.1f} jobs/s  ({rate / one:.2f}x 1 worker, "
              f"{rate * raw_ms / 1000:.2f}x raw SpiffWorkflow)")
    print(f"\n({os.cpu_count()} CPU cores on this machine)")


if __name__ == "__main__":
    main()
