"""The counts the database keeps of open tasks (models/task_counts.py), on both databases:
after every kind of change (a new complaint, claim, hand back, assign, complete, cancel,
a due date moved, an instance deleted with its tasks) each kept count equals a count of
the rows, the inbox tabs and the workload page say what the lists hold (its overdue and
recent figures equal a live count after each change and as the clock passes midnight),
folding keeps every sum and drops the completion days nothing reads, the worker folds on
its schedule, a change still in flight keeps its rows through a fold, and the migrations
count the tasks a database already has."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, inspect, select, text, update

from bpmn_complaints.clock import utcnow
from bpmn_complaints.extensions import db
from bpmn_complaints.models import HumanTask, Job, ProcessInstance, TaskCount
from bpmn_complaints.models.task import DUE_KEY, OPEN
from bpmn_complaints.models.task_counts import DONE_KEPT_DAYS, compact
from bpmn_complaints.services import task_counts
from conftest import DIAGRAMS

ASSESSED = {"in_scope": True, "severity": "high"}
# What each count means, written out again here from the rows themselves ({day}: a
# timestamp's UTC day as each database writes it).
LIVE = """
SELECT 'open', '', count(*) FROM human_tasks WHERE state = 'ready'
UNION ALL SELECT 'held', assignee, count(*) FROM human_tasks WHERE state = 'ready' AND assignee IS NOT NULL
  GROUP BY assignee
UNION ALL SELECT 'unclaimed', candidate_group, count(*) FROM human_tasks
  WHERE state = 'ready' AND assignee IS NULL AND candidate_group IS NOT NULL GROUP BY candidate_group
UNION ALL SELECT 'ruled', candidate_group, count(*) FROM human_tasks
  WHERE state = 'ready' AND assignee IS NULL AND candidate_group IS NOT NULL
    AND (excludes_workers = true OR exclude_entered_by = true) GROUP BY candidate_group
UNION ALL SELECT 'due ' || {due_day}, assignee, count(*) FROM human_tasks
  WHERE state = 'ready' AND assignee IS NOT NULL AND due_at IS NOT NULL GROUP BY {due_day}, assignee
UNION ALL SELECT 'done ' || {done_day}, completed_by, count(*) FROM human_tasks
  WHERE state = 'completed' AND completed_by IS NOT NULL AND completed_at IS NOT NULL
  GROUP BY {done_day}, completed_by
"""
DAY = {"sqlite": "strftime('%Y-%m-%d', {})", "postgresql": "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"}


def kept(app) -> dict:
    with app.app_context():
        rows = db.session.execute(select(TaskCount.kind, TaskCount.key, TaskCount.n))
        found: dict = {}
        for kind, key, n in rows:
            found[(kind, key)] = found.get((kind, key), 0) + n
        return {k: n for k, n in found.items() if n}


def live(app) -> dict:
    with app.app_context():
        day = DAY[db.engine.dialect.name]
        sql = LIVE.format(due_day=day.format("due_at"), done_day=day.format("completed_at"))
        return {(kind, key): n for kind, key, n in db.session.execute(text(sql)) if n}


def without_days(counts: dict) -> dict:
    return {(kind, key): n for (kind, key), n in counts.items() if " " not in kind}


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
    assert without_days(agree(app)) == {("open", ""): 5, ("unclaimed", "intake"): 5}
    tasks = {t["complaint_reference"]: t["id"] for t in desk.tasks("alice", "group")["items"]}
    assert desk.claim("alice", tasks[refs[0]]).status_code == 200
    assert desk.claim("alice", tasks[refs[1]]).status_code == 200
    assert agree(app)[("held", "alice")] == 2
    assert desk.post(f"/api/tasks/{tasks[refs[1]]}/unclaim", "alice").status_code == 200
    assigned = desk.post(f"/api/tasks/{tasks[refs[2]]}/assign", "sam", json={"assignee": "bob"})
    assert assigned.status_code == 200, assigned.get_json()
    assert without_days(agree(app)) == {("open", ""): 5, ("unclaimed", "intake"): 3, ("held", "alice"): 1,
                                        ("held", "bob"): 1}
    # Completing the assessment offers the investigation to another group.
    assert desk.complete("alice", tasks[refs[0]], ASSESSED).status_code == 200
    after = agree(app)
    assert after[("unclaimed", "intake")] == 3 and ("held", "alice") not in after
    assert sum(n for (kind, _key), n in after.items() if kind == "unclaimed") == after[("open", "")] - 1
    cancelled = desk.post(f"/api/complaints/{refs[3]}/cancel", "sam", json={"reason": "Entered twice by mistake."})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert agree(app)[("unclaimed", "intake")] == 2
    # A task edited in place (its priority) moves no count and adds no row; a due date moves its day's.
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(TaskCount))
        db.session.execute(text("UPDATE human_tasks SET priority = 'urgent'"))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(TaskCount)) == rows
        db.session.execute(update(HumanTask).values(due_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)))
        db.session.commit()
    assert agree(app)[("due 2026-01-02", "bob")] == 1
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(TaskCount))
        db.session.execute(text("UPDATE human_tasks SET due_at = NULL"))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(TaskCount)) == rows + 1  # bob's day, -1
    assert not any(kind.startswith("due ") for kind, _key in agree(app))
    with app.app_context():
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


def live_workload(app) -> dict:
    """Each person's held, overdue and completed-in-7-days figures counted from the rows,
    as the workload page defines them (``DUE_KEY < now``: a task without a due date is
    never overdue)."""
    with app.app_context():
        now = utcnow()
        found: dict = {}

        def put(column, rows):
            for name, n in rows:
                found.setdefault(name, [0, 0, 0])[column] = n

        mine = select(HumanTask.assignee, func.count()).where(OPEN, HumanTask.assignee.is_not(None))
        put(0, db.session.execute(mine.group_by(HumanTask.assignee)))
        put(1, db.session.execute(mine.where(DUE_KEY < now).group_by(HumanTask.assignee)))
        put(2, db.session.execute(select(HumanTask.completed_by, func.count())
                                  .where(HumanTask.state == "completed", HumanTask.completed_by.is_not(None),
                                         HumanTask.completed_at >= now - timedelta(days=7))
                                  .group_by(HumanTask.completed_by)))
        return {name: tuple(figures) for name, figures in found.items()}


def page_figures(desk) -> dict:
    response = desk.get("/api/workload", "sam")
    assert response.status_code == 200, response.get_json()
    return {p["name"]: (p["held"], p["overdue"], p["completed_recently"]) for p in response.get_json()["people"]
            if p["held"] or p["overdue"] or p["completed_recently"]}


def same_figures(desk, app) -> dict:
    agree(app)
    figures = page_figures(desk)
    assert figures == live_workload(app)
    return figures


def set_due(app, task_id, due):
    with app.app_context():
        db.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(due_at=due))
        db.session.commit()


def test_the_workload_figures_equal_the_rows_after_every_change_and_across_midnight(desk, app):
    clock = app.extensions["complaints_clock"]
    day = datetime(2026, 12, 3, tzinfo=UTC)
    clock.set(day + timedelta(hours=22))
    refs = [submit(desk) for _ in range(7)]
    tasks = {t["complaint_reference"]: t["id"] for t in desk.tasks("alice", "group", limit=100)["items"]}
    t = [tasks[ref] for ref in refs]
    dues = [day - timedelta(days=2, hours=-10),  # two days ago
            day + timedelta(hours=21),  # today, an hour ago
            day + timedelta(hours=23, minutes=30),  # today, in half an hour
            day + timedelta(days=1, minutes=30),  # tomorrow, just after midnight
            None,  # never overdue
            day - timedelta(microseconds=1),  # the last moment of yesterday
            day]  # the first of today
    for task_id, due in zip(t, dues, strict=True):
        set_due(app, task_id, due)
    assert same_figures(desk, app) == {}
    for task_id in (t[0], t[1], t[2], t[5], t[6]):
        assert desk.claim("alice", task_id).status_code == 200
    assert desk.post(f"/api/tasks/{t[3]}/assign", "sam", json={"assignee": "bob"}).status_code == 200
    assert desk.claim("bob", t[4]).status_code == 200
    assert same_figures(desk, app) == {"alice": (5, 4, 0), "bob": (2, 0, 0)}
    assert desk.post(f"/api/tasks/{t[1]}/unclaim", "alice").status_code == 200  # hand back
    assert desk.post(f"/api/tasks/{t[2]}/assign", "sam", json={"assignee": "bob"}).status_code == 200  # reassign
    assert same_figures(desk, app) == {"alice": (3, 3, 0), "bob": (3, 0, 0)}
    assert desk.complete("alice", t[0], ASSESSED).status_code == 200  # completed at 22:00 today
    assert same_figures(desk, app) == {"alice": (2, 2, 1), "bob": (3, 0, 0)}
    set_due(app, t[4], day - timedelta(days=40))  # a due date moved (as an escalation or a repair would)
    set_due(app, t[6], None)
    assert same_figures(desk, app) == {"alice": (2, 1, 1), "bob": (3, 1, 0)}
    clock.set(day + timedelta(hours=23, minutes=45))  # bob's t[2] falls due within the day
    assert same_figures(desk, app) == {"alice": (2, 1, 1), "bob": (3, 2, 0)}
    clock.set(day + timedelta(days=1, minutes=15))  # past midnight: yesterday's tasks are in the kept days
    assert same_figures(desk, app) == {"alice": (2, 1, 1), "bob": (3, 2, 0)}
    clock.set(day + timedelta(days=1, minutes=31))  # t[3], due just after midnight
    assert same_figures(desk, app) == {"alice": (2, 1, 1), "bob": (3, 3, 0)}
    with app.app_context():
        compact(db.session.connection(), utcnow().date())
        db.session.commit()
    assert same_figures(desk, app) == {"alice": (2, 1, 1), "bob": (3, 3, 0)}
    # The completion at 22:00 on day 0 counts until 22:00 seven days on, its day then the first of the seven.
    clock.set(day + timedelta(days=7, hours=21, minutes=59))
    assert same_figures(desk, app)["alice"] == (2, 1, 1)
    clock.set(day + timedelta(days=7, hours=22))
    assert same_figures(desk, app)["alice"] == (2, 1, 1)  # completed_at >= now - 7 days: exactly 7 days ago
    clock.set(day + timedelta(days=7, hours=22, seconds=1))
    assert same_figures(desk, app)["alice"] == (2, 1, 0)
    assert desk.complete("bob", t[3], ASSESSED).status_code == 200
    cancelled = desk.post(f"/api/complaints/{refs[2]}/cancel", "sam", json={"reason": "Entered twice by mistake."})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert same_figures(desk, app) == {"alice": (2, 1, 0), "bob": (1, 1, 1)}
    with app.app_context():  # an instance deleted with its tasks, a completed one among them
        instance = db.session.scalar(select(HumanTask.instance_id).where(HumanTask.id == t[3]))
        db.session.execute(delete(ProcessInstance).where(ProcessInstance.id == instance))
        db.session.commit()
    assert same_figures(desk, app) == {"alice": (2, 1, 0), "bob": (1, 1, 0)}


def test_the_fold_drops_the_completion_days_nothing_reads(desk, app):
    clock = app.extensions["complaints_clock"]
    day = datetime(2026, 12, 3, 12, tzinfo=UTC)
    clock.set(day)
    for _ in range(2):
        submit(desk)
    for task in desk.tasks("alice", "group")["items"]:
        assert desk.claim("alice", task["id"]).status_code == 200
        assert desk.complete("alice", task["id"], ASSESSED).status_code == 200
        clock.set(day - timedelta(days=DONE_KEPT_DAYS + 1))  # the second completed long ago
    with app.app_context():
        old = db.session.scalar(select(HumanTask.id).where(HumanTask.completed_at < day - timedelta(days=30)))
        assert old is not None
    assert agree(app)[("done 2026-12-03", "alice")] == 1
    with app.app_context():
        compact(db.session.connection(), day.date())
        db.session.commit()
    counts = kept(app)
    assert counts[("done 2026-12-03", "alice")] == 1
    assert [kind for kind, _key in counts if kind.startswith("done ")] == ["done 2026-12-03"]
    clock.set(day)
    assert page_figures(desk)["alice"] == live_workload(app)["alice"] == (0, 0, 1)


def test_the_workload_migration_counts_the_tasks_already_there(desk, app, runner):
    clock = app.extensions["complaints_clock"]
    clock.set(datetime(2026, 12, 3, 9, tzinfo=UTC))
    for _ in range(4):
        submit(desk)
    items = desk.tasks("alice", "group")["items"]
    for task in items[:3]:
        assert desk.claim("alice", task["id"]).status_code == 200
    assert desk.complete("alice", items[0]["id"], ASSESSED).status_code == 200
    set_due(app, items[1]["id"], datetime(2026, 12, 1, tzinfo=UTC))
    expected = live(app)
    assert {kind.split()[0] for kind, _key in expected} >= {"due", "done"}
    assert runner.invoke(args=["db", "stamp", "head"]).exit_code == 0
    result = runner.invoke(args=["db", "downgrade", "a4c7e2f9b1d3"])
    assert result.exit_code == 0, result.output
    assert kept(app) == without_days(expected)
    # The old triggers keep only the old counts.
    assert desk.post(f"/api/tasks/{items[2]['id']}/unclaim", "alice").status_code == 200
    assert desk.claim("alice", items[2]["id"]).status_code == 200
    assert kept(app) == without_days(expected)
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert kept(app) == expected
    assert page_figures(desk) == live_workload(app) == {"alice": (2, 1, 1)}
    # The new triggers came with it.
    set_due(app, items[2]["id"], datetime(2026, 12, 2, tzinfo=UTC))
    assert agree(app)[("due 2026-12-02", "alice")] == 1


def test_todays_overdue_is_exact_from_either_side_of_noon(desk, app):
    """Before noon today's overdue tasks are counted from midnight to now, after it as
    today's kept count less those due from now to midnight: the same figure either way."""
    clock = app.extensions["complaints_clock"]
    day = datetime(2026, 12, 3, tzinfo=UTC)
    clock.set(day + timedelta(hours=7))
    for _ in range(4):
        submit(desk)
    items = desk.tasks("alice", "group")["items"]
    for task, hours in zip(items, (9, 13, 18, None), strict=True):
        set_due(app, task["id"], day + timedelta(hours=hours) if hours is not None else None)
        assert desk.claim("alice", task["id"]).status_code == 200
    for moment, overdue in ((timedelta(hours=8), 0), (timedelta(hours=11, minutes=59), 1), (timedelta(hours=12), 1),
                            (timedelta(hours=13), 1), (timedelta(hours=13, microseconds=1), 2),
                            (timedelta(hours=23, minutes=59, seconds=59), 3), (timedelta(days=1), 3)):
        clock.set(day + moment)
        assert same_figures(desk, app)["alice"] == (4, overdue, 0), moment
