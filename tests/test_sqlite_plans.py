"""On SQLite, which keeps no statistics, the planner's pick between indexes that serve a
query equally well on paper follows the order they were made in, and ``db.create_all``
makes them in the order of a set that changes from one process to the next. So the plans
are checked with the indexes of ``human_tasks`` and ``complaints`` made again in several
orders: every group list (each sort, a person in two groups, a cursor page, each filter,
and its count) reads the groups' index of unclaimed tasks, never the lane's, the holders'
or a scan of the table, the ``visible_to`` complaints count reads each of its task ranges by
the index it names (and walks complaints by id when it must walk), and the workload page's
ranges over each person's tasks are searches bounded to a day. The
statements checked are the ones the requests send (recorded on the engine), each explained
with the parameters it was sent with."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from bpmn_complaints.clock import utcnow
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Complaint, HumanTask
from conftest import DIAGRAMS
from test_inbox_plans import explained, recorded

TABLES = (HumanTask.__table__, Complaint.__table__)
# Sorted by name, reversed and shuffled. Without the hints (services.tasks, and the count's
# walk in services.complaints) each of them fails: a group list read the lane's or the
# holders' index, and the count a covering index in whatever order it was made.
ORDERS = ["by name", "reversed", 1, 2, 3]


@pytest.fixture
def desk(api, backend):
    if backend != "sqlite":
        pytest.skip("the plans checked are SQLite's")
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", groups=["intake", "investigators"])
    references = [api.submit()["reference"] for _ in range(3)]
    with api.app.app_context():
        task = db.session.scalars(select(HumanTask)).first()
        columns = {c.key: getattr(task, c.key) for c in HumanTask.__table__.columns if c.computed is None}
        now = utcnow()
        for i in range(40):
            # Both groups, claimed and not, every priority, some overdue and some without a due date.
            db.session.add(HumanTask(**{
                **columns, "id": f"seeded-{i:03}", "candidate_group": ("intake", "investigators")[i % 2],
                "assignee": "alice" if i % 3 == 0 else None, "priority_rank": i % 4,
                "due_at": None if i % 5 == 0 else now + timedelta(days=i % 7 - 3),
                "created_at": now - timedelta(minutes=i), "excluded_users": []}))
        db.session.commit()
    return api, references


def remade(app, order):
    """The two tables' indexes dropped and made again in ``order``."""
    with app.app_context():
        indexes = sorted((i for t in TABLES for i in t.indexes), key=lambda i: i.name)
        if order == "reversed":
            indexes.reverse()
        elif order != "by name":
            random.Random(order).shuffle(indexes)
        with db.engine.begin() as conn:
            for index in indexes:
                index.drop(conn)
            for index in indexes:
                index.create(conn)
        db.engine.dispose()  # connections read the schema again


def plans(app, statements):
    for statement, rows in explained(app, statements, "EXPLAIN QUERY PLAN"):
        yield statement, [row[-1] for row in rows]


def group_paths(api, references):
    paths = [(who, f"/api/tasks?scope=group&sort={sort}") for who in ("alice", "sam")
             for sort in ("due", "priority", "created", "-created")]
    paths += [("sam", f"/api/tasks?scope=group&{query}") for query in (
        "overdue=true", "overdue=false&sort=priority", "priority=urgent", "priority=low&sort=priority",
        "priority=high&sort=created", "lane=intake&sort=-created", f"reference={references[0]}")]
    for sort in ("due", "priority", "created", "-created"):
        first = api.tasks("sam", "group", sort=sort, limit=3)
        paths.append(("sam", first["links"]["next"]))
        paths.append(("sam", api.get(first["links"]["next"], "sam").get_json()["links"]["prev"]))
    return paths


@pytest.mark.parametrize("order", ORDERS)
def test_group_lists_read_the_unclaimed_index_whatever_the_index_order(desk, app, order):
    api, references = desk
    remade(app, order)
    checked = 0
    for who, path in group_paths(api, references):
        response: list = []
        statements = recorded(app, lambda w=who, p=path, r=response: r.append(api.get(p, w)))
        assert response[0].status_code == 200, (path, response[0].get_json())
        ranges = [(s, p) for s, p in statements if "human_tasks.assignee IS NULL AND human_tasks.candidate_group" in s]
        assert ranges, path
        for statement, plan in plans(app, ranges):
            read = [line for line in plan if line.startswith(("SEARCH human_tasks ", "SCAN human_tasks"))]
            assert read and all(" INDEX ix_human_tasks_unclaimed_" in line and line.startswith("SEARCH")
                                for line in read), f"{order}: {who} {path}\n{statement}\n{plan}"
            checked += 1
    assert checked >= 8 * 2 + 7 + 8 * 2


# What the visible_to count may read: each range of tasks by the index it names.
RANGES = ("ix_human_tasks_open_group_complaint", "ix_human_tasks_assignee_complaint", "ix_human_tasks_completed_by")


@pytest.mark.parametrize("order", ORDERS)
def test_the_visible_to_count_reads_its_ranges_by_their_indexes_whatever_the_index_order(desk, app, order):
    api, _references = desk
    remade(app, order)
    api.user("ivy", groups=["supervisors"])  # a group with no open task: every range empty
    for who, path, total in (("alice", "/api/complaints", 3), ("alice", "/api/complaints?state=open", 3),
                             ("alice", "/api/complaints?priority=high&category=billing", 0),
                             ("ivy", "/api/complaints", 0), ("ivy", "/api/complaints?state=open", 0)):
        response: list = []
        statements = recorded(app, lambda w=who, p=path, r=response: r.append(api.get(p, w)))
        assert response[0].status_code == 200, response[0].get_json()
        assert response[0].get_json()["total"] == total, (who, path)
        # One statement: the ranges' sizes, and their union's count when none is over the bound.
        counts = [(s, p) for s, p in statements if s.startswith("SELECT CASE") or "UNION ALL" in s]
        assert [s.split()[1] for s, _p in counts] == ["CASE"], statements
        for statement, plan in plans(app, counts):
            tasks = [line for line in plan if " human_tasks" in line]
            assert tasks and all(line.startswith("SEARCH human_tasks USING ") and line.split(" (")[0].split()[-1]
                                 in RANGES for line in tasks), f"{order}: {who} {path}\n{statement}\n{plan}"
            assert not [line for line in plan if "TEMP B-TREE" in line], f"{order}: {path}\n{plan}"  # index order
            complaints = [line for line in plan if " complaints" in line]
            # Each complaint the ranges found, looked up by its id (in the filter's index or the table).
            assert all(line.startswith("SEARCH complaints ") and ("INTEGER PRIMARY KEY" in line or "rowid=?" in line)
                       for line in complaints), f"{order}: {path}\n{plan}"


@pytest.mark.parametrize("order", ORDERS)
def test_the_visible_to_walk_goes_by_complaint_id_whatever_the_index_order(desk, app, order):
    """What the ranges cannot tell (here a group's range over the bound, under a filter)
    is counted by walking complaints, by id."""
    api, _references = desk
    remade(app, order)
    app.config["INBOX_COUNT_BOUND"] = 2
    for path, index in (("/api/complaints?state=open", "ix_complaints_state"),
                        ("/api/complaints?category=billing", "ix_complaints_category")):
        walk = f"SEARCH complaints USING COVERING INDEX {index}"
        response: list = []
        statements = recorded(app, lambda p=path, r=response: r.append(api.get(p, "alice")))
        assert response[0].status_code == 200, response[0].get_json()
        assert (response[0].get_json()["total"], response[0].get_json()["total_capped"]) == (2, True)
        counts = [(s, p) for s, p in statements if s.startswith("SELECT count(*)") and "FROM complaints" in s]
        assert len(counts) == 1, statements
        for statement, plan in plans(app, counts):
            assert walk in [line.split(" (")[0] for line in plan], f"{order}: {path}\n{statement}\n{plan}"


# The workload page's ranges over each person's tasks (services/workload.py), each bounded
# on both sides where it counts: today's tasks due before now (in ix_human_tasks_held or
# ix_human_tasks_mine_due, the same range), the oldest held, and the first day's completions.
WORKLOAD_RANGES = ("(assignee=? AND due_key>? AND due_key<?)", "ix_human_tasks_held_since (assignee=?)",
                   "ix_human_tasks_completed_by_at (completed_by=? AND completed_at>? AND completed_at<?)")


@pytest.mark.parametrize("order", ORDERS)
def test_the_workload_page_seeks_each_persons_ranges_whatever_the_index_order(desk, app, order):
    """Each of its three ranges per person is a search of an index bounded to a day (or
    the first entry), in one statement: none reads every task, nor all of a person's."""
    api, _references = desk
    from test_web_staff import Browser, add_user

    api.user("sue", groups=["intake"], roles=("staff", "supervisor"))
    add_user(api.runner, "sid", ["intake"], roles=("staff", "supervisor"))
    remade(app, order)
    browser = Browser(app).login("sid")
    for path, get in (("/api/workload", lambda: api.get("/api/workload", "sue")),
                      ("/team", lambda: browser.get("/team"))):
        response: list = []
        statements = recorded(app, lambda g=get, r=response: r.append(g()))
        assert response[0].status_code == 200, path
        figures = [(s, p) for s, p in statements if "FROM human_tasks" in s]
        assert len(figures) == 1, statements
        for statement, plan in plans(app, figures):
            read = [line for line in plan if line.startswith(("SEARCH human_tasks", "SCAN human_tasks"))]
            assert len(read) == 3 and all(line.startswith("SEARCH") and line.endswith(bounds)
                                          for line, bounds in zip(read, WORKLOAD_RANGES, strict=True)), \
                f"{order}: {path}\n{statement}\n{plan}"
