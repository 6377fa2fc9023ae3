"""Where time goes (ISO 10002 8.7): a version's diagram as a heatmap, from the audit trail
of a chosen period and the task table, never from workflow state.

What it counts, for the process rounds (a complaint, or a reopening of it) that started on
the version within the period:

- per element: how many complaints passed it (completed it at least once), the median and
  90th percentile of the time spent there, and how many wait there now (ready tasks in
  the task table);
- per sequence flow: how often it was taken.

The trail records each element an instance completes (``step_completed``,
``timer_fired``; ``task_completed`` for a human task) and each human task it offers
(``task_created``), but no flows. Both
figures are derived from consecutive events of one round: a token arrives at an element
when the element before it completes (or, for a human task, when the task is offered),
the time spent there runs from its arrival to its own completion, and a flow was taken
when its source's completion is followed by its target's arrival. For sequential paths this
is exact; where parallel branches interleave, a pair that is no flow of the diagram is not
counted and the time at an element can include time the other branch took.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import Float, cast, func, select

from ..extensions import db
from ..models import AuditEvent, Complaint, Definition, HumanTask, ProcessInstance
from ..xml_safety import parse_xml
from .definitions import main_bpmn

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ELEMENT_EVENTS = ("step_completed", "timer_fired", "task_completed")
OFFERED = "task_created"
STARTED = "instance_started"


@dataclass
class ElementFigures:
    passed: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    waiting: int = 0


@dataclass
class Heatmap:
    definition: str
    started_from: datetime
    started_to: datetime
    rounds: int
    elements: dict[str, ElementFigures] = field(default_factory=dict)
    flows: dict[str, int] = field(default_factory=dict)


def _flows(definition: Definition) -> dict[tuple[str, str], str]:
    """(source, target) -> flow id, for the version's sequence flows."""
    _name, text = main_bpmn(definition)
    root = parse_xml(text, int(current_app.config["MAX_DEFINITION_BYTES"]))
    return {(str(f.get("sourceRef")), str(f.get("targetRef"))): str(f.get("id"))
            for f in root.iter(f"{BPMN}sequenceFlow")}


def _rounds(definition: Definition, started_from: datetime, started_to: datetime):
    """The instance_started events of rounds on ``definition`` in the period (a subquery)."""
    label = f"{definition.key} v{definition.version}"
    return (select(AuditEvent.id.label("round_id"), AuditEvent.complaint_id)
            .where(AuditEvent.action == STARTED, AuditEvent.at >= started_from, AuditEvent.at < started_to,
                   AuditEvent.details["definition"].as_string() == label)
            .subquery())


def _seconds(column):
    """A timestamp column as seconds since the epoch, computed by the database (reading
    600,000 datetimes into Python costs more than the query)."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", column), Float)  # a float, not numeric (a Decimal per row)


def _element_events(definition: Definition, started_from: datetime, started_to: datetime):
    """Per round, its element completions and task offers in order: (round id, complaint id,
    action, bpmn id, seconds since the epoch).

    An event belongs to the round that started last before it in its complaint's trail;
    a reopened complaint's later rounds (maybe on another version) end the earlier one. The
    complaints' trails are read once, in order, and split into rounds here (one pass)."""
    rounds = _rounds(definition, started_from, started_to)
    round_ids = set(db.session.scalars(select(rounds.c.round_id)))
    # Core, not ORM rows: this reads every event of the period's complaints.
    rows = db.session.connection().execute(
        select(AuditEvent.id, AuditEvent.complaint_id, AuditEvent.action, AuditEvent.bpmn_id,
               _seconds(AuditEvent.__table__.c.at))
        .where(AuditEvent.complaint_id.in_(select(rounds.c.complaint_id)),
               AuditEvent.action.in_((*ELEMENT_EVENTS, OFFERED, STARTED)))
        .order_by(AuditEvent.complaint_id, AuditEvent.id))
    round_id = None
    for event_id, complaint_id, action, bpmn_id, at in rows:
        if action == STARTED:
            round_id = event_id if event_id in round_ids else None
        elif round_id is not None and bpmn_id is not None:
            yield round_id, complaint_id, action, bpmn_id, float(at)


def _percentile(sorted_values: list[float], share: float) -> float:
    """The ``share`` percentile by linear interpolation between closest ranks."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[round(share * 100) - 1]


def heatmap(definition: Definition, started_from: datetime, started_to: datetime) -> Heatmap:
    """The figures for rounds on ``definition`` that started in [started_from, started_to)."""
    flows = _flows(definition)
    durations: dict[str, list[float]] = defaultdict(list)
    passed: dict[str, set[int]] = defaultdict(set)
    taken: dict[str, int] = defaultdict(int)
    round_ids: set[int] = set()
    current, previous, previous_at = None, None, None
    arrived: dict[str, float] = {}  # human tasks offered in this round: bpmn id -> when
    for round_id, complaint_id, action, bpmn_id, at in _element_events(definition, started_from, started_to):
        round_ids.add(round_id)
        if round_id != current:
            current, previous, previous_at, arrived = round_id, None, None, {}
        if action == OFFERED or bpmn_id not in arrived:
            flow: str | None = flows.get((previous, bpmn_id)) if previous is not None else None
            if flow is not None:
                taken[flow] += 1
        if action == OFFERED:
            arrived[bpmn_id] = at
            continue
        since = arrived.pop(bpmn_id, previous_at)
        if since is not None:
            durations[bpmn_id].append(at - since)
        passed[bpmn_id].add(complaint_id)
        previous, previous_at = bpmn_id, at
    result = Heatmap(f"{definition.key} v{definition.version}", started_from, started_to, len(round_ids))
    for bpmn_id, complaints in passed.items():
        times = sorted(durations.get(bpmn_id, []))
        result.elements[bpmn_id] = ElementFigures(
            passed=len(complaints), median_seconds=statistics.median(times) if times else None,
            p90_seconds=_percentile(times, 0.9) if times else None)
    for bpmn_id, count in _waiting(definition).items():
        result.elements.setdefault(bpmn_id, ElementFigures()).waiting = count
    result.flows = dict(taken)
    return result


def _waiting(definition: Definition) -> dict[str, int]:
    """Ready tasks per element now, on instances of ``definition`` (the task table)."""
    rows = db.session.execute(
        select(HumanTask.bpmn_id, func.count()).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.state == "ready", ProcessInstance.definition_id == definition.id)
        .group_by(HumanTask.bpmn_id))
    return {bpmn_id: count for bpmn_id, count in rows}


def complaints_at(definition: Definition, bpmn_id: str, started_from: datetime, started_to: datetime,
                  limit: int = 200) -> list[tuple[str, str]]:
    """The complaints (reference, "passed" or "waiting") at element ``bpmn_id``: those that
    passed it in the period's rounds, and those waiting there now; at most ``limit``."""
    rounds = _rounds(definition, started_from, started_to)
    passed = select(AuditEvent.complaint_id).join(rounds, rounds.c.complaint_id == AuditEvent.complaint_id).where(
        AuditEvent.action.in_(ELEMENT_EVENTS), AuditEvent.bpmn_id == bpmn_id, AuditEvent.id > rounds.c.round_id)
    waiting = select(HumanTask.complaint_id).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
        HumanTask.state == "ready", HumanTask.bpmn_id == bpmn_id, ProcessInstance.definition_id == definition.id)
    waiting_ids = set(db.session.scalars(waiting))
    rows = db.session.execute(select(Complaint.id, Complaint.reference).where(
        Complaint.id.in_(passed) | Complaint.id.in_(waiting_ids)).order_by(Complaint.received_at.desc()).limit(limit))
    return [(reference, "waiting" if cid in waiting_ids else "passed") for cid, reference in rows]
