"""The cost of each kind of change through our runtime, without HTTP, against raw
SpiffWorkflow with a JSON round trip of the workflow per step, on the same diagram.

The diagram (bench/diagrams/steps) makes one change of each kind: start (to the first user
task), claim, complete, message, timer (fired by the worker after the clock moves an hour),
and a last complete that claims as it completes. Ours runs each change the way the API
does (services + run_change: the complaint, the trail, the task projection, jobs), a
person's change signing in by API token as a request does (the cached user, one read of
the auth epoch), inside a POST request context; the raw
run deserializes the workflow, makes the same step, runs the engine and serializes again.

Per step it prints the median time, the ratio to raw, and what reached the database: SQL
statements (an executemany counts once; SQLite's BEGIN IMMEDIATE counts), flushes and
commits (counted with SQLAlchemy events). The goal (#17) is at most 10 statements and 1
commit per change, and at most 3x raw per lifecycle on SQLite, 5x on PostgreSQL.

The timer step is the worker's run of the due job (taken in the transaction that fires
it); the worker's round around it (the outbox probe, the empty probe that ends the round)
is printed apart. ``--synchronous NORMAL`` shows what SQLite's commit sync costs;
``--trace`` prints every statement of one lifecycle by step; ``--profile FILE`` writes a
cProfile of our lifecycles.

Run: .venv/bin/python bench/lifecycle.py [--rounds N] [--pg [URL]] [--synchronous NORMAL] [--trace]
"""

from __future__ import annotations

import argparse
import cProfile
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch_db import DEFAULT_URL, fresh_schema, prepare  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.util import BpmnEvent  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bpmn_complaints import create_app  # noqa: E402
from bpmn_complaints.clock import get_clock  # noqa: E402
from bpmn_complaints.db.transaction import run_change  # noqa: E402
from bpmn_complaints.extensions import db  # noqa: E402
from bpmn_complaints.models import HumanTask, User  # noqa: E402
from bpmn_complaints.services import complaints, instances, tasks  # noqa: E402
from bpmn_complaints.services.users import user_for_token  # noqa: E402
from bpmn_complaints.worker import Worker  # noqa: E402
from bpmn_complaints.worker.jobs import run_next  # noqa: E402

DIAGRAM = Path(__file__).resolve().parent / "diagrams" / "steps"
STEPS = ("start", "claim", "complete", "message", "timer", "complete+claim")
COMPLAINT = {"name": "Dana Example", "email": "dana@example.com", "description": "Charged twice.",
             "category": "billing"}


class Raw:
    """The same lifecycle on raw SpiffWorkflow, the workflow kept as JSON between steps."""

    def __init__(self):
        parser = SpiffBpmnParser()
        parser.add_bpmn_files([str(DIAGRAM / "steps.bpmn")])
        self.spec = parser.get_spec("complaint_handling")
        self.subs = parser.get_subprocess_specs("complaint_handling")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def _load(self, state: str) -> BpmnWorkflow:
        wf = self.serializer.deserialize_json(state)
        wf.script_engine = PythonScriptEngine()
        return wf

    def _complete(self, state: str) -> str:
        wf = self._load(state)
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update({"decision": "ok"})
        task.run()
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)

    def lifecycle(self, times: dict[str, list[float]]) -> None:
        def step(name, fn, *args):
            start = time.perf_counter()
            result = fn(*args)
            times[name].append(time.perf_counter() - start)
            return result

        def start():
            wf = BpmnWorkflow(self.spec, self.subs, script_engine=PythonScriptEngine())
            wf.get_next_task(state=TaskState.READY).data.update({"complaint_reference": "C-1"})
            wf.do_engine_steps()
            return self.serializer.serialize_json(wf)

        def message(state):
            wf = self._load(state)
            wf.send_event(BpmnEvent(MessageEventDefinition("supplier_answer"), {"ok": True}))
            wf.do_engine_steps()
            return self.serializer.serialize_json(wf)

        def timer(state):
            wf = self._load(state)
            for task in wf.get_tasks(state=TaskState.WAITING):
                if task.task_spec.name == "Timer_wait":
                    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
                    task._set_internal_data(event_value=past)
            wf.refresh_timers()
            wf.do_engine_steps()
            return self.serializer.serialize_json(wf)

        state = step("start", start)
        times["claim"].append(0.0)  # the raw engine has no claim; it costs nothing there
        state = step("complete", self._complete, state)
        state = step("message", message, state)
        state = step("timer", timer, state)
        state = step("complete+claim", self._complete, state)
        assert self._load(state).completed, "the raw lifecycle did not finish"


class Counter:
    """Statements, flushes and commits that reach the database, per step."""

    def __init__(self, engine, trace: bool = False):
        self.statements = self.flushes = self.commits = 0
        self.trace = trace
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(db.session, "after_flush", self._flush)

    def _statement(self, _conn, _cursor, statement, *_args):
        self.statements += 1
        if self.trace:
            print("    SQL", " ".join(statement.split())[:int(__import__("os").environ.get("SQLW", "160"))])

    def _commit(self, *_args):
        self.commits += 1

    def _flush(self, *_args):
        self.flushes += 1

    def snapshot(self) -> tuple[int, int, int]:
        return self.statements, self.flushes, self.commits


def ours_lifecycle(alice: Callable[[], User], worker: Worker, counter: Counter,
                   times: dict[str, list[float]], counts: dict[str, list[tuple[int, int, int]]]) -> None:
    def step(name, fn, *args):
        db.session.remove()  # each change starts as a new request does, with a new session
        before = counter.snapshot()
        if counter.trace:
            print(f"  -- {name}")
        start = time.perf_counter()
        result = fn(*args)
        times[name].append(time.perf_counter() - start)
        counts[name].append(tuple(after - b for after, b in zip(counter.snapshot(), before, strict=True)))
        return result

    def open_task(reference: str) -> str:
        return db.session.scalar(db.select(HumanTask.id).where(HumanTask.complaint_reference == reference,
                                                               HumanTask.state == "ready"))

    complaint, _token = step("start", run_change, complaints.submit, COMPLAINT)
    reference = complaint.reference
    task_id = open_task(reference)
    step("claim", lambda: run_change(tasks.claim, task_id, alice()))
    step("complete", lambda: run_change(tasks.complete, task_id, alice(), {"decision": "ok"}))
    step("message", run_change, instances.send_message, reference, "supplier_answer", {"ok": True}, "api")
    get_clock().advance(hours=1, minutes=1)
    # The worker's job run: the due job taken in the transaction that fires it.
    assert step("timer", run_next, worker.owner, True) == 1, "the timer did not fire"
    # What a worker's round costs around its jobs when nothing more is due (the outbox's
    # probe and the jobs' empty one): not a change, printed apart.
    assert step("idle round", worker.run_once) == 0, "a job was left"
    task_id = open_task(reference)
    step("complete+claim", lambda: run_change(tasks.complete, task_id, alice(), {"decision": "ok"}))


def run_backend(label: str, url: str, rounds: int, raw: Raw, trace: bool = False,
                profile: str | None = None, synchronous: str = "FULL") -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench-" + "k" * 40,
                      "SQLITE_SYNCHRONOUS": synchronous,
                      # The bench moves the clock an hour a lifecycle for its timer; a token's
                      # last-use stamp (at most one per interval in real use) would land in
                      # every lifecycle's last step.
                      "TOKEN_LAST_USED_INTERVAL_SECONDS": 10**9})
    runner = app.test_cli_runner()
    with app.app_context():
        fresh_schema(db)
    assert runner.invoke(args=["deploy", str(DIAGRAM)]).exit_code == 0
    assert runner.invoke(args=["users", "add", "alice", "--group", "intake"]).exit_code == 0
    token = runner.invoke(args=["token", "alice"]).output.strip().splitlines()[-1]
    ours_t: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    raw_t: dict[str, list[float]] = defaultdict(list)
    with app.test_request_context(method="POST"):  # a change comes in a POST; a GET would be read-only
        # A person's change signs in as an API request does: the token's user from the
        # process's cache, one read of the auth epoch (counted in the step).
        def alice() -> User:
            return user_for_token(token)

        worker = Worker(owner="bench")
        counter = Counter(db.engine)
        ours_lifecycle(alice, worker, counter, defaultdict(list), defaultdict(list))  # warm caches
        raw.lifecycle(defaultdict(list))
        if trace:  # one lifecycle, every statement printed under its step
            counter.trace = True
            ours_lifecycle(alice, worker, counter, defaultdict(list), defaultdict(list))
            counter.trace = False
        profiler = cProfile.Profile() if profile else None
        for _ in range(rounds):  # alternate, so both see the same machine
            if profiler:
                profiler.enable()
            ours_lifecycle(alice, worker, counter, ours_t, counts)
            if profiler:
                profiler.disable()
            raw.lifecycle(raw_t)
        if profiler and profile:
            profiler.dump_stats(f"{profile}.{label.split()[0].lower()}")
    print(f"\n{label}: median of {rounds} lifecycles, through the runtime without HTTP")
    print(f"  {'step':<15} {'ours ms':>8} {'raw ms':>8} {'ours/raw':>9} {'stmts':>6} {'flushes':>8} {'commits':>8}")
    ours_total = raw_total = 0.0
    for name in STEPS:
        ours_ms, raw_ms = statistics.median(ours_t[name]) * 1000, statistics.median(raw_t[name]) * 1000
        ours_total, raw_total = ours_total + ours_ms, raw_total + raw_ms
        statements, flushes, commits = (statistics.median(c[i] for c in counts[name]) for i in range(3))
        ratio = f"{ours_ms / raw_ms:8.1f}x" if raw_ms else "       -"
        print(f"  {name:<15} {ours_ms:8.2f} {raw_ms:8.2f} {ratio:>9} {statements:6.0f} {flushes:8.0f} {commits:8.0f}")
    print(f"  {'lifecycle':<15} {ours_total:8.2f} {raw_total:8.2f} {ours_total / raw_total:8.1f}x")
    idle = statistics.median(ours_t["idle round"]) * 1000
    statements, flushes, commits = (statistics.median(c[i] for c in counts["idle round"]) for i in range(3))
    print(f"  (a worker's round with nothing due: {idle:.2f} ms, {statements:.0f} statements, {commits:.0f} commits;"
          " not a change, not in the lifecycle)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--pg", nargs="?", const=DEFAULT_URL, default=None,
                        help="also run on PostgreSQL (a scratch database whose schema is dropped)")
    parser.add_argument("--trace", action="store_true", help="print every SQL statement of one lifecycle, by step")
    parser.add_argument("--profile", metavar="FILE", help="cProfile our lifecycles into FILE.<backend>")
    parser.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL"),
                        help="SQLite's durability (SQLITE_SYNCHRONOUS): FULL, the default, syncs every commit")
    args = parser.parse_args()
    raw = Raw()
    with tempfile.TemporaryDirectory() as tmp:
        run_backend(f"SQLite (synchronous={args.synchronous})", f"sqlite:///{tmp}/bench.sqlite", args.rounds, raw,
                    args.trace, args.profile, args.synchronous)
    if args.pg:
        run_backend("PostgreSQL", prepare(args.pg), args.rounds, raw, args.trace, args.profile)


if __name__ == "__main__":
    main()
