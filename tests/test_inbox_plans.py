"""On PostgreSQL, with 20,000 open tasks among 100,000 (the rest is history, as it is once
a site has run a while; each row carries instructions, as the shipped diagram's do) and
VACUUM ANALYZE run, so that the planner's choice is its own and means something, no inbox
request reads ``human_tasks`` by a sequential scan: every tab, filter and sort of the API
and the pages, a deep cursor, the last page, the complaints list and the workload page
(API and /team). The statements
checked are the ones the requests send (recorded on the engine), each explained with the
parameters it was sent with."""

import html
import re

import pytest
from sqlalchemy import event, text

from bpmn_complaints.extensions import db
from conftest import DIAGRAMS, PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs COMPLAINTS_TEST_DATABASE_URL (PostgreSQL)")

OPEN = 20_000
ROWS = 5 * OPEN
SEED = """
INSERT INTO complaints (id, reference, reference_suffixes, status_token_hash, name, email, description, channel,
                        received_at, status, state, entered_by)
SELECT 1000 + g, 'C-2026-' || lpad(g::text, 6, '0'), '', md5(g::text), 'Seed', 'seed@example.com', 'Charged twice.',
       'web', now() - g * interval '1 minute', 'Received', 'open', CASE WHEN g % 50 = 0 THEN 'sam' END
FROM generate_series(1, :n) AS g;
INSERT INTO human_tasks (id, instance_id, complaint_id, complaint_reference, bpmn_id, name, lane, candidate_group,
                         state, assignee, excluded_users, exclude_entered_by, excludes_workers, priority,
                         priority_rank, due_at, created_at, claimed_at, completed_at, completed_by, instructions)
SELECT md5('t' || g)::uuid::text, :instance, 1000 + g, 'C-2026-' || lpad(g::text, 6, '0'), 'Task_assess', 'Assess',
       lane, lane, state, assignee, '[]', g % 50 = 0, false, (ARRAY['urgent', 'high', 'normal', 'low'])[g % 4 + 1],
       g % 4, CASE WHEN g % 9 <> 0 THEN now() + (g % 30 - 8) * interval '1 day' END, now() - g * interval '1 minute',
       CASE WHEN assignee IS NOT NULL THEN now() END, CASE WHEN state = 'completed' THEN now() END,
       CASE WHEN state = 'completed' THEN assignee END, repeat('Decide whether this is a complaint we handle. ', 8)
FROM (SELECT g, (ARRAY['intake', 'investigators', 'supervisors'])[g % 3 + 1] AS lane,
             CASE WHEN g % 5 = 0 THEN 'ready' ELSE 'completed' END AS state,
             CASE WHEN g % 5 <> 0 OR g % 4 = 0 THEN (ARRAY['alice', 'ivan', 'sam'])[g % 3 + 1] END AS assignee
      FROM generate_series(1, :n) AS g) AS seeded;
"""


@pytest.fixture
def seeded(api, backend):
    if backend != "postgresql":
        pytest.skip("the plans checked are PostgreSQL's")
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("ivan", groups=["investigators"])
    api.user("sam", groups=["supervisors", "intake"], roles=("staff", "supervisor"))
    api.submit()
    with api.app.app_context():
        instance = db.session.scalar(text("SELECT max(id) FROM process_instances"))
        for statement in SEED.split(";"):
            if statement.strip():
                db.session.execute(text(statement), {"n": ROWS, "instance": instance})
        db.session.commit()
    with api.app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return api


def recorded(app, fn):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT") and "human_tasks" in s]


def explained(app, statements, explain="EXPLAIN"):
    """Each statement with the rows ``explain`` gives for it, sent with its own parameters."""
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute(f"{explain} {statement}", parameters)
                yield statement, cursor.fetchall()
        finally:
            raw.rollback()
            raw.close()


def plans(app, statements):
    for statement, rows in explained(app, statements):
        yield statement, "\n".join(row[0] for row in rows)


def test_no_inbox_request_scans_the_task_table(seeded, app):
    api = seeded
    deep = api.tasks("sam", "all", limit=500)["links"]["next"]
    for _ in range(3):
        deep = api.get(deep, "sam").get_json()["links"]["next"]
    requests = [("sam", f"/api/tasks?scope={scope}&sort={sort}") for scope in ("mine", "group", "all")
                for sort in ("due", "priority", "created", "-created")]
    requests += [(who, f"/api/tasks?scope={scope}&{query}") for who, scope in (("alice", "group"), ("ivan", "mine"),
                                                                                ("sam", "all"))
                 for query in ("priority=urgent", "priority=low&sort=priority", "overdue=true", "overdue=false",
                               "overdue=true&sort=priority", "overdue=false&sort=-created", "lane=intake",
                               "lane=investigators&sort=priority")]
    requests += [("sam", deep), ("sam", "/api/workload")]
    checked = 0
    for who, path in requests:
        response: list = []
        statements = recorded(app, lambda w=who, p=path, r=response: r.append(api.get(p, w)))
        assert response[0].status_code == 200, (path, response[0].get_json())
        assert statements, path
        for statement, plan in plans(app, statements):
            assert "Seq Scan on human_tasks" not in plan, f"{path}\n{statement}\n{plan}"
            checked += 1
    # Each reads its page (a tab's count comes from task_counts, a filtered count from here).
    assert checked >= len(requests) + 8 * 3


def test_no_inbox_page_scans_the_task_table(seeded, app):
    from test_web_staff import Browser, add_user

    add_user(seeded.runner, "sue", ["supervisors", "intake"], roles=("staff", "supervisor"))
    sue = Browser(app).login("sue")
    paths = ["/inbox?scope=mine", "/inbox?scope=group", "/inbox?scope=all&sort=priority",
             "/inbox?scope=all&overdue=true&sort=priority", "/inbox?scope=group&lane=intake&sort=-created",
             "/complaints", "/complaints?state=open", "/team"]
    first = sue.get("/inbox?scope=all").get_data(as_text=True)
    paths.append(html.unescape(re.search(r'href="([^"]+)">Last »', first).group(1)))
    for path in paths:
        response: list = []
        statements = recorded(app, lambda p=path, r=response: r.append(sue.get(p)))
        assert response[0].status_code == 200, path
        for statement, plan in plans(app, statements):
            assert "Seq Scan on human_tasks" not in plan, f"{path}\n{statement}\n{plan}"


def test_the_visible_to_count_reads_its_task_ranges_from_the_index_alone(seeded, app):
    """A staff member's complaints list (``visible_to``) counts from the tasks' ranges, each
    read from its index alone and cut at the bound, for a person in a group with thousands
    of unclaimed tasks (alice: "10,000+" from the first range) or one whose tasks are all
    held (ivan), with or without a filter."""
    api = seeded
    checked = 0
    for who, path in (("alice", "/api/complaints"), ("alice", "/api/complaints?state=open"),
                      ("ivan", "/api/complaints"), ("ivan", "/api/complaints?priority=high")):
        response: list = []
        statements = recorded(app, lambda w=who, p=path, r=response: r.append(api.get(p, w)))
        assert response[0].status_code == 200, (path, response[0].get_json())
        for statement, plan in plans(app, statements):
            assert "Seq Scan on human_tasks" not in plan, f"{who} {path}\n{statement}\n{plan}"
            if statement.startswith("SELECT CASE"):
                scans = [line.strip() for line in plan.splitlines() if " on human_tasks" in line]
                assert scans and all(re.match(r"-> +Index Only Scan using ix_human_tasks_(open_group_"
                                              r"complaint|assignee_complaint|completed_by) on human_tasks", line)
                                     for line in scans), f"{who} {path}\n{statement}\n{plan}"
                checked += 1
    assert checked >= 3
