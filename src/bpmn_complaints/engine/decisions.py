"""FEEL decisions in a process: a business rule task whose DMN is FEEL runs on our DMN 1.3
evaluator (:mod:`bpmn_complaints.expressions.dmn`) instead of SpiffWorkflow's engine, which
reads cells as Python. Python-cell (SpiffArena) tables stay on SpiffWorkflow's engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from ..expressions import ExpressionError
from ..expressions.dialects import DecisionBinding
from ..expressions.dmn import Model
from ..expressions.feel import from_python, to_python

if TYPE_CHECKING:
    from SpiffWorkflow.task import Task


class FeelDecisionEngine:
    """Stands in for SpiffWorkflow's ``DMNEngine``: ``result(task)`` is merged into the task data."""

    decision_table = None  # SpiffWorkflow's spec serializer reads it; our specs are never serialized

    def __init__(self, model: Model, binding: DecisionBinding) -> None:
        self.model = model
        self.binding = binding
        self.decision = binding.decision
        self.variable, self.outputs, self.multi = model.decision_outputs(binding.decision)

    def result(self, task: Task) -> dict[str, Any]:
        inputs = {name: from_python(value) for name, value in task.data.items()}
        try:
            value = to_python(self.model.evaluate(self.decision, inputs, strict=True))
            return self._store(value)
        except ExpressionError as err:
            raise WorkflowTaskException(f"Decision {self.decision!r} failed: {err}", task=task,
                                        exception=err) from err

    def _store(self, value: Any) -> dict[str, Any]:
        binding = self.binding
        if binding.mapping == "merge":
            return self._as_data(value)
        if binding.result_variable is None:
            return {}  # Camunda 7 keeps a result without a resultVariable only for the moment
        if binding.mapping == "value":
            return {binding.result_variable: value}
        return {binding.result_variable: self._camunda_result(value, binding.mapping)}

    def _rows(self, value: Any) -> list[dict[str, Any]]:
        """The decision's result as Camunda 7's list of matched rules, each a map of outputs."""
        names = self.outputs or [self.variable]
        values = value if self.multi else ([] if value is None else [value])
        return [v if isinstance(v, dict) and len(names) > 1 else {names[0]: v} for v in values]

    def _camunda_result(self, value: Any, mapping: str) -> Any:
        rows = self._rows(value)
        if mapping == "resultList":
            return rows
        if mapping == "collectEntries":
            if any(len(row) > 1 for row in rows):
                raise ExpressionError("collectEntries needs a decision with one output")
            return [next(iter(row.values())) for row in rows]
        if len(rows) > 1:
            raise ExpressionError(f"{mapping} needs at most one matching rule; {len(rows)} matched")
        if mapping == "singleResult":
            return rows[0] if rows else None
        # singleEntry
        if rows and len(rows[0]) > 1:
            raise ExpressionError("singleEntry needs a decision with one output")
        return next(iter(rows[0].values())) if rows else None

    def _as_data(self, value: Any) -> dict[str, Any]:
        if len(self.outputs) > 1:
            if isinstance(value, dict):
                return value
            if isinstance(value, list):  # several rows: one list per output, as SpiffWorkflow gives
                return {name: [row.get(name) if isinstance(row, dict) else None for row in value]
                        for name in self.outputs}
            return dict.fromkeys(self.outputs)
        name = (self.outputs[0] if self.outputs else "") or self.variable
        return {name: value}
