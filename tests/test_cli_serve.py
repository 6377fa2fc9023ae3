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


def test_run_starts_the_server_a_worker_and_a_mail_sink_that_keeps_what_was_sent(tmp_path):
    """``make run``'s last command: a complaint submitted to the server is acknowledged by
    the worker, and the acknowledgement lands in the mail folder as a file."""
    env = {**os.environ, "COMPLAINTS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'run.sqlite'}",
           "COMPLAINTS_PUBLIC_BASE_URL": "http://127.0.0.1:5000"}
    for args in (["init-db"], ["deploy", str(PROCESSES)]):
        subprocess.run([str(CLI), *args], env=env, check=True, capture_output=True)
    port, sink_port, mail = _free_port(), _free_port(), tmp_path / "mail"
    product = subprocess.Popen([str(CLI), "run", "--port", str(port), "--sink-port", str(sink_port),
                                "--mail-folder", str(mail)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert _get(f"http://127.0.0.1:{port}/")[0] == 200
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/complaints", method="POST",
            data=json.dumps({"name": "Dana", "email": "dana@example.com", "description": "Charged twice."}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            reference = json.load(response)["reference"]
        for _ in range(300):
            kept = list(mail.glob("*.eml")) if mail.exists() else []
            if kept:
                break
            time.sleep(0.1)
        assert kept, "no mail reached the sink"
        message = kept[0].read_text()
        assert reference in message and "dana@example.com" in message
        assert product.poll() is None, "the product stopped by itself"
    finally:
        product.terminate()
        output = product.communicate(timeout=30)[0].decode()
    assert "Worker started" in output and str(mail) in output
