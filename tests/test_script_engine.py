"""The script engine SpiffWorkflow gets never reaches Python's eval or exec."""

import builtins

import pytest

from bpmn_complaints.engine.script_engine import SafeEnvironment
from bpmn_complaints.expressions import ExpressionError


def test_modeler_wrappers_choose_the_dialect():
    env = SafeEnvironment({})
    assert env.evaluate("${!approved}", {"approved": False}) is True
    assert env.evaluate("#{amount > 100 && vip}", {"amount": 150, "vip": True}) is True
    assert env.evaluate('=severity = "high"', {"severity": "high"}) is True
    assert env.evaluate("  x == 1 ", {"x": 1}) is True


def test_environment_evaluates_and_executes_without_eval(monkeypatch):
    def forbidden(*_args, **_kwargs):
        raise AssertionError("eval/exec must never be called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    env = SafeEnvironment({})
    assert env.evaluate("severity in ('high', 'urgent') and not in_scope", {"severity": "high", "in_scope": False})
    data = {"severity": "high"}
    env.execute("priority = 'urgent' if severity == 'high' else 'normal'\ntarget_days = 5", data)
    assert data == {"severity": "high", "priority": "urgent", "target_days": 5}


@pytest.mark.parametrize("script", [
    "import os",
    "x = __import__('os')",
    "x = ().__class__.__bases__",
    "def f():\n    pass",
])
def test_scripts_that_are_not_plain_assignments_are_refused(script):
    with pytest.raises(ExpressionError):
        SafeEnvironment({}).execute(script, {})
