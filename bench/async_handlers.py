"""Submission latency while a service-task handler hangs, against the same run with a fast
handler (issue 14: service tasks never run inside a person's request).

Each complaint's process starts with a service task bound to ``crm_update``. A worker runs
in a thread of this process the whole time, taking the service-task jobs as they come. In
the first phase the handler answers at once; in the second it hangs for ``--hang`` seconds
on every call (a ticket system that stopped answering; a thread has no SIGALRM, so the
hang is not cut short by the handler timeout). Submissions go through the Flask test
client (the whole WSGI stack) one after another, and the bench prints p50 and p95 of each
phase and the ratio of the p95s (the goal is under 1.5).

Run: .venv/bin/python bench/async_handlers.py [--n N] [--hang S] [--pg [URL]]
PostgreSQL runs too when --pg is given. Its public schema is dropped first.
"""

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from scratch_db import DEFAULT_URL, fresh_schema, prepare

from bpmn_complaints import create_app
from bpmn_complaints.extensions import db
from bpmn_complaints.worker import Worker

ROOT = Path(__file__).resolve().parents[1]
DIAGRAM = ROOT / "tests" / "diagrams" / "crm_twice.bpmn"  # a service task, then a person's task
BODY = {"name": "Bench", "email": "bench@example.com", "description": "Charged twice."}


class Crm:
    """The integrator's CRM: fast, or hung for ``hang`` seconds on every call."""

    def __init__(self) -> None:
        self.hang = 0.0
        self.calls = 0

    def __call__(self, ctx):
        self.calls += 1
        if self.hang:
            time.sleep(self.hang)
        return {"ticket": f"T-{ctx.params['reference']}"}


def worker_thread(app, stop: threading.Event) -> threading.Thread:
    def loop():
        with app.app_context():
            worker = Worker(owner="bench")
            while not stop.is_set():
                if not worker.run_once():
                    time.sleep(0.01)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def phase(client, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.post("/api/complaints", json=BODY)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.get_json()
    return samples


def run(url: str, n: int, hang: float) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    crm = Crm()
    app.extensions["complaints_handlers"].register("crm_update", crm)
    with app.app_context():
        fresh_schema(db)
    assert app.test_cli_runner().invoke(args=["deploy", str(DIAGRAM)]).exit_code == 0
    stop = threading.Event()
    thread = worker_thread(app, stop)
    client = app.test_client()
    try:
        phase(client, 5)  # warm up: specs parsed and cached, connections open
        fast = phase(client, n)
        crm.hang = hang
        hung = phase(client, n)
    finally:
        stop.set()
        crm.hang = 0.0
        thread.join(timeout=hang + 5)
    name = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(f"{name}: {n} submissions per phase, handler calls {crm.calls}")
    print(f"  fast handler   p50 {statistics.median(fast):7.1f} ms   p95 {p95(fast):7.1f} ms")
    print(f"  hung {hang:g} s    p50 {statistics.median(hung):7.1f} ms   p95 {p95(hung):7.1f} ms")
    print(f"  p95 ratio hung/fast {p95(hung) / p95(fast):.2f} (goal < 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--hang", type=float, default=3.0)
    parser.add_argument("--pg", nargs="?", const=DEFAULT_URL)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite", args.n, args.hang)
    if args.pg:
        run(prepare(args.pg), args.n, args.hang)


if __name__ == "__main__":
    main()
