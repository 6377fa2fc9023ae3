"""A supervisor's repairs of a complaint's process, as on its page: where it waits (its
variables and pending timers), set a variable, move a waiting token, cancel it. Each
change needs a reason and is audited in the complaint's trail."""

from ..db import run_change
from ..policy import INSPECT_INSTANCES, REPAIR_INSTANCES
from ..schemas.repair import ActionDone, CancelIn, InstanceStateOut, MoveIn, VariableIn
from ..services import repair as service
from .auth import current_user, require
from .blueprint import Blueprint
from .complaint_actions import done as _done

bp = Blueprint("repair", __name__, url_prefix="/api/complaints", description="Repairs of a complaint's process")


@bp.route("/<reference>/process-state", methods=["GET"])
@bp.response(200, InstanceStateOut)
@require(INSPECT_INSTANCES)
def state(reference):
    """Where the complaint's process waits, with the variables there, and its pending
    timers with their due dates."""
    return service.state(reference, current_user())


@bp.route("/<reference>/variables", methods=["POST"])
@bp.arguments(VariableIn)
@bp.response(200, ActionDone)
@bp.alt_response(409, description="The complaint is closed, or its process waits nowhere")
@require(REPAIR_INSTANCES)
def set_variable(body, reference):
    """Set a process variable where the complaint waits, with a reason."""
    return _done(run_change(service.set_variable, reference, current_user(), body["name"], body["value"],
                            body["reason"]))


@bp.route("/<reference>/move", methods=["POST"])
@bp.arguments(MoveIn)
@bp.response(200, ActionDone)
@bp.alt_response(409, description="The complaint is closed, or no token can move so")
@bp.alt_response(422, description="The process failed on its way from the new element; nothing moved")
@require(REPAIR_INSTANCES)
def move_token(body, reference):
    """Move the token waiting at ``from`` to ``to`` (a task or intermediate event of the
    same process), with a reason; the process runs on from there."""
    return _done(run_change(service.move_token, reference, current_user(), body["from_element"],
                            body["to_element"], body["reason"]))


@bp.route("/<reference>/cancel", methods=["POST"])
@bp.arguments(CancelIn)
@bp.response(200, ActionDone)
@bp.alt_response(409, description="The complaint is already closed")
@require(REPAIR_INSTANCES)
def cancel(body, reference):
    """Stop the complaint's process and close it as ``cancelled`` (never "withdrawn"), with a reason."""
    return _done(run_change(service.cancel, reference, current_user(), body["reason"]))
