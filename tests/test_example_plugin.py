"""The integrator's example package (examples/acme_crm) is installed with pip, found
through its entry point, and runs inside a deployed process; an unknown handler name is a
deploy error naming the element."""

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DIAGRAMS

EXAMPLE = Path(__file__).parents[1] / "examples" / "acme_crm"


@pytest.fixture(scope="module")
def acme_crm(tmp_path_factory):
    """``pip install examples/acme_crm`` into a folder of its own, put on sys.path for these
    tests only: installed into the shared environment, its ``crm_update`` would clash with
    the fake ``crm_update`` other tests register (a duplicate name is an error)."""
    source, target = tmp_path_factory.mktemp("acme_crm"), tmp_path_factory.mktemp("site")
    # Built from a copy, so the build leaves nothing behind in examples/.
    shutil.copytree(EXAMPLE, source, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(source)], check=True)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))
    for name in [m for m in sys.modules if m == "acme_crm" or m.startswith("acme_crm.")]:
        del sys.modules[name]


def test_the_entry_point_is_discovered(acme_crm, app):
    registry = app.extensions["complaints_handlers"]
    assert registry.get("crm_update").__module__ == "acme_crm.handlers"
    assert registry.origin("crm_update").startswith("acme-crm-handlers (acme_crm.handlers:crm_update)")


def test_the_plugin_runs_inside_a_deployed_process(acme_crm, api):
    result = api.deploy(DIAGRAMS / "crm_variant.bpmn")
    assert result.exit_code == 0, result.output
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])
    ref = api.submit(category="billing")["reference"]
    assert api.run_worker() == 1  # the plugin's handler runs in the worker, not in the submission
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "running" and detail["incidents"] == []
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_check"
    ran = [e for e in api.history(ref, "sam")["events"] if e["action"] == "handler_ran"]
    assert [(e["bpmn_id"], e["details"]["handler"]) for e in ran] == [("Task_crm", "crm_update")]
    with api.app.app_context():
        from bpmn_complaints.extensions import db
        from bpmn_complaints.models import ProcessInstance

        state = db.session.scalar(db.select(ProcessInstance.state))
    assert f'"case":"ACME-{ref}"' in state.replace(" ", "")


def test_an_unknown_handler_is_a_deploy_error_naming_the_element(acme_crm, api, tmp_path):
    variant = tmp_path / "typo.bpmn"
    variant.write_text((DIAGRAMS / "crm_variant.bpmn").read_text().replace('id="crm_update"', 'id="crm_updte"'))
    result = api.deploy(variant)
    assert result.exit_code == 1
    assert "Task_crm" in result.output and "crm_updte" in result.output


def test_the_example_package_s_own_unit_tests_pass(acme_crm):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
                            env={"PYTHONPATH": str(acme_crm), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
