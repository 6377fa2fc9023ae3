"""marshmallow schemas of the management report (``/api/reports``)."""

from marshmallow import Schema, ValidationError, fields, post_load

from ..clock import utcnow
from ..services.reports import period_for


class ReportQuery(Schema):
    """The period ``[from, to)``; without either bound, the last full calendar month."""

    start = fields.Date(data_key="from", load_default=None,
                        metadata={"description": "First day of the period (YYYY-MM-DD, UTC)."})
    end = fields.Date(data_key="to", load_default=None,
                      metadata={"description": "The day after the period (YYYY-MM-DD, UTC): it is excluded."})

    @post_load
    def resolve(self, data, **_kwargs):
        try:
            start, end = period_for(data["start"], data["end"], utcnow().date())
        except ValueError as err:
            raise ValidationError(str(err), field_name="to") from None
        return {"start": start, "end": end}


class Period(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    duration_unit = fields.String()
    calendar = fields.String()


class Volume(Schema):
    received = fields.Integer()
    closed = fields.Integer()
    open_at_end = fields.Integer()
    overdue_at_end = fields.Integer()


class Spread(Schema):
    count = fields.Integer()
    median = fields.Float(allow_none=True)
    p90 = fields.Integer(allow_none=True)


class WithinTarget(Schema):
    closed_with_target = fields.Integer()
    within = fields.Integer()
    share = fields.Float(allow_none=True)


class Escalation(Schema):
    closed = fields.Integer()
    dissatisfied = fields.Integer()
    rate = fields.Float(allow_none=True)


class Withdrawn(Schema):
    count = fields.Integer()
    share = fields.Float(allow_none=True)


class Reopened(Schema):
    count = fields.Integer()
    closed = fields.Integer()
    rate = fields.Float(allow_none=True)


class Kpis(Schema):
    time_to_acknowledge = fields.Nested(Spread)
    time_to_close = fields.Nested(Spread)
    within_target = fields.Nested(WithinTarget)
    escalation = fields.Nested(Escalation)
    withdrawn = fields.Nested(Withdrawn)
    reopened = fields.Nested(Reopened)


class Count(Schema):
    key = fields.String()
    count = fields.Integer()


class Month(Schema):
    month = fields.String()
    received = fields.Integer()
    closed = fields.Integer()


class Analysis(Schema):
    by_category = fields.List(fields.Nested(Count))
    by_product = fields.List(fields.Nested(Count))
    by_priority = fields.List(fields.Nested(Count))
    by_channel = fields.List(fields.Nested(Count))
    by_closure_reason = fields.List(fields.Nested(Count))
    trend = fields.List(fields.Nested(Month))


class Rating(Schema):
    rating = fields.Integer()
    count = fields.Integer()


class Satisfaction(Schema):
    surveys_sent = fields.Integer()
    responses = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    average_rating = fields.Float(allow_none=True)
    ratings = fields.List(fields.Nested(Rating))
    resolved = fields.Dict(keys=fields.String(), values=fields.Integer())
    resolved_share = fields.Float(allow_none=True)


class Overdue(Schema):
    reference = fields.String()
    priority = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    target_at = fields.DateTime()
    business_days_overdue = fields.Integer()


class ReportSummary(Schema):
    """ISO 10002 clause 8: volume, KPIs (8.4), analysis (8.2), satisfaction (8.3) and
    the complaints open past their target at the end of the period."""

    period = fields.Nested(Period)
    volume = fields.Nested(Volume)
    kpis = fields.Nested(Kpis)
    analysis = fields.Nested(Analysis)
    satisfaction = fields.Nested(Satisfaction)
    overdue = fields.List(fields.Nested(Overdue))
