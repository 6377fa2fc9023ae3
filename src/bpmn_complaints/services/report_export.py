"""The management-review export (ISO 10002 8.6): a report from :func:`.reports.summary`
as CSV, one figure per row (section, key, value), so a spreadsheet can pick any of them."""

import csv
import io
from collections.abc import Iterator

HEADER = ("section", "key", "value")
# A spreadsheet runs a cell that starts like a formula; product names come from complainants.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def rows(report: dict) -> Iterator[tuple]:
    period = report["period"]
    yield "period", "from", period["start"]
    yield "period", "to", period["end"]
    yield "period", "duration_unit", period["duration_unit"]
    yield "period", "calendar", period["calendar"]
    for key, value in report["volume"].items():
        yield "volume", key, value
    for name, figures in report["kpis"].items():
        for key, value in figures.items():
            yield name, key, value
    for name, counts in report["analysis"].items():
        if name != "trend":
            for row in counts:
                yield name, row["key"], row["count"]
    for row in report["analysis"]["trend"]:
        yield "trend_received", row["month"], row["received"]
        yield "trend_closed", row["month"], row["closed"]
    satisfaction = report["satisfaction"]
    for key in ("surveys_sent", "responses", "response_rate", "average_rating", "resolved_share"):
        yield "satisfaction", key, satisfaction[key]
    for row in satisfaction["ratings"]:
        yield "satisfaction_rating", row["rating"], row["count"]
    for answer, count in satisfaction["resolved"].items():
        yield "satisfaction_resolved", answer, count
    for row in report["overdue"]:
        yield "overdue", row["reference"], row["target_at"]


def to_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(tuple(_cell(v) for v in row) for row in rows(report))
    return out.getvalue()
