"""The one family of errors the application raises on purpose.

Each error carries the HTTP ``status_code`` and a stable machine ``code``; the central
handler in :mod:`bpmn_complaints.errors` turns it into the API's error shape
``{"error": {"code", "message", "details"}}``. Views never catch and format errors.
"""

from collections.abc import Callable


class AppError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class ValidationFailed(AppError):
    """Input failed validation; ``details`` maps field names to lists of messages."""

    status_code = 400
    code = "validation_failed"


class DeployFailed(AppError):
    """A definition did not pass validation; ``details["problems"]`` lists every problem."""

    status_code = 400
    code = "deploy_failed"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class StaleBase(Conflict):
    """A deploy edited from a version that is no longer the latest; ``details`` says what
    the newer versions changed. Deploying again with ``force`` overrides it."""

    code = "stale_base"


class BaseRequired(AppError):
    """An API deploy to a process that already has versions did not say which version its
    files were edited from (``base_version``), so it cannot be checked against a lost
    update; ``details`` names the latest version. ``force`` deploys without one (recorded)."""

    status_code = 428
    code = "base_required"


class ProcessFailed(AppError):
    """A step of the process failed during a person's change (a pre- or post-script, a
    timer, a condition, a loop with no wait state): the change is rolled back and the
    answer names the element and the reason (``details["element"]``, ``details["reason"]``).

    ``after_rollback``, when set, is what to keep anyway (the incident a supervisor sees):
    :func:`bpmn_complaints.db.run_change` calls it in a transaction of its own after the
    rollback.
    """

    status_code = 422
    code = "process_failed"

    def __init__(self, message: str, details: dict | None = None, after_rollback: Callable[[], None] | None = None):
        super().__init__(message, details)
        self.after_rollback = after_rollback


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
