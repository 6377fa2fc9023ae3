"""A task form's draft: what the API and the task page's autosave send, and what they get back."""

from marshmallow import Schema, fields


class DraftIn(Schema):
    data = fields.Dict(keys=fields.String(), required=True)


class DraftOut(Schema):
    task_id = fields.String()
    data = fields.Dict(allow_none=True, metadata={"description": "the answers so far; null when there is no draft"})
    updated_at = fields.DateTime(allow_none=True)


class DraftFormIn(Schema):
    """The task page's autosave: the form's fields as the browser would post them."""

    data = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
