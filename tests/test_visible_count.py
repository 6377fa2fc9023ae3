"""The complaints list's count for a staff member who does not see everything
(``services.complaints.visible_to``) is the number of complaints the rule admits: exact up
to the bound, "bound+" beyond it, with and without the list's filters, on both databases.
The count is read from the tasks' side (a range per index, cut at the bound) and left to
the walk over complaints when the ranges cannot tell; the bounds below make every one of
those paths answer, and each answer is checked against the rule worked out in Python from
the rows themselves, through the API."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bpmn_complaints.extensions import db
from bpmn_complaints.models import Complaint, HumanTask
from bpmn_complaints.services import complaints as service
from conftest import DIAGRAMS
from test_web_staff import Browser, add_user

# name, groups: ann only ever held tasks, cob only completed them, gus is only in a
# group, ola is in the other group and held and completed tasks too (overlapping), and
# nel is in both groups.
PEOPLE = {"ann": [], "cob": [], "gus": ["intake"], "ola": ["investigators"], "nel": ["intake", "investigators"]}
FILTERS = [{}, {"state": "open"}, {"state": "closed"}, {"priority": "high"}, {"category": "billing"},
           {"state": "open", "priority": "low", "category": "service"}]
BOUNDS = [10_000, 1, 2, 3, 5, 8, 13]


@pytest.fixture
def desk(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    for name, groups in PEOPLE.items():
        add_user(api.runner, name, groups)  # with a password, for the page
        result = api.runner.invoke(args=["token", name])
        assert result.exit_code == 0, result.output
        api.tokens[name] = result.output.strip().splitlines()[-1]
    api.user("sam", groups=["intake"], roles=("staff", "supervisor"))
    api.submit()
    with api.app.app_context():
        task = db.session.scalars(select(HumanTask)).first()
        complaint = db.session.get(Complaint, task.complaint_id)
        task_row = {c.key: getattr(task, c.key) for c in HumanTask.__table__.columns if c.computed is None}
        complaint_row = {c.key: getattr(complaint, c.key) for c in Complaint.__table__.columns if c.key != "id"}
        for i in range(40):
            made = Complaint(**{**complaint_row, "reference": f"C-2026-V{i:05}", "status_code": None,
                                "received_at": complaint.received_at - timedelta(hours=i),
                                "state": "closed" if i % 4 == 3 else "open",
                                "priority": ("urgent", "high", "normal", "low", None)[i % 5],
                                "category": ("billing", "service", "delivery")[i % 3]})
            db.session.add(made)
            db.session.flush()
            for k in range(1 + (i % 3 == 0) + (i % 8 == 0)):  # some have two or three tasks; i % 13 == 0 none
                if i % 13 == 0:
                    break
                n = i + 7 * k
                state = ("ready", "completed", "ready", "cancelled", "ready")[n % 5]
                assignee = (None, "ann", "ola", None, "gus", "nel", "ivan")[n % 7]
                db.session.add(HumanTask(**{
                    **task_row, "id": f"vis-{i:03}-{k}", "complaint_id": made.id,
                    "complaint_reference": made.reference,
                    "candidate_group": ("intake", "investigators", "supervisors")[n % 3], "state": state,
                    "assignee": assignee if state == "ready" or n % 2 else None,
                    "completed_by": ("cob", "ola", "gus", None)[n % 4] if state == "completed" else None,
                    "excludes_workers": n % 5 == 1, "exclude_entered_by": n % 6 == 2, "excluded_users": []}))
        db.session.commit()
    return api


def truth(app, name, groups, query):
    """The references ``visible_to`` admits for ``name`` among those ``query`` keeps, from
    the rows, in Python."""
    with app.app_context():
        tasks = db.session.execute(select(HumanTask.complaint_reference, HumanTask.assignee,
                                          HumanTask.completed_by, HumanTask.state, HumanTask.candidate_group)).all()
        kept = {c.reference for c in db.session.scalars(select(Complaint))
                if all(getattr(c, key) == value for key, value in query.items())}
    return {ref for ref, assignee, completed_by, state, group in tasks
            if ref in kept and (name in (assignee, completed_by) or state == "ready" and group in groups)}


def test_the_count_is_the_number_of_visible_complaints_at_every_bound(desk, app, monkeypatch):
    api = desk
    walked = []
    walk = service.paging.bounded_count
    monkeypatch.setattr(service.paging, "bounded_count", lambda *a, **kw: walked.append(1) or walk(*a, **kw))
    answers = set()
    for name, groups in PEOPLE.items():
        for query in FILTERS:
            visible = truth(app, name, groups, query)
            for bound in BOUNDS:
                app.config["INBOX_COUNT_BOUND"] = bound
                before = len(walked)
                body = api.get("/api/complaints", name, query_string={**query, "limit": 100}).get_json()
                where = f"{name} {query} bound {bound}: {len(visible)} visible"
                assert (body["total"], body["total_capped"]) == (min(len(visible), bound), len(visible) > bound), where
                assert {item["reference"] for item in body["items"]} == visible, where
                answers.add(("walk" if len(walked) > before else "ranges", body["total_capped"]))
    # Every path answered: the ranges capped and exact, and the walk capped and exact.
    assert answers == {("ranges", True), ("ranges", False), ("walk", True), ("walk", False)}
    assert all(truth(app, name, groups, {}) for name, groups in PEOPLE.items())


def test_the_page_of_complaints_shows_the_same_count(desk, app):
    app.config["INBOX_COUNT_BOUND"] = 4
    for name, groups in PEOPLE.items():
        visible = truth(app, name, groups, {"state": "open"})
        page = Browser(app).login(name).get("/complaints?state=open").get_data(as_text=True)
        shown = f"{min(len(visible), 4)}{'+' if len(visible) > 4 else ''} complaint"
        assert shown in page, (name, len(visible))


def test_may_see_and_same_person_keep_to_the_rule(desk, app):
    from bpmn_complaints.services.users import get_user

    for name, groups in PEOPLE.items():
        visible = truth(app, name, groups, {})
        with app.app_context():
            user = get_user(name)
            complaints = list(db.session.scalars(select(Complaint).order_by(Complaint.id)))
            assert {c.reference for c in complaints if service.may_see(user, c)} == visible, name
            first = complaints[0]  # every complaint has the same complainant's address
            others = {c.reference for c in service.same_person(first, user, limit=100)}
            assert others == visible - {first.reference}, name
