"""The auditor's sample (ISO 10002 8.5): closed complaints drawn at random, each checked."""

from ..policy import DRAW_AUDIT_SAMPLE
from ..schemas.audit_sample import AuditSample, AuditSampleQuery
from ..services import audit_sample as service
from .auth import require
from .blueprint import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/api/audit", description="Auditing")


@bp.route("/sample", methods=["GET"])
@require(DRAW_AUDIT_SAMPLE)
@bp.arguments(AuditSampleQuery, location="query")
@bp.response(200, AuditSample)
def sample(query):
    """A reproducible random sample of complaints closed in ``[from, to)`` (default: the
    last full month), each with its checklist: trail intact, acknowledged, assessed, path,
    response and target, reply, closure reason, survey, process version, incidents."""
    return service.sample(query["start"], query["end"], query["size"], query["seed"])
