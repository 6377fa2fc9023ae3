"""How fast the staff inbox and the lists beside it answer with 100,000 or 1,000,000 open
tasks, on SQLite and PostgreSQL.

Seeding: 20 complaints are run through the real engine (submitted, and most of them
assessed with different answers), which leaves open tasks in four lanes at four
priorities: intake assessments, investigations assigned by the handler, immediate actions
for supervisors and summary resolutions. Those task rows and their complaints are then
bulk-loaded (COPY on PostgreSQL, executemany on SQLite, with the tables' indexes built
after the load) until ``--open`` tasks are open. A copy gets a new reference and task id
and points at its sample's process instance (the inbox never reads an instance), so only
the 20 samples can be worked through the engine: the bench claims and completes one of
them through the API before the load. Each copy moves its receipt, creation and due
dates back by a random age (a quarter or so end up overdue) and goes to a random member of
its group, as a claim or a supervisor's reassignment would. A tenth as many completed
tasks as open ones stand for the history. On PostgreSQL the bench runs VACUUM ANALYZE
after the load, as autovacuum would soon after.

Measured: each case through the Flask test client (the whole WSGI stack: auth, the
service, marshmallow or Jinja), in rounds so that noise from other processes falls on all
cases alike: every tab, filter and sort of the API and the pages, a deep page (a cursor
100 rows before the end, and the last page), the complaints list and the workload page.
The floor beside each is the same request's SQL, replayed bare on a DBAPI cursor in the
same run, so "x sql" is what the application adds on top of the database. The ``floor``
row is a request that authenticates and reads one row by primary key. The old OFFSET
paging is measured once more for comparison (``offset=`` rows).

Run: .venv/bin/python bench/inbox.py [--open N] [--repeat N] [--pg [URL] [--reuse]] [--explain]
[--screenshot DIR]
Without --pg it runs on SQLite; with --pg (or COMPLAINTS_BENCH_DATABASE_URL set) on that
PostgreSQL database instead. Its public schema is dropped first, so name a database of
your own.
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
from bpmn_complaints.models import Complaint, HumanTask, task_counts
from bpmn_complaints.models.search_index import reference_suffixes
from bpmn_complaints.services import complaints as complaint_service
from bpmn_complaints.services import tasks as task_service
from bpmn_complaints.services.users import add_user, get_user, issue_token

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password"
CHROMIUM = "/usr/bin/chromium"
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
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip and c.computed is None}


def templates():
    """Each open task of the sample with its complaint, as plain dicts."""
    return [{"task": _row(task), "complaint": _row(db.session.get(Complaint, task.complaint_id), "id")}
            for task in db.session.scalars(select(HumanTask).where(HumanTask.state == "ready"))]


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


def generate(samples, count, completed, rng, start_id, batch=50_000):
    """Batches of (complaint rows, task rows): ``count`` open copies of ``samples`` (from
    :func:`templates`) and ``completed`` finished ones, each with its own complaint."""
    members = _members()
    year = utcnow().year
    taken = {s["complaint"]["reference"] for s in samples}
    made, cid = 0, start_id
    total = count + completed
    while made < total:
        size = min(batch, total - made)
        complaint_rows, task_rows = [], []
        for i in range(made, made + size):
            s = rng.choice(samples)
            ref = _reference(i, year)
            if ref in taken:
                ref = _reference(i + (1 << 29), year)
            age = timedelta(days=min(30.0, rng.expovariate(1 / 3)))
            complaint = dict(s["complaint"], id=cid, reference=ref, reference_suffixes=reference_suffixes(ref),
                             status_token_hash=uuid.uuid4().hex * 2, received_at=s["complaint"]["received_at"] - age)
            task = dict(s["task"], id=str(uuid.uuid4()), complaint_id=cid, complaint_reference=ref,
                        created_at=s["task"]["created_at"] - age)
            if task["due_at"]:
                task["due_at"] -= age
            group = members.get(task["candidate_group"], [])
            if group and (task["assignee"] or rng.random() < 0.25):
                task["assignee"] = rng.choice(group)
                task["claimed_at"] = task["created_at"] + timedelta(minutes=rng.randint(5, 600))
            if i >= count:  # the history: done by whoever held it
                task.update(state="completed", assignee=task["assignee"] or rng.choice(group or ["alice"]))
                task.update(completed_by=task["assignee"], completed_at=task["created_at"] + timedelta(hours=2),
                            submitted_data={})
            complaint_rows.append(complaint)
            task_rows.append(task)
            cid += 1
        yield complaint_rows, task_rows
        made += size


def _copy(raw, table, rows):
    """COPY ``rows`` (dicts) into ``table`` over psycopg."""
    columns = [c.key for c in table.columns if c.computed is None]
    json_columns = {c.key for c in table.columns if c.type.__class__.__name__ == "JSON"}
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in json_columns and row.get(c) is not None else row.get(c)
                            for c in columns])


def bulk_load(samples, count, rng):
    """Load the copies with the two tables' secondary indexes and the task counts' triggers
    dropped, then build them and count the tasks once."""
    engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    tables = (Complaint.__table__, HumanTask.__table__)
    with engine.begin() as conn:
        task_counts.drop_triggers(conn)
        for table in tables:
            for index in table.indexes:
                index.drop(conn)
        if postgres:
            conn.execute(text("DROP INDEX IF EXISTS ix_complaints_search"))
        start = (conn.scalar(select(func.max(Complaint.id))) or 0) + 1
    raw = engine.raw_connection() if postgres else None
    try:
        for complaint_rows, task_rows in generate(samples, count, count // 10, rng, start):
            if raw is not None:
                _copy(raw.driver_connection, Complaint.__table__, complaint_rows)
                _copy(raw.driver_connection, HumanTask.__table__, task_rows)
                raw.commit()
            else:
                with engine.begin() as conn:
                    conn.execute(insert(Complaint.__table__), complaint_rows)
                    conn.execute(insert(HumanTask.__table__), task_rows)
    finally:
        if raw is not None:
            raw.close()
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # a GIN build over 1M rows
        for table in tables:
            for index in table.indexes:
                index.create(conn)
        task_counts.create_triggers(conn)
        task_counts.rebuild(conn)
        if postgres:
            conn.execute(text("CREATE INDEX ix_complaints_search ON complaints USING gin (search_vector)"))
            conn.execute(text("SELECT setval('complaints_id_seq', (SELECT max(id) FROM complaints))"))


def prove_a_sample_works(client, tokens):
    """Claim and complete one of the engine's assessments through the API, as alice would."""
    headers = {"Authorization": f"Bearer {tokens['alice']}"}
    with client.application.app_context():
        sample = db.session.scalar(select(HumanTask.id).where(HumanTask.state == "ready", HumanTask.assignee.is_(None),
                                                              HumanTask.bpmn_id == "Task_intake_assessment")
                                   .order_by(HumanTask.complaint_id).limit(1))
    assert client.post(f"/api/tasks/{sample}/claim", headers=headers).status_code == 200
    done = client.post(f"/api/tasks/{sample}/complete", headers=headers,
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
    # Before the copies: they share the samples' instances, and a completion re-syncs its
    # instance's task rows (the copies of that sample would be cancelled with it).
    prove_a_sample_works(app.test_client(), tokens)
    with app.app_context():
        samples = templates()
        db.session.commit()  # ends the read, which holds SQLite's write lock
        bulk_load(samples, count - len(samples), rng)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # What autovacuum does within a minute of a bulk load: statistics for the planner,
        # and the visibility map that lets a count read the index alone.
        vacuum = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
        with vacuum.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
        vacuum.dispose()
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


def deep_cursors(app, total):
    """Cursors 100 rows before the end of all open tasks (due order) and of all complaints,
    found once with OFFSET (not measured)."""
    from bpmn_complaints.models.task import OPEN
    from bpmn_complaints.services.complaints import NEWEST_FIRST

    due = task_service.SORTS["due"]
    with app.app_context():
        task = db.session.scalar(select(HumanTask).where(OPEN).order_by(*due.order_by()).offset(max(0, total - 100))
                                 .limit(1))
        complaints = db.session.scalar(select(func.count()).select_from(Complaint))
        complaint = db.session.scalar(select(Complaint).order_by(*NEWEST_FIRST.order_by())
                                      .offset(max(0, complaints - 100)).limit(1))
        return due.encode(task, "after"), NEWEST_FIRST.encode(complaint, "after")


def cases(app, tokens, total):
    """(label, client, path, headers) for every measured request."""
    from bpmn_complaints.services.paging import last_cursor

    api = app.test_client()

    def bearer(name):
        return {"Authorization": f"Bearer {tokens[name]}"}

    sam = login(app, "sam")
    alice = login(app, "alice")
    deep, deep_complaint = deep_cursors(app, total)
    last = last_cursor(task_service.SORTS["due"])
    plan = [("floor: GET /api/tasks/<missing id>", api, "/api/tasks/none", bearer("alice"))]
    for sort in ("due", "priority", "created", "-created"):
        plan += [(f"api group (alice, intake) sort={sort}", api, f"/api/tasks?scope=group&sort={sort}",
                  bearer("alice")),
                 (f"api all (sam) sort={sort}", api, f"/api/tasks?scope=all&sort={sort}", bearer("sam"))]
    for sort in ("due", "priority", "created"):
        plan.append((f"api mine (ivan) sort={sort}", api, f"/api/tasks?scope=mine&sort={sort}", bearer("ivan")))
    plan += [
        ("api group (sam: 2 groups)", api, "/api/tasks?scope=group", bearer("sam")),
        ("api group (sam) sort=priority", api, "/api/tasks?scope=group&sort=priority", bearer("sam")),
        ("api group overdue=true", api, "/api/tasks?scope=group&overdue=true", bearer("alice")),
        ("api mine priority=high", api, "/api/tasks?scope=mine&priority=high", bearer("ivan")),
        ("api mine overdue=true sort=priority", api, "/api/tasks?scope=mine&overdue=true&sort=priority",
         bearer("ivan")),
        ("api all priority=urgent", api, "/api/tasks?scope=all&priority=urgent", bearer("sam")),
        ("api all priority=urgent sort=priority", api, "/api/tasks?scope=all&priority=urgent&sort=priority",
         bearer("sam")),
        ("api all overdue=true", api, "/api/tasks?scope=all&overdue=true", bearer("sam")),
        ("api all overdue=false sort=priority", api, "/api/tasks?scope=all&overdue=false&sort=priority",
         bearer("sam")),
        ("api all lane=investigators", api, "/api/tasks?scope=all&lane=investigators", bearer("sam")),
        ("api all lane=intake sort=-created", api, "/api/tasks?scope=all&lane=intake&sort=-created", bearer("sam")),
        ("api all deep page (cursor, 100 to go)", api, f"/api/tasks?scope=all&cursor={deep}", bearer("sam")),
        ("api all last page (cursor)", api, f"/api/tasks?scope=all&cursor={last}", bearer("sam")),
        ("api complaints (sam, all)", api, "/api/complaints", bearer("sam")),
        ("api complaints (alice, visible_to)", api, "/api/complaints", bearer("alice")),
        ("api complaints deep page (cursor)", api, f"/api/complaints?cursor={deep_complaint}", bearer("sam")),
        ("api workload", api, "/api/workload", bearer("sam")),
        ("html /inbox mine (sam)", sam, "/inbox?scope=mine", {}),
        ("html /inbox group (sam)", sam, "/inbox?scope=group", {}),
        ("html /inbox group (alice)", alice, "/inbox?scope=group", {}),
        ("html /inbox all (sam)", sam, "/inbox?scope=all", {}),
        ("html /inbox all overdue sort=priority", sam, "/inbox?scope=all&overdue=true&sort=priority", {}),
        ("html /inbox all lane=intake", sam, "/inbox?scope=all&lane=intake", {}),
        ("html /inbox all deep page (cursor)", sam, f"/inbox?scope=all&cursor={deep}", {}),
        ("html /inbox all last page (cursor)", sam, f"/inbox?scope=all&cursor={last}", {}),
        ("html /complaints (alice)", alice, "/complaints", {}),
        ("html /team (workload)", sam, "/team", {}),
        (f"old: api all offset={max(0, total - 100)}", api, f"/api/tasks?scope=all&offset={max(0, total - 100)}",
         bearer("sam")),
    ]
    return plan


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


def explain(engine, label, statements):
    """Print the plan of each SELECT a case sends (``--explain``)."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        print(f"\n== {label}")
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith("SELECT"):
                cursor.execute(prefix + statement, parameters)
                print(" ", " ".join(statement.split())[:160])
                for row in cursor.fetchall():
                    print("     ", row[-1])
        raw.rollback()
    finally:
        raw.close()


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(app, tokens, total, repeat, warmup=3, plans=False):
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
            checks[label] = f"{len(body['items'])}/{body['total']:,}{'+' if body.get('total_capped') else ''}"
        elif "people" in body:
            checks[label] = f"{len(body['people'])} people"
        elif response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            shown = re.search(r"([\d,]+\+?) (?:tasks?|complaints?)", html)
            rows = html.count("<tr") - 1
            checks[label] = f"{rows}/{shown.group(1) if shown else '?'}"
        else:
            checks[label] = str(response.status_code)
    statements = {label: recorder.capture(lambda c=client, p=path, h=headers: c.get(p, headers=h))
                  for label, client, path, headers in plan}
    if plans:
        for label, *_ in plan:
            explain(engine, label, statements[label])
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
    print(f"{'case':44} {'rows/total':>13} {'queries':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
          f" {'sql p50':>7} {'sql p95':>7} {'x sql':>6}")
    for label, *_ in plan:
        p50, bare = statistics.median(http[label]), statistics.median(sql[label])
        print(f"{label:44} {checks[label]:>13} {len(statements[label]):>7} {p50 * 1000:7.1f}"
              f" {pct(http[label], 0.95) * 1000:7.1f} {max(http[label]) * 1000:7.1f} {bare * 1000:7.1f}"
              f" {pct(sql[label], 0.95) * 1000:7.1f} {p50 / bare if bare else float('nan'):6.1f}", flush=True)
    return http


def serialization(app, rounds=200):
    """What marshmallow costs per page of 50 tasks against building the same dicts by hand
    (so whether a faster serializer is worth having)."""
    from bpmn_complaints.schemas.resources import Task, TaskList

    with app.app_context():
        items = list(db.session.scalars(select(HumanTask).limit(50)))
        fields = list(Task().fields)

        def by_hand():
            return [{f: (v.isoformat() if hasattr(v, "isoformat") else v) for f in fields
                     for v in (getattr(t, f),)} for t in items]

        schema = TaskList()
        timings = {}
        for name, fn in (("marshmallow", lambda: schema.dump({"items": items, "total": 50})), ("by hand", by_hand)):
            runs = []
            for _ in range(rounds):
                started = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - started)
            timings[name] = statistics.median(runs) * 1000
    print(f"serializing a page of 50 tasks: marshmallow {timings['marshmallow']:.2f} ms, "
          f"by hand {timings['by hand']:.2f} ms (median of {rounds})")


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


def reuse(app):
    """Tokens and the open count of a database an earlier run seeded (``--reuse``)."""
    with app.app_context():
        tokens = {name: run_change(issue_token, name) for name, _groups, _roles in USERS}
        return tokens, db.session.scalar(select(func.count()).where(HumanTask.state == "ready"))


def run(name, url, args):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    if args.reuse:
        tokens, total = reuse(app)
        print(f"\n{name}: {total:,} open tasks (seeded by an earlier run); median and p95 of {args.repeat} rounds",
              flush=True)
    else:
        tokens, total, engine_runs, seconds = seed(app, args.open)
        print(f"\n{name}: {total:,} open tasks, seeded in {seconds:.1f} s ({engine_runs} complaints through "
              f"the engine, the rest bulk-loaded); median and p95 of {args.repeat} rounds", flush=True)
    measure(app, tokens, total, args.repeat, plans=args.explain)
    serialization(app)
    if args.screenshot:
        screenshot(app, Path(args.screenshot))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, help="open tasks to seed (default 100,000)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", nargs="?", const=DEFAULT_URL, default=os.environ.get("COMPLAINTS_BENCH_DATABASE_URL"),
                        help=f"run on this PostgreSQL database instead of SQLite (its public schema is dropped; "
                             f"default {DEFAULT_URL})")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the PostgreSQL database an earlier run seeded, without seeding it again")
    parser.add_argument("--explain", action="store_true", help="print each case's query plans first")
    parser.add_argument("--screenshot", metavar="DIR", help="save screenshots of the seeded inbox here")
    args = parser.parse_args()
    if args.pg:
        if not args.reuse:
            reset_postgres(args.pg)
        run("postgresql", args.pg, args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{tmp}/bench.sqlite", args)


if __name__ == "__main__":
    main()
