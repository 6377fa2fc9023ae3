"""The auditor's sample page (ISO 10002 8.5): closed complaints drawn at random, each with
its checklist, printable as the audit record."""

from datetime import timedelta

from flask import Blueprint, render_template, request
from marshmallow import ValidationError

from ..policy import DRAW_AUDIT_SAMPLE
from ..schemas.audit_sample import AuditSampleQuery
from ..services import audit_sample as service
from .auth import staff_required

bp = Blueprint("audit_pages", __name__, url_prefix="/audit")

LABELS = {"from": "From", "to": "Until", "size": "How many", "seed": "Seed"}


@bp.route("/sample")
@staff_required(DRAW_AUDIT_SAMPLE)
def sample():
    values = {name: request.args.get(name, "").strip() for name in LABELS}
    try:
        query = AuditSampleQuery().load({k: v for k, v in values.items() if v})
    except ValidationError as err:
        return render_template("audit_sample.html", drawn=None, values=values, errors=err.messages,
                               labels=LABELS), 400
    drawn = service.sample(query["start"], query["end"], query["size"], query["seed"])
    values = {"from": query["start"].isoformat(), "to": query["end"].isoformat(), "size": str(query["size"]),
              "seed": drawn["seed"]}
    return render_template("audit_sample.html", drawn=drawn, last_day=query["end"] - timedelta(days=1),
                           values=values, errors={}, labels=LABELS)
