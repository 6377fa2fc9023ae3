"""marshmallow schemas of the staff actions on a complaint."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..services.staff_actions import CHANNELS, DECISIONS, REPLIES

CONTACT_CHOICES = ("email", "phone", "letter")


class RecordedReply(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(sorted(REPLIES)))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    text = fields.String(load_default="", validate=validate.Length(max=5000))


class EmailDecision(Schema):
    """A reply by email, turned into the complainant's decision."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    text = fields.String(load_default="", validate=validate.Length(max=5000))


class ContactCorrection(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=320))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    preferred_contact = fields.String(load_default=None, allow_none=True,
                                      validate=validate.OneOf(CONTACT_CHOICES))


class DuplicateMark(Schema):
    class Meta:
        unknown = EXCLUDE

    original = fields.String(required=True, validate=validate.Length(min=1, max=32))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class Reopening(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(required=True, validate=validate.And(
        validate.Length(max=2000), lambda text: bool(text.strip()) or _blank()))


def _blank():
    raise ValidationError("give the reason")


class ActionDone(Schema):
    reference = fields.String()
    state = fields.String()
    status = fields.String()
    closure_reason = fields.String(allow_none=True)


class NewToken(Schema):
    """An API token one makes for oneself on one's own page."""

    class Meta:
        unknown = EXCLUDE

    label = fields.String(load_default="", validate=validate.Length(max=80))
    days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=3650))


class AccountSettings(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=320))
