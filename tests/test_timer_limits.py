"""Timer values that would hang the engine (issue 15): refused at deploy when they are
literals, an incident when an expression yields one at run time; never a hung request."""

import pytest

from conftest import DIAGRAMS
from test_deploy import deploy, problems

WAIT = (DIAGRAMS / "wait.bpmn").read_text()
BOUNDARY_CYCLE = """
    <bpmn:boundaryEvent id="Boundary_remind" attachedToRef="Task_follow_up" cancelActivity="false">
      <bpmn:outgoing>Flow_remind</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_remind">
        <bpmn:timeCycle>{value}</bpmn:timeCycle>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="EndEvent_remind"><bpmn:incoming>Flow_remind</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_remind" sourceRef="Boundary_remind" targetRef="EndEvent_remind"/>
  </bpmn:process>"""


def waiting(value):
    return WAIT.replace("<bpmn:timeDuration>PT1H</bpmn:timeDuration>",
                        f"<bpmn:timeDuration>{value}</bpmn:timeDuration>")


def cycling(value):
    return WAIT.replace("  </bpmn:process>", BOUNDARY_CYCLE.format(value=value)).replace(
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration>", "<bpmn:timeDuration>PT0S</bpmn:timeDuration>")


@pytest.mark.parametrize("value", ["P99999999999Y", "PT99999999999999999999H", "P101Y", "P9999999D"])
def test_a_duration_beyond_any_date_is_refused_at_deploy(api, value):
    found = problems(deploy(api, {"wait.bpmn": waiting(value)}))
    assert [p["element"] for p in found] == ["Timer_hour"], found
    assert "years" in found[0]["message"] or "beyond" in found[0]["message"]


@pytest.mark.parametrize("value", ["R999999999/PT0S", "R1001/PT1H", "R/PT0S", "R5/PT1S",
                                   "R/2026-12-01T09:00:00Z/2026-12-01T09:00:00Z"])
def test_an_absurd_repeat_is_refused_at_deploy(api, value):
    found = problems(deploy(api, {"wait.bpmn": cycling(value)}))
    assert [p["element"] for p in found] == ["Boundary_remind"], found


@pytest.mark.parametrize("value", ["R3/PT1H", "R/P1D", "R1000/PT1M"])
def test_sensible_repeats_deploy(api, value):
    response = deploy(api, {"wait.bpmn": cycling(value)})
    assert response.status_code == 201, response.get_json()


def test_an_expression_yielding_an_endless_duration_is_an_incident(api):
    response = deploy(api, {"wait.bpmn": waiting("'P' + '99999999999' + 'Y'")})
    assert response.status_code == 201, response.get_json()
    api.user("sam", roles=["staff", "supervisor"])
    created = api.submit()
    incidents = api.get("/api/incidents", "sam").get_json()
    assert len(incidents) == 1 and "100 years" in incidents[0]["message"], incidents
    assert api.get(f"/api/complaints/{created['reference']}", "sam").status_code == 200
