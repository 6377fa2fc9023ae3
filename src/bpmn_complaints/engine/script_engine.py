"""Our replacement for SpiffWorkflow's ``PythonScriptEngine``.

SpiffWorkflow 3.2.0 evaluates gateway conditions, DMN cells, timer values and service
parameters with plain ``eval``/``exec`` (trap 9). This engine sends every one of them to
the safe evaluator in :mod:`bpmn_complaints.expressions` instead, so a diagram never runs
arbitrary Python. Script tasks run as restricted scripts: lines of ``name = expression``
only.

It also carries the clock (timers ask it for "now") and the service caller (trap 1: the
base ``call_service`` hides a handler's real error behind a NameError, so it is never
called).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.task import Task

from .. import expressions
from ..business_calendar import BusinessCalendar
from ..expressions.dialects import compile_dialect, unwrap
from ..expressions.functions import Functions
from .multi_instance import DEFAULT_MAX_INSTANCES


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _parse_moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def time_functions(now: Callable[[], datetime], calendar: BusinessCalendar) -> dict[str, Callable[..., str]]:
    """The clock- and calendar-bound functions the expression language offers."""

    def add_business_days(start: Any, n: Any) -> str:
        return _iso(calendar.add_business_days(_parse_moment(start), int(n)))

    def add_days(start: Any, n: Any) -> str:
        return _iso(_parse_moment(start) + timedelta(days=float(n)))

    return {
        "now": lambda: _iso(now()),
        "today": lambda: now().date().isoformat(),
        "business_days": lambda n: _iso(calendar.add_business_days(now(), int(n))),
        "add_business_days": add_business_days,
        "add_days": add_days,
    }


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Evaluates with :mod:`bpmn_complaints.expressions`; never reaches ``eval`` or ``exec``."""

    def __init__(self, functions: Functions) -> None:
        super().__init__({})
        self.functions = {**expressions.DEFAULT_FUNCTIONS, **functions}

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        names = {**context, **(external_context or {})}
        # Each dialect by its wrapper: ${}/#{} JUEL, =... FEEL, else our Python-like language.
        return compile_dialect(expression).evaluate(names, self.functions)

    def execute(self, script: str | None, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        compiled = expressions.compile_script(script or "")
        names = {**(external_context or {}), **context}
        assigned = compiled.execute(names, self.functions)
        context.update(assigned)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> NoReturn:
        raise RuntimeError("service calls go through ComplaintScriptEngine.call_service")


class ComplaintScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """The script engine attached to every workflow we create or restore (trap 2)."""

    environment: SafeEnvironment

    def __init__(self, now: Callable[[], datetime], calendar: BusinessCalendar,
                 service_caller: Callable[..., Any] | None = None,
                 max_instances: int = DEFAULT_MAX_INSTANCES,
                 deferrer: Callable[[Task], bool] | None = None) -> None:
        self.now = now
        self.max_instances = max_instances  # per multi-instance activity (.multi_instance)
        self.calendar = calendar
        self.service_caller = service_caller
        self.deferrer = deferrer
        super().__init__(environment=SafeEnvironment(time_functions(now, calendar)))

    def validate(self, expression: str) -> None:
        # DMN relies on SyntaxError here to tell "== value" cells from "> 3" cells.
        ast.parse(unwrap(expression), mode="eval")

    def evaluate(self, task: Task, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except expressions.ExpressionError as err:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {err}", task=task, exception=err
            ) from err

    def execute(self, task: Task, script: str | None, external_context: dict[str, Any] | None = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context)
        except expressions.ExpressionError as err:
            raise WorkflowTaskException(f"Script failed: {err}", task=task, exception=err) from err

    def evaluate_timer(self, task: Task, expression: str) -> str:
        """A timer value: a bare ISO 8601 literal as typed in a modeler (trap 4), or an
        expression that yields one (or a datetime)."""
        literal = expressions.parse_timer_literal(unwrap(expression))
        if literal is not None:
            return literal
        value = self.evaluate(task, expression)
        return _iso(value) if isinstance(value, datetime) else str(value)

    def defers(self, task: Task) -> bool:
        """Whether service task ``task`` waits for a job instead of running now; when it
        does, the deferrer has written that job."""
        return self.deferrer is not None and self.deferrer(task)

    def call_service(self, task: Task, **kwargs: Any) -> Any:
        # Never call the base method: it raises NameError('script') and hides the cause.
        if self.service_caller is None:
            raise RuntimeError("this script engine has no service caller")
        return self.service_caller(task, **kwargs)
