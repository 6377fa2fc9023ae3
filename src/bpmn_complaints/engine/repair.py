"""A supervisor's repairs of a running instance: what it holds (the variables at each
waiting token, the pending timers with their due dates), set a variable, move a waiting
token. Each is one change through the usual path (load, change, run on, persist) and is
reported to the observer with who did it and why; the caller checks who may."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from ..exceptions import AppError, Conflict, ProcessFailed
from ..models import ProcessInstance
from .incidents import describe, element_of, open_incidents, resolve
from .loop import advance
from .persist import persist
from .runtime import load
from .timers import pending_timers
from .token_move import move_token, waiting_tokens


@dataclass(frozen=True)
class Token:
    element: str
    name: str | None
    state: str  # ready, waiting or error
    task_id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Timer:
    element: str
    name: str | None
    due_at: datetime


@dataclass(frozen=True)
class InstanceState:
    tokens: list[Token]
    timers: list[Timer]

    @property
    def variables(self) -> dict[str, Any]:
        """The variables the next steps will see: each token's data, the newest last."""
        merged: dict[str, Any] = {}
        for token in self.tokens:
            merged.update(token.data)
        return merged


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(json.dumps(data, default=str)))


def state_of(instance: ProcessInstance) -> InstanceState:
    """Where ``instance`` waits, with what data, and its pending timers."""
    run = load(instance, "repair")
    tokens = [Token(str(t.task_spec.bpmn_id), t.task_spec.bpmn_name, TaskState.get_name(t.state).lower(), str(t.id),
                    _plain(t.data)) for t in sorted(waiting_tokens(run), key=lambda t: t.last_state_change)]
    timers = [Timer(str(t.task_spec.bpmn_id), t.task_spec.bpmn_name, due) for t, due in pending_timers(run.workflow)]
    return InstanceState(tokens, timers)


def set_variable(instance: ProcessInstance, name: str, value: Any, actor: str, reason: str) -> Any:
    """Set variable ``name`` to ``value`` at every waiting token; returns the value before
    (``None`` if it was not set).

    :raises Conflict: if the instance waits nowhere (it ended).
    """
    run = load(instance, actor)
    tokens = waiting_tokens(run)
    if not tokens:
        raise Conflict("this process waits nowhere, so it has no variables to set")
    before = next((t.data[name] for t in reversed(tokens) if name in t.data), None)
    for token in tokens:
        token.data[name] = value
    run.observer.record("variable_set", actor, name=name, before=before, after=value, reason=reason,
                        elements=sorted({str(t.task_spec.bpmn_id) for t in tokens}))
    persist(run)
    return before


def move(instance: ProcessInstance, from_element: str, to_element: str, actor: str, reason: str) -> None:
    """Move the token waiting at ``from_element`` to ``to_element`` and run on. If a step
    fails on the way, the move is rolled back and the failure named (no incident: the
    supervisor is there to read it). An incident of the moved token is resolved.

    :raises Conflict: as :func:`.token_move.move_token` does.
    :raises ProcessFailed: if the process fails on the way from ``to_element``.
    """
    run = load(instance, actor)
    moved_from = next((t for t in waiting_tokens(run) if t.task_spec.bpmn_id == from_element), None)
    token = move_token(run, from_element, to_element)
    run.observer.record("token_moved", actor, task_id=str(token.id), bpmn_id=to_element, before=from_element,
                        after=to_element, reason=reason)
    try:
        advance(run, strict=True)
    except AppError:
        raise
    except Exception as err:
        bpmn_id = element_of(run, err)
        raise ProcessFailed(f"the process failed at {bpmn_id!r} after the move, so nothing was moved: "
                            f"{describe(err).rstrip('.')}", {"element": bpmn_id, "reason": describe(err)}) from err
    if moved_from is not None:
        resolve(run, [i for i in open_incidents(instance) if i.task_id == str(moved_from.id)])
    persist(run)
