"""The service-task handler contract.

A handler is a plain function that takes one :class:`HandlerContext` and returns
JSON-serializable data (or ``None``). The engine stores that value in the task data
under the service task's result variable, so gateways can route on it.

.. code-block:: python

    from bpmn_complaints.handlers import handler, RetryLater

    @handler("crm_update")          # or register through the entry point group
    def crm_update(ctx):            # "bpmn_complaints.handlers" from your own package
        ctx.params["status"]        # parameters from the diagram, already evaluated
        ctx.complaint.reference     # the complaint (read it; change it only via ctx)
        return {"crm_id": "..."}

What a handler may raise:

* :class:`RetryLater` - a transient failure (a timeout, a 503). The engine retries the
  task later with exponential backoff, up to the diagram's
  ``<spiffworkflow:retry retries=".." backoff_base=".."/>`` (or the configured default);
  after the last attempt it becomes an incident.
* :class:`HandlerIncident` - stop and show it to a person. The instance moves to status
  ``error`` with an incident (task, handler, message, attempts) that can be retried.
* :class:`BpmnError` - a business error with a code. A boundary error event on the
  service task with the same ``errorCode`` catches it; if nothing catches it, it becomes
  an incident.
* Any other exception is treated like :class:`HandlerIncident`, with its own message.

Handlers run inside the engine step, in the database transaction: whatever a handler
records through the context commits or rolls back with the step. A handler must not talk
to the outside world directly; it queues work (emails, HTTP calls) that the worker
delivers after commit.
"""

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol


class HandlerError(Exception):
    """Base class of the errors a handler raises on purpose."""


class RetryLater(HandlerError):
    """A transient failure: try again later.

    :param message: what went wrong, shown if retries run out.
    :param delay: seconds to wait at least before the next attempt (optional).
    """

    def __init__(self, message: str, delay: float | None = None):
        super().__init__(message)
        self.delay = delay


class HandlerIncident(HandlerError):
    """A failure a person must look at. The message is shown in the incident."""


class BpmnError(HandlerError):
    """A business error that a boundary error event with ``errorCode == code`` catches."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class TaskInfo:
    """The service task being run."""

    id: str
    bpmn_id: str
    name: str
    lane: str | None
    data: dict  # a copy of the task data; changing it has no effect


@dataclass(frozen=True)
class DefinitionInfo:
    key: str
    version: int


@dataclass
class HandlerContext:
    """Everything a handler gets.

    :ivar complaint: the complaint (a read-only view for integrators; ``None`` for
        instances started without a complaint).
    :ivar task: the service task, with a copy of its data.
    :ivar definition: the process definition key and version this instance runs.
    :ivar params: the diagram's parameters, already evaluated.
    :ivar attempt: 1 on the first try, 2 on the first retry, and so on.
    :ivar services: host services for built-in handlers (clock, mail outbox, users);
        integrators should not need them.
    """

    complaint: Any
    task: TaskInfo
    definition: DefinitionInfo
    params: dict
    attempt: int = 1
    services: Any = None
    notes: list = field(default_factory=list)


class Handler(Protocol):
    def __call__(self, ctx: HandlerContext) -> Any: ...


HandlerFunc = Callable[[HandlerContext], Any]
