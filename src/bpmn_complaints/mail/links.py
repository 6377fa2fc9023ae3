"""Links put in emails: the complainant's status page and the satisfaction survey. Every
link a letter carries is built here."""

from urllib.parse import quote, urlencode

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .. import status_code
from ..models import Complaint

_FEEDBACK_SALT = "bpmn-complaints feedback"


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def status_link(reference: str, token: str | None = None) -> str:
    """``PUBLIC_BASE_URL/status/<reference>``, with ``#token=`` when the plain token is known:
    a fragment, which browsers never send to the server, so no access log records it (the
    page's script posts it; see ``views/portal.py``)."""
    return f"{_base()}/status/{quote(reference)}{token_fragment(token)}"


def token_fragment(token: str | None) -> str:
    """``#token=...`` for a status link, or nothing without a token."""
    return f"#{urlencode({'token': token})}" if token else ""


def status_token(complaint: Complaint) -> str | None:
    """The token in the complaint's status links (derived from its status code)."""
    if not complaint.status_code:
        return None
    return status_code.link_token(current_app.config["SECRET_KEY"], complaint.reference, complaint.status_code)


def complaint_status_link(complaint: Complaint) -> str:
    """The complaint's status page, with the token that opens it."""
    return status_link(complaint.reference, status_token(complaint))


def inbox_link() -> str:
    """The staff inbox."""
    return f"{_base()}/inbox"


def staff_link(reference: str) -> str:
    """The complaint's page for staff."""
    return f"{_base()}/complaints/{quote(reference)}"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_FEEDBACK_SALT)


def feedback_signature(reference: str) -> str:
    """A signature that lets the survey page accept feedback for ``reference`` only."""
    return _serializer().dumps(reference)


def verify_feedback_signature(reference: str, signature: str) -> bool:
    try:
        return _serializer().loads(signature) == reference
    except BadSignature:
        return False


def feedback_link(reference: str) -> str:
    """``FEEDBACK_SURVEY_URL`` with ``{reference}`` and ``{signature}`` filled in, or
    ``PUBLIC_BASE_URL/feedback/<reference>?sig=<signature>``."""
    signature = feedback_signature(reference)
    template = current_app.config.get("FEEDBACK_SURVEY_URL")
    if template:
        return template.format(reference=quote(reference), signature=quote(signature))
    return f"{_base()}/feedback/{quote(reference)}?{urlencode({'sig': signature})}"
