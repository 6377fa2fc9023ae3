"""assign_investigator: skills first, then the lightest workload, never anyone with a
conflict of interest, and an incident when nobody is left."""

from conftest import DIAGRAMS


def staff(api, name, groups=("investigators",), skills=(), roles=("staff",)):
    args = ["users", "add", name]
    for skill in skills:
        args += ["--skill", skill]
    assert api.runner.invoke(args=args).exit_code == 0
    api.user(name, groups=groups, roles=roles)


def setup(api, *members):
    assert api.deploy(DIAGRAMS / "assign.bpmn").exit_code == 0
    staff(api, "alice", groups=["intake"])
    staff(api, "sam", groups=["supervisors"], roles=["staff", "supervisor"])
    for member in members:
        if isinstance(member, str):
            member = (member,)
        staff(api, *member)


def submit_and_register(api, conflicts=(), **complaint):
    ref = api.submit(**complaint)["reference"]
    api.work("alice", ref, {"conflicts": list(conflicts)})
    return ref


def investigator_of(api, ref):
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "running", detail.get("incidents")
    investigate = [t for t in api.tasks("sam", "all")["items"] if t["complaint_reference"] == ref
                   and t["bpmn_id"] == "Task_investigate"]
    assert len(investigate) == 1
    return investigate[0]["assignee"]


def test_skill_match_wins_over_workload(api):
    setup(api, ("ivan", ["investigators"], ["billing"]), ("irene", ["investigators"], ["safety"]))
    assert investigator_of(api, submit_and_register(api, category="billing")) == "ivan"
    assert investigator_of(api, submit_and_register(api, category="safety")) == "irene"
    # ivan already holds one task, irene one: a second billing complaint still goes to ivan.
    assert investigator_of(api, submit_and_register(api, category="billing")) == "ivan"
    assert api.tasks("ivan", "mine")["total"] == 2


def test_without_a_skill_match_the_lightest_workload_takes_it(api):
    setup(api, "ina", "ivo", "ola")
    chosen = [investigator_of(api, submit_and_register(api, category="parking")) for _ in range(4)]
    assert chosen == ["ina", "ivo", "ola", "ina"]  # ties broken by name, so repeatable


def test_conflicts_of_interest_are_skipped(api):
    setup(api, ("ivan", ["investigators"], ["billing"]), ("irene", ["investigators"], ["billing"]),
          ("alma", ["intake", "investigators"], ["billing"]), "otto")
    # alma registers it (intake officer), ivan is named in it, irene is on the conflicts list.
    ref = api.submit(category="billing", description="Ivan at the Leeds shop refused my refund.")["reference"]
    api.work("alma", ref, {"conflicts": ["irene"]})
    assert investigator_of(api, ref) == "otto"
    events = api.history(ref, "sam")["events"]
    assert any(e["action"] == "handler_ran" and e["details"]["handler"] == "assign_investigator" for e in events)


def test_the_complainant_is_never_their_own_investigator(api):
    assert api.runner.invoke(args=["users", "add", "ina", "--email", "ina@acme.example"]).exit_code == 0
    setup(api, "ina", "ivan")
    ref = submit_and_register(api, email="INA@acme.example")  # matched by address, not by name
    assert investigator_of(api, ref) == "ivan"


def test_nobody_eligible_is_an_incident_not_a_silent_null(api):
    setup(api, "ivan", "irene")
    ref = submit_and_register(api, conflicts=["irene"], description="Ivan was rude to me.")
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "error"
    [incident] = detail["incidents"]
    assert incident["handler"] == "assign_investigator" and incident["bpmn_id"] == "Task_assign"
    assert "nobody in the 'investigators' group is eligible" in incident["message"]
    assert "irene" in incident["message"] and "ivan" in incident["message"]
    assert api.tasks("ivan", "mine")["total"] == 0
