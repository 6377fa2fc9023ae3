"""Write the diagram interchange (the drawing) of processes/complaint_handling.bpmn.

The .bpmn file is the source of truth. This script only (re)writes its
``bpmndi:BPMNDiagram`` section from the compact layout below: where each shape sits
and how each sequence flow is routed. It was used to draw the first version; once a
process owner moves things in a modeler, the modeler's drawing wins and this script
need not be run again (it would put everything back where this table says).

Usage::

    python docs/layout_diagram.py [path/to/complaint_handling.bpmn]

It refuses to write when an element of the process has no place in the table, or
when the table names an element the process does not have, so the table and the
process cannot silently drift apart.
"""

import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BPMN = ROOT / "processes" / "complaint_handling.bpmn"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}

SIZES = {  # width, height by BPMN element type
    "task": (100, 80),
    "gateway": (50, 50),
    "event": (36, 36),
}

# --- the drawing --------------------------------------------------------------------
# Pool and lanes: (top, height). Lanes are horizontal bands, top to bottom.
POOL_X, POOL_TOP, POOL_WIDTH = 120, 40, 2630
LANE_X = POOL_X + 30
LANES = {
    "Lane_intake": (40, 390),
    "Lane_supervisors": (430, 350),
    "Lane_investigators": (780, 280),
    "Lane_quality": (1060, 240),
}

# Rows (centre y).
R_OUT, R_MAIN, R_LOW = 110, 230, 350                    # intake
S_CHANNEL, S_UP, S_REWORK, S_DOWN = 490, 560, 635, 710  # supervisors
I_MAIN, I_LOW = 870, 990                                # investigators
Q_MAIN, Q_LOW = 1130, 1200                              # quality

# Sizes that differ from the default for their type, so the names fit.
SIZE_OVERRIDES = {
    "Task_investigate": (120, 80),
    "Task_sla_breach": (140, 80),
}

# Flow nodes: centre (x, y).
NODES = {
    # intake
    "StartEvent_received": (220, R_MAIN),
    "Task_acknowledge": (340, R_MAIN),
    "Task_intake_assessment": (490, R_MAIN),
    "Task_escalate_assessment": (640, R_LOW),
    "EndEvent_assessment_escalated": (750, R_LOW),
    "Task_set_priority": (640, R_MAIN),
    "Gateway_assessment": (800, R_MAIN),
    "Task_signpost": (980, R_OUT),
    "Task_close_out_of_scope": (1130, R_OUT),
    "Task_summary_resolution": (980, R_MAIN),
    "Gateway_summary_accepted": (1120, R_MAIN),
    "Task_send_summary_resolution": (1250, R_MAIN),
    "Task_close_summary": (1400, R_MAIN),
    "Gateway_merge_intake_closed": (1540, R_MAIN),
    # supervisors
    "StartEvent_reopened": (220, S_UP),
    "Task_assess_reopened": (340, S_UP),
    "Task_immediate_action": (800, S_DOWN),
    "Task_escalate_sla": (1200, S_UP),
    "Task_sla_breach": (1370, S_UP),
    "Task_approve_response": (1370, S_DOWN),
    "Gateway_approval": (1520, S_DOWN),
    "Task_internal_review": (1880, S_DOWN),
    "Task_escalate_review": (1910, S_UP),
    "EndEvent_review_escalated": (2040, S_UP),
    "Task_send_final_response": (2030, S_DOWN),
    "Task_close_final": (2180, S_DOWN),
    # investigators
    "Gateway_merge_investigation": (900, I_MAIN),
    "Task_assign_investigator": (1030, I_MAIN),
    "Task_investigate": (1200, I_MAIN),
    "Task_send_reminder": (1330, I_LOW),
    "EndEvent_reminder_sent": (1460, I_LOW),
    "Gateway_needs_approval": (1370, I_MAIN),
    "Task_deliver_decision": (1520, I_MAIN),
    "Gateway_await_reply": (1660, I_MAIN),
    "Event_reply_received": (1770, I_MAIN),
    "Event_no_reply": (1770, I_LOW),
    "Gateway_reply": (1880, I_MAIN),
    "Task_record_action": (2030, I_MAIN),
    "Task_close_resolved": (2180, I_MAIN),
    # quality
    "Gateway_merge_closed": (2380, Q_MAIN),
    "Task_request_feedback": (2520, Q_MAIN),
    "EndEvent_closed": (2650, Q_MAIN),
    # inside the withdrawal event sub-process
    "StartEvent_withdrawn": (290, 1180),
    "Task_close_withdrawn": (400, 1180),
    "Task_feedback_withdrawn": (550, 1180),
    "EndEvent_withdrawn": (670, 1180),
}

# Boundary events: (host, side, offset of the centre from the middle of that side).
BOUNDARY = {
    "Timer_assessment_overdue": ("Task_intake_assessment", "bottom", 30),
    "Timer_response_due": ("Task_investigate", "top", 0),
    "Timer_investigation_reminder": ("Task_investigate", "bottom", 0),
    "Timer_review_overdue": ("Task_internal_review", "top", 30),
}

# Expanded sub-processes: x, y, width, height.
CONTAINERS = {
    "SubProcess_withdrawal": (240, 1100, 480, 160),
}


def _right(n):
    x, y, w, h = bounds(n)
    return (x + w, y + h / 2)


def _left(n):
    x, y, w, h = bounds(n)
    return (x, y + h / 2)


def _top(n, dx=0):
    x, y, w, h = bounds(n)
    return (x + w / 2 + dx, y)


def _bottom(n, dx=0):
    x, y, w, h = bounds(n)
    return (x + w / 2 + dx, y + h)


def _x(n, dx=0):
    return NODES[n][0] + dx


# Sequence flows that are not a straight line from the source's right side to the
# target's left side: their waypoints, from source to target.
def routes():
    g = "Gateway_assessment"
    gx, gy = NODES[g]
    timer_x = _bottom("Timer_assessment_overdue")[0]
    return {
        "Flow_assessment_overdue": [_bottom("Timer_assessment_overdue"), (timer_x, R_LOW),
                                    _left("Task_escalate_assessment")],
        "Flow_out_of_scope": [_top(g), (gx, R_OUT), _left("Task_signpost")],
        "Flow_safety": [_bottom(g), _top("Task_immediate_action")],
        # The fourth exit leaves the gateway's lower right side.
        "Flow_needs_investigation": [(gx + 12.5, gy + 12.5), (gx + 12.5, 290),
                                     (_x("Gateway_merge_investigation"), 290),
                                     _top("Gateway_merge_investigation")],
        "Flow_out_of_scope_closed": [_right("Task_close_out_of_scope"),
                                     (_x("Gateway_merge_intake_closed"), R_OUT),
                                     _top("Gateway_merge_intake_closed")],
        "Flow_summary_not_accepted": [_bottom("Gateway_summary_accepted"),
                                      (_x("Gateway_summary_accepted"), R_LOW),
                                      (_x("Task_assign_investigator", -25), R_LOW),
                                      _top("Task_assign_investigator", -25)],
        "Flow_closed_at_intake": [_right("Gateway_merge_intake_closed"), (_x("Gateway_merge_closed"), R_MAIN),
                                  _top("Gateway_merge_closed")],
        "Flow_immediate_action_taken": [_bottom("Task_immediate_action"),
                                        (_x("Task_immediate_action"), I_MAIN),
                                        _left("Gateway_merge_investigation")],
        "Flow_reopen_assessed": [_bottom("Task_assess_reopened"), (_x("Task_assess_reopened"), 940),
                                 (_x("Gateway_merge_investigation"), 940), _bottom("Gateway_merge_investigation")],
        "Flow_response_overdue": [_top("Timer_response_due"), _bottom("Task_escalate_sla")],
        "Flow_reassign": [_top("Task_sla_breach"), (_x("Task_sla_breach"), S_CHANNEL),
                          (_x("Task_assign_investigator", 25), S_CHANNEL),
                          _top("Task_assign_investigator", 25)],
        "Flow_reminder_due": [_bottom("Timer_investigation_reminder"),
                              (_bottom("Timer_investigation_reminder")[0], I_LOW),
                              _left("Task_send_reminder")],
        "Flow_needs_approval": [_top("Gateway_needs_approval"), _bottom("Task_approve_response")],
        "Flow_approved": [_bottom("Gateway_approval"), _top("Task_deliver_decision")],
        "Flow_sent_back": [_top("Gateway_approval"), (_x("Gateway_approval"), S_REWORK),
                           (_x("Task_investigate", 40), S_REWORK), _top("Task_investigate", 40)],
        "Flow_wait_for_silence": [_bottom("Gateway_await_reply"), (_x("Gateway_await_reply"), I_LOW),
                                  _left("Event_no_reply")],
        "Flow_dissatisfied": [_top("Gateway_reply"), _bottom("Task_internal_review")],
        "Flow_no_reply": [_right("Event_no_reply"), (_x("Task_record_action"), I_LOW),
                          _bottom("Task_record_action")],
        "Flow_review_overdue": [_top("Timer_review_overdue"), _bottom("Task_escalate_review")],
        "Flow_final_closed": [_right("Task_close_final"), (2300, S_DOWN), (2300, Q_MAIN),
                              _left("Gateway_merge_closed")],
        "Flow_resolved_closed": [_bottom("Task_close_resolved"), (_x("Task_close_resolved"), Q_LOW),
                                 (_x("Gateway_merge_closed"), Q_LOW), _bottom("Gateway_merge_closed")],
    }


# External labels: centre (x, y). bpmn-js wraps label text at about 90 px.
LABELS = {
    "StartEvent_received": (220, 270),
    "StartEvent_reopened": (220, 600),
    "Timer_assessment_overdue": (470, 312),
    "EndEvent_assessment_escalated": (750, 385),
    "Gateway_assessment": (862, 182),
    "Flow_out_of_scope": (750, 150),
    "Flow_resolvable_at_once": (872, 250),
    "Flow_safety": (745, 480),
    "Flow_needs_investigation": (858, 310),
    "Gateway_summary_accepted": (1120, 180),
    "Flow_summary_accepted": (1160, 220),
    "Flow_summary_not_accepted": (1065, 365),
    "Flow_reassign": (1210, 466),
    "Timer_response_due": (1150, 720),
    "Timer_investigation_reminder": (1250, 950),
    "EndEvent_reminder_sent": (1460, 1025),
    "Gateway_needs_approval": (1370, 915),
    "Flow_needs_approval": (1415, 805),
    "Flow_no_approval_needed": (1435, 856),
    "Gateway_approval": (1575, 705),
    "Flow_approved": (1555, 758),
    "Flow_sent_back": (1555, 655),
    "Gateway_await_reply": (1660, 820),
    "Event_reply_received": (1770, 905),
    "Event_no_reply": (1770, 1030),
    "Gateway_reply": (1915, 915),
    "Flow_accepted": (1930, 855),
    "Flow_dissatisfied": (1835, 805),
    "Flow_no_reply": (1900, 978),
    "Timer_review_overdue": (1965, 640),
    "EndEvent_review_escalated": (2040, 595),
    "EndEvent_closed": (2650, 1165),
    "StartEvent_withdrawn": (290, 1218),
    "EndEvent_withdrawn": (670, 1218),
}
LABEL_WIDTH, LABEL_LINE = 90, 14


# --- machinery ----------------------------------------------------------------------

def q(tag):
    prefix, local = tag.split(":")
    return f"{{{NS[prefix]}}}{local}"


_TYPES = {}


def kind(el):
    local = etree.QName(el).localname
    if local.endswith("Gateway"):
        return "gateway"
    if local.endswith("Event"):
        return "event"
    return "task"


def bounds(node_id):
    if node_id in CONTAINERS:
        return CONTAINERS[node_id]
    w, h = SIZE_OVERRIDES.get(node_id) or SIZES[_TYPES[node_id]]
    if node_id in NODES:
        cx, cy = NODES[node_id]
    else:
        host, side, offset = BOUNDARY[node_id]
        hx, hy, hw, hh = bounds(host)
        cx = {"top": hx + hw / 2 + offset, "bottom": hx + hw / 2 + offset,
              "left": hx, "right": hx + hw}[side]
        cy = {"top": hy, "bottom": hy + hh, "left": hy + hh / 2 + offset,
              "right": hy + hh / 2 + offset}[side]
    return (cx - w / 2, cy - h / 2, w, h)


def label_bounds(element_id, text):
    cx, cy = LABELS[element_id]
    lines = max(1, -(-len(text) // 15))  # about 15 characters a line at 90 px
    h = lines * LABEL_LINE
    return (cx - LABEL_WIDTH / 2, cy - h / 2, LABEL_WIDTH, h)


def fmt(v):
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def layout(path: Path) -> None:
    tree = etree.parse(str(path))
    root = tree.getroot()
    process = root.find("bpmn:process", NS)
    collab = root.find("bpmn:collaboration", NS)
    participant = collab.find("bpmn:participant", NS)

    flow_nodes = [el for el in process.iter() if el.get("id") and isinstance(el.tag, str)
                  and etree.QName(el).localname in FLOW_NODE_TAGS]
    flows = process.findall(".//bpmn:sequenceFlow", NS)
    lanes = process.findall(".//bpmn:lane", NS)
    for el in flow_nodes:
        _TYPES[el.get("id")] = kind(el)

    drawn = set(NODES) | set(BOUNDARY) | set(CONTAINERS)
    ids = {el.get("id") for el in flow_nodes}
    problems = [f"{i} has no place in the layout" for i in sorted(ids - drawn)]
    problems += [f"the layout places {i}, which the process does not have" for i in sorted(drawn - ids)]
    problems += [f"lane {i} has no band in the layout" for i in sorted({lane.get("id") for lane in lanes} - set(LANES))]
    if problems:
        raise SystemExit("layout out of date:\n  " + "\n  ".join(problems))

    named = {el.get("id"): el.get("name") for el in flow_nodes + flows if el.get("name")}
    for element_id in LABELS:
        if element_id not in named:
            raise SystemExit(f"layout out of date: label for {element_id}, which has no name")

    for old in root.findall("bpmndi:BPMNDiagram", NS):
        root.remove(old)
    diagram = etree.SubElement(root, q("bpmndi:BPMNDiagram"), id="BPMNDiagram_complaint_handling")
    plane = etree.SubElement(diagram, q("bpmndi:BPMNPlane"), id="BPMNPlane_complaint_handling",
                             bpmnElement=collab.get("id"))

    def shape(element_id, x, y, w, h, **attrs):
        s = etree.SubElement(plane, q("bpmndi:BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id)
        for k, v in attrs.items():
            s.set(k, v)
        etree.SubElement(s, q("dc:Bounds"), x=fmt(x), y=fmt(y), width=fmt(w), height=fmt(h))
        return s

    def label(parent, element_id):
        if element_id in LABELS:
            x, y, w, h = label_bounds(element_id, named[element_id])
            lab = etree.SubElement(parent, q("bpmndi:BPMNLabel"))
            etree.SubElement(lab, q("dc:Bounds"), x=fmt(x), y=fmt(y), width=fmt(w), height=fmt(h))

    last_lane = max(top + height for top, height in LANES.values())
    shape(participant.get("id"), POOL_X, POOL_TOP, POOL_WIDTH, last_lane - POOL_TOP, isHorizontal="true")
    for lane in lanes:
        top, height = LANES[lane.get("id")]
        shape(lane.get("id"), LANE_X, top, POOL_X + POOL_WIDTH - LANE_X, height, isHorizontal="true")

    # Containers first, so bpmn-js draws their content on top of them.
    order = sorted(flow_nodes, key=lambda el: (el.get("id") not in CONTAINERS, el.get("id") in BOUNDARY))
    for el in order:
        node_id = el.get("id")
        x, y, w, h = bounds(node_id)
        attrs = {}
        if node_id in CONTAINERS:
            attrs["isExpanded"] = "true"
        if etree.QName(el).localname == "exclusiveGateway":
            attrs["isMarkerVisible"] = "true"
        s = shape(node_id, x, y, w, h, **attrs)
        label(s, node_id)

    table = routes()
    for flow in flows:
        fid = flow.get("id")
        src, tgt = flow.get("sourceRef"), flow.get("targetRef")
        if fid in table:
            points = table[fid]
        else:
            (x1, y1), (x2, y2) = _right(src), _left(tgt)
            if y1 != y2:
                raise SystemExit(f"layout: {fid} from {src} to {tgt} needs a route (not on one row)")
            points = [(x1, y1), (x2, y2)]
        for (ax, ay), (bx, by) in zip(points, points[1:], strict=False):
            if ax != bx and ay != by:
                raise SystemExit(f"layout: {fid} has a diagonal segment {ax, ay} -> {bx, by}")
        edge = etree.SubElement(plane, q("bpmndi:BPMNEdge"), id=f"{fid}_di", bpmnElement=fid)
        for x, y in points:
            etree.SubElement(edge, q("di:waypoint"), x=fmt(x), y=fmt(y))
        label(edge, fid)

    etree.indent(diagram, space="  ", level=1)
    diagram.tail = "\n"
    root[-2].tail = "\n  " if len(root) > 1 else root[-2].tail
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    text = path.read_text(encoding="utf-8").replace("<?xml version='1.0' encoding='UTF-8'?>",
                                                     '<?xml version="1.0" encoding="UTF-8"?>')
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "transaction",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
}


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_BPMN
    layout(target)
    print(f"wrote the diagram interchange of {target}")
