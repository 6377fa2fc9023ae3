"""Staff accounts, group memberships, API tokens and signed-in sessions: made, listed,
and closed. Every change is in the system trail."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..db import trail
from ..exceptions import BadRequest, NotFound, Unauthorized
from ..extensions import db
from ..models import ApiToken, Membership, User, UserSession
from ..policy import ROLES
from . import principals


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_user(name: str) -> User:
    user = db.session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user is called {name!r}")
    return user


def add_user(name: str, groups=(), roles=("staff",), password: str | None = None, display_name: str = "",
             email: str | None = None, skills=(), actor: str = "admin") -> User:
    """Create a user (or add groups and roles to an existing one).

    :raises BadRequest: for an unknown role or an empty name.
    """
    name = name.strip()
    if not name:
        raise BadRequest("a user needs a name")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise BadRequest(f"unknown role(s) {', '.join(sorted(unknown))}; roles are {', '.join(ROLES)}")
    user = db.session.scalar(select(User).where(User.name == name))
    created = user is None
    if user is None:
        user = User(name=name, display_name=display_name or name, email=email, roles=[], skills=[],
                    created_at=utcnow())
        db.session.add(user)
    user.roles = sorted(set(user.roles) | set(roles))
    user.skills = sorted(set(user.skills) | set(skills))
    if password:
        _set_password(user, password, actor, changed=not created)
    for group in groups:
        if group not in user.groups:
            user.memberships.append(Membership(group=group))
    db.session.flush()
    trail.record("user_added" if created else "user_updated", actor, user=name, groups=user.groups,
                 roles=user.roles)
    return user


def _set_password(user: User, password: str, actor: str, changed: bool) -> None:
    user.password_hash = generate_password_hash(password)
    if changed:
        ended = _end_sessions(user)
        trail.record("password_changed", actor, user=user.name, sessions_ended=ended)


def set_password(name: str, password: str, actor: str = "cli") -> User:
    """A new password; every session the user had ends.

    :raises BadRequest: for an empty password.
    """
    if not password:
        raise BadRequest("a password cannot be empty")
    user = get_user(name)
    _set_password(user, password, actor, changed=True)
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def check_password(name: str, password: str) -> User | None:
    """The active user with this name and password, or ``None``. An unknown name costs the
    same hashing as a wrong password, so the time taken does not tell who exists."""
    user = db.session.scalar(select(User).where(User.name == name, User.active.is_(True)))
    stored = user.password_hash if user is not None and user.password_hash else None
    if not check_password_hash(stored or _dummy_hash(), password) or stored is None:
        return None
    return user


def deactivate_user(name: str, actor: str = "cli") -> User:
    """Close an account: it can no longer sign in, its sessions end and its tokens are
    revoked, at once in every process."""
    user = get_user(name)
    user.active = False
    ended = _end_sessions(user)
    revoked = _revoke_all(user)
    trail.record("user_deactivated", actor, user=name, sessions_ended=ended, tokens_revoked=revoked)
    return user


def activate_user(name: str, actor: str = "cli") -> User:
    """Open a closed account again (its old tokens stay revoked)."""
    user = get_user(name)
    user.active = True
    trail.record("user_activated", actor, user=name)
    return user


def remove_from_user(name: str, roles=(), groups=(), actor: str = "cli") -> User:
    """Take roles or group memberships away; the change applies to the user's next request.

    :raises BadRequest: for a role or group the user does not have.
    """
    user = get_user(name)
    missing = [f"role {r}" for r in roles if r not in user.roles] + [f"group {g}" for g in groups
                                                                      if g not in user.groups]
    if missing:
        raise BadRequest(f"{name} has no {', '.join(missing)}")
    user.roles = sorted(set(user.roles) - set(roles))
    user.memberships = [m for m in user.memberships if m.group not in groups]
    db.session.flush()
    trail.record("user_reduced", actor, user=name, roles_removed=sorted(roles), groups_removed=sorted(groups),
                 roles=user.roles, groups=user.groups)
    return user


def issue_token(name: str, actor: str = "admin", label: str = "", days: int | None = None) -> str:
    """A new API token for ``name``; only its hash is stored. It expires after ``days``
    (default ``TOKEN_EXPIRY_DAYS``; 0 means never).

    :raises BadRequest: for a negative number of days or an inactive user.
    """
    user = get_user(name)
    if not user.active:
        raise BadRequest(f"{name}'s account is closed")
    days = current_app.config["TOKEN_EXPIRY_DAYS"] if days is None else days
    if days is None or days < 0:
        raise BadRequest("a token's lifetime is a number of days, 0 for no expiry")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), label=label.strip()[:80], created_at=now,
                   expires_at=now + timedelta(days=days) if days else None)
    db.session.add(row)
    db.session.flush()
    trail.record("token_issued", actor, user=name, token_id=row.id, label=row.label,
                 expires_at=row.expires_at)
    return token


def list_tokens(name: str | None = None) -> list[ApiToken]:
    """Tokens, newest first: one user's, or everyone's."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if name is not None:
        query = query.where(ApiToken.user_id == get_user(name).id)
    return list(db.session.scalars(query))


def token_state(row: ApiToken) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= utcnow():
        return "expired"
    return "active"


def revoke_token(token_id: int, actor: str = "cli", owner: str | None = None) -> ApiToken:
    """Revoke one token, at once in every process. With ``owner``, only that user's.

    :raises NotFound: for no such token (or another person's, with ``owner``).
    """
    row = db.session.get(ApiToken, token_id)
    if row is None or (owner is not None and row.user.name != owner):
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        trail.record("token_revoked", actor, user=row.user.name, token_id=row.id, label=row.label)
    return row


def _revoke_all(user: User) -> int:
    rows = list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                          ApiToken.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = utcnow()
    return len(rows)


def user_for_token(token: str) -> User:
    """:raises Unauthorized: for an unknown, revoked or expired token, or an inactive user."""
    user = principals.user_for_token_hash(hash_token(token))
    if user is None:
        raise Unauthorized("the API token is not valid")
    return user


def start_session(user: User) -> str:
    """A new signed-in session; the returned id goes in the session cookie, its hash here."""
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, sid_hash=hash_token(sid), created_at=utcnow()))
    return sid


def user_for_session(sid: str) -> User | None:
    """The user of a live session, or ``None`` once it ended."""
    return principals.user_for_session_hash(hash_token(sid))


def end_session(sid: str) -> None:
    """Sign out: the session's row goes, so the cookie opens nothing any more."""
    row = db.session.scalar(select(UserSession).where(UserSession.sid_hash == hash_token(sid)))
    if row is not None:
        db.session.delete(row)


def _end_sessions(user: User) -> int:
    ended = db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    principals.bump_epoch()
    return ended or 0


def group_members(group: str) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Membership).where(Membership.group == group, User.active.is_(True)).order_by(User.name)
    ))


def update_settings(name: str, email: str | None, notifications: dict[str, bool]) -> User:
    """A person's own settings: their email address and which notifications they get."""
    user = get_user(name)
    user.email = email
    user.notification_prefs = dict(notifications)
    trail.record("settings_changed", name, None, email_set=bool(email),
                 notifications_off=sorted(k for k, on in notifications.items() if not on))
    return user
