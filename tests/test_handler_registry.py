"""Registry consistency (issue 14): each running worker records the handlers it loaded and
where each came from; deploy refuses a binding a running worker lacks, naming it, until the
worker has it (or --allow-missing-handlers); GET /api/handlers lists the same record."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DIAGRAMS

CLI = Path(sys.executable).with_name("bpmn-complaints")
SRC = Path(__file__).parents[1] / "src"


def plugin(folder: Path) -> Path:
    """A distribution ``crm-ok`` whose entry point registers crm_update, on its own path."""
    folder.mkdir()
    (folder / "crm_ok.py").write_text("def crm_update(ctx):\n    return {'crm_id': 'CRM-7'}\n")
    dist = folder / "crm_ok-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: crm-ok\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[bpmn_complaints.handlers]\ncrm_update = crm_ok:crm_update\n")
    return folder


@pytest.fixture
def worker(app):
    """Start ``bpmn-complaints worker`` on the test's database, optionally with a plugin path."""
    procs = []

    def start(extra: Path | None = None) -> subprocess.Popen:
        path = os.pathsep.join(str(p) for p in (extra, SRC) if p)
        env = {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1", "COMPLAINTS_SECRET_KEY": "test",
               "COMPLAINTS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
        proc = subprocess.Popen([str(CLI), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        procs.append(proc)
        line = proc.stdout.readline()
        assert "started" in line, line + proc.stdout.read()
        return proc

    def stop(proc):
        proc.terminate()
        proc.communicate(timeout=60)

    start.stop = stop
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_deploy_refuses_a_handler_the_running_worker_lacks_until_it_has_it(api, worker, tmp_path):
    # This CLI process knows crm_update; the running worker does not.
    api.app.extensions["complaints_handlers"].register("crm_update", lambda ctx: {})
    api.user("owner", roles=["process_owner"])
    bare = worker()
    refused = api.deploy(DIAGRAMS / "retrying.bpmn")
    assert refused.exit_code == 1
    assert "Task_crm" in refused.output and "'crm_update'" in refused.output
    assert f":{bare.pid}:worker" in refused.output  # the process that lacks it
    listed = {h["name"]: h for h in api.get("/api/handlers", "owner").get_json()}
    assert listed["crm_update"]["missing_in"] and listed["acknowledge"]["missing_in"] == []
    assert listed["acknowledge"]["inline"] is True

    forced = api.runner.invoke(args=["deploy", str(DIAGRAMS / "retrying.bpmn"), "--allow-missing-handlers"])
    assert forced.exit_code == 0, forced.output

    equipped = worker(plugin(tmp_path / "site"))
    worker.stop(bare)  # a stopping worker removes its record
    accepted = api.deploy(DIAGRAMS / "crm_twice.bpmn")
    assert accepted.exit_code == 0, accepted.output
    listed = {h["name"]: h for h in api.get("/api/handlers", "owner").get_json()}
    assert listed["crm_update"]["missing_in"] == []
    assert listed["crm_update"]["processes"] == [f"{h}" for h in listed["crm_update"]["processes"]
                                                 if h.endswith(f":{equipped.pid}:worker")]
    assert listed["crm_update"]["origin"].startswith("crm-ok (crm_ok:crm_update)")


def test_without_a_running_worker_the_deploying_registry_decides(api):
    api.app.extensions["complaints_handlers"].register("crm_update", lambda ctx: {})
    assert api.deploy(DIAGRAMS / "retrying.bpmn").exit_code == 0
