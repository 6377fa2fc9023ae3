"""What the engine tells the application about an instance, and what it asks of it.

The engine knows process instances, not complaints. Each change reports what happened
(steps completed, human tasks created, trail events, how the instance settled) to an
:class:`InstanceObserver`; the application registers a factory for them as
``app.extensions["complaints_observer"]`` (``instance -> observer``). Without one the
engine runs with :class:`NullObserver`, which is what engine tests use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from flask import current_app

if TYPE_CHECKING:
    from ..models import HumanTask, ProcessInstance


@dataclass(frozen=True)
class Step:
    """A diagram element the engine completed during a change."""

    task_id: str
    bpmn_id: str
    name: str | None
    type: str
    timer: bool  # a timer event that fired
    manual: bool  # a user or manual task (completed by a person)
    properties: Mapping[str, str]  # the element's extension properties


@dataclass(frozen=True)
class Settled:
    """How an instance stands at the end of a change.

    :ivar data: the task data of the last task that ran (read it; do not change it).
    :ivar ended: the process has ended (normally or by an interrupting event sub-process).
    :ivar active_property: ``name -> value`` of that extension property on the newest
        active element that has it (``None`` if none has).
    """

    data: Mapping[str, Any]
    ended: bool
    active_property: Callable[[str], str | None]


class InstanceObserver(Protocol):
    def started(self, instance: ProcessInstance) -> None:
        """A new instance was created (not yet flushed): link it to what it serves."""

    def record(self, action: str, actor: str, *, task_id: str | None = None, bpmn_id: str | None = None,
               **details: Any) -> None:
        """Something worth a line in the instance's trail happened."""

    def step_completed(self, step: Step) -> None:
        """An element finished."""

    def task_created(self, row: HumanTask) -> None:
        """A human-task row is about to be added for a task that became ready."""

    def settled(self, settled: Settled) -> None:
        """The change is over; the instance waits, failed or ended."""

    def handler_context(self) -> tuple[Any, Any]:
        """What a service-task handler gets as ``ctx.complaint`` and ``ctx.services``."""


class NullObserver:
    """Hears everything and does nothing: an instance that serves nobody."""

    def started(self, instance: ProcessInstance) -> None:
        pass

    def record(self, action: str, actor: str, *, task_id: str | None = None, bpmn_id: str | None = None,
               **details: Any) -> None:
        pass

    def step_completed(self, step: Step) -> None:
        pass

    def task_created(self, row: HumanTask) -> None:
        pass

    def settled(self, settled: Settled) -> None:
        pass

    def handler_context(self) -> tuple[Any, Any]:
        return None, None


ObserverFactory = Callable[["ProcessInstance"], InstanceObserver]


def observer_for(instance: ProcessInstance) -> InstanceObserver:
    """The application's observer for ``instance`` (a :class:`NullObserver` if the
    application registered none)."""
    factory: ObserverFactory | None = current_app.extensions.get("complaints_observer")
    return factory(instance) if factory is not None else NullObserver()
