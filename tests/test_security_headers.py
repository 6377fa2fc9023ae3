"""Security headers on every page and API answer, and no serving with a guessable
SECRET_KEY (issue 15)."""

import os
import subprocess
import sys

import pytest

from bpmn_complaints.security import check_can_serve
from conftest import HERE

PROCESSES = HERE.parent / "processes"


def assert_guarded(response, cacheable=False):
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
    assert "style-src 'self';" in csp
    assert "script-src 'self' 'unsafe-inline'" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert ("no-store" in response.headers.get("Cache-Control", "")) != cacheable


def test_pages_and_api_answers_carry_the_headers(api):
    assert api.deploy(PROCESSES).exit_code == 0
    api.user("sam", groups=["intake"], roles=["staff", "supervisor"])
    created = api.submit()
    ref, token = created["reference"], created["status_token"]
    for response in (api.client.get("/"), api.client.get("/complain"), api.client.get("/login"),
                     api.client.get(f"/status/{ref}", query_string={"token": token}),
                     api.get(f"/api/complaints/{ref}", "sam"), api.get("/api/complaints", "sam"),
                     api.get(f"/api/complaints/{ref}", query_string={"token": token}),
                     api.client.get("/nowhere"), api.get("/api/openapi.json")):
        assert response.status_code in (200, 404)
        assert_guarded(response)
    static = api.client.get("/static/app.js")
    assert static.status_code == 200
    assert_guarded(static, cacheable=True)
    static.close()


def test_a_download_keeps_its_sandbox(api, tmp_path):
    import evidence_files as make

    api.app.config["ATTACHMENT_FOLDER"] = str(tmp_path / "files")
    assert api.deploy(PROCESSES).exit_code == 0
    api.user("sam", groups=["intake"], roles=["staff", "supervisor"])
    import io

    created = api.client.post("/api/complaints", data={
        "name": "Dana", "email": "dana@example.com", "description": "x",
        "files": [(io.BytesIO(make.pdf()), "letter.pdf")]}, content_type="multipart/form-data").get_json()
    files = api.get(f"/api/complaints/{created['reference']}/attachments", "sam").get_json()["items"]
    download = api.get(f"/api/complaints/{created['reference']}/attachments/{files[0]['id']}", "sam")
    assert download.status_code == 200
    assert download.headers["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in download.headers["Cache-Control"]
    download.close()


@pytest.mark.parametrize("key", ["dev-only-change-me", "short", ""])
def test_serve_refuses_a_weak_key_beyond_loopback(app, runner, key):
    app.config["SECRET_KEY"] = key
    result = runner.invoke(args=["serve", "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "refusing to serve on 0.0.0.0" in result.output, result.output
    check_can_serve(app, "127.0.0.1")  # loopback: a developer's machine
    check_can_serve(app, "::1")
    with pytest.raises(RuntimeError):
        check_can_serve(app, "192.168.1.10")


def test_a_long_random_key_serves_anywhere(app):
    app.config["SECRET_KEY"] = "x" * 48
    check_can_serve(app, "0.0.0.0")
    check_can_serve(app, None)


def run_wsgi(tmp_path, key):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env["COMPLAINTS_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'w.sqlite'}"
    if key is not None:
        env["COMPLAINTS_SECRET_KEY"] = key
    return subprocess.run([sys.executable, "-c", "import bpmn_complaints.wsgi"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_the_wsgi_entry_point_refuses_a_weak_key(tmp_path):
    refused = run_wsgi(tmp_path, "dev-only-change-me")
    assert refused.returncode != 0 and "shipped default" in refused.stderr
    assert run_wsgi(tmp_path, "k" * 40).returncode == 0
