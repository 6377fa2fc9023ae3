"""The handlers the running web and worker processes have loaded (what diagrams may bind)."""

from ..policy import READ_HANDLERS
from ..schemas.external_tasks import HandlerOut
from ..services import handler_processes as service
from .auth import require
from .blueprint import Blueprint

bp = Blueprint("handlers", __name__, url_prefix="/api/handlers", description="Handlers")


@bp.route("", methods=["GET"])
@bp.response(200, HandlerOut(many=True))
@require(READ_HANDLERS)
def list_handlers():
    """Every handler a running process has loaded, where it came from, and the running
    workers that lack it."""
    return service.known_handlers()
