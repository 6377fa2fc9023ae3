"""The counts the database keeps of open tasks (models/task_counts.py), on both databases:
after every kind of change (a new complaint, claim, hand back, assign, complete, cancel,
an instance deleted with its tasks) each kept count equals a count of the rows, the inbox
tabs and the workload page say what the lists hold, folding keeps every sum, the worker
folds on its schedule, a change still in flight keeps its rows through a fold, and the
migration counts the tasks a database already has."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, inspect, select, text, update

from bpmn_complaints.clock import utcnow
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Job, ProcessInstance, TaskCount
from bpmn_complaints.models.task_counts import compact
from bpmn_complaints.services import task_counts
from conftest import DIAGRAMS

ASSESSED = {"in_scope": True, "severity": "high"}
# What each count means, written out again here from the rows themselves.
LIVE = """
SELECT 'open', '', count(*) FROM human_tasks WHERE state = 'ready'
UNION ALL SELECT 'held', assignee, count(*) FROM human_tasks WHERE state = 'ready' AND assignee IS NOT NULL
  GROUP BY assignee
UNION ALL SELECT 'unclaimed', candidate_group, count(*) FROM human_tasks
  WHERE state = 'ready' AND assignee IS NULL AND candidate_group IS NOT NULL GROUP BY candidate_group
UNION ALL SELECT 'ruled', candidate_group, count(*) FROM human_tasks
  WHERE state = 'ready' AND assignee IS NULL AND candidate_group IS NOT NULL
    AND (excludes_workers = true OR exclude_entered_by = true) GROUP BY candidate_group
"""


def kept(app) -> dict:
    with app.app_context():
        rows = db.session.execute(select(TaskCount.kind, TaskCount.key, TaskCount.n))
        found: dict = {}
        for kind, key, n in rows:
            found[(kind, key)] = found.get((kind, key), 0) + n
        return {k: n for k, n in found.items() if n}


def live(app) -> dict:
    with app.app_context():
        return {(kind, key): n for kind, key, n in db.session.execute(text(LIVE)) if n}


def agree(app) -> dict:
    counts = kept(app)
    assert counts == live(app)
    return counts


@pytest.fixture
def desk(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("bob", groups=["intake", "investigators"])
    api.user("sam", groups=["intake"], roles=("staff", "supervisor"))
    return api


def submit(api):
    response = api.post("/api/complaints", "sam", json={"name": "Dana Example", "email": "dana@example.com",
                                                        "description": "Charged twice.", "channel": "phone"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["reference"]


def test_every_change_keeps_the_counts_equal_to_the_rows(desk, app):
    refs = [submit(desk) for _ in range(5)]
    assert agree(app) == {("open", ""): 5, ("unclaimed", "intake"): 5}
    tasks = {t["complaint_reference"]: t["id"] for t in desk.tasks("alice", "group")["items"]}
    assert desk.claim("alice", tasks[refs[0]]).status_code == 200
    assert desk.claim("alice", tasks[refs[1]]).status_code == 200
    assert agree(app)[("held", "alice")] == 2
    assert desk.post(f"/api/tasks/{tasks[refs[1]]}/unclaim", "alice").status_code == 200
    assigned = desk.post(f"/api/tasks/{tasks[refs[2]]}/assign", "sam", json={"assignee": "bob"})
    assert assigned.status_code == 200, assigned.get_json()
    assert agree(app) == {("open", ""): 5, ("unclaimed", "intake"): 3, ("held", "alice"): 1, ("held", "bob"): 1}
    # Completing the assessment offers the investigation to another group.
    assert desk.complete("alice", tasks[refs[0]], ASSESSED).status_code == 200
    after = agree(app)
    assert after[("unclaimed", "intake")] == 3 and ("held", "alice") not in after
    assert sum(n for (kind, _key), n in after.items() if kind == "unclaimed") == after[("open", "")] - 1
    cancelled = desk.post(f"/api/complaints/{refs[3]}/cancel", "sam", json={"reason": "Entered twice by mistake."})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert agree(app)[("unclaimed", "intake")] == 2
    # A task edited in place (its due date) moves no count and adds no row.
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(TaskCount))
        db.session.execute(text("UPDATE human_tasks SET due_at = NULL, priority = 'urgent'"))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(TaskCount)) == rows
        # An instance deleted with its tasks (ON DELETE CASCADE) takes them out of the counts.
        instance = db.session.scalar(select(ProcessInstance.id).order_by(ProcessInstance.id.desc()).limit(1))
        db.session.execute(delete(ProcessInstance).where(ProcessInstance.id == instance))
        db.session.commit()
    counts = agree(app)
    # The tabs and the workload page read the same counts the lists show.
    for who, scope in (("alice", "group"), ("bob", "group"), ("bob", "mine"), ("sam", "all"), ("alice", "mine")):
        body = desk.tasks(who, scope, limit=100)
        assert (body["total"], body["total_capped"]) == (len(body["items"]), False), (who, scope)
    held = {p["name"]: p["held"] for p in desk.get("/api/workload", "sam").get_json()["people"]}
    assert held["bob"] == counts.get(("held", "bob"), 0) == 1 and held["alice"] == 0


def test_folding_keeps_every_sum_and_leaves_one_row_per_count(desk, app):
    for _ in range(4):
        submit(desk)
    for task in desk.tasks("alice", "group")["items"][:3]:
        assert desk.claim("alice", task["id"]).status_code == 200
    before = agree(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TaskCount)) > len(before)
        folded = compact(db.session.connection())
        db.session.commit()
        assert folded > len(before)
        keys = list(db.session.execute(select(TaskCount.kind, TaskCount.key)))
    assert sorted(keys) == sorted(before) and agree(app) == before
    # Folding again folds the folded rows into the same sums.
    with app.app_context():
        compact(db.session.connection())
        db.session.commit()
    assert agree(app) == before


def test_the_worker_folds_the_counts_on_its_schedule(desk, app):
    app.config["TASK_COUNTS_FOLD_EVERY_SECONDS"] = 120
    for _ in range(3):
        submit(desk)
    task = desk.tasks("alice", "group")["items"][0]
    assert desk.claim("alice", task["id"]).status_code == 200
    from bpmn_complaints.worker import Worker

    with app.app_context():
        Worker(owner="test").schedule()  # as the worker process does when it starts
    desk.run_worker()  # the job is due in two minutes: nothing folds yet
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == task_counts.KIND, Job.instance_id.is_(None)))
        assert job is not None and job.due_at > utcnow() + timedelta(seconds=100)
        rows = db.session.scalar(select(func.count()).select_from(TaskCount))
        assert rows > 3
        db.session.execute(update(Job).where(Job.id == job.id).values(due_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    desk.run_worker()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TaskCount)) == 3  # open, held, unclaimed
        jobs = list(db.session.scalars(select(Job).where(Job.kind == task_counts.KIND)))
        assert len(jobs) == 1 and jobs[0].due_at > utcnow() + timedelta(seconds=100)
    agree(app)


def test_the_group_tab_counts_tasks_with_an_independence_rule_for_who_asks(api, app):
    assert api.deploy(DIAGRAMS / "independence.bpmn").exit_code == 0
    for name in ("anna", "bert"):
        api.user(name, groups=["team"])
    refs = [api.submit()["reference"] for _ in range(2)]
    # Each complaint offers Check A (no rule) and Check B (not for whoever did Check A).
    assert api.tasks("anna", "group")["total"] == 4
    assert agree(app)[("unclaimed", "team")] == 4 and agree(app)[("ruled", "team")] == 2
    check_a = {t["bpmn_id"]: t["id"] for t in api.tasks("anna", "group", reference=refs[0])["items"]}["Task_a"]
    assert api.claim("anna", check_a).status_code == 200
    assert api.complete("anna", check_a, {}).status_code == 200
    for who in ("anna", "bert"):
        body = api.tasks(who, "group", limit=100)
        assert body["total"] == len(body["items"]), who
    assert (api.tasks("anna", "group")["total"], api.tasks("bert", "group")["total"]) == (2, 3)


def test_a_filtered_group_list_counts_what_it_lists_for_who_asks(api, app):
    assert api.deploy(DIAGRAMS / "independence.bpmn").exit_code == 0
    for name in ("anna", "bert"):
        api.user(name, groups=["team"])
    refs = [api.submit()["reference"] for _ in range(3)]
    for ref in refs[:2]:  # anna does Check A of two complaints: their Check B is not hers to take
        check_a = {t["bpmn_id"]: t["id"] for t in api.tasks("anna", "group", reference=ref)["items"]}["Task_a"]
        assert api.claim("anna", check_a).status_code == 200
        assert api.complete("anna", check_a, {}).status_code == 200
    filters = [{"reference": refs[0]}, {"reference": refs[2]}, {"overdue": "false"}, {"lane": "team"},
               {"priority": "normal"}, {"priority": "urgent"}]
    for who, params in [(who, params) for who in ("anna", "bert") for params in filters]:
        body = api.tasks(who, "group", limit=100, **params)
        assert (body["total"], body["total_capped"]) == (len(body["items"]), False), (who, params)
    assert api.tasks("anna", "group", reference=refs[0])["total"] == 0
    assert api.tasks("bert", "group", reference=refs[0])["total"] == 1
    assert (api.tasks("anna", "group", overdue="false")["total"],
            api.tasks("bert", "group", overdue="false")["total"]) == (2, 4)
    # Past the bound: the tasks barred to anna are among those counted, so the bound still holds.
    app.config["INBOX_COUNT_BOUND"] = 2
    for who in ("anna", "bert"):
        body = api.tasks(who, "group", overdue="false")
        assert (body["total"], body["total_capped"]) == (2, who == "bert"), who
    app.config["INBOX_COUNT_BOUND"] = 1
    assert api.tasks("anna", "group", overdue="false")["total_capped"] is True


BOTH_RULES = (DIAGRAMS / "independence.bpmn").read_text().replace(
    '<spiffworkflow:property name="excludeWorkersOf" value="Task_a"/>',
    '<spiffworkflow:property name="excludeWorkersOf" value="Task_a"/>'
    '<spiffworkflow:property name="excludeEnteredBy" value="true"/>')


def test_a_task_barred_twice_over_is_left_out_once(api, app, tmp_path):
    diagram = tmp_path / "both.bpmn"
    diagram.write_text(BOTH_RULES)
    assert api.deploy(diagram).exit_code == 0
    api.user("anna", groups=["team"])
    api.user("bert", groups=["team"])
    api.user("sam", groups=["team"], roles=("staff", "supervisor"))
    entered = api.post("/api/complaints", "sam", json={"name": "Pat Caller", "email": "pat@example.com",
                                                       "description": "Rang about a bill.", "channel": "phone"})
    assert entered.status_code == 201, entered.get_json()
    ref = entered.get_json()["reference"]
    api.submit()
    # sam entered the first complaint: its Check B is not his to take.
    assert api.tasks("sam", "group")["total"] == 3
    check_a = {t["bpmn_id"]: t["id"] for t in api.tasks("sam", "group", reference=ref)["items"]}["Task_a"]
    assert api.claim("sam", check_a).status_code == 200
    assert api.complete("sam", check_a, {}).status_code == 200
    # Now he entered it and did Check A: still one task left out, not two.
    for who, expected in (("sam", 2), ("anna", 3), ("bert", 3)):
        body = api.tasks(who, "group", limit=100)
        assert (body["total"], len(body["items"])) == (expected, expected), who


def test_a_change_in_flight_keeps_its_rows_through_a_fold(desk, app, backend):
    """On PostgreSQL ids are handed out before a commit: a fold that runs while a change has
    written its rows but not committed leaves them be, and they count once it commits."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: a fold cannot run beside a change")
    for _ in range(3):
        submit(desk)
    before = agree(app)
    with app.app_context():
        change = db.engine.connect()
        transaction = change.begin()
        change.execute(text("UPDATE human_tasks SET assignee = 'alice' WHERE state = 'ready'"))
        folded: list[int] = []

        def fold():
            with app.app_context(), db.engine.begin() as connection:
                folded.append(compact(connection))

        folding = threading.Thread(target=fold)
        folding.start()
        folding.join(timeout=30)
        assert not folding.is_alive() and folded  # a fold never waits for a change
        transaction.commit()
        change.close()
    after = agree(app)
    assert after[("held", "alice")] == 3 and ("unclaimed", "intake") not in after
    assert after[("open", "")] == before[("open", "")]


def test_the_migration_counts_the_tasks_already_there(desk, app, runner):
    for _ in range(3):
        submit(desk)
    task = desk.tasks("alice", "group")["items"][0]
    assert desk.claim("alice", task["id"]).status_code == 200
    expected = live(app)
    assert runner.invoke(args=["db", "stamp", "head"]).exit_code == 0
    result = runner.invoke(args=["db", "downgrade", "b8c4d2e6f1a3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "task_counts" not in inspect(db.engine).get_table_names()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert kept(app) == expected
    # The triggers came with it.
    submit(desk)
    assert agree(app)[("unclaimed", "intake")] == expected[("unclaimed", "intake")] + 1
