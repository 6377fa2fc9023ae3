"""Task specs and event definitions that replace SpiffWorkflow's where it falls short.

* :class:`ServiceTask` evaluates parameters with the safe evaluator, calls our handler
  registry (through the script engine's service caller) and stores the handler's return
  value as-is (the base class expects a JSON string).
* The timer definitions ask the script engine's clock for "now" instead of the system
  clock, so tests control time, and they accept bare ISO 8601 literals (trap 4).
* :class:`PassThroughTask` is an abstract ``bpmn:task``, which Camunda 7 and 8 pass
  straight through (SpiffWorkflow would wait for someone to complete it).
* :class:`StrictCondition` makes a JUEL or FEEL gateway condition that is not true or false
  an error, as Camunda 7 and 8 do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, cast

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.specs.defaults import NoneTask
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.task import Task

from ..expressions.dialects import dialect_of
from .cron import is_cron, next_time
from .timer_limits import check_cycle, check_duration

if TYPE_CHECKING:
    from .script_engine import ComplaintScriptEngine


def _engine(task: Task) -> ComplaintScriptEngine:
    """The script engine of ``task``'s workflow: ours, on every workflow we create or restore."""
    return cast("ComplaintScriptEngine", task.workflow.script_engine)


class ServiceTask(SpiffServiceTask):  # type: ignore[misc]
    """A service task bound to a handler by name, whatever modeler wrote the binding."""

    def _execute(self, task: Task) -> bool:
        engine = _engine(task)
        params = {
            name: engine.evaluate(task, param["value"]) for name, param in self.operation_params.items()
        }
        result = engine.call_service(task, operation_name=self.operation_name, operation_params=params)
        task.data[self.result_variable] = result
        return True


class PassThroughTask(NoneTask):  # type: ignore[misc]
    """An abstract ``bpmn:task``: it does nothing and waits for nobody, as in Camunda."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


def _now(my_task: Task) -> datetime:
    return _engine(my_task).now()


def _utc_moment(value: str) -> datetime:
    """An ISO date/time; without an offset it is UTC (SpiffWorkflow would use server time)."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        parsed = TimerEventDefinition.parse_time_or_duration(value)  # an ISO week date, or a duration
        if not isinstance(parsed, datetime):
            raise ValueError(f"the timer date {value!r} is a duration, not a date") from None
        return parsed
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ClockTimeDate(TimeDateEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Task) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = _engine(my_task).evaluate_timer(my_task, self.expression)
            event_value = _utc_moment(event_value).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return cast(bool, my_task._get_internal_data("event_fired", False))


class ClockDuration(DurationTimerEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Task) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = _engine(my_task).evaluate_timer(my_task, self.expression)
            start = _now(my_task)
            check_duration(expression, start)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            event_value = (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return cast(bool, my_task._get_internal_data("event_fired", False))


class ClockCycle(CycleTimerEventDefinition):  # type: ignore[misc]
    def cycle_complete(self, my_task: Task) -> bool:
        now = _now(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = _engine(my_task).evaluate_timer(my_task, self.expression)
            check_cycle(expression, now)
            event_value = _parse_cycle(expression, now)
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                cron = event_value.get("cron")
                following = next_time(cron, next_event) if cron else next_event + timedelta(
                    seconds=event_value["duration"])
                event_value["next"] = following.isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


class CycleValue(TypedDict):
    """A cycle timer's ``event_value``: cycles left (-1: unbounded), the next due moment, the
    period in seconds, or the cron that names each next moment."""

    cycles: int
    next: str
    duration: float
    cron: NotRequired[str]


def _parse_cycle(expression: str, now: datetime) -> CycleValue:
    """``R[n]/<start>/<duration>``, ``R[n]/<duration>/<end>`` or ``R[n]/<duration>`` with
    "now" taken from our clock (SpiffWorkflow's own parser reads the system clock)."""
    if is_cron(expression):
        return {"cycles": -1, "next": next_time(expression, now).isoformat(), "duration": 0, "cron": expression}
    components = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(components[0]) if components[0] else -1
    first = TimerEventDefinition.parse_time_or_duration(components[1])
    second = TimerEventDefinition.parse_time_or_duration(components[2]) if len(components) == 3 else None
    if isinstance(first, datetime):
        start, duration = first, TimerEventDefinition.get_timedelta_from_start(second, first)
    elif isinstance(second, datetime):
        duration = TimerEventDefinition.get_timedelta_from_end(first, second)
        start = second - duration
    elif second is None:
        duration = TimerEventDefinition.get_timedelta_from_start(first, now)
        start = now + duration
    else:
        raise ValueError(f"invalid repeating interval {expression!r}")
    return {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}


_TIMER_CLASSES = {
    TimeDateEventDefinition: ClockTimeDate,
    DurationTimerEventDefinition: ClockDuration,
    CycleTimerEventDefinition: ClockCycle,
}


def clocked_timer(definition: Any) -> TimerEventDefinition | None:
    """Return a clocked copy of a parsed timer definition, or ``None`` if it isn't one."""
    cls = _TIMER_CLASSES.get(type(definition))
    if cls is None:
        return None
    return cls(definition.name, definition.expression, description=definition.description)


class StrictCondition(_BpmnCondition):  # type: ignore[misc]
    """A Camunda 7 (JUEL) or Camunda 8 (FEEL) sequence-flow condition: as in those engines, a
    result that is not true or false (null included) is an error, not a false. Our
    Python-like conditions keep SpiffArena's truthiness."""

    def _matches(self, task: Task) -> bool:
        value = super()._matches(task)
        if not isinstance(value, bool):
            raise WorkflowTaskException(
                f"the condition {self.args[0]!r} gave {value!r}, not true or false (Camunda raises an "
                "incident here too): make it a comparison or test", task=task)
        return value


def strict_conditions(task_spec: Any) -> None:
    """Make a gateway's JUEL and FEEL conditions :class:`StrictCondition`."""
    conditions = getattr(task_spec, "cond_task_specs", None)
    if not conditions:
        return
    task_spec.cond_task_specs = [
        (StrictCondition(condition.args[0]) if type(condition) is _BpmnCondition
         and dialect_of(condition.args[0] or "") != "python" else condition, name)
        for condition, name in conditions
    ]
