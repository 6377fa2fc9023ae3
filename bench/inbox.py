"""How fast the staff inbox lists tasks when 10,000 are open, on SQLite and PostgreSQL.

Seeding: 20 complaints are run through the real engine (submitted, and most of them
assessed with different answers), which leaves open tasks in four lanes at four
priorities: intake assessments, investigations assigned by the handler, immediate actions
for supervisors and summary resolutions. Those rows are then bulk-copied, with their
complaint, process instance and timer job, until 10,000 tasks are open. A copy gets a new
reference and fresh task ids, renamed consistently inside the serialized workflow, so it
is a working complaint: the bench claims and completes one copy through the API before it
measures. Each copy moves its receipt, creation and due dates back by a random age (a
quarter or so end up overdue) and goes to a random member of its group, as a claim or a
supervisor's reassignment would. The copies have no audit trail, outbox messages or
comments; the inbox reads none of those. On PostgreSQL the bench runs ANALYZE after the
load, as autovacuum would soon after.

Measured: each case through the Flask test client (the whole WSGI stack: auth, the
service, marshmallow or Jinja), in rounds so that noise from other processes falls on all
cases alike. The baseline is the same request's SQL, replayed bare on a DBAPI cursor in
the same run, so "x sql" is what the application adds on top of the database. The
``floor`` row is a request that authenticates and reads one row by primary key.

Run: .venv/bin/python bench/inbox.py [--tasks N] [--repeat N] [--pg [URL]] [--screenshot DIR]
PostgreSQL runs too when --pg is given or COMPLAINTS_BENCH_DATABASE_URL is set. Its public
schema is dropped first, so name a database of your own.
"""

import argparse
import json
import logging
import os
import random
import re
import statistics
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from scratch_db import DEFAULT_URL, prepare
from sqlalchemy import create_engine, event, func, insert, select, text
from werkzeug.serving import make_server

from bpmn_complaints import create_app
from bpmn_complaints.clock import utcnow
from bpmn_complaints.db import run_change
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Complaint, HumanTask, Job, ProcessInstance
from bpmn_complaints.services import complaints as complaint_service
from bpmn_complaints.services import tasks as task_service
from bpmn_complaints.services.users import add_user, get_user, issue_token

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password"
CHROMIUM = "/usr/bin/chromium"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

USERS = [  # name, groups, roles
    ("alice", ["intake"], ["staff"]),
    ("amir", ["intake"], ["staff"]),
    ("ada", ["intake"], ["staff"]),
    ("ivan", ["investigators"], ["staff"]),
    ("irene", ["investigators"], ["staff"]),
    ("igor", ["investigators"], ["staff"]),
    ("ines", ["investigators"], ["staff"]),
    ("isla", ["investigators"], ["staff"]),
    ("ike", ["investigators"], ["staff"]),
    ("sam", ["supervisors", "investigators"], ["staff", "supervisor"]),
    ("sue", ["supervisors"], ["staff", "supervisor"]),
]
ASSESSMENT = {
    "is_complaint": True, "in_scope": True, "category": "billing", "severity": "low",
    "safety_implication": False, "impact": "single", "complexity": "simple",
    "immediate_action_needed": False, "resolvable_at_once": False,
}
# None: left waiting for its intake assessment. Equal counts of intake and investigation
# make those the bulk of the inbox, as they are in practice.
SAMPLE = (
    [None] * 8
    + [{"severity": s, "impact": i} for s in ("low", "medium", "high", "critical") for i in ("single", "widespread")]
    + [{"severity": "high", "safety_implication": True}] * 2
    + [{"severity": "low", "resolvable_at_once": True}] * 2
)


def run_samples():
    """Complaints through the real engine; returns how many."""
    alice = get_user("alice")
    for i, answers in enumerate(SAMPLE):
        complaint, _ = run_change(complaint_service.submit, {
            "name": f"Sample {i}", "email": f"sample{i}@example.com", "product": "Home broadband",
            "category": "billing", "description": "I was charged twice for October."})
        if answers is None:
            continue
        task_id = db.session.scalar(select(HumanTask.id).where(HumanTask.complaint_id == complaint.id))
        run_change(task_service.claim, task_id, alice)
        run_change(task_service.complete, task_id, alice, {**ASSESSMENT, **answers})
    return len(SAMPLE)


def _row(obj, *skip):
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}


def templates():
    """Each open task of the sample with its complaint, instance and jobs, as plain dicts."""
    out = []
    for task in db.session.scalars(select(HumanTask).where(HumanTask.state == "ready")):
        instance = db.session.get(ProcessInstance, task.instance_id)
        out.append({
            "task": _row(task),
            "complaint": _row(db.session.get(Complaint, task.complaint_id), "id"),
            "instance": _row(instance, "id", "complaint_id"),
            "jobs": [_row(job, "id", "instance_id")
                     for job in db.session.scalars(select(Job).where(Job.instance_id == instance.id))],
        })
    return out


def _reference(i, year):
    # An odd multiplier permutes 0..2**30, so references stay unique but look random.
    n = (i * 0x9E3779B1) % (1 << 30)
    return f"C-{year}-" + "".join(ALPHABET[(n >> (5 * k)) & 31] for k in range(6))


def _members():
    groups = {}
    for name, member_of, _roles in USERS:
        for group in member_of:
            groups.setdefault(group, []).append(name)
    return groups


def copy_tasks(samples, count, rng, batch=1000):
    """Bulk-copy ``samples`` (from :func:`templates`) into ``count`` more open tasks."""
    members = _members()
    year = utcnow().year
    taken = {s["complaint"]["reference"] for s in samples}
    made = 0
    while made < count:
        size = min(batch, count - made)
        picks, refs = [], []
        for i in range(made, made + size):
            ref = _reference(i, year)
            if ref in taken:
                ref = _reference(i + (1 << 29), year)
            picks.append(rng.choice(samples))
            refs.append(ref)
        ages = [timedelta(days=min(30.0, rng.expovariate(1 / 3))) for _ in picks]
        complaint_rows = []
        for s, ref, age in zip(picks, refs, ages, strict=True):
            row = dict(s["complaint"], reference=ref, status_token_hash=uuid.uuid4().hex * 2)
            row["received_at"] -= age
            complaint_rows.append(row)
        complaint_ids = db.session.scalars(
            insert(Complaint).returning(Complaint.id, sort_by_parameter_order=True), complaint_rows).all()
        instance_rows, mappings = [], []
        for s, ref, age, cid in zip(picks, refs, ages, complaint_ids, strict=True):
            mapping = {}
            state = UUID.sub(lambda m, mapping=mapping: mapping.setdefault(m.group(), str(uuid.uuid4())),
                             s["instance"]["state"])
            mappings.append(mapping)
            row = dict(s["instance"], complaint_id=cid, version=1,
                       state=state.replace(s["complaint"]["reference"], ref))
            row["created_at"] -= age
            row["updated_at"] -= age
            instance_rows.append(row)
        instance_ids = db.session.scalars(
            insert(ProcessInstance).returning(ProcessInstance.id, sort_by_parameter_order=True),
            instance_rows).all()
        task_rows, job_rows = [], []
        rows = zip(picks, refs, ages, complaint_ids, instance_ids, mappings, strict=True)
        for s, ref, age, cid, iid, mapping in rows:
            task = dict(s["task"], id=mapping[s["task"]["id"]], instance_id=iid, complaint_id=cid,
                        complaint_reference=ref, created_at=s["task"]["created_at"] - age)
            if task["due_at"]:
                task["due_at"] -= age
            group = members.get(task["candidate_group"], [])
            if group and (task["assignee"] or rng.random() < 0.25):
                task["assignee"] = rng.choice(group)
                task["claimed_at"] = task["created_at"] + timedelta(minutes=rng.randint(5, 600))
            task_rows.append(task)
            for job in s["jobs"]:
                payload = json.loads(UUID.sub(lambda m, mapping=mapping: mapping.get(m.group(), m.group()),
                                             json.dumps(job["payload"])))
                job_rows.append(dict(job, instance_id=iid, payload=payload, due_at=job["due_at"] - age,
                                     created_at=job["created_at"] - age))
        db.session.execute(insert(HumanTask), task_rows)
        if job_rows:
            db.session.execute(insert(Job), job_rows)
        db.session.commit()
        made += size


def prove_a_copy_works(client, tokens):
    """Claim and complete one copied assessment through the API, as alice would."""
    headers = {"Authorization": f"Bearer {tokens['alice']}"}
    listed = client.get("/api/tasks", headers=headers, query_string={"scope": "group", "sort": "-created"})
    task = next(t for t in listed.get_json()["items"] if t["bpmn_id"] == "Task_intake_assessment")
    assert client.post(f"/api/tasks/{task['id']}/claim", headers=headers).status_code == 200
    done = client.post(f"/api/tasks/{task['id']}/complete", headers=headers,
                       json={"data": {**ASSESSMENT, "severity": "medium"}})
    assert done.status_code == 200, done.get_json()


def seed(app, count):
    rng = random.Random(10002)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
    assert app.test_cli_runner().invoke(args=["deploy", str(ROOT / "processes")]).exit_code == 0
    with app.app_context():
        tokens = {}
        for name, groups, roles in USERS:
            run_change(add_user, name, groups, roles, password=PASSWORD, email=f"{name}@example.com")
            tokens[name] = run_change(issue_token, name)
        engine_runs = run_samples()
        samples = templates()
        copy_tasks(samples, count - len(samples), rng)
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load; without statistics the
            # planner guesses a handful of rows and sorts instead of reading an index.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    prove_a_copy_works(app.test_client(), tokens)
    with app.app_context():
        total = db.session.scalar(select(func.count()).where(HumanTask.state == "ready"))
    return tokens, total, engine_runs, time.perf_counter() - started


def login(app, name):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"csrf_token": csrf, "name": name, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def cases(app, tokens, total):
    """(label, client, path, headers) for every measured request."""
    api = app.test_client()

    def bearer(name):
        return {"Authorization": f"Bearer {tokens[name]}"}

    sam = login(app, "sam")
    alice = login(app, "alice")
    last = -(-total // app.config["INBOX_PAGE_SIZE"])
    deep = max(0, total - 100)
    return [
        ("floor: GET /api/tasks/<missing id>", api, "/api/tasks/none", bearer("alice")),
        ("api group (alice, intake)", api, "/api/tasks?scope=group", bearer("alice")),
        ("api group sort=priority", api, "/api/tasks?scope=group&sort=priority", bearer("alice")),
        ("api mine (ivan)", api, "/api/tasks?scope=mine", bearer("ivan")),
        ("api all (sam)", api, "/api/tasks?scope=all", bearer("sam")),
        ("api all priority=urgent", api, "/api/tasks?scope=all&priority=urgent", bearer("sam")),
        ("api all overdue=true", api, "/api/tasks?scope=all&overdue=true", bearer("sam")),
        ("api all overdue=false sort=priority", api, "/api/tasks?scope=all&overdue=false&sort=priority",
         bearer("sam")),
        ("api all sort=priority", api, "/api/tasks?scope=all&sort=priority", bearer("sam")),
        ("api all sort=-created", api, "/api/tasks?scope=all&sort=-created", bearer("sam")),
        (f"api all deep page offset={deep}", api, f"/api/tasks?scope=all&offset={deep}", bearer("sam")),
        ("html /inbox mine (sam)", sam, "/inbox?scope=mine", {}),
        ("html /inbox group (sam)", sam, "/inbox?scope=group", {}),
        ("html /inbox group (alice)", alice, "/inbox?scope=group", {}),
        ("html /inbox all (sam)", sam, "/inbox?scope=all", {}),
        ("html /inbox all overdue sort=priority", sam, "/inbox?scope=all&overdue=true&sort=priority", {}),
        (f"html /inbox all last page ({last})", sam, f"/inbox?scope=all&page={last}", {}),
    ]


class Statements:
    """The SQL one request sends, kept so it can be replayed bare."""

    def __init__(self, engine):
        self.engine, self.recording, self.seen = engine, False, []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if self.recording:
            self.seen.append((statement, parameters))

    def capture(self, fn):
        self.seen, self.recording = [], True
        try:
            fn()
        finally:
            self.recording = False
        return list(self.seen)


def replay(engine, statements):
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith("SELECT"):
                cursor.execute(statement, parameters)
                cursor.fetchall()
        elapsed = time.perf_counter() - started
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    return elapsed


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(app, tokens, total, repeat, warmup=3):
    with app.app_context():
        engine = db.engine
    recorder = Statements(engine)
    plan = cases(app, tokens, total)
    checks = {}
    for label, client, path, headers in plan:
        response = client.get(path, headers=headers)
        assert response.status_code in (200, 404), (label, response.status_code)
        body = response.get_json(silent=True) or {}
        if "items" in body:
            checks[label] = f"{len(body['items'])}/{body['total']}"
        elif response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            shown = re.search(r"([\d,]+) tasks?<", html)
            rows = html.count('class="badge priority-')
            checks[label] = f"{rows}/{shown.group(1) if shown else '?'}"
        else:
            checks[label] = str(response.status_code)
    statements = {label: recorder.capture(lambda c=client, p=path, h=headers: c.get(p, headers=h))
                  for label, client, path, headers in plan}
    http = {label: [] for label, *_ in plan}
    sql = {label: [] for label, *_ in plan}
    for round_ in range(warmup + repeat):
        for label, client, path, headers in plan:
            started = time.perf_counter()
            client.get(path, headers=headers)
            elapsed = time.perf_counter() - started
            bare = replay(engine, statements[label])
            if round_ >= warmup:
                http[label].append(elapsed)
                sql[label].append(bare)
    print(f"{'case':42} {'rows/total':>11} {'queries':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
          f" {'sql p50':>7} {'x sql':>6}")
    for label, *_ in plan:
        p50, bare = statistics.median(http[label]), statistics.median(sql[label])
        print(f"{label:42} {checks[label]:>11} {len(statements[label]):>7} {p50 * 1000:7.1f}"
              f" {pct(http[label], 0.95) * 1000:7.1f} {max(http[label]) * 1000:7.1f} {bare * 1000:7.1f}"
              f" {p50 / bare if bare else float('nan'):6.1f}")
    return http


def screenshot(app, folder):
    """The supervisor's full inbox at desktop and at laptop-narrow width, from a real server."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            for width in (1280, 800):
                page = browser.new_context(base_url=base, viewport={"width": width, "height": 900}).new_page()
                page.goto("/login")
                page.get_by_label("User name").fill("sam")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/inbox")
                for scope in ("all", "mine"):
                    page.goto(f"/inbox?scope={scope}&sort=priority")
                    path = folder / f"bench_inbox_{scope}_{width}.png"
                    page.screenshot(path=str(path), full_page=True)
                    print(f"screenshot: {path}")
            browser.close()
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def reset_postgres(url):
    prepare(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run(name, url, args):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    tokens, total, engine_runs, seconds = seed(app, args.tasks)
    print(f"\n{name}: {total:,} open tasks, seeded in {seconds:.1f} s ({engine_runs} complaints through "
          f"the engine, the rest bulk-copied); median of {args.repeat} rounds")
    measure(app, tokens, total, args.repeat)
    if args.screenshot and name == "sqlite":
        screenshot(app, Path(args.screenshot))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--pg", nargs="?", const=DEFAULT_URL, default=os.environ.get("COMPLAINTS_BENCH_DATABASE_URL"),
                        help=f"also run on this PostgreSQL database (its public schema is dropped; "
                             f"default {DEFAULT_URL})")
    parser.add_argument("--screenshot", metavar="DIR", help="save screenshots of the seeded inbox here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.sqlite", args)
    if args.pg:
        reset_postgres(args.pg)
        run("postgresql", args.pg, args)


if __name__ == "__main__":
    main()
