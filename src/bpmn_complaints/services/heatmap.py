"""Where time goes (ISO 10002 8.7): a version's diagram as a heatmap, from the audit trail
of a chosen period and the tables of what waits, never from workflow state.

What it counts, for the process rounds (a complaint, or a reopening of it) that started on
the version within the period:

- per element: how many complaints passed it (completed it at least once), the median and
  90th percentile of the time spent there, and how many wait there now;
- per sequence flow: how often it was taken.

**Reading the trail.** The trail records each element an instance completes
(``step_completed``, ``timer_fired``; ``task_completed`` for a human task) and each human
task it offers (``task_created``), but no flows. Both figures are derived from consecutive
events of one round: a token arrives at an element when the element before it completes
(or, for a human task, when the task is offered), the time spent there runs from its
arrival to its own completion, and a flow was taken when its source's completion is
followed by its target's arrival. An event belongs to the round that started last before
it in its complaint's trail; a reopened complaint's later round (maybe on another version)
ends the earlier one. For sequential paths this is exact; where parallel branches
interleave, a pair that is no flow of the diagram is not counted and the time at an
element can include time the other branch took.

**The rollup (why it is fast).** Reading every event of a period's complaints on each view
cost 2.5 s (SQLite) and 5.2 s (PostgreSQL) at 100,000 complaints. Instead, the trail is
rolled up once, by cursor over its ids (:func:`catch_up`), into tables of their own
(models/heatmap.py): one row per element a round completed with its time there
(``heatmap_visits``), one per flow taken (``heatmap_flows``), and per version, UTC day of the
round's start and element or flow, the counts (``heatmap_daily``). A round's state between
two catch-ups (its last element, the tasks it was offered, where its tokens are) is kept in
``heatmap_rounds``. A view catches up to the newest event first (a few new events cost a
few statements); the worker's ``heatmap_rollup`` job does it every
``HEATMAP_ROLLUP_EVERY_SECONDS`` so the view seldom has much to do. A person's change
writes nothing for the heatmap: the rollup reads the trail after it committed.

Then a period's figures are sums over days (a year is a few thousand daily rows; the part
of a period that is not whole days is counted from the visits), and each percentile is
found exactly in two steps: the element's times are counted per bucket (a range half a
power of two wide, counted per day in ``heatmap_buckets``), which says the bucket the k-th
time is in and its rank there; then one seek along that bucket's times in the index
``(version, element, bucket, seconds)``, from the nearer end (``OFFSET``), reads it. A
median so steps over a few thousand index entries at 100,000 complaints instead of half of
them. An element with at most ``READ_ALL`` times in the period has them read and sorted
here. The interpolation is :func:`statistics.median`'s and :func:`statistics.quantiles`'
(``n=100``, ``inclusive``), so the figures are those the previous reading of the whole
trail gave, on both databases. "Passed" counts complaints: a reopened round that passes an
element its complaint passed in an earlier round of the period is subtracted once.

PostgreSQL hands out a trail id before its transaction commits, so an event with a lower id
can become visible after a higher one: ids the cursor skipped are kept as gaps and read
again for ``GAP_SECONDS`` (a change that takes longer to commit is missed by the rollup).

**Waiting now** is counted per element from what each table can tell, never from workflow
state: ready tasks (``human_tasks``); open external tasks (``external_tasks``); open
incidents at an element (``incidents``); and where the trail puts a round's tokens
(``heatmap_rounds.tokens``: an element was reached when the one before it completed, left
when it completes) at an element that waits without a task row: a message, signal or
conditional catch event, a receive task and an event-based gateway; a timer catch event only
while the instance has a timer job (``jobs``), a service task only while it has a service
or retry job. A boundary event waits while the activity it is attached to does (a timer one
while the instance has a timer job). An element counts each instance once, whatever tells
it (``waiting_by`` says what did). A token after an exclusive gateway whose branch left no
trail yet is placed on the one branch that can wait silently, and not counted if there are
several; tokens moved by a repair or a migration follow the trail's ``token_moved`` and
``instance_migrated`` events.
"""

from __future__ import annotations

import math
import time
import typing
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import CursorResult, Float, and_, case, cast, delete, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..clock import utcnow
from ..extensions import db
from ..models import (
    AuditEvent,
    Definition,
    ExternalTask,
    HeatmapBucket,
    HeatmapCursor,
    HeatmapDaily,
    HeatmapFlow,
    HeatmapRound,
    HeatmapVisit,
    HumanTask,
    Incident,
    Job,
    ProcessInstance,
)
from ..xml_safety import parse_xml
from .definitions import main_bpmn

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ELEMENT_EVENTS = ("step_completed", "timer_fired", "task_completed")
OFFERED = "task_created"
STARTED = "instance_started"
MOVED, MIGRATED = "token_moved", "instance_migrated"
READ = (*ELEMENT_EVENTS, OFFERED, STARTED, MOVED, MIGRATED)
ROUNDS_ITEM = ""  # the daily row that counts rounds
BATCH = 20_000  # trail events per catch-up transaction
GAP_SECONDS = 600.0
KIND = "heatmap_rollup"
# Elements where a token waits with no task row to tell it.
SILENT_WAITS = ("intermediateCatchEvent", "receiveTask", "eventBasedGateway", "serviceTask", "sendTask")
GATEWAYS = ("exclusiveGateway", "inclusiveGateway", "complexGateway", "eventBasedGateway")


def bucket(seconds: float) -> int:
    """The range of times ``seconds`` falls in: a quarter of a power of two wide (so an
    element's times spread over a few dozen), rising with the time; 0 holds exactly no
    time (a gateway, an end event), so it never needs a seek."""
    return 1 + math.floor(4 * math.log2(seconds + 1)) if seconds > 0 else (0 if seconds == 0 else -1)


@dataclass
class ElementFigures:
    passed: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    waiting: int = 0
    waiting_by: dict[str, int] = field(default_factory=dict)  # what tells it: task, timer, message, ...


@dataclass
class Heatmap:
    definition: str
    started_from: datetime
    started_to: datetime
    rounds: int
    elements: dict[str, ElementFigures] = field(default_factory=dict)
    flows: dict[str, int] = field(default_factory=dict)


# -- the diagram -------------------------------------------------------------------------

@dataclass
class Graph:
    """What the rollup needs of a version's main diagram."""

    flows: dict[tuple[str, str], str] = field(default_factory=dict)  # (source, target) -> flow id
    targets: dict[str, list[str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # element id -> BPMN element name
    events: dict[str, str] = field(default_factory=dict)  # event id -> timer, message, signal, ...
    joins: set[str] = field(default_factory=set)  # parallel gateways with several incoming flows
    boundaries: dict[str, list[str]] = field(default_factory=dict)  # activity -> its boundary events
    attached: dict[str, tuple[str, bool]] = field(default_factory=dict)  # boundary -> (activity, interrupting)
    names: dict[str, str] = field(default_factory=dict)  # element or flow id -> what a person reads

    def name(self, bpmn_id: str) -> str:
        return self.names.get(bpmn_id) or bpmn_id

    def waits_silently(self, bpmn_id: str) -> bool:
        return self.tags.get(bpmn_id) in SILENT_WAITS


_graphs: dict[tuple[int, str], Graph] = {}


def graph(definition: Definition) -> Graph:
    cached = _graphs.get((definition.id, definition.sha256))
    if cached is not None:
        return cached
    _name, text = main_bpmn(definition)
    root = parse_xml(text, int(current_app.config["MAX_DEFINITION_BYTES"]))
    found = Graph()
    incoming: Counter[str] = Counter()
    for node in root.iter():
        tag = node.tag.rpartition("}")[2] if isinstance(node.tag, str) else ""
        node_id = node.get("id")
        if tag == "sequenceFlow":
            source, target = str(node.get("sourceRef")), str(node.get("targetRef"))
            found.flows[(source, target)] = str(node_id)
            found.targets.setdefault(source, []).append(target)
            incoming[target] += 1
        elif node_id and tag.endswith(("Event", "Task", "Gateway")) or tag in ("task", "subProcess", "callActivity"):
            found.tags[str(node_id)] = tag
            kinds = [d.tag.rpartition("}")[2].removesuffix("EventDefinition") for d in node
                     if isinstance(d.tag, str) and d.tag.endswith("EventDefinition")]
            if kinds:
                found.events[str(node_id)] = kinds[0] if len(kinds) == 1 else "multiple"
            if tag == "boundaryEvent":
                activity = str(node.get("attachedToRef"))
                found.boundaries.setdefault(activity, []).append(str(node_id))
                found.attached[str(node_id)] = (activity, node.get("cancelActivity", "true") != "false")
    found.joins = {e for e, tag in found.tags.items() if tag == "parallelGateway" and incoming[e] > 1}
    _name_everything(root, found)
    _graphs[(definition.id, definition.sha256)] = found
    return found


def _name_everything(root: Any, found: Graph) -> None:
    """Each element's name as the modeler shows it (its id when it has none), and each flow's:
    its own name, or where it goes from and to."""
    flows = []
    for node in root.iter():
        tag = node.tag.rpartition("}")[2] if isinstance(node.tag, str) else ""
        node_id, label = node.get("id"), " ".join((node.get("name") or "").split())
        if tag == "sequenceFlow":
            flows.append((str(node_id), label, str(node.get("sourceRef")), str(node.get("targetRef"))))
        elif node_id and label:
            found.names[str(node_id)] = label
    for flow_id, label, source, target in flows:
        found.names[flow_id] = label or f"{found.name(source)} → {found.name(target)}"


# -- the rollup ----------------------------------------------------------------------------

def _seconds(column):
    """A timestamp column as seconds since the epoch, computed by the database (reading
    600,000 datetimes into Python costs more than the query)."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", column), Float)  # a float, not numeric (a Decimal per row)


class _Round:
    """A round's state while the catch-up reads its events."""

    def __init__(self, row: dict[str, Any], new: bool = False):
        self.row, self.new, self.changed = row, new, new

    def __getattr__(self, name: str) -> Any:
        return self.row[name]


def _lock_cursor() -> HeatmapCursor:
    """The cursor row, locked for this transaction (one catch-up at a time)."""
    table = HeatmapCursor.__table__
    for _attempt in range(2):
        # On SQLite the UPDATE takes the write lock before anything is read.
        locked = db.session.execute(update(HeatmapCursor).where(HeatmapCursor.id == 1)
                                    .values(last_event_id=HeatmapCursor.last_event_id))
        if typing.cast(CursorResult, locked).rowcount:
            row = db.session.execute(select(table).where(table.c.id == 1).with_for_update()).one()
            return HeatmapCursor(id=1, last_event_id=row.last_event_id, gaps=list(row.gaps or []))
        try:
            with db.session.begin_nested():
                db.session.execute(insert(HeatmapCursor).values(id=1, last_event_id=0, gaps=[]))
        except IntegrityError:
            pass  # another catch-up made it first: lock that one
    raise RuntimeError("the heatmap cursor could not be locked")


def catch_up(batch: int = BATCH) -> int:
    """Roll the trail up to its newest event, one committed batch at a time; returns how
    many trail events were read."""
    row = db.session.execute(select(HeatmapCursor.last_event_id, HeatmapCursor.gaps)
                             .where(HeatmapCursor.id == 1)).first()
    newest = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    if row is not None and not row.gaps and newest <= row.last_event_id:
        return 0  # nothing new: no write, no lock
    total = 0
    while True:
        done, more = _catch_up_batch(batch)
        db.session.commit()
        total += done
        if not more:
            return total


def _every() -> float | None:
    every = current_app.config.get("HEATMAP_ROLLUP_EVERY_SECONDS")
    return float(every) if every else None


def next_run(after: datetime) -> datetime:
    return after + timedelta(seconds=_every() or 300)


def run_job() -> None:
    """The worker's recurring rollup job: schedule the next one, then catch up (which
    commits as it goes, the next job with its first batch)."""
    db.session.execute(delete(Job).where(Job.kind == KIND, Job.instance_id.is_(None)))
    if _every() is not None:
        now = utcnow()
        db.session.add(Job(kind=KIND, instance_id=None, due_at=next_run(now), created_at=now, payload={}))
    db.session.flush()
    catch_up()


def ensure_scheduled() -> None:
    """Make sure a rollup job is waiting (due after one period, so a worker's start runs
    no extra job), when the worker is to roll up at all."""
    if _every() is None:
        return
    if db.session.scalar(select(Job.id).where(Job.kind == KIND, Job.instance_id.is_(None)).limit(1)) is None:
        now = utcnow()
        db.session.add(Job(kind=KIND, instance_id=None, due_at=next_run(now), created_at=now, payload={}))
        db.session.flush()


def _catch_up_batch(batch: int) -> tuple[int, bool]:
    cursor = _lock_cursor()
    last = cursor.last_event_id
    now = time.time()
    gaps = {int(i): float(seen) for i, seen in cursor.gaps if now - float(seen) < GAP_SECONDS}
    trail = AuditEvent.__table__.c
    newer = trail.id > last
    where = newer if not gaps else (newer | trail.id.in_(sorted(gaps)))
    ids = list(db.session.execute(select(trail.id).where(where).order_by(trail.id).limit(batch)).scalars())
    if not ids:
        _save_cursor(last, gaps)
        return 0, False
    top = max(ids)
    seen = set(ids)
    for missing in range(last + 1, top):
        if missing not in seen:
            gaps.setdefault(missing, now)
    for found in seen:
        gaps.pop(found, None)
    needs_details = trail.action.in_((STARTED, MOVED, MIGRATED))
    rows = db.session.execute(
        select(trail.id, trail.complaint_id, trail.action, trail.bpmn_id, _seconds(trail.at),
               case((trail.action == STARTED, trail.at), else_=None).label("started_at"),
               case((needs_details, trail.details), else_=None).label("details"))
        .where(trail.id.in_(ids) if len(ids) < 1000 else and_(trail.id >= min(ids), trail.id <= top),
               trail.action.in_(READ), trail.complaint_id.is_not(None))
        .order_by(trail.id)).all()
    rows = [r for r in rows if r.id in seen]
    _Rollup().apply(rows)
    _save_cursor(max(last, top), {i: s for i, s in gaps.items() if i < max(last, top)})
    return len(ids), len(ids) == batch


def _save_cursor(last: int, gaps: dict[int, float]) -> None:
    db.session.execute(update(HeatmapCursor).where(HeatmapCursor.id == 1)
                       .values(last_event_id=last, gaps=[[i, s] for i, s in sorted(gaps.items())]))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Rollup:
    """One batch of trail events applied to the rounds they belong to."""

    def __init__(self) -> None:
        self.definitions = {f"{key} v{version}": (id_, key, version) for id_, key, version in
                            db.session.execute(select(Definition.id, Definition.key, Definition.version))}
        self.graphs: dict[int, Graph] = {}
        self.rounds: dict[int, _Round] = {}  # complaint id -> its current round
        self.visits: list[dict[str, Any]] = []
        self.flows: list[dict[str, Any]] = []
        self.daily: Counter[tuple[int, date, str, str]] = Counter()
        self.buckets: Counter[tuple[int, str, int, date]] = Counter()
        self.retired: list[_Round] = []  # rounds a later round of their complaint ended, in this batch

    def _graph(self, definition_id: int | None) -> Graph:
        if definition_id is None:
            return Graph()
        if definition_id not in self.graphs:
            definition = db.session.get(Definition, definition_id)
            self.graphs[definition_id] = graph(definition) if definition is not None else Graph()
        return self.graphs[definition_id]

    def _load(self, complaint_ids: set[int]) -> None:
        table = HeatmapRound.__table__
        ids = sorted(complaint_ids)
        for i in range(0, len(ids), 500):
            for row in db.session.execute(select(table).where(table.c.complaint_id.in_(ids[i:i + 500]),
                                                              table.c.is_current)).mappings():
                self.rounds[row["complaint_id"]] = _Round(dict(row))

    def apply(self, rows) -> None:
        self._load({r.complaint_id for r in rows})
        for row in rows:
            if row.action == STARTED:
                self._start(row)
                continue
            current = self.rounds.get(row.complaint_id)
            if current is None or current.definition_id is None:
                continue
            if row.action == MOVED:
                details = row.details or {}
                self._move(current, details.get("before"), details.get("after"))
            elif row.action == MIGRATED:
                self._migrate(current, row.details or {})
            elif row.bpmn_id is not None:
                self._element(current, row.action, row.bpmn_id, float(row[4]))
        self._write()

    def _start(self, row) -> None:
        details = row.details or {}
        found = self.definitions.get(str(details.get("definition")))
        before = self.rounds.get(row.complaint_id)  # every complaint's latest round is current
        if before is not None:
            before.row["is_current"], before.changed = False, True
            self.retired.append(before)
        definition_id = found[0] if found else None
        instance_id = details.get("instance_id")
        self.rounds[row.complaint_id] = _Round({
            "round_id": row.id, "complaint_id": row.complaint_id,
            "instance_id": instance_id if isinstance(instance_id, int) else None,
            "definition_id": definition_id, "live_definition_id": definition_id,
            "started_at": _utc(row.started_at), "is_current": True, "reopening": before is not None,
            "previous": None, "previous_at": None, "arrived": {}, "counted": False, "passed": [], "tokens": [],
            "waiting": False}, new=True)

    def _day(self, current: _Round) -> tuple[int, date]:
        return current.definition_id, current.started_at.date()

    def _element(self, current: _Round, action: str, bpmn_id: str, at: float) -> None:
        """The heatmap's reading of one element event (the module docstring)."""
        row, graph_ = current.row, self._graph(current.definition_id)
        definition_id, day = self._day(current)
        current.changed = True
        if not row["counted"]:
            row["counted"] = True
            self.daily[(definition_id, day, ROUNDS_ITEM, "passed")] += 1
        arrived: dict[str, float] = dict(row["arrived"])
        previous = row["previous"]
        if action == OFFERED or bpmn_id not in arrived:
            flow = graph_.flows.get((previous, bpmn_id)) if previous is not None else None
            if flow is not None:
                self.flows.append({"definition_id": definition_id, "flow_id": flow, "started_at": current.started_at})
                self.daily[(definition_id, day, flow, "taken")] += 1
        tokens = list(row["tokens"])
        if action == OFFERED:
            arrived[bpmn_id] = at
            row["arrived"] = arrived
            _arrive(graph_, tokens, bpmn_id)
            self._tokens(current, tokens)
            return
        since = arrived.pop(bpmn_id, row["previous_at"])
        seconds = at - since if since is not None else None
        first = bpmn_id not in row["passed"]
        prior = None
        if first:
            row["passed"] = [*row["passed"], bpmn_id]
            self.daily[(definition_id, day, bpmn_id, "passed")] += 1
            if row["reopening"]:
                prior = self._prior(current, bpmn_id)
        slot = None
        if seconds is not None:
            slot = bucket(seconds)
            self.daily[(definition_id, day, bpmn_id, "timed")] += 1
            self.buckets[(definition_id, bpmn_id, slot, day)] += 1
        self.visits.append({"definition_id": definition_id, "bpmn_id": bpmn_id, "started_at": current.started_at,
                            "seconds": seconds, "bucket": slot, "complaint_id": current.complaint_id,
                            "round_id": current.round_id, "first_pass": first, "prior_started_at": prior})
        row["arrived"], row["previous"], row["previous_at"] = arrived, bpmn_id, at
        _complete(graph_, tokens, bpmn_id)
        self._tokens(current, tokens)

    def _prior(self, current: _Round, bpmn_id: str) -> datetime | None:
        """The start of the complaint's latest earlier round on the same version that
        completed ``bpmn_id`` (rounds read in this batch as they are now)."""
        here = {r.round_id: r for r in self.retired if r.complaint_id == current.complaint_id}
        rows = db.session.execute(select(HeatmapRound.round_id, HeatmapRound.started_at, HeatmapRound.passed).where(
            HeatmapRound.complaint_id == current.complaint_id, HeatmapRound.definition_id == current.definition_id,
            HeatmapRound.round_id != current.round_id)).all()
        earlier = [_utc(started) for round_id, started, passed in rows
                   if round_id not in here and bpmn_id in (passed or [])]
        earlier += [r.started_at for r in here.values()
                    if r.definition_id == current.definition_id and bpmn_id in r.row["passed"]]
        return max(earlier, default=None)

    def _tokens(self, current: _Round, tokens: list[str]) -> None:
        graph_ = self._graph(current.live_definition_id)
        current.row["tokens"] = tokens
        current.row["waiting"] = any(
            graph_.waits_silently(_place(graph_, t) or "") or _place(graph_, t) in graph_.boundaries for t in tokens)

    def _move(self, current: _Round, before: Any, after: Any) -> None:
        tokens = list(current.row["tokens"])
        if isinstance(before, str) and before in tokens:
            tokens.remove(before)
        if isinstance(after, str):
            tokens.append(after)
        current.changed = True
        self._tokens(current, tokens)

    def _migrate(self, current: _Round, details: dict[str, Any]) -> None:
        found = self.definitions.get(str(details.get("definition")))
        if found is not None:
            current.row["live_definition_id"] = found[0]
        tokens = list(current.row["tokens"])
        for token in details.get("tokens") or []:
            if isinstance(token, dict) and token.get("from") in tokens and isinstance(token.get("to"), str):
                tokens[tokens.index(token["from"])] = token["to"]
        current.changed = True
        self._tokens(current, tokens)

    def _write(self) -> None:
        new = [r.row for r in self._all_rounds() if r.new]
        changed = [r.row for r in self._all_rounds() if r.changed and not r.new]
        if new:
            db.session.execute(insert(HeatmapRound), new)
        if changed:
            db.session.execute(update(HeatmapRound), changed)
        for model, rows in ((HeatmapVisit, self.visits), (HeatmapFlow, self.flows)):
            for i in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[i:i + 5000])
        merged: dict[tuple[int, date, str], dict[str, Any]] = {}
        for (definition_id, day, item, column), count in self.daily.items():
            entry = merged.setdefault((definition_id, day, item), {
                "definition_id": definition_id, "day": day, "item": item, "passed": 0, "timed": 0, "taken": 0})
            entry[column] += count
        if merged:
            dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
            adding = dialect.insert(HeatmapDaily)
            table = HeatmapDaily.__table__.c
            upsert = adding.on_conflict_do_update(
                index_elements=[table.definition_id, table.day, table.item],
                set_={name: table[name] + adding.excluded[name] for name in ("passed", "timed", "taken")})
            db.session.execute(upsert, list(merged.values()))
        if self.buckets:
            dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
            adding = dialect.insert(HeatmapBucket)
            upsert = adding.on_conflict_do_update(
                index_elements=[HeatmapBucket.definition_id, HeatmapBucket.bpmn_id, HeatmapBucket.bucket,
                                HeatmapBucket.day],
                set_={"count": HeatmapBucket.__table__.c["count"] + adding.excluded["count"]})
            db.session.execute(upsert, [{"definition_id": d, "bpmn_id": e, "bucket": b, "day": day, "count": n}
                                        for (d, e, b, day), n in self.buckets.items()])

    def _all_rounds(self) -> list[_Round]:
        return [*self.rounds.values(), *self.retired]


def _arrive(graph_: Graph, tokens: list[str], bpmn_id: str) -> None:
    """A task offered: the token is there (it came from the gateway before it, if one was open)."""
    if bpmn_id in tokens:
        return
    _resolve(graph_, tokens, bpmn_id)
    tokens.append(bpmn_id)


def _resolve(graph_: Graph, tokens: list[str], bpmn_id: str) -> bool:
    """Take the open choice of a gateway ``bpmn_id`` is a target of; whether there was one."""
    for token in tokens:
        if token.startswith("?") and bpmn_id in graph_.targets.get(token[1:], []):
            tokens.remove(token)
            return True
    return False


def _complete(graph_: Graph, tokens: list[str], bpmn_id: str) -> None:
    """An element completed: its token leaves, and goes on along its flows."""
    if bpmn_id in graph_.joins:
        tokens[:] = [t for t in tokens if t != bpmn_id]
    elif bpmn_id in tokens:
        tokens.remove(bpmn_id)
    else:
        _resolve(graph_, tokens, bpmn_id)
    attached = graph_.attached.get(bpmn_id)
    if attached is not None and attached[1] and attached[0] in tokens:
        tokens.remove(attached[0])  # an interrupting boundary event stops its activity
    targets = graph_.targets.get(bpmn_id, [])
    if len(targets) > 1 and graph_.tags.get(bpmn_id) in GATEWAYS:
        tokens.append(f"?{bpmn_id}")  # which branch: the next event that follows it says
    else:
        tokens.extend(targets)


def _place(graph_: Graph, token: str) -> str | None:
    """Where a token is: an element, or for a gateway's open choice, the one branch that
    can wait without leaving a trail (``None`` if there are several or none)."""
    if not token.startswith("?"):
        return token
    silent = [t for t in graph_.targets.get(token[1:], []) if graph_.waits_silently(t)]
    return silent[0] if len(silent) == 1 else None


# -- reading a period ----------------------------------------------------------------------

def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


Period = tuple[datetime, datetime]


def _split(started_from: datetime, started_to: datetime) -> tuple[tuple[date, date] | None, list[Period]]:
    """The period as whole UTC days [first, last) and the parts that are not whole days."""
    started_from, started_to = _utc(started_from), _utc(started_to)
    first = started_from.date() + timedelta(days=0 if _midnight(started_from.date()) == started_from else 1)
    last = started_to.date()
    if first >= last:
        return None, [(started_from, started_to)] if started_from < started_to else []
    edges = [(a, b) for a, b in ((started_from, _midnight(first)), (_midnight(last), started_to)) if a < b]
    return (first, last), edges


def _counts(definition_id: int, started_from: datetime, started_to: datetime) -> dict[str, dict[str, int]]:
    """Per item (element, flow, or ``ROUNDS_ITEM``): passed, timed and taken in the period."""
    days, edges = _split(started_from, started_to)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"passed": 0, "timed": 0, "taken": 0})
    if days is not None:
        d = HeatmapDaily
        for item, passed, timed, taken in db.session.execute(
                select(d.item, func.sum(d.passed), func.sum(d.timed), func.sum(d.taken))
                .where(d.definition_id == definition_id, d.day >= days[0], d.day < days[1]).group_by(d.item)):
            entry = counts[item]
            entry["passed"] += int(passed or 0)
            entry["timed"] += int(timed or 0)
            entry["taken"] += int(taken or 0)
    v, f, r = HeatmapVisit, HeatmapFlow, HeatmapRound
    for a, b in edges:
        for item, passed, timed in db.session.execute(
                select(v.bpmn_id, func.sum(case((v.first_pass, 1), else_=0)), func.count(v.seconds))
                .where(v.definition_id == definition_id, v.started_at >= a, v.started_at < b).group_by(v.bpmn_id)):
            counts[item]["passed"] += int(passed or 0)
            counts[item]["timed"] += int(timed or 0)
        for item, taken in db.session.execute(
                select(f.flow_id, func.count()).where(f.definition_id == definition_id, f.started_at >= a,
                                                      f.started_at < b).group_by(f.flow_id)):
            counts[item]["taken"] += int(taken)
        counts[ROUNDS_ITEM]["passed"] += db.session.scalar(
            select(func.count()).select_from(r).where(r.definition_id == definition_id, r.counted,
                                                      r.started_at >= a, r.started_at < b)) or 0
    # A complaint passes an element once, however many of its rounds in the period did: a
    # round's first pass whose complaint passed in an earlier round of the period (the
    # rows of a partial index; only reopened rounds have them).
    for item, started_at in db.session.execute(
            select(v.bpmn_id, v.started_at).where(v.definition_id == definition_id,
                                                  v.prior_started_at >= _utc(started_from))):
        if _utc(started_at) < _utc(started_to):
            counts[item]["passed"] -= 1
    return counts


def _slots(definition_id: int, bpmn_id: str, started_from: datetime, started_to: datetime) -> list[tuple[int, int]]:
    """(bucket, how many times at ``bpmn_id`` in the period fell in it), in bucket order:
    whole days from ``heatmap_buckets``, the rest from the visits."""
    days, edges = _split(started_from, started_to)
    counts: Counter[int] = Counter()
    b = HeatmapBucket
    if days is not None:
        for slot, count in db.session.execute(
                select(b.bucket, func.sum(b.count)).where(b.definition_id == definition_id, b.bpmn_id == bpmn_id,
                                                          b.day >= days[0], b.day < days[1]).group_by(b.bucket)):
            counts[slot] += int(count or 0)
    v = HeatmapVisit
    for start, end in edges:
        for slot, count in db.session.execute(
                select(v.bucket, func.count()).where(v.definition_id == definition_id, v.started_at >= start,
                                                     v.started_at < end, v.bpmn_id == bpmn_id,
                                                     v.seconds.is_not(None)).group_by(v.bucket)):
            counts[slot] += int(count)
    return sorted((slot, count) for slot, count in counts.items() if count)


def _seek(definition_id: int, bpmn_id: str, started_from: datetime, started_to: datetime,
          slots: list[tuple[int, int]], rank: int) -> tuple[float, float]:
    """The ``rank``-th (from 0) time at ``bpmn_id`` in the period and the next one (itself
    if it is the last): found in its bucket, then one seek along that bucket's times from
    the nearer end."""
    v = HeatmapVisit
    where = (v.definition_id == definition_id, v.bpmn_id == bpmn_id, v.seconds.is_not(None),
             v.started_at >= _utc(started_from), v.started_at < _utc(started_to))
    for index, (slot, count) in enumerate(slots):
        if rank >= count:
            rank -= count
            continue
        query = select(v.seconds).where(v.bucket == slot, *where)
        if slot == 0:  # no time at all
            found = [0.0, 0.0] if rank < count - 1 else [0.0]
        elif rank <= count - 1 - rank:
            found = [float(t or 0) for t in db.session.scalars(query.order_by(v.seconds).offset(rank).limit(2))]
        else:
            found = [float(t or 0) for t in db.session.scalars(
                query.order_by(v.seconds.desc()).offset(max(0, count - 2 - rank)).limit(2 if rank < count - 1 else 1))]
            found.reverse()
        if len(found) == 2:
            return found[0], found[1]
        if index + 1 < len(slots):  # the next time is the first of the next bucket
            following = db.session.scalar(select(v.seconds).where(v.bucket == slots[index + 1][0], *where)
                                          .order_by(v.seconds).limit(1))
            return found[0], float(following or 0)
        return found[0], found[0]
    raise ValueError("rank beyond the times counted")


# Up to this many times at an element in the period, they are read and sorted here: fewer
# rows than a seek steps over when the period holds a small part of the element's times.
READ_ALL = 20_000


def _quantiles(n: int) -> tuple[int, int]:
    """The ranks (from 0) the median and the 90th percentile of ``n`` times start at."""
    return (n - 1) // 2, 90 * (n - 1) // 100


def _from_ranks(n: int, at) -> tuple[float, float]:
    """The median (:func:`statistics.median`) and the 90th percentile
    (:func:`statistics.quantiles`, ``n=100``, ``inclusive``) of ``n`` times, ``at(k)``
    giving the ``k``-th and the next one (the last one twice)."""
    middle, j = _quantiles(n)
    low, high = at(middle)
    median = low if n % 2 else (low + high) / 2
    delta = 90 * (n - 1) - j * 100
    below, above = at(j)
    return median, (below * (100 - delta) + above * delta) / 100


def _percentiles(definition_id: int, bpmn_id: str, started_from: datetime, started_to: datetime,
                 n: int) -> tuple[float, float]:
    """The element's median and 90th percentile over its ``n`` times in the period: each
    from its bucket when there are many, else from reading the period's times."""
    if n > READ_ALL:
        slots = _slots(definition_id, bpmn_id, started_from, started_to)
        counted = sum(count for _slot, count in slots)
        if counted == n:
            return _from_ranks(n, lambda k: _seek(definition_id, bpmn_id, started_from, started_to, slots, k))
    # Few: the database sorts them and hands over the four ranks needed.
    middle, j = _quantiles(n)
    ranks = {middle, min(middle + 1, n - 1), j, min(j + 1, n - 1)}
    v = HeatmapVisit.__table__.c
    ordered = (select(v.seconds, func.row_number().over(order_by=v.seconds).label("rank"))
               .where(v.definition_id == definition_id, v.bpmn_id == bpmn_id, v.seconds.is_not(None),
                      v.started_at >= _utc(started_from), v.started_at < _utc(started_to)).subquery())
    times = {int(rank) - 1: float(seconds) for seconds, rank in db.session.connection().execute(
        select(ordered.c.seconds, ordered.c.rank).where(ordered.c.rank.in_([r + 1 for r in sorted(ranks)])))}
    return _from_ranks(n, lambda k: (times[k], times[min(k + 1, n - 1)]))


def heatmap(definition: Definition, started_from: datetime, started_to: datetime) -> Heatmap:
    """The figures for rounds on ``definition`` that started in [started_from, started_to)."""
    catch_up()
    graph_ = graph(definition)
    flow_ids = set(graph_.flows.values())
    counts = _counts(definition.id, started_from, started_to)
    result = Heatmap(f"{definition.key} v{definition.version}", started_from, started_to,
                     counts.pop(ROUNDS_ITEM, {"passed": 0})["passed"])
    for item, entry in sorted(counts.items()):
        if item in flow_ids:
            if entry["taken"]:
                result.flows[item] = entry["taken"]
            continue
        if entry["passed"] <= 0:
            continue
        figures = result.elements[item] = ElementFigures(passed=entry["passed"])
        if entry["timed"]:
            figures.median_seconds, figures.p90_seconds = _percentiles(
                definition.id, item, started_from, started_to, entry["timed"])
    for bpmn_id, by_kind in waiting(definition).items():
        figures = result.elements.setdefault(bpmn_id, ElementFigures())
        figures.waiting = len(set().union(*by_kind.values()))
        figures.waiting_by = {kind: len(who) for kind, who in sorted(by_kind.items())}
    return result


# -- waiting now -------------------------------------------------------------------------------

def _on(definition: Definition, instance_id, live: bool = True):
    """``instance_id``'s instance runs ``definition`` (and has not completed): asked per row
    of the small table at hand, so neither database reads every instance of the version."""
    pi = ProcessInstance
    found = (select(pi.definition_id).where(pi.id == instance_id, *([pi.status != "completed"] if live else []))
             .correlate_except(pi).scalar_subquery())
    return found == definition.id


def waiting(definition: Definition, bpmn_id: str | None = None) -> dict[str, dict[str, set[int]]]:
    """Per element, what tells that an instance of ``definition`` waits there now, and
    which complaints (by id; an instance without one by its negated instance id)."""
    graph_ = graph(definition)
    found: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    owner: dict[int, int] = {}  # instance id -> complaint id
    jobs: dict[int, set[str]] = defaultdict(set)
    for instance_id, kind in db.session.execute(
            select(Job.instance_id, Job.kind).where(Job.instance_id.is_not(None), _on(definition, Job.instance_id))):
        jobs[int(instance_id)].add(kind)
    at: list[tuple[str, int]] = []  # (element, instance) of activities waiting, for their boundary events

    def add(element: str, kind: str, instance_id: int, complaint_id: int | None) -> None:
        owner[instance_id] = complaint_id if complaint_id is not None else -instance_id
        found[element][kind].add(owner[instance_id])

    # One element's waits need only its own rows (and, for a boundary event, its activity's).
    host = [graph_.attached[bpmn_id][0]] if bpmn_id in graph_.attached else []
    only = None if bpmn_id is None else {bpmn_id, *host}
    tasks = (select(HumanTask.bpmn_id, HumanTask.instance_id, HumanTask.complaint_id)
             .where(HumanTask.state == literal_column("'ready'"), _on(definition, HumanTask.instance_id, live=False),
                    *([HumanTask.bpmn_id.in_(sorted(only))] if only else [])))
    for element, instance_id, complaint_id in db.session.execute(tasks):
        add(element, "task", instance_id, complaint_id)
        at.append((element, instance_id))
    external = (select(ExternalTask.bpmn_id, ExternalTask.instance_id, ProcessInstance.complaint_id)
                .join(ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
                .where(_on(definition, ExternalTask.instance_id, live=False)))
    for element, instance_id, complaint_id in db.session.execute(external):
        add(element, "external", instance_id, complaint_id)
        at.append((element, instance_id))
    incidents = (select(Incident.bpmn_id, Incident.instance_id, ProcessInstance.complaint_id)
                 .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
                 .where(Incident.resolved_at.is_(None), Incident.bpmn_id.is_not(None),
                        _on(definition, Incident.instance_id)))
    for element, instance_id, complaint_id in db.session.execute(incidents):
        add(element, "incident", instance_id, complaint_id)
    r = HeatmapRound
    rounds = (select(r.tokens, r.instance_id, r.complaint_id)
              .where(literal_column("heatmap_rounds.waiting"), r.live_definition_id == definition.id, r.is_current,
                     _on(definition, r.instance_id)))
    for tokens, instance_id, complaint_id in db.session.execute(rounds):
        for token in tokens or []:
            element = _place(graph_, token)
            if element is None:
                continue
            tag, event = graph_.tags.get(element), graph_.events.get(element)
            if tag in ("serviceTask", "sendTask"):
                if jobs[instance_id] & {"service_task", "retry"}:
                    add(element, "job", instance_id, complaint_id)
            elif event == "timer":
                if "timer" in jobs[instance_id]:
                    add(element, "timer", instance_id, complaint_id)
            elif graph_.waits_silently(element):
                add(element, event or ("event" if tag == "eventBasedGateway" else "message"), instance_id,
                    complaint_id)
            at.append((element, instance_id))
            owner.setdefault(instance_id, complaint_id)
    for element, instance_id in at:
        for boundary in graph_.boundaries.get(element, []):
            event = graph_.events.get(boundary, "event")
            if event != "timer" or "timer" in jobs[instance_id]:
                found[boundary][event].add(owner[instance_id])
    if bpmn_id is not None:
        return {bpmn_id: found[bpmn_id]} if bpmn_id in found else {}
    return {element: dict(kinds) for element, kinds in found.items()}


def complaints_at(definition: Definition, bpmn_id: str, started_from: datetime, started_to: datetime,
                  limit: int = 200) -> list[tuple[str, str]]:
    """The complaints (reference, "passed" or "waiting") at element ``bpmn_id``: those
    waiting there now, then those that passed it in the period's rounds, newest round
    first; at most ``limit``."""
    from ..models import Complaint  # noqa: PLC0415

    catch_up()
    waiting_ids = set().union(*waiting(definition, bpmn_id).get(bpmn_id, {}).values())
    waiting_ids = {i for i in waiting_ids if i > 0}
    v = HeatmapVisit
    passed: list[int] = []
    seen = set(waiting_ids)
    step = max(limit, 200)
    offset = 0
    while len(passed) < limit - min(len(waiting_ids), limit):
        chunk = list(db.session.scalars(
            select(v.complaint_id).where(v.definition_id == definition.id, v.bpmn_id == bpmn_id,
                                         v.started_at >= _utc(started_from), v.started_at < _utc(started_to))
            .order_by(v.started_at.desc()).offset(offset).limit(step)))
        for complaint_id in chunk:
            if complaint_id not in seen:
                seen.add(complaint_id)
                passed.append(complaint_id)
        if len(chunk) < step:
            break
        offset += step
    newest_waiting = sorted(waiting_ids, reverse=True)[:limit]
    references = {cid: ref for cid, ref in db.session.execute(select(Complaint.id, Complaint.reference).where(
        Complaint.id.in_([*newest_waiting, *passed[:limit]])))}
    rows = [(references[i], "waiting") for i in newest_waiting if i in references]
    rows += [(references[i], "passed") for i in passed if i in references]
    return rows[:limit]
