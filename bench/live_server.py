"""A live product for the HTTP benches: a database, a deployed diagram, users with tokens,
gunicorn serving it and a worker beside it, driven by plain HTTP like any client."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLI = str(BIN / "bpmn-complaints")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body=None, token: str | None = None, timeout: float = 30):
    """(status, parsed JSON body) for one request on a fresh connection."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, {"error": raw[:200].decode(errors="replace")}


def cli(env: dict, *args: str, cwd: Path, check: bool = True) -> str:
    """The output of `bpmn-complaints ARGS`; a failure stops the bench unless ``check`` is
    false, when the output says what failed (prefixed with the exit code)."""
    done = subprocess.run([CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 and not check:
        return f"exit {done.returncode}: {done.stdout}{done.stderr}"
    if done.returncode != 0:
        sys.exit(f"bpmn-complaints {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextmanager
def live_product(workdir: Path, database_url: str, diagram: Path, users: dict[str, str],
                 workers: int = 1, threads: int = 1):
    """Yield (base URL, {user: token}) with gunicorn (``workers`` x ``threads``) and one
    `bpmn-complaints worker` running on ``database_url``, ``diagram`` deployed and each
    user of ``users`` (name -> group) made with a token. Everything stops on exit."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COMPLAINTS_SQLALCHEMY_DATABASE_URI": database_url,
           "COMPLAINTS_SECRET_KEY": "bench-" + "k" * 40, "COMPLAINTS_PUBLIC_BASE_URL": base,
           "COMPLAINTS_RATELIMIT_ENABLED": "false", "COMPLAINTS_SMTP_HOST": "127.0.0.1",
           "COMPLAINTS_SMTP_PORT": str(free_port())}
    cli(env, "init-db", cwd=workdir)
    cli(env, "deploy", str(diagram), cwd=workdir)
    tokens = {}
    for name, group in users.items():
        cli(env, "users", "add", name, "--group", group, cwd=workdir)
        tokens[name] = cli(env, "token", name, cwd=workdir).strip().splitlines()[-1]
    log = (workdir / "gunicorn.log").open("w")
    server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
                               "--bind", f"127.0.0.1:{port}", "bpmn_complaints.wsgi:app"],
                              env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([CLI, "worker"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                sys.exit(f"gunicorn exited early; see {workdir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{base}/api/openapi.json", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("gunicorn did not answer within 60 s")
                time.sleep(0.2)
        yield base, tokens, env
    finally:
        for process in (server, worker):
            process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """(p50, p95, p99) of ``samples`` in milliseconds."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return at(0.50), at(0.95), at(0.99)
