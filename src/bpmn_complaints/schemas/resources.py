"""marshmallow schemas of the REST API."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ..input_limits import MAX_INT
from ..services.staff_actions import CHANNELS

PRIORITIES = ("urgent", "high", "normal", "low")


class ComplaintIn(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=320))
    description = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    phone = fields.String(load_default=None, validate=validate.Length(max=40))
    product = fields.String(load_default=None, validate=validate.Length(max=200))
    category = fields.String(load_default=None, validate=validate.Length(max=100))
    remedy_sought = fields.String(load_default=None, validate=validate.Length(max=5000))
    channel = fields.String(load_default=None, validate=validate.OneOf(("web", "api", "email", "phone", "letter",
                                                                        "in_person", "social_media")))
    preferred_contact = fields.String(load_default=None, validate=validate.OneOf(("email", "phone", "letter")))
    postal_address = fields.String(load_default=None, validate=validate.Length(max=1000))


class StaffComplaintIn(ComplaintIn):
    """A complaint staff record: an email address, or a postal address for a complainant
    who has none (ISO 10002 4.5); letters to them are printed."""

    email = fields.Email(load_default=None, validate=validate.Length(max=320))

    @validates_schema
    def _reachable(self, data, **_kwargs):
        if not data.get("email") and not data.get("postal_address"):
            raise ValidationError("give an email address or a postal address", "email")


class ComplaintCreated(Schema):
    reference = fields.String()
    status_token = fields.String(metadata={"description": "the token in status links (long; for links, not people)"})
    status_code = fields.String(metadata={"description": "the short code a person reads out, with the reference"})
    status = fields.String()
    status_url = fields.String()


class AttachmentOut(Schema):
    id = fields.Integer()
    filename = fields.String(metadata={"description": "the name as given, cleaned; display only"})
    size = fields.Integer(metadata={"description": "bytes"})
    content_type = fields.String(metadata={"description": "the type found in the content"})
    sha256 = fields.String()
    uploaded_by = fields.String(metadata={"description": "'complainant', or the staff member's name"})
    uploaded_at = fields.DateTime()
    surface = fields.String(metadata={"description": "where it came in: complaint_form, status_page, reply, "
                                                     "api, staff_page or staff_api"})


class PublicAttachment(Schema):
    """A file the complainant sent, as they see it."""

    id = fields.Integer()
    filename = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    uploaded_at = fields.DateTime()


class AttachmentList(Schema):
    items = fields.List(fields.Nested(AttachmentOut))
    total = fields.Integer()


class Step(Schema):
    at = fields.DateTime()
    status = fields.String()


class LetterOut(Schema):
    subject = fields.String(allow_none=True)
    text = fields.String(allow_none=True, metadata={"description": "exactly what the letter said"})
    sent_at = fields.DateTime()
    reply_by = fields.DateTime(allow_none=True, metadata={"description": "the date the letter asked a reply by"})
    awaits_reply = fields.Boolean()


class ComplaintPublic(Schema):
    """What the complainant sees: no internal notes, no staff names."""

    reference = fields.String()
    status = fields.String()
    state = fields.String()
    received_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closure_reason = fields.String(allow_none=True)
    expected_response_by = fields.DateTime(allow_none=True, metadata={
        "description": "the response date promised in the acknowledgement (business days); null once "
                       "the decision is sent or the complaint is closed"})
    steps = fields.List(fields.Nested(Step))
    attachments = fields.List(fields.Nested(PublicAttachment), metadata={"description": "the files they sent"})
    response = fields.Nested(LetterOut, allow_none=True, metadata={"description": "our last response letter"})


class TokenQuery(Schema):
    token = fields.String(required=True)


class ComplaintSummary(Schema):
    reference = fields.String()
    name = fields.String()
    email = fields.String()
    product = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    channel = fields.String()
    status = fields.String()
    state = fields.String()
    priority = fields.String(allow_none=True)
    received_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closure_reason = fields.String(allow_none=True)


class CommentOut(Schema):
    id = fields.Integer()
    task_id = fields.String(allow_none=True)
    author = fields.String()
    body = fields.String()
    created_at = fields.DateTime()


class IncidentOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "engine: a step the engine or worker ran; completion or "
                                                  "message: a person's change that was rolled back"})
    complaint_reference = fields.String(allow_none=True)
    actor = fields.String(allow_none=True, metadata={"description": "who made the change that failed"})
    task_id = fields.String(allow_none=True)
    bpmn_id = fields.String(allow_none=True)
    handler = fields.String(allow_none=True)
    message = fields.String()
    attempts = fields.Integer()
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)


class Task(Schema):
    id = fields.String()
    name = fields.String()
    bpmn_id = fields.String()
    lane = fields.String(allow_none=True)
    candidate_group = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    complaint_reference = fields.String(allow_none=True)
    priority = fields.String()
    due_at = fields.DateTime(allow_none=True)
    follow_up_at = fields.DateTime(allow_none=True, metadata={"description": "when to look at it again "
                                                              "(Camunda's follow-up date)"})
    state = fields.String()
    created_at = fields.DateTime()
    claimed_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


class TaskDetail(Task):
    instructions = fields.String(allow_none=True)
    form_schema = fields.Dict(allow_none=True)
    form_ui_schema = fields.Dict(allow_none=True)
    data = fields.Dict(allow_none=True)
    excluded_users = fields.List(fields.String())
    independent_of = fields.List(fields.String(), metadata={
        "description": "Elements whose workers may not work this task (excludeWorkersOf, ISO 10002 4.7)."})
    exclude_entered_by = fields.Boolean(metadata={"description": "Whoever entered the complaint may not work it."})


class ComplaintDetail(ComplaintSummary):
    phone = fields.String(allow_none=True)
    description = fields.String()
    remedy_sought = fields.String(allow_none=True)
    preferred_contact = fields.String(allow_none=True)
    entered_by = fields.String(allow_none=True)
    instance_status = fields.String()
    definition_key = fields.String()
    definition_version = fields.Integer()
    tasks = fields.List(fields.Nested(Task))
    incidents = fields.List(fields.Nested(IncidentOut))
    comments = fields.List(fields.Nested(CommentOut))
    attachments = fields.List(fields.Nested(AttachmentOut))
    duplicate_of = fields.String(allow_none=True, metadata={"description": "the reference it duplicates"})
    duplicates = fields.List(fields.String(), metadata={"description": "references closed as its duplicates"})


class Page(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INT))


class CursorPage(Page):
    """A list read by keyset: follow ``links.next`` / ``links.prev`` (each a ``cursor``);
    ``offset`` still works, from the cursor's spot, for older clients."""

    cursor = fields.String(load_default=None, validate=validate.Length(max=2000), metadata={
        "description": "an opaque cursor from a previous page's links; it fixes the sort"})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INT), metadata={
        "description": "rows to skip (older paging; the links use cursors, which cost the same on every page)"})


class Links(Schema):
    next = fields.String(allow_none=True, metadata={"description": "the next page, or null on the last"})
    prev = fields.String(allow_none=True, metadata={"description": "the previous page, or null on the first"})


class ComplaintQuery(CursorPage):
    q = fields.String(load_default=None, validate=validate.Length(max=200),
                      metadata={"description": "words to find in the reference, name, email, product or description"})
    state = fields.String(load_default=None, validate=validate.OneOf(("open", "closed")))
    priority = fields.String(load_default=None, validate=validate.OneOf(PRIORITIES))
    category = fields.String(load_default=None)


class ComplaintList(Schema):
    items = fields.List(fields.Nested(ComplaintSummary))
    total = fields.Integer()
    total_capped = fields.Boolean(metadata={
        "description": "there are more than ``total``: a search stops counting at 1,000, a list at "
                       "``INBOX_COUNT_BOUND`` (10,000)"})
    links = fields.Nested(Links)


class TaskQuery(CursorPage):
    scope = fields.String(load_default="mine", validate=validate.OneOf(("mine", "group", "all")))
    priority = fields.String(load_default=None, validate=validate.OneOf(PRIORITIES))
    overdue = fields.Boolean(load_default=None)
    lane = fields.String(load_default=None)
    reference = fields.String(load_default=None)
    state = fields.String(load_default="ready", validate=validate.OneOf(("ready", "completed", "cancelled")))
    sort = fields.String(load_default="due", validate=validate.OneOf(("due", "priority", "created", "-created")))


class TaskList(Schema):
    items = fields.List(fields.Nested(Task))
    total = fields.Integer(metadata={"description": "how many match, counted up to ``INBOX_COUNT_BOUND`` (10,000)"})
    total_capped = fields.Boolean(metadata={"description": "there are more than ``total``"})
    links = fields.Nested(Links)


class CompleteIn(Schema):
    data = fields.Dict(load_default=dict)


class AssignIn(Schema):
    assignee = fields.String(required=True)


class CommentIn(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))


class HistoryEvent(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    task_id = fields.String(allow_none=True)
    bpmn_id = fields.String(allow_none=True)
    details = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()


class History(Schema):
    reference = fields.String()
    chain_intact = fields.Boolean()
    chain_problems = fields.List(fields.String())
    events = fields.List(fields.Nested(HistoryEvent))


class PersonalData(Schema):
    """A subject access export: everything held about one complaint's complainant."""

    reference = fields.String()
    exported_at = fields.String(metadata={"description": "ISO 8601, UTC"})
    erased_at = fields.String(allow_none=True, metadata={"description": "ISO 8601, UTC; null if not erased"})
    complaint = fields.Dict()
    comments = fields.List(fields.Dict())
    emails = fields.List(fields.Dict())
    emails_received = fields.List(fields.Dict(), metadata={
        "description": "the emails that came in about the complaint: sender, subject, text, headers, status"})
    task_answers = fields.List(fields.Dict(), metadata={
        "description": "each completed task's answers, and the same answers with the labels the form showed"})
    messages = fields.List(fields.Dict(), metadata={"description": "the complainant's messages, with their words"})
    drafts = fields.List(fields.Dict(), metadata={"description": "answers staff typed and have not sent yet"})
    attachments = fields.List(fields.Dict(), metadata={
        "description": "the attached files: name, size, type, SHA-256 and the API path that downloads each"})


class EraseIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500),
                           metadata={"description": "why, e.g. 'erasure request of 2026-11-02' or 'retention'"})


class EraseOut(Schema):
    reference = fields.String()
    comments = fields.Integer()
    emails = fields.Integer()
    task_fields = fields.List(fields.String(), metadata={"description": "the free-text form fields erased"})
    messages = fields.Integer(metadata={"description": "the complainant's messages whose words were erased"})
    drafts = fields.Integer(metadata={"description": "the unsent drafts of its task forms deleted"})
    attachments = fields.Integer(metadata={"description": "the attached files deleted"})
    emails_received = fields.Integer(metadata={"description": "the received emails whose content was erased"})


class DefinitionOut(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    sha256 = fields.String()
    files = fields.Method("file_names")
    deployed_by = fields.String()
    deployed_at = fields.DateTime()
    based_on = fields.Integer(allow_none=True, metadata={"description": "the version this one was edited from"})
    forced = fields.Boolean(metadata={"description": "deployed over a newer version than its base, on purpose"})
    source = fields.String(allow_none=True, metadata={"description": "modeler, api, cli:<folder> or rollback:<n>"})
    warnings = fields.List(fields.Dict(), allow_none=True,
                           metadata={"description": "lint warnings found at deploy: file, element, message"})

    def file_names(self, obj):
        return sorted(obj["files"] if isinstance(obj, dict) else obj.files)


class DeployOut(DefinitionOut):
    created = fields.Boolean()


class DeployJson(Schema):
    files = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    key = fields.String(load_default=None)
    base_version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_INT),
                                  metadata={"description": "the version the files were edited from: a deploy "
                                                           "is refused (409) if it is not the latest"})
    force = fields.Boolean(load_default=False, metadata={"description": "deploy over a newer version (recorded)"})


class DeployForm(Schema):
    """The fields beside the files of a multipart deploy."""

    base_version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_INT))
    force = fields.Boolean(load_default=False)


class MigrationIn(Schema):
    from_ = fields.Integer(data_key="from", required=True, validate=validate.Range(min=1, max=MAX_INT))
    to = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_INT))
    map = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=200)),
                      values=fields.String(validate=validate.Length(min=1, max=200)), load_default=dict,
                      metadata={"description": "old element id -> new element id, for renamed or removed steps"})
    complaints = fields.List(fields.String(validate=validate.Length(max=32)), load_default=None,
                             validate=validate.Length(max=10_000),
                             metadata={"description": "references to migrate (default: every running complaint)"})
    dry_run = fields.Boolean(load_default=True, metadata={"description": "say what would happen; change nothing"})
    expected = fields.Dict(keys=fields.String(), values=fields.Integer(validate=validate.Range(min=1, max=MAX_INT)),
                           load_default=None, metadata={"description": "reference -> instance_version from the "
                                                                       "dry run: a complaint changed since is refused"})


class CompareQuery(Schema):
    from_ = fields.Integer(data_key="from", required=True, validate=validate.Range(min=1, max=MAX_INT))
    to = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_INT))


class DefinitionChange(Schema):
    kind = fields.String(metadata={"description": "added, removed or changed"})
    area = fields.String(metadata={"description": "element, flow, lane, decision, form or file"})
    file = fields.String()
    id = fields.String(allow_none=True, metadata={"description": "element, rule or form field id"})
    text = fields.String(metadata={"description": "the change in a sentence"})


class DefinitionComparison(Schema):
    key = fields.String()
    from_ = fields.Integer(data_key="from")
    to = fields.Integer()
    layout_only = fields.Boolean(metadata={"description": "only shapes moved in the diagram"})
    changes = fields.List(fields.Nested(DefinitionChange))


class DefinitionList(Schema):
    items = fields.List(fields.Nested(DefinitionOut))
    total = fields.Integer()


class MessageIn(Schema):
    reference = fields.String(required=True)
    token = fields.String(load_default=None, metadata={"description": "the complainant's status token"})
    payload = fields.Dict(load_default=dict)
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS), metadata={
        "description": "staff recording a complainant_* reply: how it reached them"})
    correlation_key = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "which waiting receiver in the complaint's process the message is for, where the "
                       "diagram declares a correlation key (zeebe:subscription correlationKey)"})


class MessageOut(Schema):
    reference = fields.String()
    message = fields.String()
    status = fields.String()


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "a stable machine code, e.g. validation_failed"})
    message = fields.String(required=True, metadata={"description": "what went wrong, for a person"})
    details = fields.Raw(required=True, metadata={
        "description": "more about it: per-field messages for validation_failed, the problems of a deploy"})


class Error(Schema):
    """Every error the API sends: ``{"error": {"code", "message", "details"}}``."""

    error = fields.Nested(ErrorBody, required=True)
