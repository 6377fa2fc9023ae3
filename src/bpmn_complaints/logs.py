"""Logging for operators, set up by the app factory: one line per event on stderr, as
JSON lines (``LOG_FORMAT = "json"``, the default outside development) or plain text
(``"text"``, the default with ``DEBUG`` or ``TESTING`` and under ``bpmn-complaints run``), at
``LOG_LEVEL``.

Every line carries the request id (``X-Request-ID`` from the proxy when it sends a sane
one, else a new one; sent back on the response), and each request is logged once with
its route pattern, never its URL (a URL can carry a status token). Events are logged
with ``extra={"event": ..., "complaint": <reference>}``: a complaint's reference, never
anyone's name, address or words; error texts go through :func:`redact` first.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

LOGGER = "bpmn_complaints"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"\+?\d[\d ()-]{6,}\d")  # phone numbers and the like

log = logging.getLogger(LOGGER + ".requests")


def redact(text: object, limit: int = 300) -> str:
    """An error text fit for a log line: no email address, no phone-like number, bounded."""
    return _NUMBER.sub("<number>", _ADDRESS.sub("<address>", str(text)))[:limit]


class _RequestId(logging.Filter):
    """Puts the current request's id on every record (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


def _handler(fmt: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                           rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    handler.addFilter(_RequestId())
    handler.set_name("bpmn_complaints")
    return handler


def configure(fmt: str, level: str = "INFO") -> None:
    """Send the ``bpmn_complaints`` loggers' lines to stderr as ``fmt`` ("json" or "text")."""
    if fmt not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {fmt!r}")
    logger = logging.getLogger(LOGGER)
    for old in [h for h in logger.handlers if h.get_name() == "bpmn_complaints"]:
        logger.removeHandler(old)
    logger.addHandler(_handler(fmt))
    logger.setLevel(level)
    logger.propagate = False  # one line per event, not another from the root logger


def init_app(app: Flask) -> None:
    """Configure the ``bpmn_complaints`` loggers and the request id for ``app``."""
    configure(app.config.get("LOG_FORMAT") or ("text" if app.debug or app.testing else "json"),
              app.config.get("LOG_LEVEL") or "INFO")

    @app.before_request
    def _start() -> None:
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        if app.config.get("LOG_REQUESTS", True) and "request_started" in g:
            log.info("%s %s %s", request.method, route_of_request(), response.status_code, extra={
                "event": "request", "method": request.method, "route": route_of_request(),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1)})
        return response


def route_of_request() -> str:
    """The matched route's pattern (``/api/complaints/<reference>``), or ``unmatched``."""
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"
