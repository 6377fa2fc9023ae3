"""Server-rendered pages: staff login, inbox, task and complaint pages, and the public
complainant portal. Like the API, each view loads input, calls one service function and
renders the result."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask

from ..clock import utcnow
from ..extensions import csrf, limiter, login_manager
from ..mail.templates import longdate

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _cookies_secure(app: Flask) -> bool:
    """Secure cookies unless the site is served over plain http on this machine."""
    url = urlsplit(app.config["PUBLIC_BASE_URL"])
    return not (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS)


def init_app(app: Flask) -> None:
    """Bind the web extensions and register the page blueprints. Call after the API is
    registered: its blueprints (bearer tokens, no cookies) are exempt from CSRF."""
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = _cookies_secure(app)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)

    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    for blueprint in list(app.blueprints.values()):
        if (blueprint.url_prefix or "").startswith("/api"):
            csrf.exempt(blueprint)

    from . import (
        account,
        audit_sample,
        auth,
        complaint_actions,
        complaints,
        drafts,
        heatmap,
        inbox,
        incidents,
        modeler,
        portal,
        repair,
        reports,
        tasks,
        team,
        vendor,
    )

    for module in (auth, portal, inbox, tasks, drafts, complaints, complaint_actions, modeler, reports, audit_sample,
                   team, account, vendor, heatmap, incidents, repair):
        app.register_blueprint(module.bp)
    app.add_template_filter(_when, "when")
    app.add_template_filter(_age, "age")
    app.add_template_filter(longdate, "longdate")
    app.add_template_global(utcnow, "now")


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def _age(value: datetime | None) -> str:
    """How long ago, in the largest whole unit: "3 d", "5 h", "12 min"."""
    if value is None:
        return ""
    seconds = max(0, int((utcnow() - value).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return "just now"
