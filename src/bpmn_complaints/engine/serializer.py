"""Instance state as JSON, without the process spec.

SpiffWorkflow's serializer writes the whole parsed spec into every instance. The spec is
already stored once per definition version, so we leave it out and hand the cached spec
back in on restore: the stored state holds only the task tree and task data.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .specs import ClockCycle, ClockDuration, ClockTimeDate

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

    from .script_engine import ComplaintScriptEngine


class SpeclessWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # Skip BpmnWorkflowConverter.to_dict (which adds the specs); keep the rest.
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore(self, dct: dict[str, Any], spec: BpmnProcessSpec,
                subprocess_specs: dict[str, BpmnProcessSpec]) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = SpeclessWorkflowConverter
# Fired timer events are recorded in task data (e.g. by an event-based gateway), so our
# clocked timer definitions need converters: their parents' ones, under their own names.
for _ours, _theirs in ((ClockTimeDate, TimeDateEventDefinition), (ClockDuration, DurationTimerEventDefinition),
                       (ClockCycle, CycleTimerEventDefinition)):
    _config[_ours] = _config[_theirs]
_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
_converter = SpeclessWorkflowConverter(BpmnWorkflow, _serializer.registry)

#: Stored with every instance so a future SpiffWorkflow can migrate old state.
VERSION: str = _serializer.VERSION


def dumps(workflow: BpmnWorkflow) -> str:
    _serializer.registry._encoder_mode = True
    try:
        dct = _converter.to_dict(workflow)
    finally:
        _serializer.registry._encoder_mode = False
    return json.dumps(dct, cls=_serializer._encoder_cls, separators=(",", ":"))


def loads(state: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec],
          script_engine: ComplaintScriptEngine) -> BpmnWorkflow:
    """Restore a workflow and attach ``script_engine`` (it is never serialized: trap 2)."""
    workflow = _converter.restore(json.loads(state), spec, subprocess_specs)
    workflow.script_engine = script_engine
    return workflow


def scrub(state: str, keys: set[str], marker: str) -> str:
    """``state`` with every non-empty string stored under one of ``keys``, in any task's
    data, replaced by ``marker``: erasing free-text answers from a finished instance."""
    if not keys:
        return state

    def walk(value: object) -> object:
        if isinstance(value, dict):
            return {k: marker if k in keys and isinstance(v, str) and v else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return json.dumps(walk(json.loads(state)), separators=(",", ":"))
