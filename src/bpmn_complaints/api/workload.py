"""Workload per person (ISO 10002 4.3, 4.14), for supervisors."""

from marshmallow import Schema, fields

from ..policy import SEE_WORKLOAD
from ..services import workload as service
from .auth import require
from .blueprint import Blueprint

bp = Blueprint("workload", __name__, url_prefix="/api/workload", description="Workload per person")


class Person(Schema):
    name = fields.String()
    display_name = fields.String()
    active = fields.Boolean()
    groups = fields.List(fields.String())
    held = fields.Integer(metadata={"description": "Open tasks they hold (claimed or assigned)."})
    overdue = fields.Integer(metadata={"description": "Of those, the ones past their due date."})
    completed_recently = fields.Integer(metadata={"description": "Tasks they completed in the last recent_days."})
    oldest_held_since = fields.DateTime(allow_none=True)
    oldest_held_seconds = fields.Integer(allow_none=True)


class Workload(Schema):
    as_of = fields.DateTime()
    recent_days = fields.Integer()
    people = fields.List(fields.Nested(Person))


@bp.route("", methods=["GET"])
@require(SEE_WORKLOAD)
@bp.response(200, Workload)
def workload():
    """Each staff member's groups, open tasks held, overdue, completed in the last seven
    days and how long they have held the oldest."""
    return service.workload()
