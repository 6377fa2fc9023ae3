"""A bounded mixed load against gunicorn (4 workers by default) on PostgreSQL: clients
submit complaints, read the inbox, claim and complete tasks, all at once. Prints throughput
and p50/p95/p99 per kind of request, then checks integrity: every complaint has exactly the
tasks its path gives it (none lost, none doubled), no task was completed twice, and every
audit trail verifies (`bpmn-complaints verify-audit`).

Run: .venv/bin/python bench/load.py [--seconds 30] [--clients 8] [--workers 4] [--pg URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_server import ROOT, cli, http, live_product, percentiles  # noqa: E402
from scratch_db import DEFAULT_URL, prepare  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

DIAGRAM = ROOT / "tests" / "diagrams" / "simple"
USERS = {"alice": "intake", "amir": "intake", "ivan": "investigators"}


class Load:
    def __init__(self, base: str, tokens: dict[str, str]):
        self.base, self.tokens = base, tokens
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.submitted: list[str] = []
        self.completed: list[str] = []
        self.lock = threading.Lock()

    def timed(self, kind: str, method: str, path: str, body=None, token=None):
        start = time.perf_counter()
        status, answer = http(method, self.base + path, body, token)
        elapsed = time.perf_counter() - start
        with self.lock:
            self.samples[kind].append(elapsed)
            if status >= 500:
                self.errors[f"{kind} {status}"] += 1
        return status, answer

    def one(self, rng: random.Random) -> None:
        roll = rng.random()
        who = rng.choice(["alice", "amir"])
        token = self.tokens[who]
        if roll < 0.3:
            status, body = self.timed("submit", "POST", "/api/complaints",
                                      {"name": "Load Test", "email": "load@example.com",
                                       "description": "Mixed load.", "category": "billing"})
            if status == 201:
                with self.lock:
                    self.submitted.append(body["reference"])
        elif roll < 0.7:
            self.timed("inbox", "GET", "/api/tasks?scope=group", token=token)
        else:
            status, page = self.timed("inbox", "GET", "/api/tasks?scope=group", token=token)
            open_tasks = [t for t in (page or {}).get("items", []) if not t.get("assignee")] if status == 200 else []
            if not open_tasks:
                return
            task = rng.choice(open_tasks[:10])
            status, _ = self.timed("claim", "POST", f"/api/tasks/{task['id']}/claim", token=token)
            if status != 200:
                return  # another client won the claim: expected under load
            status, _ = self.timed("complete", "POST", f"/api/tasks/{task['id']}/complete",
                                   {"data": {"in_scope": True, "severity": "low"}}, token=token)
            if status == 200:
                with self.lock:
                    self.completed.append(task["id"])

    def client(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        while time.monotonic() < until:
            self.one(rng)


def integrity(url: str, load: Load, env: dict, workdir: Path) -> list[str]:
    problems = []
    engine = create_engine(make_url(url))
    with engine.connect() as conn:
        per_complaint = dict(conn.execute(text(
            "SELECT c.reference, count(t.id) FROM complaints c LEFT JOIN human_tasks t "
            "ON t.complaint_id = c.id AND t.bpmn_id = 'Task_assess' GROUP BY c.reference")).all())
        doubled = conn.execute(text(
            "SELECT complaint_id, bpmn_id, count(*) FROM human_tasks WHERE state = 'ready' "
            "GROUP BY complaint_id, bpmn_id HAVING count(*) > 1")).all()
        done = dict(conn.execute(text("SELECT id, state FROM human_tasks WHERE id = ANY(:ids)"),
                                 {"ids": load.completed}).all()) if load.completed else {}
        investigations = conn.scalar(text("SELECT count(*) FROM human_tasks WHERE bpmn_id = 'Task_investigate'"))
    engine.dispose()
    missing = [ref for ref in load.submitted if per_complaint.get(ref, 0) != 1]
    if missing:
        problems.append(f"{len(missing)} complaints without exactly one assessment task, e.g. {missing[:3]}")
    if doubled:
        problems.append(f"{len(doubled)} elements with two open tasks for one complaint")
    if any(state != "completed" for state in done.values()) or len(done) != len(set(load.completed)):
        problems.append("a completed task is not recorded as completed")
    if len(load.completed) != len(set(load.completed)):
        problems.append("a task was completed twice")
    if investigations != len(load.completed):
        problems.append(f"{len(load.completed)} completions made {investigations} investigation tasks")
    verified = cli(env, "verify-audit", cwd=workdir, check=False)
    if verified.startswith("exit "):
        problems.append(f"verify-audit: {verified.strip()[:200]}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pg", default=DEFAULT_URL, help="a scratch PostgreSQL database (its schema is dropped)")
    args = parser.parse_args()
    url = prepare(args.pg)
    engine = create_engine(make_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    with tempfile.TemporaryDirectory() as tmp, \
            live_product(Path(tmp), url, DIAGRAM, USERS, workers=args.workers, threads=args.threads) as (
                base, tokens, env):
        load = Load(base, tokens)
        for _ in range(20):  # something to claim from the first second
            http("POST", f"{base}/api/complaints", {"name": "Seed", "email": "seed@example.com",
                                                    "description": "Seed.", "category": "billing"})
        until = time.monotonic() + args.seconds
        started = time.monotonic()
        clients = [threading.Thread(target=load.client, args=(seed, until)) for seed in range(args.clients)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        wall = time.monotonic() - started
        time.sleep(1)  # let the worker finish what the last requests queued
        problems = integrity(url, load, env, Path(tmp))
    total = sum(len(v) for v in load.samples.values())
    print(f"mixed load: {args.clients} clients for {wall:.1f} s against gunicorn {args.workers} workers "
          f"x {args.threads} threads on PostgreSQL")
    print(f"  throughput {total / wall:.0f} requests/s ({total} requests)")
    print(f"  {'request':<10} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in ("submit", "inbox", "claim", "complete"):
        values = load.samples.get(kind, [])
        if values:
            p50, p95, p99 = percentiles(values)
            print(f"  {kind:<10} {len(values):7d} {p50:8.1f} {p95:8.1f} {p99:8.1f}")
    print(f"  server errors: {dict(load.errors) or 'none'}")
    print("integrity: " + ("every complaint has its tasks, none doubled, every trail verifies"
                           if not problems else "PROBLEMS"))
    for problem in problems:
        print(f"  - {problem}")
    sys.exit(1 if problems or load.errors else 0)


if __name__ == "__main__":
    main()
