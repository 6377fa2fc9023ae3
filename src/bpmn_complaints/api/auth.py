"""Bearer-token authentication and permission checks for the API."""

from functools import wraps

from flask import g, request

from ..exceptions import Forbidden, Unauthorized
from ..policy import Permission, allows, roles_for
from ..services.users import user_for_token


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


STATUS_TOKEN_HEADER = "X-Status-Token"
# For the OpenAPI document of each route the complainant's token opens.
STATUS_TOKEN_PARAMETER = {"in": "header", "name": STATUS_TOKEN_HEADER, "required": False, "schema": {"type": "string"},
                          "description": "the complainant's status token or code; unlike ?token=, no access log "
                                         "records a header"}


def status_credential(query: dict) -> str | None:
    """The complainant's credential: ``?token=`` (kept for the scripts that use it) or the
    ``X-Status-Token`` header, which stays out of access logs."""
    if query.get("token") is not None:
        return query["token"]
    return request.headers.get(STATUS_TOKEN_HEADER)


def require(permission: Permission):
    """Allow the view only to users with ``permission`` (admins always pass).

    :raises Forbidden: naming the roles that hold it.
    """
    message = f"this needs one of the roles: {', '.join(roles_for(permission))}"

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not allows(current_user(), permission):
                raise Forbidden(message)
            return view(*args, **kwargs)

        return wrapper

    return decorate
