"""Production serving: real gunicorn with two workers on PostgreSQL, and the app behind
a reverse proxy."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bpmn_complaints import create_app
from bpmn_complaints.extensions import db
from conftest import PG_URL, _reset_postgres
from test_web_staff import Browser

PROCESSES = Path(__file__).parents[1] / "processes"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def wait_until_serving(base, server, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited early"
        try:
            with urllib.request.urlopen(f"{base}/api/openapi.json", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {seconds}s")


@pytest.mark.skipif(not PG_URL, reason="COMPLAINTS_TEST_DATABASE_URL is not set")
def test_gunicorn_with_two_workers_on_postgresql(tmp_path):
    _reset_postgres(PG_URL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COMPLAINTS_SQLALCHEMY_DATABASE_URI": PG_URL, "COMPLAINTS_SECRET_KEY": "test-" + "k" * 40,
           "COMPLAINTS_PUBLIC_BASE_URL": base}
    for command in (["db", "upgrade"], ["deploy", str(PROCESSES)]):
        done = subprocess.run([str(BIN / "bpmn-complaints"), *command], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "complaint_handling version 1 deployed" in done.stdout

    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                                   "--graceful-timeout", "20", "bpmn_complaints.wsgi:app"],
                                  env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(base, server)
        status, created = http("POST", f"{base}/api/complaints",
                               {"name": "Dana Example", "email": "dana@example.com",
                                "description": "Charged twice in October.", "category": "billing"})
        assert status == 201, created
        reference, token = created["reference"], created["status_token"]
        status, seen = http("GET", f"{base}/api/complaints/{reference}?token={token}")
        assert status == 200, seen
        assert seen["reference"] == reference
        status, refused = http("GET", f"{base}/api/complaints/{reference}?token=wrong")
        assert status == 404 and "error" in refused
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    output = log.read_text()
    assert code == 0, output
    assert len(set(re.findall(r"Booting worker with pid: (\d+)", output))) == 2, output
    assert "Shutting down: Master" in output


@pytest.fixture
def proxied(tmp_path):
    def build(count):
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "SUBMIT_RATE_LIMIT": "1 per minute",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'proxy{count}.sqlite'}",
                          "TRUSTED_PROXY_COUNT": count})
        with app.app_context():
            db.create_all()
        return app

    return build


def post_from(app, client_address):
    """An empty complaint form, posted through a proxy at 10.0.0.1 for ``client_address``:
    400 (the form is re-shown with its errors) unless the rate limit refuses it first."""
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    return Browser(app).post("/complain", "/complain", {}, environ_base=proxy,
                             headers={"X-Forwarded-For": client_address})


def test_behind_one_trusted_proxy_each_client_has_its_own_rate_limit(proxied):
    app = proxied(1)
    assert post_from(app, "203.0.113.7").status_code == 400
    assert post_from(app, "203.0.113.7").status_code == 429
    assert post_from(app, "198.51.100.9").status_code == 400


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(proxied):
    app = proxied(0)
    assert post_from(app, "203.0.113.7").status_code == 400
    assert post_from(app, "198.51.100.9").status_code == 429
