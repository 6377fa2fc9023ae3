"""Bearer-token authentication and role checks for the API."""

from functools import wraps

from flask import g, request

from ..exceptions import Forbidden, Unauthorized
from ..services.users import user_for_token

STAFF_ROLES = ("staff", "supervisor", "auditor", "process_owner")


def current_user(optional: bool = False):
    """The user behind the request's bearer token.

    :raises Unauthorized: if there is no valid token (unless ``optional``).
    """
    if "user" in g:
        return g.user
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if optional:
            return None
        raise Unauthorized("send an API token: Authorization: Bearer <token>")
    g.user = user_for_token(token.strip())
    return g.user


def require(*roles: str):
    """Allow the view only to users holding one of ``roles`` (admins always pass)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if not user.has_role(*roles):
                raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")
            return view(*args, **kwargs)

        return wrapper

    return decorate
