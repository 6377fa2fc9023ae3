"""Management reports (ISO 10002 clause 8): the summary for a period, as JSON or CSV."""

from flask import Response

from ..policy import READ_REPORTS
from ..schemas.reports import ReportQuery, ReportSummary
from ..services import reports as service
from ..services.report_export import to_csv
from .auth import require
from .blueprint import Blueprint

# The permission check runs before the query is read, so a caller without it learns nothing
# from the 400s.
bp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Management reports")


@bp.route("/summary", methods=["GET"])
@require(READ_REPORTS)
@bp.arguments(ReportQuery, location="query")
@bp.response(200, ReportSummary)
def summary(query):
    """KPIs, analysis and satisfaction for ``[from, to)`` (default: the last full month).
    Durations are whole business days."""
    return service.summary(query["start"], query["end"])


@bp.route("/summary.csv", methods=["GET"])
@require(READ_REPORTS)
@bp.arguments(ReportQuery, location="query")
@bp.response(200, {"type": "string"}, content_type="text/csv", description="One figure per row: section, key, value.")
def summary_csv(query):
    """The management-review export (8.6) of the same figures, as CSV."""
    start, end = query["start"], query["end"]
    return Response(to_csv(service.summary(start, end)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="complaints-report-{start}-to-{end}.csv"'})
