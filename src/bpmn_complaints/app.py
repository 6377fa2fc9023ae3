"""The application factory."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import clock, errors, logs, security
from .api.blueprint import Api
from .config import DEFAULTS
from .extensions import db, init_db, migrate
from .shipped import ROOT, shipped_folder


def create_app(config: dict | None = None) -> Flask:
    """Create the application.

    Configuration comes from the defaults in :mod:`.config`, then ``COMPLAINTS_*``
    environment variables, then ``config``.
    """
    web = shipped_folder("web")
    # COMPLAINTS_INSTANCE_PATH moves the instance folder (the default SQLite file, the
    # generated secret key, attachments, sent mail) off the package's own.
    instance = os.environ.get("COMPLAINTS_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, template_folder=str(web / "templates"),
                static_folder=str(web / "static"), instance_path=os.path.abspath(instance) if instance else None)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("COMPLAINTS")
    if config:
        app.config.from_mapping(config)
    if "COMPLAINTS_SECRET_KEY" not in os.environ and "SECRET_KEY" not in (config or {}):
        security.use_instance_key(app)
    if app.config["MAX_CONTENT_LENGTH"] is None:
        app.config["MAX_CONTENT_LENGTH"] = (app.config["ATTACHMENT_MAX_BYTES"] * app.config["ATTACHMENTS_PER_REQUEST"]
                                            + 1024 * 1024)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'complaints.sqlite'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})

    logs.init_app(app)
    clock.init_app(app)
    init_db(app)
    from .services import principals
    principals.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    _init_handlers(app)
    errors.install_converters(app)
    from .api import register as register_api
    register_api(Api(app))
    from . import views
    views.init_app(app)
    from .views import operations
    operations.init_app(app)
    # After Api(app), which installs its own HTTPException handler: ours must win.
    errors.init_app(app)
    security.init_app(app)
    from . import cli, cli_accounts
    cli.init_app(app)
    cli_accounts.init_app(app)
    if hops := app.config["TRUSTED_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap it
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _init_handlers(app: Flask) -> None:
    from .handlers.registry import build_registry
    from .services.process_events import ComplaintObserver

    blocked = app.config["BLOCKED_PLUGINS"]
    if isinstance(blocked, str):  # COMPLAINTS_BLOCKED_PLUGINS=acme-crm,other (or a JSON list)
        blocked = [name.strip() for name in blocked.split(",") if name.strip()]
    app.extensions["complaints_handlers"] = build_registry(blocked=blocked)
    app.extensions["complaints_observer"] = ComplaintObserver.for_instance
