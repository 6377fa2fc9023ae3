"""The cost of one complaint lifecycle through our runtime (SQLite persistence, the API,
audit, projection) against raw in-memory SpiffWorkflow on the same diagram.

Both runs take the diagram in tests/diagrams/simple: start, a service task, a user task,
an exclusive gateway, a second user task in another lane, end. The raw run does what our
runtime does to the workflow (4 serialize/restore cycles, one per change) but keeps
everything in memory and calls no handler registry, database or HTTP layer.

Run: .venv/bin/python bench/lifecycle.py [N]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from bpmn_complaints import create_app  # noqa: E402
from bpmn_complaints.extensions import db  # noqa: E402

DIAGRAM = ROOT / "tests" / "diagrams" / "simple"


class RawEngine(PythonScriptEngine):
    def call_service(self, task, **kwargs):
        return "{}"


def raw_lifecycle(spec, subs, serializer):
    wf = BpmnWorkflow(spec, subs, script_engine=RawEngine())
    wf.get_next_task(state=TaskState.READY).data.update({"complaint_reference": "C-1", "category": "billing"})
    wf.do_engine_steps()
    for data in ({"in_scope": True, "severity": "high"}, {"findings": "confirmed"}):
        wf = serializer.deserialize_json(serializer.serialize_json(wf))
        wf.script_engine = RawEngine()
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(data)
        task.run()
        wf.do_engine_steps()
        wf = serializer.deserialize_json(serializer.serialize_json(wf))
    assert wf.completed


def our_lifecycle(client, tokens):
    response = client.post("/api/complaints", json={"name": "Dana", "email": "dana@example.com",
                                                    "description": "Charged twice", "category": "billing"})
    ref = response.get_json()["reference"]
    for who, data in (("alice", {"in_scope": True, "severity": "high"}), ("ivan", {"findings": "confirmed"})):
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        items = client.get("/api/tasks", headers=headers, query_string={"scope": "group", "reference": ref})
        task_id = items.get_json()["items"][0]["id"]
        assert client.post(f"/api/tasks/{task_id}/claim", headers=headers).status_code == 200
        done = client.post(f"/api/tasks/{task_id}/complete", headers=headers, json={"data": data})
        assert done.status_code == 200, done.get_json()


def timed(fn, n):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def main(n=50):
    parser = SpiffBpmnParser()
    parser.add_bpmn_files([str(DIAGRAM / "simple.bpmn")])
    spec, subs = parser.get_spec("complaint_handling"), parser.get_subprocess_specs("complaint_handling")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    with tempfile.TemporaryDirectory() as tmp:
        # Every lifecycle submits from one address; the per-address limit would stop it.
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite", "RATELIMIT_ENABLED": False})
        runner = app.test_cli_runner()
        with app.app_context():
            db.create_all()
        runner.invoke(args=["deploy", str(DIAGRAM)])
        tokens = {}
        for name, group in (("alice", "intake"), ("ivan", "investigators")):
            runner.invoke(args=["users", "add", name, "--group", group])
            tokens[name] = runner.invoke(args=["token", name]).output.strip().splitlines()[-1]
        client = app.test_client()
        our_lifecycle(client, tokens)  # warm caches (spec parse, imports)
        raw_lifecycle(spec, subs, serializer)
        raw, _ = timed(lambda: raw_lifecycle(spec, subs, serializer), n)
        ours, _ = timed(lambda: our_lifecycle(client, tokens), n)
        with app.app_context():
            state = db.session.execute(db.text("select avg(length(state)) from process_instances")).scalar()

    print(f"complaint lifecycle, median of {n} runs (submit, 2 x claim+complete, gateway, end)")
    print(f"  raw SpiffWorkflow in memory (4 serialize/restore cycles): {raw * 1000:8.2f} ms")
    print(f"  bpmn-complaints via HTTP API + SQLite + audit + projection: {ours * 1000:8.2f} ms")
    print(f"  ratio ours/raw: {ours / raw:.1f}x")
    print(f"  stored instance state: {state:.0f} bytes average (the spec is stored once per version)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
