"""The management report page (ISO 10002 clause 8) and its CSV download, for people who
review the complaints process: supervisors, auditors, process owners and admins."""

from datetime import timedelta

from flask import Blueprint, Response, render_template, request
from marshmallow import ValidationError

from ..policy import READ_REPORTS
from ..schemas.reports import ReportQuery
from ..services import letters
from ..services import reports as service
from ..services.report_export import to_csv
from .auth import staff_required

bp = Blueprint("report_pages", __name__, url_prefix="/reports")

LABELS = {"from": "From", "to": "Until"}


def _period():
    """The period in the query string, or the field errors (messages by field name)."""
    values = {name: request.args.get(name, "").strip() for name in LABELS}
    try:
        return ReportQuery().load({k: v for k, v in values.items() if v}), values, {}
    except ValidationError as err:
        return None, values, err.messages


def _report_page(start, end) -> str:
    return render_template("reports.html", report=service.summary(start, end), last_day=end - timedelta(days=1),
                           values={"from": start.isoformat(), "to": end.isoformat()}, errors={}, labels=LABELS)


@bp.route("")
@staff_required(READ_REPORTS)
def index():
    period, values, errors = _period()
    if errors:
        return render_template("reports.html", report=None, values=values, errors=errors, labels=LABELS), 400
    return _report_page(period["start"], period["end"])


@bp.route("/summary.pdf")
@staff_required(READ_REPORTS)
def download_pdf():
    """The management review report as a PDF: the report page, as it prints."""
    period, values, errors = _period()
    if errors:
        return render_template("reports.html", report=None, values=values, errors=errors, labels=LABELS), 400
    start, end = period["start"], period["end"]
    return Response(letters.html_to_pdf(_report_page(start, end)), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="complaints-report-{start}-to-{end}.pdf"'})


@bp.route("/summary.csv")
@staff_required(READ_REPORTS)
def download():
    period, values, errors = _period()
    if errors:
        return render_template("reports.html", report=None, values=values, errors=errors, labels=LABELS), 400
    start, end = period["start"], period["end"]
    return Response(to_csv(service.summary(start, end)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="complaints-report-{start}-to-{end}.csv"'})
