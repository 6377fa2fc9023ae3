"""What every response says to the browser, and the refusal to serve with a guessable key.

Headers: a Content-Security-Policy that runs only our own scripts (``/static`` and the
bpmn-js files under ``/vendor``) and lets no other site frame a page, ``nosniff``, a
Referrer-Policy that never sends a status URL (its token) to another site, and
``Cache-Control: no-store`` on everything but the static files, because pages and API
answers carry personal data. A response that set its own header (an attachment download's
sandbox) keeps it.

``SECRET_KEY`` signs sessions: with the shipped default or a short key anyone could forge
an admin's. :func:`weak_secret_key` says why a key is too weak; ``serve`` refuses such a
key on any address but loopback, and the WSGI entry point refuses it outright. A key kept
in the instance folder (``instance/secret_key``, written by ``bpmn-complaints secret-key``,
which ``make run`` calls) is used when no key is configured.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from pathlib import Path

from flask import Flask, Response, request

from .config import DEFAULTS

MIN_SECRET_KEY_LENGTH = 32
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # A few pages set style attributes (a bar's width); no <style> element is allowed.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
CACHEABLE = {"static", "vendor.asset"}


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint not in CACHEABLE:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def weak_secret_key(key: object) -> str | None:
    """Why ``key`` must not sign sessions on a reachable server, or ``None`` if it may."""
    if not isinstance(key, str | bytes) or not key:
        return "SECRET_KEY is not set"
    if key == DEFAULTS["SECRET_KEY"]:
        return "SECRET_KEY is the shipped default"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_can_serve(app: Flask, host: str | None) -> None:
    """:raises RuntimeError: if the app would serve on ``host`` (``None``: any address,
    as under a WSGI server) with a weak ``SECRET_KEY``."""
    reason = weak_secret_key(app.config.get("SECRET_KEY"))
    if reason and (host is None or not is_loopback(host)):
        where = f"on {host}" if host else "under a WSGI server"
        raise RuntimeError(f"refusing to serve {where}: {reason}. Set COMPLAINTS_SECRET_KEY to a random value of "
                           f"{MIN_SECRET_KEY_LENGTH} or more characters (python -c 'import secrets; "
                           "print(secrets.token_urlsafe(48))'), or serve on 127.0.0.1")


_CREDENTIAL_IN_QUERY = re.compile(r"([?&](?:token|sig)=)[^&\s\"]*")


def redact_credentials(line: str) -> str:
    """A request line as an access log may keep it: a status token or survey signature in
    the query (an old link's) becomes ``[redacted]``."""
    return _CREDENTIAL_IN_QUERY.sub(r"\1[redacted]", line)


INSTANCE_KEY_FILE = "secret_key"


def instance_key_path(app: Flask) -> Path:
    return Path(app.instance_path) / INSTANCE_KEY_FILE


def use_instance_key(app: Flask) -> None:
    """With no key configured, take the instance folder's key if there is one, so the
    server, the worker and the CLI all sign with the same key."""
    path = instance_key_path(app)
    if path.is_file():
        app.config["SECRET_KEY"] = path.read_text().strip()


def ensure_instance_key(app: Flask) -> tuple[Path, bool]:
    """Write a random key into the instance folder unless one is there (readable by its
    owner only); returns its path and whether it was made now."""
    path = instance_key_path(app)
    if path.is_file() and path.read_text().strip():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    return path, True


def init_app(app: Flask) -> None:
    app.after_request(_headers)
