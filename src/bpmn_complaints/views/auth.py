"""Staff sign-in with a browser session (Flask-Login), and the checks pages use."""

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..exceptions import Forbidden
from ..extensions import db, login_manager
from ..models import User
from ..policy import DEPLOY_DEFINITIONS, WORK_TASKS, Permission, allows, roles_for
from ..services.users import check_password

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


class SessionUser:
    """What Flask-Login keeps for a signed-in user: the model user, looked up per request
    so a deactivated account loses access at once."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User):
        self.user = user

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return str(self.user.id)


@login_manager.user_loader
def _load(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return SessionUser(user) if user is not None and user.active else None


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
            login_user(SessionUser(user))
            session.permanent = True
            return redirect(next_url or _home(user))
    return render_template("auth/login.html", error=error, name=name, next_url=next_url), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
