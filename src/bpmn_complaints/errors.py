"""Every error becomes one response shape: ``{"error": {"code", "message", "details"}}``.

API paths and JSON requests (the modeler page's calls) get JSON; the web pages get an
HTML page with the same message. A 500 rolls the session back and never shows a
traceback.
"""

import logging
from typing import Any

from flask import render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from .exceptions import AppError
from .extensions import db

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, details: dict[str, Any] | list[Any] | None = None):
    if not (request.path.startswith("/api") or request.is_json):
        return render_template("error.html", status=status, code=code, message=message), status
    return {"error": {"code": code, "message": message, "details": details or {}}}, status


def _app_error(err: AppError):
    return error_response(err.status_code, err.code, err.message, err.details)


def _validation_error(err: ValidationError):
    return error_response(400, "validation_failed", "the request has errors", err.messages)


def _http_error(err: HTTPException):
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    if messages is not None:
        # flask-smorest/webargs wraps field errors by location ("json", "query"); unwrap.
        fields: dict[str, Any] = {}
        for location_errors in messages.values():
            fields.update(location_errors if isinstance(location_errors, dict) else {"_": location_errors})
        return error_response(400, "validation_failed", "the request has errors", fields)
    code = (err.name or "error").lower().replace(" ", "_")
    return error_response(err.code or 500, code, err.description or err.name)


def _unexpected(err: Exception):
    db.session.rollback()
    log.exception("unhandled error")
    return error_response(500, "internal_error", "something went wrong on our side; it has been logged")


def init_app(app) -> None:
    app.register_error_handler(AppError, _app_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
