"""marshmallow schemas of the editor's helpers: handlers, expression checks, timer previews."""

from marshmallow import Schema, fields, validate

from ..expressions.errors import MAX_SOURCE_LENGTH
from ..services.editor_tools import TIMER_KINDS


class HandlerOut(Schema):
    name = fields.String()
    origin = fields.String(metadata={"description": "built-in module, or the plugin's distribution"})
    description = fields.String(metadata={"description": "the handler's documentation, naming its parameters"})


class HandlerList(Schema):
    items = fields.List(fields.Nested(HandlerOut))
    total = fields.Integer()


class _Bundle(Schema):
    key = fields.String(load_default=None, validate=validate.Length(max=200),
                        metadata={"description": "check against this process's latest version"})
    files = fields.Dict(keys=fields.String(), values=fields.String(), load_default=None,
                        metadata={"description": "or against these files (the editor's unsaved bundle)"})


class ExpressionCheckIn(_Bundle):
    expression = fields.String(required=True, validate=validate.Length(max=MAX_SOURCE_LENGTH))


class ExpressionCheckOut(Schema):
    ok = fields.Boolean()
    message = fields.String()
    names = fields.List(fields.String(), metadata={"description": "the variables the expression reads"})
    unknown = fields.List(fields.String(), metadata={"description": "those that nothing in the process sets"})


class TimerPreviewIn(Schema):
    expression = fields.String(required=True, validate=validate.Length(max=MAX_SOURCE_LENGTH))
    kind = fields.String(load_default="timeDate", validate=validate.OneOf(TIMER_KINDS))
    variables = fields.Dict(keys=fields.String(), load_default=None,
                            metadata={"description": "sample task data (received_at is now unless given)"})


class TimerPreviewOut(Schema):
    ok = fields.Boolean()
    message = fields.String()
    due_at = fields.String(allow_none=True)
    business_days = fields.Integer(metadata={"description": "business days from now"})
