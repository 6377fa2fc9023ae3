"""The wheel is the plugin as people install it: it must carry every module, the pages
(web/) and the shipped process (processes/), and run from outside a checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True)
    if build.returncode != 0 and "Could not find a version that satisfies" in build.stderr:
        pytest.skip("the package index is unreachable, so the build backend cannot be installed")
    assert build.returncode == 0, build.stderr[-2000:]
    (path,) = out.glob("bpmn_complaints-*.whl")
    return path


def _expected() -> set[str]:
    expected = set()
    for path in (ROOT / "src" / "bpmn_complaints").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ini", ".mako") and "__pycache__" not in path.parts:
            expected.add(path.relative_to(ROOT / "src").as_posix())
    for folder, names in (("web", ("templates", "static")), ("processes", (".",))):
        for name in names:
            for path in (ROOT / folder / name).rglob("*"):
                if path.is_file():
                    expected.add(f"bpmn_complaints/{folder}/{path.relative_to(ROOT / folder).as_posix()}")
    return expected


def test_the_wheel_carries_modules_pages_and_the_process(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_expected() - names)
    assert not missing, f"missing from the wheel (see pyproject.toml and setup.py): {missing[:10]}"
    assert not [n for n in names if "node_modules" in n]


def test_the_unpacked_wheel_serves_pages_and_deploys_its_process(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = f"""
import sys
sys.path.insert(0, {str(site)!r})
import bpmn_complaints
assert bpmn_complaints.__file__.startswith({str(site)!r}), bpmn_complaints.__file__
from bpmn_complaints import create_app
from bpmn_complaints.extensions import db
app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}})
with app.app_context():
    db.create_all()
result = app.test_cli_runner().invoke(args=["deploy"])  # no PATH: the process in the package
assert result.exit_code == 0 and "complaint_handling version 1 deployed" in result.output, result.output
page = app.test_client().get("/complain")
assert page.status_code == 200 and b"<form" in page.data, page.status_code
print("ok", app.template_folder)
"""
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("ok " + str(site))
