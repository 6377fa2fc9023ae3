"""``bpmn-complaints serve``, the command ``make run`` ends with, as a real process: it must
keep serving, not return at once."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CLI = Path(sys.executable).with_name("bpmn-complaints")
PROCESSES = Path(__file__).resolve().parents[1] / "processes"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, attempts: int = 100):
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read()
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def test_serve_keeps_serving_the_pages_and_the_api(tmp_path):
    env = {**os.environ, "COMPLAINTS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'serve.sqlite'}"}
    for args in (["init-db"], ["deploy", str(PROCESSES)]):
        subprocess.run([str(CLI), *args], env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([str(CLI), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        status, body = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"complain" in body.lower()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/complaints", method="POST",
            data=json.dumps({"name": "Dana", "email": "dana@example.com", "description": "Charged twice."}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            assert json.load(response)["reference"].startswith("C-")
        assert server.poll() is None, "the server stopped by itself"
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert "Ignoring a call" not in output
