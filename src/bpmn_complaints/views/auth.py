"""Staff sign-in with a browser session (Flask-Login), and the checks pages use.

The session cookie carries a random session id, not the user's id: the server keeps the
session (``services.users.start_session``), and signing out, a new password or a closed
account deletes it, so a copied cookie opens nothing afterwards. Failed sign-ins are
limited per account name and per client address."""

import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..db import run_change
from ..exceptions import Forbidden
from ..extensions import limiter, login_manager
from ..models import User
from ..policy import DEPLOY_DEFINITIONS, WORK_TASKS, Permission, allows, roles_for
from ..services.users import check_password, end_session, start_session, user_for_session

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


class SessionUser:
    """What Flask-Login keeps for a signed-in user: the server-side session's id, and the
    model user it belongs to, looked up per request (through the principal cache) so a
    deactivated account or an ended session loses access at once."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User, sid: str):
        self.user, self.sid = user, sid

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return self.sid


@login_manager.user_loader
def _load(sid: str):
    user = user_for_session(sid) if sid else None
    return SessionUser(user, sid) if user is not None else None


def limit_namespace() -> str:
    """Rate-limit keys start with this. The in-memory store belongs to one process, and
    tests build many apps in one process around one shared ``limiter``: each app gets its
    own namespace there. A shared store (``redis://``) shares the counters across processes."""
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return current_app.extensions.setdefault("complaints_limit_namespace", secrets.token_hex(8))
    return "shared"


def _account_key() -> str:
    return f"{limit_namespace()}:login-account:{request.form.get('name', '').strip().lower()}"


def _address_key() -> str:
    return f"{limit_namespace()}:login-address:{get_remote_address()}"


def _failed(response) -> bool:
    return response.status_code == 401


def me() -> User:
    """The signed-in staff member (a model :class:`User`, as the services expect)."""
    return current_user.user


def staff_required(permission: Permission):
    """Sign-in required, and ``permission`` (admins always have it).

    :raises Forbidden: naming the roles that hold it.
    """
    message = f"this page needs one of the roles: {', '.join(roles_for(permission))}"

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not allows(me(), permission):
                raise Forbidden(message)
            return view(*args, **kwargs)

        return wrapper

    return decorate


@bp.app_template_global()
def can(permission: str) -> bool:
    """For templates: whether the signed-in person has ``permission``, named as in
    :mod:`bpmn_complaints.policy` (``can("work_tasks")``).

    :raises KeyError: for a name that is no permission, so a typo fails loudly.
    """
    return bool(current_user.is_authenticated) and allows(me(), Permission(permission))


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to; anything pointing off-site becomes ``default``."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _home(user: User) -> str:
    """Where a person lands after sign-in: the inbox if they work tasks, the process
    versions if they own the process, else the complaints."""
    if allows(user, WORK_TASKS):
        return url_for("inbox.inbox")
    if allows(user, DEPLOY_DEFINITIONS):
        return url_for("modeler.versions")
    return url_for("complaint_pages.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"], key_func=_account_key, methods=["POST"],
               deduct_when=_failed, scope="login-account")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ADDRESS"], key_func=_address_key, methods=["POST"],
               deduct_when=_failed, scope="login-address")
def login():
    next_url = safe_next(request.values.get("next"), "")
    if current_user.is_authenticated:
        return redirect(next_url or _home(me()))
    error = None
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        user = check_password(name, request.form.get("password", ""))
        if user is None:
            error = "The name or password is not right. Check them and try again."
        else:
            session.clear()
            login_user(SessionUser(user, run_change(start_session, user)))
            session.permanent = True
            return redirect(next_url or _home(user))
    return render_template("auth/login.html", error=error, name=name, next_url=next_url), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        run_change(end_session, current_user.sid)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
