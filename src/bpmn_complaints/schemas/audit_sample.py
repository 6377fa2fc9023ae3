"""marshmallow schemas of the auditor's sample (``/api/audit/sample``)."""

from marshmallow import Schema, ValidationError, fields, post_load, validate

from ..clock import utcnow
from ..services.audit_sample import DEFAULT_SIZE
from ..services.reports import period_for
from .reports import ReportQuery

MAX_SIZE = 500
RESULTS = ("pass", "fail", "not_applicable")


class AuditSampleQuery(ReportQuery):
    """The period ``[from, to)`` (as the report's), how many complaints and the seed."""

    size = fields.Integer(load_default=DEFAULT_SIZE, validate=validate.Range(min=1, max=MAX_SIZE),
                          metadata={"description": f"How many closed complaints to draw (1-{MAX_SIZE}); "
                                                   "all of them when fewer were closed."})
    seed = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                         metadata={"description": "Any text; the same seed and period draw the same sample. "
                                                  "Default: the period, e.g. 2026-11-01/2026-12-01."})

    @post_load
    def resolve(self, data, **_kwargs):
        try:
            start, end = period_for(data["start"], data["end"], utcnow().date())
        except ValueError as err:
            raise ValidationError(str(err), field_name="to") from None
        return {"start": start, "end": end, "size": data["size"], "seed": data["seed"]}


class Check(Schema):
    check = fields.String(metadata={"description": "chain_intact, acknowledged, assessed, response_delivered, "
                                                   "within_target, complainant_reply, closure_reason, "
                                                   "survey_requested, process_version, incidents or independence"})
    label = fields.String()
    result = fields.String(validate=validate.OneOf(RESULTS))
    reason = fields.String()
    at = fields.DateTime(allow_none=True)


class Step(Schema):
    bpmn_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    at = fields.DateTime()
    by = fields.String(metadata={"description": "engine, complainant or the staff member's user name"})


class SampledIncident(Schema):
    bpmn_id = fields.String(allow_none=True)
    handler = fields.String(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class DefinitionVersion(Schema):
    key = fields.String()
    version = fields.Integer()


class SampledComplaint(Schema):
    reference = fields.String()
    received_at = fields.DateTime()
    closed_at = fields.DateTime()
    closure_reason = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    target_at = fields.DateTime(allow_none=True)
    definition = fields.Nested(DefinitionVersion, allow_none=True)
    path = fields.List(fields.Nested(Step), metadata={"description": "The BPMN elements completed, in order."})
    incidents = fields.List(fields.Nested(SampledIncident))
    checks = fields.List(fields.Nested(Check))
    passed = fields.Boolean(metadata={"description": "No check failed."})


class SamplePeriod(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")


class AuditSample(Schema):
    """ISO 10002 8.5: complaints closed in the period, drawn at random, each checked."""

    period = fields.Nested(SamplePeriod)
    seed = fields.String()
    size = fields.Integer()
    population = fields.Integer(metadata={"description": "How many complaints were closed in the period."})
    with_failures = fields.Integer()
    complaints = fields.List(fields.Nested(SampledComplaint))
