"""A version's diagram as a heatmap of a chosen period (ISO 10002 8.7): how many complaints
passed each element, how long they spent there, how many wait there now, and how often
each flow was taken; clicking an element lists its complaints."""

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, render_template, request, url_for

from ..clock import utcnow
from ..exceptions import BadRequest
from ..policy import READ_REPORTS
from ..read_only import writes
from ..services import heatmap as service
from ..services.definitions import get_definition
from . import vendor
from .auth import staff_required

bp = Blueprint("heatmap_pages", __name__, url_prefix="/process")
DEFAULT_DAYS = 90
# What tells that a complaint waits at an element (services.heatmap.waiting).
TOLD_BY = {"task": "a task", "timer": "a timer", "message": "a message", "signal": "a signal",
           "conditional": "a condition", "event": "an event", "job": "a job", "external": "an external worker",
           "incident": "an incident", "multiple": "an event"}


def _period() -> tuple[datetime, datetime, date, date]:
    """[from, to) from the ``from`` and ``to`` dates (to inclusive); the last 90 days by default."""
    try:
        last = date.fromisoformat(request.args["to"]) if request.args.get("to") else utcnow().date()
        first = (date.fromisoformat(request.args["from"]) if request.args.get("from")
                 else last - timedelta(days=DEFAULT_DAYS - 1))
    except ValueError:
        raise BadRequest("dates are written YYYY-MM-DD") from None
    if first > last:
        raise BadRequest("the period starts after it ends")
    return (datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC),
            first, last)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


@bp.route("/<key>/<int:version>/heatmap")
@writes  # catches the rollup up to the newest trail event (services.heatmap.catch_up)
@staff_required(READ_REPORTS)
def show(key, version):
    definition = get_definition(key, version)
    start, end, first, last = _period()
    result = service.heatmap(definition, start, end)
    names = service.graph(definition).name
    figures = {bpmn_id: {"name": names(bpmn_id), "passed": f.passed, "median": f.median_seconds,
                         "p90": f.p90_seconds, "waiting": f.waiting,
                         "waiting_by": f.waiting_by}
               for bpmn_id, f in result.elements.items()}
    return render_template(
        "process/heatmap.html", definition=definition, result=result, first=first, last=last, figures=figures,
        duration=duration, available=vendor.available("bpmn-js"), told_by=TOLD_BY, names=names,
        element_url=url_for("heatmap_pages.element", key=key, version=version, bpmn_id="__ID__",
                            **{"from": first.isoformat(), "to": last.isoformat()}))


@bp.route("/<key>/<int:version>/heatmap/<bpmn_id>")
@writes  # catches the rollup up, as the page does
@staff_required(READ_REPORTS)
def element(key, version, bpmn_id):
    """The complaints at one element in the period (JSON, for the page's click)."""
    definition = get_definition(key, version)
    start, end, _first, _last = _period()
    rows = service.complaints_at(definition, bpmn_id, start, end)
    return {"element": bpmn_id, "name": service.graph(definition).name(bpmn_id), "complaints": [
        {"reference": ref, "at": where, "url": url_for("complaint_pages.show", reference=ref)} for ref, where in rows]}
