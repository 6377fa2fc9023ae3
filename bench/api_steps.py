"""Per-step latency through a live gunicorn server, one sequential client, against the same
step on raw SpiffWorkflow (in memory, with a JSON round trip of the workflow per step).

Steps, on tests/diagrams/simple (start, service task, user task, gateway, user task, end):
  submit     POST /api/complaints, which runs to the first user task
  complete   find the task (GET /api/tasks?reference=), claim it, complete it
  list       the group's first inbox page (GET /api/tasks?scope=group) with OPEN tasks open

The raw engine has no inbox, so the list step is shown against the bare SQL of the same page.
Rounds alternate SQLite and, with --pg, PostgreSQL (a scratch database, never 'test').

Run: .venv/bin/python bench/api_steps.py [--rounds N] [--open 1000] [--pg [URL]]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_server import ROOT, http, live_product, percentiles  # noqa: E402
from scratch_db import DEFAULT_URL, prepare  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

DIAGRAM = ROOT / "tests" / "diagrams" / "simple"
USERS = {"alice": "intake", "ivan": "investigators"}
COMPLAINT = {"name": "Dana Example", "email": "dana@example.com", "description": "Charged twice.",
             "category": "billing"}


class RawEngine(PythonScriptEngine):
    def call_service(self, task, **kwargs):
        return "{}"


class Raw:
    """The same two steps on raw SpiffWorkflow, the workflow kept as JSON between steps."""

    def __init__(self):
        parser = SpiffBpmnParser()
        parser.add_bpmn_files([str(DIAGRAM / "simple.bpmn")])
        self.spec = parser.get_spec("complaint_handling")
        self.subs = parser.get_subprocess_specs("complaint_handling")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def submit(self) -> str:
        wf = BpmnWorkflow(self.spec, self.subs, script_engine=RawEngine())
        wf.get_next_task(state=TaskState.READY).data.update({"complaint_reference": "C-1", "category": "billing"})
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)

    def complete(self, state: str) -> str:
        wf = self.serializer.deserialize_json(state)
        wf.script_engine = RawEngine()
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update({"in_scope": True, "severity": "high"})
        task.run()
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def our_submit(base):
    status, body = http("POST", f"{base}/api/complaints", COMPLAINT)
    assert status == 201, body
    return body["reference"]


def our_complete(base, token, reference):
    for _ in range(200):  # the first task is there at once, or as soon as the worker ran the service task
        status, page = http("GET", f"{base}/api/tasks?scope=group&reference={reference}", token=token)
        assert status == 200, page
        if page["items"]:
            break
        time.sleep(0.005)
    task_id = page["items"][0]["id"]
    status, body = http("POST", f"{base}/api/tasks/{task_id}/claim", token=token)
    assert status == 200, body
    status, body = http("POST", f"{base}/api/tasks/{task_id}/complete", {"data": {"in_scope": True,
                                                                                 "severity": "high"}},
                        token=token)
    assert status == 200, body


def bare_list_sql(url: str) -> float:
    """The page's rows straight from SQL: the floor under the list step."""
    engine = create_engine(url)
    with engine.connect() as conn:
        query = text("SELECT * FROM human_tasks WHERE state = 'ready' AND candidate_group = 'intake' "
                     "ORDER BY created_at DESC, id DESC LIMIT 50")
        conn.execute(query).fetchall()
        samples = []
        for _ in range(50):
            start = time.perf_counter()
            conn.execute(query).fetchall()
            samples.append(time.perf_counter() - start)
    engine.dispose()
    return statistics.median(samples)


def run_backend(label: str, url_for, rounds: int, open_tasks: int, raw: Raw) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = url_for(Path(tmp))
        with live_product(Path(tmp), url, DIAGRAM, USERS) as (base, tokens, _env):
            for _ in range(open_tasks):
                our_submit(base)  # the open tasks the list step pages through
            our_complete(base, tokens["alice"], our_submit(base))  # warm the caches
            samples: dict[str, list[float]] = {"submit": [], "complete": [], "list": []}
            raws: dict[str, list[float]] = {"submit": [], "complete": []}
            for _ in range(rounds):
                elapsed, reference = timed(our_submit, base)
                samples["submit"].append(elapsed)
                samples["complete"].append(timed(our_complete, base, tokens["alice"], reference)[0])
                samples["list"].append(timed(http, "GET", f"{base}/api/tasks?scope=group", None,
                                             tokens["alice"])[0])
                elapsed, state = timed(raw.submit)
                raws["submit"].append(elapsed)
                raws["complete"].append(timed(raw.complete, state)[0])
            floor = bare_list_sql(url)
    print(f"\n{label}: {rounds} rounds, one sequential client, gunicorn 1 worker, {open_tasks} open tasks")
    print(f"  {'step':<10} {'p50 ms':>8} {'p95 ms':>8}   {'raw p50':>8}   {'ours/raw':>8}")
    for step, values in samples.items():
        p50, p95, _ = percentiles(values)
        if step in raws:
            base_p50 = statistics.median(raws[step]) * 1000
            print(f"  {step:<10} {p50:8.2f} {p95:8.2f}   {base_p50:8.2f}   {p50 / base_p50:7.1f}x")
        else:
            print(f"  {step:<10} {p50:8.2f} {p95:8.2f}   {floor * 1000:8.2f}   {p50 / (floor * 1000):7.1f}x"
                  "  (against the bare SQL of the page)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--open", type=int, default=1000, dest="open_tasks")
    parser.add_argument("--pg", nargs="?", const=DEFAULT_URL, default=None,
                        help="also run on PostgreSQL (a scratch database whose schema is dropped)")
    args = parser.parse_args()
    raw = Raw()
    raw.complete(raw.submit())  # warm
    run_backend("SQLite", lambda tmp: f"sqlite:///{tmp / 'bench.sqlite'}", args.rounds, args.open_tasks, raw)
    if args.pg:
        url = prepare(args.pg)

        def fresh(_tmp: Path) -> str:
            engine = create_engine(make_url(url))
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            return url

        run_backend("PostgreSQL", fresh, args.rounds, args.open_tasks, raw)


if __name__ == "__main__":
    main()
