"""A supervisor's repairs of a complaint's process: what they send and what they see."""

from marshmallow import Schema, fields, validate

from .staff_actions import ActionDone

__all__ = ["ActionDone", "CancelIn", "InstanceStateOut", "MoveIn", "VariableIn"]

_REASON = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                        metadata={"description": "why (required; it goes in the complaint's trail)"})


class VariableIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    value = fields.Raw(required=True, allow_none=True,
                       metadata={"description": "a JSON value: a code, flag, date or number, never a person's words"})
    reason = _REASON


class MoveIn(Schema):
    from_element = fields.String(required=True, data_key="from", validate=validate.Length(min=1, max=200),
                                 metadata={"description": "the element id a token waits at"})
    to_element = fields.String(required=True, data_key="to", validate=validate.Length(min=1, max=200),
                               metadata={"description": "the element id to put it on (a task or intermediate event)"})
    reason = _REASON


class CancelIn(Schema):
    reason = _REASON


class TokenOut(Schema):
    element = fields.String()
    name = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "ready, waiting or error"})
    task_id = fields.String()
    data = fields.Dict()


class TimerOut(Schema):
    element = fields.String()
    name = fields.String(allow_none=True)
    due_at = fields.DateTime()


class InstanceStateOut(Schema):
    status = fields.String(metadata={"description": "the instance: running, waiting, error or completed"})
    definition = fields.String()
    tokens = fields.List(fields.Nested(TokenOut))
    variables = fields.Dict()
    timers = fields.List(fields.Nested(TimerOut))
