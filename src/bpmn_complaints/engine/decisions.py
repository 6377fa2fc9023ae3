"""FEEL decisions in a process: a business rule task whose DMN is FEEL runs on our DMN 1.3
evaluator (:mod:`bpmn_complaints.expressions.dmn`) instead of SpiffWorkflow's engine, which
reads cells as Python. Python-cell (SpiffArena) tables stay on SpiffWorkflow's engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from ..expressions import ExpressionError
from ..expressions.dmn import Model
from ..expressions.feel import from_python, to_python

if TYPE_CHECKING:
    from SpiffWorkflow.task import Task


class FeelDecisionEngine:
    """Stands in for SpiffWorkflow's ``DMNEngine``: ``result(task)`` is merged into the task data."""

    decision_table = None  # SpiffWorkflow's spec serializer reads it; our specs are never serialized

    def __init__(self, model: Model, decision: str) -> None:
        self.model = model
        self.decision = decision
        self.variable, self.outputs = model.decision_outputs(decision)

    def result(self, task: Task) -> dict[str, Any]:
        inputs = {name: from_python(value) for name, value in task.data.items()}
        try:
            value = to_python(self.model.evaluate(self.decision, inputs, strict=True))
        except ExpressionError as err:
            raise WorkflowTaskException(f"Decision {self.decision!r} failed: {err}", task=task,
                                        exception=err) from err
        return self._as_data(value)

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
