"""What the process waits for right after a task: the messages and timers of the events
that follow it (directly, or behind an event-based gateway). A letter that promises a
reply-by date takes it from here, so the promise is what the diagram does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import EventBasedGateway, IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task

from ..clock import get_clock
from ..handlers.spec import WaitsAfter


def waits_after(task: Task) -> WaitsAfter:
    """The messages the process waits for next after ``task``, and when the timers it waits
    on with them would fire, computed from ``task``'s data as they will be."""
    messages: list[str] = []
    timers: list[datetime] = []
    for following in task.task_spec.outputs:
        if not isinstance(following, EventBasedGateway | IntermediateCatchEvent):
            continue
        definition = following.event_definition
        # SpiffWorkflow gives an event-based gateway its events' definitions, as one multiple.
        for each in definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]:
            if isinstance(each, MessageEventDefinition):
                messages.append(each.name)
            elif isinstance(each, TimerEventDefinition):
                due = _due(task, each)
                if due is not None:
                    timers.append(due)
    return WaitsAfter(tuple(messages), tuple(sorted(timers)))


def _due(task: Task, definition: Any) -> datetime | None:
    """When a timer of the kinds a reply waits on would fire (a cycle has no one date)."""
    engine = task.workflow.script_engine
    if isinstance(definition, TimeDateEventDefinition):
        moment: datetime = TimerEventDefinition.get_datetime(engine.evaluate(task, definition.expression))
        return moment
    if isinstance(definition, DurationTimerEventDefinition):
        duration = TimerEventDefinition.parse_iso_duration(engine.evaluate(task, definition.expression))
        now = get_clock().now()
        later: datetime = now + TimerEventDefinition.get_timedelta_from_start(duration, now)
        return later
    return None
