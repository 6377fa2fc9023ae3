"""How fast the heatmap (services/heatmap.py) reads a version's trail at 100,000 complaints.

Seeding: the test diagram ``tests/diagrams/reply.bpmn`` (a message wait, a gateway, a
review task) is deployed, then complaints and their trails are bulk-inserted as the engine
writes them: instance_started, the start event, the reply wait (1 to 72 hours), the gateway,
then either the accepted end or the review task (offered, completed 1 to 24 hours later) and
its end. One complaint in ten that goes to the review still waits there (a ready task row),
and the newest 1,000 complaints still wait for the reply (the trail's token at the catch
event). The trail rows are not hash-chained (the heatmap never verifies the chain).

Measured: the rollup of the whole trail from nothing (once, as after an upgrade; then the
worker or a view keeps it current), and then, in rounds, the heatmap for the whole period,
the heatmap for one month, the complaint list of one element, and the baseline: one bare
full scan of the trail (``SELECT action, count(*) FROM audit_events GROUP BY action``) in
the same run, so each figure is a ratio to what merely reading the trail costs on this
machine. Each is reported as the median and the 95th percentile of the rounds. Last, the
catch-up after 1,000 more complaints' events.

Run: .venv/bin/python bench/heatmap.py [--complaints N] [--repeat N] [--pg URL]
"""

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scratch_db import prepare
from sqlalchemy import insert, text

from bpmn_complaints import create_app
from bpmn_complaints.extensions import db
from bpmn_complaints.models import AuditEvent, Complaint, HumanTask, ProcessInstance
from bpmn_complaints.services import definitions, heatmap

DIAGRAM = Path(__file__).resolve().parent.parent / "tests" / "diagrams" / "reply.bpmn"
START = datetime(2026, 1, 1, tzinfo=UTC)


def seed(count: int, first: int = 1, waiting: int = 1000) -> int:
    if first == 1:
        definitions.deploy({"reply.bpmn": DIAGRAM.read_text()}, "bench", "complaint_handling")
        db.session.commit()
    definition = definitions.get_definition("complaint_handling", 1)
    rng = random.Random(7 + first)
    complaints, instances, events, tasks = [], [], [], []
    label = f"{definition.key} v{definition.version}"
    for n in range(first, first + count):
        at = START + timedelta(minutes=5 * n)
        complaints.append({"id": n, "reference": f"C-B-{n:07d}", "status_token_hash": "x", "name": "n",
                           "description": "d", "received_at": at, "channel": "web", "status": "Received",
                           "state": "open", "reference_suffixes": ""})
        instances.append({"id": n, "complaint_id": n, "definition_id": definition.id, "status": "waiting",
                          "state": "{}", "serializer_version": "1", "version": 1, "created_at": at, "updated_at": at})
        steps = [("instance_started", None, at, {"definition": label, "instance_id": n}),
                 ("step_completed", "StartEvent_1", at, {})]
        if n >= first + count - waiting:  # still waiting for the reply
            events += _events(n, steps)
            continue
        at += timedelta(hours=rng.uniform(1, 72))
        steps += [("step_completed", "Catch_reply", at, {}), ("step_completed", "Gateway_accepted", at, {})]
        if rng.random() < 0.5:
            steps.append(("step_completed", "EndEvent_accepted", at, {}))
        else:
            steps.append(("task_created", "Task_review", at, {}))
            if n % 10:
                at += timedelta(hours=rng.uniform(1, 24))
                steps += [("task_completed", "Task_review", at, {}), ("step_completed", "EndEvent_reviewed", at, {})]
            else:
                tasks.append({"id": str(uuid.uuid4()), "instance_id": n, "complaint_id": n, "bpmn_id": "Task_review",
                              "name": "Internal review", "state": "ready", "priority": "normal", "priority_rank": 2,
                              "created_at": at, "complaint_reference": f"C-B-{n:07d}"})
        events += _events(n, steps)
    for model, rows in ((Complaint, complaints), (ProcessInstance, instances), (AuditEvent, events),
                        (HumanTask, tasks)):
        for i in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[i:i + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(f"seeded {count} complaints, {len(events)} trail events, {len(tasks)} open review tasks")
    return len(events)


def _events(n: int, steps: list) -> list[dict]:
    return [{"stream": f"complaint:C-B-{n:07d}", "seq": seq, "at": when, "actor": "engine", "action": action,
             "complaint_id": n, "bpmn_id": bpmn_id, "details": details, "prev_hash": "0" * 64, "hash": "0" * 64}
            for seq, (action, bpmn_id, when, details) in enumerate(steps, 1)]


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pg")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-heatmap-")
    url = prepare(args.pg) if args.pg else f"sqlite:///{folder}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 8, "TESTING": True})
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        events = seed(args.complaints)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        built = timed(heatmap.catch_up)
        if db.engine.dialect.name == "postgresql":
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a bulk insert
        print(f"rollup of the whole trail from nothing: {built:.1f} s ({events / built:,.0f} events/s)")
        definition = definitions.get_definition("complaint_handling", 1)
        end = START + timedelta(days=400)
        cases = {
            "baseline: full scan of the trail": lambda: db.session.execute(
                text("SELECT action, count(*) FROM audit_events GROUP BY action")).all(),
            "heatmap, whole period": lambda: heatmap.heatmap(definition, START, end),
            "heatmap, one month": lambda: heatmap.heatmap(definition, START, START + timedelta(days=30)),
            "complaints at Task_review": lambda: heatmap.complaints_at(definition, "Task_review", START, end),
            "complaints at Catch_reply": lambda: heatmap.complaints_at(definition, "Catch_reply", START, end),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, case in cases.items():
                times[name].append(timed(case))
                db.session.rollback()
        base = statistics.median(times["baseline: full scan of the trail"])
        print(f"{db.engine.dialect.name}, {args.complaints} complaints, {args.repeat} rounds")
        for name, values in times.items():
            median, p95 = statistics.median(values), sorted(values)[max(0, round(0.95 * len(values)) - 1)]
            print(f"  {name:36} median {median * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms"
                  f"  {median / base:6.2f} x baseline")
        more = seed(1000, first=args.complaints + 1, waiting=0)
        caught = timed(heatmap.catch_up)
        print(f"  catch-up of {more} new events: {caught * 1000:.0f} ms; the next view with nothing new:"
              f" {timed(heatmap.catch_up) * 1000:.1f} ms")

if __name__ == "__main__":
    main()
