"""Every error becomes one response shape: ``{"error": {"code", "message", "details"}}``.

API paths and JSON requests (the modeler page's calls) get JSON; the web pages get an
HTML page with the same message. A 500 rolls the session back and never shows a
traceback.
"""

import logging
from typing import Any

from flask import Flask, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

from .exceptions import AppError
from .extensions import db
from .input_limits import MAX_INT, refuse_nul

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


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in a route, refusing with a 400 a number no database integer holds."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_INT:
            raise BadRequest(f"an id in the path must be at most {MAX_INT}")
        return number


def install_converters(app: Flask) -> None:
    """Before any route is added: ids in paths are bounded."""
    app.url_map.converters["int"] = BoundedIntConverter


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
# Routes whose JSON body carries files' contents (BPMN, DMN, forms): the hardened XML and
# JSON parsers judge those, and say which file is wrong.
_FILE_CONTENTS = {"definitions.deploy", "modeler.check", "modeler.deploy"}


def _refuse_unstorable_input() -> None:
    """No text with a NUL character gets in: the path, the query, form fields and file
    names, a JSON body, the bearer token and the status-token header (PostgreSQL cannot store or compare it)."""
    refuse_nul(request.path, "path")
    for key, value in request.args.items(multi=True):
        refuse_nul([key, value], key)
    for header in ("Authorization", "X-Status-Token"):
        refuse_nul(request.headers.get(header, ""), header)
    if request.mimetype in _FORMS:
        for key, value in request.form.items(multi=True):
            refuse_nul([key, value], key)
        for key, upload in request.files.items(multi=True):
            refuse_nul([key, upload.filename or ""], key)
    elif request.is_json and request.endpoint not in _FILE_CONTENTS:
        refuse_nul(request.get_json(silent=True), "json")


def init_app(app) -> None:
    app.before_request(_refuse_unstorable_input)
    app.register_error_handler(AppError, _app_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
