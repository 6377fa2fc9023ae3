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

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from ..business_calendar import BusinessCalendar


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


PERSONAL_FIELDS = ("name", "email", "phone", "description", "remedy_sought")


@dataclass(frozen=True)
class ComplaintView:
    """The complaint a handler works for, as it stood when the handler was called. A
    frozen copy: changing the complaint goes through ``ctx.services``.

    The complainant's personal fields (:data:`PERSONAL_FIELDS`: name, email, phone,
    description, remedy sought) are ``None`` unless the handler declared that it needs
    them (``personal_data=True`` in :func:`handler_options`)."""

    id: int
    reference: str
    name: str | None
    email: str | None
    phone: str | None
    product: str | None
    category: str | None
    description: str | None
    remedy_sought: str | None
    channel: str
    preferred_contact: str | None
    received_at: datetime
    entered_by: str | None
    status: str
    state: str
    priority: str | None
    closed_at: datetime | None
    closure_reason: str | None

    @classmethod
    def of(cls, complaint: Any, personal: bool = True) -> ComplaintView:
        """A view of ``complaint`` (any object with these attributes, e.g. the model),
        without its personal fields unless ``personal``."""
        values: dict[str, Any] = {f.name: getattr(complaint, f.name) for f in fields(cls)}
        if not personal:
            values.update(dict.fromkeys(PERSONAL_FIELDS))
        return cls(**values)

    def without_personal_data(self) -> ComplaintView:
        hidden: dict[str, Any] = dict.fromkeys(PERSONAL_FIELDS)
        return replace(self, **hidden)


@dataclass(frozen=True)
class WaitsAfter:
    """What the process waits for right after the task: message names, and the moments
    its timers would fire (earliest first). A letter's promises come from here."""

    messages: tuple[str, ...] = ()
    timers: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class TaskInfo:
    """The service task being run."""

    id: str
    bpmn_id: str
    name: str
    lane: str | None
    data: dict[str, Any]  # a copy of the task data; changing it has no effect
    waits_after: WaitsAfter = field(default_factory=WaitsAfter)


@dataclass(frozen=True)
class DefinitionInfo:
    key: str
    version: int


class QueuedEmail(Protocol):
    """An email written to the outbox (delivered by the worker after commit)."""

    message_id: str
    template: str
    subject: str
    body_text: str
    body_html: str | None


class StaffMember(Protocol):
    """A user, as the host lists group members (read-only, for handlers)."""

    @property
    def name(self) -> str: ...

    @property
    def display_name(self) -> str | None: ...

    @property
    def email(self) -> str | None: ...

    @property
    def skills(self) -> list[str] | None: ...


class HostServices(Protocol):
    """What the host offers handlers through ``ctx.services``. Built-in handlers use it;
    an integrator's handler seldom needs more than ``now`` and ``setting``."""

    def now(self) -> datetime: ...

    def calendar(self) -> BusinessCalendar: ...

    def setting(self, key: str) -> Any: ...

    def text(self, value: Any) -> Any:
        """Task data holds no free text: a person's words are a pointer into the case
        file (``casefile:...``). This returns the words (any other value as it is)."""
        ...

    def record(self, action: str, **details: Any) -> None: ...

    def email(self, to: str | list[str] | None, template: str, **context: Any) -> QueuedEmail: ...

    def status_token(self) -> str | None: ...

    def status_link(self) -> str: ...

    def staff_link(self) -> str: ...

    def feedback_link(self) -> str: ...

    def group_members(self, group: str) -> Sequence[StaffMember]: ...

    def task_performers(self, group: str) -> set[str]: ...

    def named_in_complaint(self, user: StaffMember) -> bool: ...

    def open_workload(self, names: list[str]) -> dict[str, int]: ...

    def close_complaint(self, reason: str) -> None: ...


@dataclass
class HandlerContext:
    """Everything a handler gets.

    :ivar complaint: the complaint, a read-only :class:`ComplaintView` (``None`` for
        instances started without a complaint).
    :ivar task: the service task, with a copy of its data.
    :ivar definition: the process definition key and version this instance runs.
    :ivar params: the diagram's parameters, already evaluated.
    :ivar attempt: 1 on the first try, 2 on the first retry, and so on.
    :ivar services: the host's :class:`HostServices` (clock, calendar, mail outbox, users).
    :ivar idempotency_key: ``<process key>:<instance id>:<task id>``. The same on every
        attempt at this task (retries, a timed-out call, a lost race that runs the change
        again): send it to the outside system so it can drop a duplicate. A process that
        comes back to the same element (a loop) makes a new task, and a new key.
    :ivar config: the plugin's own settings, from the ``COMPLAINTS_PLUGIN_<NAME>_<KEY>``
        environment variables (``<NAME>``: the distribution name in capitals, ``-`` and
        ``.`` as ``_``), keyed by ``<KEY>``. Secrets go there, never in the diagram.
    """

    complaint: ComplaintView | None
    task: TaskInfo
    definition: DefinitionInfo
    params: Mapping[str, Any]
    attempt: int = 1
    services: HostServices = field(default_factory=lambda: cast(HostServices, _NoHost()))
    idempotency_key: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)


class _NoHost:
    """The ``services`` of a context made without a host (a handler's unit test)."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"this HandlerContext has no host services (ctx.services.{name})")


class Handler(Protocol):
    """A service-task handler: takes the context, returns JSON-serializable data."""

    def __call__(self, ctx: HandlerContext) -> Any: ...


HandlerFunc = Callable[[HandlerContext], Any]


@dataclass(frozen=True)
class HandlerOptions:
    """How the engine runs a handler, declared where it is registered.

    :ivar inline: the handler is pure and fast (it only reads our database and queues
        work, such as an email, in the outbox), so it may run inside the change that
        reaches its task, even a person's request. Every other handler runs in the worker,
        after the change has committed (an asynchronous continuation).
    :ivar timeout: seconds one call may take in the worker (default: config
        ``HANDLER_TIMEOUT_SECONDS``); past it the call counts as a :class:`RetryLater`.
    :ivar personal_data: the handler needs the complainant's personal fields in
        ``ctx.complaint`` (to write to them, say); without it they are ``None``.
    """

    inline: bool = False
    timeout: float | None = None
    personal_data: bool = False


OPTIONS_ATTRIBUTE = "__complaints_handler_options__"


def handler_options(inline: bool = False, timeout: float | None = None,
                    personal_data: bool = False) -> Callable[[HandlerFunc], HandlerFunc]:
    """Declare how a handler runs (see :class:`HandlerOptions`); works for built-ins and
    for handlers registered through the entry point alike::

        @handler_options(timeout=5)
        def crm_update(ctx): ...
    """

    def mark(func: HandlerFunc) -> HandlerFunc:
        setattr(func, OPTIONS_ATTRIBUTE, HandlerOptions(inline=inline, timeout=timeout, personal_data=personal_data))
        return func

    return mark


def options_of(func: HandlerFunc) -> HandlerOptions:
    """The options a handler declared, or the defaults."""
    options = getattr(func, OPTIONS_ATTRIBUTE, None)
    return options if isinstance(options, HandlerOptions) else HandlerOptions()
