"""The example external worker (examples/external_worker) runs as its own process against a
live server on loopback and moves complaints on: a known product completes with a score
the gateway reads, an unknown one throws the BPMN error its boundary event catches."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from test_external_tasks import setup

EXAMPLE = Path(__file__).parents[1] / "examples" / "external_worker"


@pytest.fixture
def live(api):
    server = make_server("127.0.0.1", 0, api.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_the_example_worker_completes_and_throws_over_http(api, live):
    broadband = setup(api)  # the default submission's product is Broadband (score 9)
    unknown = api.submit(product="Landline")["reference"]
    result = subprocess.run([sys.executable, "worker.py", "--url", live, "--token", api.tokens["crm"], "--once"],
                            cwd=EXAMPLE, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = sorted(line.split()[1] for line in result.stdout.splitlines())
    assert outcomes == ["bpmn-error", "complete"], result.stdout + result.stderr
    assert api.task_for("alice", broadband)["bpmn_id"] == "Task_vip"
    assert api.task_for("alice", unknown)["bpmn_id"] == "Task_by_hand"
