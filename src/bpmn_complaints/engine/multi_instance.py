"""How many instances a multi-instance activity may create: at most ``MULTI_INSTANCE_MAX``
(default 1,000). A literal cardinality beyond it is a deploy error (:mod:`.lint`); a
cardinality expression or an input collection beyond it, met at run time, fails the
activity before any instance is made, which becomes an incident."""

from __future__ import annotations

from collections.abc import Sized
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.task import Task

DEFAULT_MAX_INSTANCES = 1000


class TooManyInstances(ValueError):
    """A multi-instance activity would create more instances than allowed."""


def _count(spec: Any, my_task: Task) -> int | None:
    if spec.data_input is not None:
        if not spec.data_input.exists(my_task):
            return None
        collection = spec.data_input.get(my_task)
        return len(collection) if isinstance(collection, Sized) else None
    value = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
    return value if isinstance(value, int) else None


class _Bounded:
    """Mixed into a multi-instance spec: count before SpiffWorkflow makes the instances."""

    def _update_hook(self, my_task: Task) -> Any:
        limit = getattr(my_task.workflow.script_engine, "max_instances", DEFAULT_MAX_INSTANCES)
        my_task._inherit_data()  # what the base hook does first (merging the same data again is a no-op)
        count = _count(self, my_task)
        if count is not None and count > limit:
            raise TooManyInstances(f"{getattr(self, 'bpmn_id', None)} would create {count} instances, more than "
                                   f"the maximum of {limit} (MULTI_INSTANCE_MAX)")
        return super()._update_hook(my_task)  # type: ignore[misc]


_CLASSES: dict[type, type] = {}


def bound_multi_instances(process_spec: BpmnProcessSpec) -> None:
    """Give every multi-instance activity of ``process_spec`` the instance limit."""
    for task_spec in process_spec.task_specs.values():
        if isinstance(task_spec, MultiInstanceTask) and not isinstance(task_spec, _Bounded):
            cls = type(task_spec)
            if cls not in _CLASSES:
                _CLASSES[cls] = type(f"Bounded{cls.__name__}", (_Bounded, cls), {})
            task_spec.__class__ = _CLASSES[cls]
