"""The complaint process as a diagram: drawn completely and cleanly, its forms valid,
parseable by SpiffWorkflow, and opened by bpmn-js without a single import warning.

The paths a complaint takes through the process are tested elsewhere, through the API.
"""

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
BPMN = PROCESSES / "complaint_handling.bpmn"
DMN = PROCESSES / "initial_assessment.dmn"
FORMS = PROCESSES / "forms"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "transaction",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
}
GROUPS = {"intake", "investigators", "supervisors", "quality"}


# -- helpers ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def root():
    return etree.parse(str(BPMN)).getroot()


@pytest.fixture(scope="module")
def process(root):
    return root.find("bpmn:process", NS)


def local(el):
    return etree.QName(el).localname


def flow_nodes(process):
    return [el for el in process.iter() if isinstance(el.tag, str) and local(el) in FLOW_NODE_TAGS]


def shapes(root):
    """bpmnElement id -> (x, y, width, height)."""
    found = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        found[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return found


def edges(root):
    """bpmnElement id -> [(x, y), ...]."""
    return {
        edge.get("bpmnElement"): [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        for edge in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }


def overlap(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def inside(inner, outer, margin=0.0):
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ix >= ox + margin and iy >= oy + margin and ix + iw <= ox + ow - margin and iy + ih <= oy + oh - margin


def on_outline(point, box, tolerance=1.0):
    x, y = point
    bx, by, bw, bh = box
    within = bx - tolerance <= x <= bx + bw + tolerance and by - tolerance <= y <= by + bh + tolerance
    near_edge = min(abs(x - bx), abs(x - bx - bw), abs(y - by), abs(y - by - bh)) <= tolerance
    return within and (near_edge or _on_diamond(point, box, tolerance))


def _on_diamond(point, box, tolerance):
    x, y = point
    bx, by, bw, bh = box
    cx, cy = bx + bw / 2, by + bh / 2
    return abs(abs(x - cx) / (bw / 2) + abs(y - cy) / (bh / 2) - 1) * min(bw, bh) / 2 <= tolerance


def segment_crosses(p, q, box):
    """Does the axis-parallel segment p-q pass through the inside of box?"""
    (x1, y1), (x2, y2) = p, q
    bx, by, bw, bh = box
    if y1 == y2:
        return by < y1 < by + bh and min(x1, x2) < bx + bw and max(x1, x2) > bx
    return bx < x1 < bx + bw and min(y1, y2) < by + bh and max(y1, y2) > by


def user_tasks(process):
    return process.findall(".//bpmn:userTask", NS)


def properties(el):
    return {
        p.get("name"): p.get("value")
        for p in el.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
    }


# -- (1) diagram interchange for everything ------------------------------------------------

def test_every_flow_node_lane_and_flow_is_drawn(root, process):
    drawn_shapes, drawn_edges = shapes(root), edges(root)
    nodes = [el.get("id") for el in flow_nodes(process)]
    lanes = [lane.get("id") for lane in process.iterfind(".//bpmn:lane", NS)]
    flows = [flow.get("id") for flow in process.iterfind(".//bpmn:sequenceFlow", NS)]
    assert len(nodes) > 40 and len(lanes) == 4 and len(flows) > 40
    assert [n for n in nodes + lanes if n not in drawn_shapes] == []
    assert [f for f in flows if f not in drawn_edges] == []
    participant = root.find("bpmn:collaboration/bpmn:participant", NS).get("id")
    assert participant in drawn_shapes
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == root.find("bpmn:collaboration", NS).get("id")


def test_flows_are_orthogonal_and_end_on_their_shapes(root, process):
    drawn_shapes, drawn_edges = shapes(root), edges(root)
    problems = []
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        fid, points = flow.get("id"), drawn_edges[flow.get("id")]
        if len(points) < 2:
            problems.append(f"{fid}: fewer than two waypoints")
            continue
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            if x1 != x2 and y1 != y2:
                problems.append(f"{fid}: diagonal segment {x1, y1} -> {x2, y2}")
        if not on_outline(points[0], drawn_shapes[flow.get("sourceRef")]):
            problems.append(f"{fid}: does not start on {flow.get('sourceRef')}")
        if not on_outline(points[-1], drawn_shapes[flow.get("targetRef")]):
            problems.append(f"{fid}: does not end on {flow.get('targetRef')}")
    assert problems == []


# -- (2) nothing overlaps, everything sits in its lane ---------------------------------------

def test_no_two_flow_node_shapes_overlap(root, process):
    drawn = shapes(root)
    nodes = flow_nodes(process)
    attached = {el.get("id"): el.get("attachedToRef") for el in nodes if local(el) == "boundaryEvent"}
    containers = {el.get("id") for el in nodes if local(el) in ("subProcess", "transaction")}
    parent = {el.get("id"): el.getparent().get("id") for el in nodes}

    def related(a, b):
        return (attached.get(a) == b or attached.get(b) == a
                or (a in containers and parent[b] == a) or (b in containers and parent[a] == b))

    ids = [el.get("id") for el in nodes]
    clashes = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]
               if not related(a, b) and overlap(drawn[a], drawn[b])]
    assert clashes == []
    for node_id, container in parent.items():
        if container in containers:
            assert inside(drawn[node_id], drawn[container]), f"{node_id} sticks out of {container}"


def test_every_flow_node_lies_inside_its_lane(root, process):
    drawn = shapes(root)
    lane_of = {}
    for lane in process.iterfind(".//bpmn:lane", NS):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lane_of.setdefault(ref.text, []).append(lane.get("id"))
    top_level = [el for el in flow_nodes(process) if el.getparent() is process]
    lanes_per_node = {n.get("id"): len(lane_of.get(n.get("id"), [])) for n in top_level}
    assert {node: count for node, count in lanes_per_node.items() if count != 1} == {}
    outside = [f"{n.get('id')} is not inside {lane_of[n.get('id')][0]}" for n in top_level
               if not inside(drawn[n.get("id")], drawn[lane_of[n.get("id")][0]], margin=1)]
    assert outside == []
    lane_boxes = [drawn[lane.get("id")] for lane in process.iterfind(".//bpmn:lane", NS)]
    pool = drawn[root.find("bpmn:collaboration/bpmn:participant", NS).get("id")]
    assert all(inside(box, pool) for box in lane_boxes)
    assert [(a, b) for i, a in enumerate(lane_boxes) for b in lane_boxes[i + 1:] if overlap(a, b)] == []


def test_flows_do_not_run_through_other_shapes(root, process):
    drawn, drawn_edges = shapes(root), edges(root)
    nodes = flow_nodes(process)
    containers = {el.get("id") for el in nodes if local(el) in ("subProcess", "transaction")}
    attached = {el.get("id"): el.get("attachedToRef") for el in nodes if local(el) == "boundaryEvent"}
    problems = []
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        ends = {flow.get("sourceRef"), flow.get("targetRef")}
        ends |= {attached[e] for e in list(ends) if e in attached}
        points = drawn_edges[flow.get("id")]
        for node in nodes:
            nid = node.get("id")
            if nid in ends or nid in containers:
                continue
            if any(segment_crosses(p, q, drawn[nid]) for p, q in zip(points, points[1:], strict=False)):
                problems.append(f"{flow.get('id')} runs through {nid}")
    assert problems == []


def test_gateway_outgoing_flows_are_labelled(process):
    unnamed = []
    for gateway in process.iterfind(".//bpmn:exclusiveGateway", NS):
        outgoing = [f for f in process.iterfind(".//bpmn:sequenceFlow", NS) if f.get("sourceRef") == gateway.get("id")]
        if len(outgoing) > 1:
            unnamed += [f.get("id") for f in outgoing if not f.get("name")]
    assert unnamed == []


# -- the engine's conventions -------------------------------------------------------------

def test_conventions_the_engine_relies_on(root, process):
    assert process.get("id") == "complaint_handling" and process.get("isExecutable") == "true"
    assert {lane.get("name") for lane in process.iterfind(".//bpmn:lane", NS)} == GROUPS
    ids = {el.get("id") for el in root.iter()
           if isinstance(el.tag, str) and el.get("id") and etree.QName(el).namespace == NS["bpmn"]}
    assert not ids & {"Start", "End"}
    for task in process.iterfind(".//bpmn:serviceTask", NS):
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        assert operator is not None, task.get("id")
        assert operator.get("id") not in ids, f"{task.get('id')}: handler name is also an element id"
        assert operator.get("resultVariable"), task.get("id")
    for gateway in process.iterfind(".//bpmn:exclusiveGateway", NS):
        outgoing = [f for f in process.iterfind(".//bpmn:sequenceFlow", NS) if f.get("sourceRef") == gateway.get("id")]
        if len(outgoing) > 1:
            without = [f.get("id") for f in outgoing if f.find("bpmn:conditionExpression", NS) is None]
            assert without == [gateway.get("default")], gateway.get("id")
    for task in user_tasks(process):
        assert (task.findtext("bpmn:documentation", namespaces=NS) or "").strip(), task.get("id")
        assert properties(task).get("complaintStatus"), task.get("id")
    # The message payload goes on the event definition (on bpmn:message it is deprecated).
    assert root.findall("bpmn:message//spiffworkflow:messageVariable", NS) == []
    catches = process.findall(".//bpmn:messageEventDefinition", NS)
    assert {c.get("messageRef") for c in catches} == {"Message_complainant_reply", "Message_complainant_withdrew",
                                                      "Message_complaint_reopened"}
    assert all(c.find(".//spiffworkflow:messageVariable", NS) is not None for c in catches)


# -- (3) forms ----------------------------------------------------------------------------

def test_every_user_task_has_a_valid_form(process):
    used = set()
    for task in user_tasks(process):
        filename = properties(task).get("formJsonSchemaFilename")
        assert filename, f"{task.get('id')} names no form"
        path = FORMS / filename
        assert path.is_file(), f"{task.get('id')}: {path} is missing"
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validators.validator_for(schema).check_schema(schema)
        assert schema.get("title") and schema.get("description"), filename
        assert schema.get("type") == "object" and schema.get("properties"), filename
        for name, prop in schema["properties"].items():
            assert prop.get("title") and prop.get("description"), f"{filename}: {name}"
        assert set(schema.get("required", [])) <= set(schema["properties"]), filename
        used.add(filename)
    assert used == {p.name for p in FORMS.glob("*.json")}, "a form file no task uses"


def test_forms_accept_what_staff_would_submit():
    intake = json.loads((FORMS / "intake_assessment.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(intake)
    answers = {"is_complaint": True, "in_scope": True, "category": "billing", "severity": "medium",
               "safety_implication": False, "impact": "single", "complexity": "simple",
               "immediate_action_needed": False, "resolvable_at_once": False}
    assert list(validator.iter_errors(answers)) == []
    # Out of scope: the explanation and the signpost become required.
    assert not validator.is_valid(dict(answers, in_scope=False))
    assert validator.is_valid(dict(answers, in_scope=False, out_of_scope_explanation="Not ours.",
                                   signpost_to="Your bank"))
    assert not validator.is_valid(dict(answers, severity="enormous"))
    approval = jsonschema.Draft202012Validator(
        json.loads((FORMS / "approve_response.schema.json").read_text(encoding="utf-8")))
    assert approval.is_valid({"approval_decision": "approve"})
    assert not approval.is_valid({"approval_decision": "reject"})
    assert approval.is_valid({"approval_decision": "reject", "approval_comment": "Explain the refund."})


# -- (4) SpiffWorkflow parses it --------------------------------------------------------------

@pytest.fixture(scope="module")
def parser():
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

    parser = SpiffBpmnParser(validator=VALIDATOR)  # also checks the files against the XSDs
    parser.add_bpmn_file(str(BPMN))
    parser.add_dmn_file(str(DMN))
    return parser


def test_spiffworkflow_parses_the_diagram_and_the_decision(parser, process):
    spec = parser.get_spec("complaint_handling")
    subprocesses = parser.get_subprocess_specs("complaint_handling")
    assert set(subprocesses) == {"SubProcess_withdrawal"}
    top_level = {el.get("id") for el in flow_nodes(process) if el.getparent() is process}
    assert top_level <= set(spec.task_specs)
    lanes = {name: s.lane for name, s in spec.task_specs.items() if name in top_level}
    assert set(lanes.values()) == GROUPS
    assert lanes["Task_investigate"] == "investigators" and lanes["Task_internal_review"] == "supervisors"


def _decide(parser, **answers):
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

    engine = parser.get_engine("initial_assessment", None)
    task = SimpleNamespace(data=answers, workflow=SimpleNamespace(script_engine=PythonScriptEngine()))
    return engine.result(task)


LOWEST = {"severity": "low", "safety_implication": False, "impact": "single", "complexity": "simple",
          "immediate_action_needed": False}


@pytest.mark.parametrize("answers, priority, days", [
    ({}, "low", 20),
    ({"safety_implication": True}, "urgent", 5),
    ({"severity": "critical"}, "urgent", 5),
    ({"immediate_action_needed": True}, "high", 10),
    ({"severity": "high", "complexity": "complex"}, "high", 10),
    ({"impact": "widespread"}, "high", 10),
    ({"complexity": "complex"}, "normal", 35),
    ({"severity": "medium"}, "normal", 15),
    ({"impact": "several"}, "normal", 15),
])
def test_the_decision_table_sets_priority_and_target_days(parser, answers, priority, days):
    assert dict(_decide(parser, **dict(LOWEST, **answers))) == {"priority": priority, "target_days": days}


# -- (5) bpmn-js opens it without a warning ---------------------------------------------------

def _render_module():
    spec = importlib.util.spec_from_file_location("render_diagram", ROOT / "docs" / "render_diagram.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bpmn_js_imports_the_diagram_without_warnings():
    render = _render_module()
    if not render.CHROMIUM.exists():
        pytest.skip(f"no chromium at {render.CHROMIUM} (apt-get install chromium)")
    if not render.BPMN_JS.exists():
        pytest.skip(f"no bpmn-js at {render.BPMN_JS} (cd web && npm install)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = render.launch(p)
        try:
            result = render.import_diagram(BPMN.read_text(encoding="utf-8"), browser)
        finally:
            browser.close()
    assert result["error"] is None
    assert result["warnings"] == []
    assert 'data-element-id="Task_investigate"' in result["svg"]
