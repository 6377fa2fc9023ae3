"""SpiffWorkflow's parser, taught our conventions.

* Service tasks bind to handlers through any of the three dialects in
  :mod:`bpmn_complaints.expressions.dialects` (the spiff parser alone rejects Camunda
  diagrams: trap 5), and user and manual tasks take Camunda's assignment as properties.
* Camunda's shorthand (implicit parallel splits, multi-instance collections) is made
  explicit BPMN first (:mod:`.bpmn_rewrite`), and an abstract ``bpmn:task`` passes through.
* Timer definitions are swapped for clocked ones, and the start task for one that leaves
  the spec alone at run time (:mod:`.specs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import (
    BusinessRuleTaskParser,
    SpiffTaskParser,
    SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask, ManualTask, SubWorkflowTask, UserTask

from ..expressions.dialects import BindingError, DecisionBinding, read_assignment, read_binding, read_decision
from ..expressions.dmn import DmnError, dmn_dialect, read_model
from . import camunda_forms
from .bpmn_rewrite import rewrite
from .correlation import declared_keys
from .decisions import FeelDecisionEngine
from .multi_instance import bound_multi_instances
from .specs import PassThroughTask, ServiceTask, clocked_timer, strict_conditions
from .workarounds import freeze_start

if TYPE_CHECKING:
    from lxml.etree import _Element
    from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
    from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowTaskBase


class BoundServiceTaskParser(SpiffTaskParser):  # type: ignore[misc]
    spec_class: type[ServiceTask]  # from ComplaintsBpmnParser.OVERRIDE_PARSER_CLASSES

    def create_task(self) -> ServiceTask:
        try:
            binding = read_binding(self.node)
        except BindingError as err:
            raise ValidationException(str(err), node=self.node, file_name=self.filename) from None
        if binding is None or not binding.handler:
            raise ValidationException(
                "This service task names no handler: set a SpiffArena service task operator, "
                "a Camunda external-task topic or a Zeebe task type",
                node=self.node, file_name=self.filename,
            )
        extensions = self.parse_extensions()
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            operation_name=binding.handler,
            operation_params={k: {"value": v, "type": "any"} for k, v in binding.params.items()},
            result_variable=binding.result_variable,
            retries=binding.retries,
            retry_backoff_base=binding.backoff_base,
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


def _decision(node: _Element, filename: str | None) -> DecisionBinding:
    try:
        binding = read_decision(node)
    except BindingError as err:
        raise ValidationException(str(err), node=node, file_name=filename) from None
    if binding is None:
        raise ValidationException(
            "This business rule task names no decision: set SpiffArena's called decision, "
            "camunda:decisionRef or zeebe:calledDecision", node=node, file_name=filename)
    return binding


class BoundBusinessRuleTaskParser(BusinessRuleTaskParser):  # type: ignore[misc]
    """A business rule task calling its decision in SpiffArena's, Camunda 7's or Camunda 8's way."""

    @staticmethod
    def get_decision_ref(node: _Element) -> str | None:
        try:
            binding = read_decision(node)
        except BindingError:
            return None
        return binding.decision if binding is not None else None

    def create_task(self) -> BusinessRuleTask:
        binding = _decision(self.node, self.filename)
        parser: ComplaintsBpmnParser = self.process_parser.parser
        extensions = self.parse_extensions()
        return BusinessRuleTask(
            self.spec, self.bpmn_id,
            dmnEngine=parser.decision_engine(binding, self.node),
            prescript=extensions.get("preScript"), postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


class _AssignmentParser(SpiffTaskParser):  # type: ignore[misc]
    """Adds a Camunda 7/8 assignment and form to the task's properties (SpiffArena's own win)."""

    def parse_extensions(self, node: _Element | None = None) -> dict[str, Any]:
        extensions: dict[str, Any] = super().parse_extensions(node)
        if node is None or node is self.node:
            try:
                assignment = read_assignment(self.node)
            except BindingError as err:
                raise ValidationException(str(err), node=self.node, file_name=self.filename) from None
            if assignment:
                extensions["properties"] = {**assignment, **extensions.get("properties", {})}
            try:
                form = camunda_forms.declaration(self.node)
            except camunda_forms.FormUnsupported as err:
                raise ValidationException(str(err), node=self.node, file_name=self.filename) from None
            if form:
                extensions["properties"] = {camunda_forms.PROPERTY: form, **extensions.get("properties", {})}
        return extensions


class AssignedUserTaskParser(_AssignmentParser, UserTaskParser):  # type: ignore[misc]
    pass


class AssignedManualTaskParser(_AssignmentParser):
    pass


class EventSubprocessParser(SubWorkflowParser):  # type: ignore[misc]
    """Event sub-processes, as SpiffWorkflow 3.2.0 fails to see them: it looks for a
    namespaced ``triggeredByEvent`` attribute that modelers never write, and it ignores the
    start event's ``isInterrupting`` (BPMN's default is true). We read both; the runtime
    does the interrupting."""

    def create_task(self) -> SubWorkflowTaskBase:
        extensions = self.parse_extensions()
        triggered = self.node.get("triggeredByEvent") == "true"
        spec_class = self.EVENT_SUBPROCESS_CLASS if triggered else self.spec_class
        task = spec_class(
            self.spec, self.bpmn_id,
            subworkflow_spec=SubprocessParser.get_subprocess_spec(self),
            prescript=extensions.get("preScript"), postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )
        if triggered:
            start = self.node.find(full_tag("startEvent"))
            task.interrupting = start is None or start.get("isInterrupting", "true") != "false"
        return task


class ComplaintsBpmnParser(SpiffBpmnParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (BoundServiceTaskParser, ServiceTask),
        full_tag("subProcess"): (EventSubprocessParser, SubWorkflowTask),
        full_tag("userTask"): (AssignedUserTaskParser, UserTask),
        full_tag("manualTask"): (AssignedManualTaskParser, ManualTask),
        full_tag("businessRuleTask"): (BoundBusinessRuleTaskParser, BusinessRuleTask),
        full_tag("task"): (SpiffTaskParser, PassThroughTask),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.correlation_keys: dict[str, str] = {}  # message name -> key expression (engine/correlation)

    def add_bpmn_xml(self, bpmn: _Element, filename: str | None = None) -> None:
        super().add_bpmn_xml(rewrite(bpmn), filename)
        self.correlation_keys.update(declared_keys(bpmn))

    def add_dmn_xml(self, node: _Element, filename: str | None = None) -> None:
        super().add_dmn_xml(node, filename)
        if dmn_dialect(node) == "feel":
            # SpiffWorkflow knows a DMN file by its first decision; a FEEL model (a DRD) may
            # be called by any of its decisions.
            decisions = list(node.iterfind("{*}decision"))
            first = self.dmn_parsers.get(decisions[0].get("id")) if decisions else None
            for decision in decisions if first is not None else []:
                if decision.get("id"):
                    self.dmn_parsers.setdefault(decision.get("id"), first)

    def decision_engine(self, binding: DecisionBinding, node: _Element) -> Any:
        """The engine for a business rule task: ours for a FEEL model, SpiffWorkflow's for a
        Python-cell one (which merges the outputs into the task data, as SpiffArena does)."""
        dmn_parser = self.dmn_parsers.get(binding.decision)
        if dmn_parser is not None and dmn_dialect(dmn_parser.node) == "feel":
            try:
                return FeelDecisionEngine(read_model(dmn_parser.node), binding)
            except DmnError as err:
                raise ValidationException(str(err), node=node, file_name=dmn_parser.filename) from None
        if binding.mapping != "merge" and dmn_parser is not None:
            raise ValidationException(
                f"the decision {binding.decision!r} has Python-like cells (SpiffArena's), but the task calls it the "
                "Camunda way: declare the DMN's expressionLanguage FEEL, or call it with SpiffArena's called "
                "decision", node=node, file_name=None)
        return self.get_engine(binding.decision, node)

    def get_spec(self, process_id: str, required: bool = True) -> BpmnProcessSpec | None:
        spec = super().get_spec(process_id, required)
        if spec is not None:
            _finish(spec)
            spec.correlation_keys = self.correlation_keys
        return spec

    def get_subprocess_specs(self, name: str, specs: dict[str, BpmnProcessSpec] | None = None,
                             require_call_activity_specs: bool = True) -> dict[str, BpmnProcessSpec]:
        specs = super().get_subprocess_specs(name, specs, require_call_activity_specs)
        for spec in specs.values():
            _finish(spec)
        return specs


def _finish(process_spec: BpmnProcessSpec) -> None:
    clock_timers(process_spec)
    freeze_start(process_spec)
    bound_multi_instances(process_spec)
    for task_spec in process_spec.task_specs.values():
        strict_conditions(task_spec)


def clock_timers(process_spec: BpmnProcessSpec) -> None:
    """Replace every timer definition in ``process_spec`` with its clocked twin."""
    for task_spec in process_spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if definition is None:
            continue
        if isinstance(definition, MultipleEventDefinition):
            definition.event_definitions = [
                clocked_timer(d) or d for d in definition.event_definitions
            ]
        else:
            replacement = clocked_timer(definition)
            if replacement is not None:
                task_spec.event_definition = replacement
