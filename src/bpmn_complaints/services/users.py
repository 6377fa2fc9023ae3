"""Staff accounts, group memberships and API tokens."""

import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..db import trail
from ..exceptions import BadRequest, NotFound, Unauthorized
from ..extensions import db
from ..models import ApiToken, IntegrationTopic, Membership, User
from ..policy import INTEGRATION, ROLES


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
        user.password_hash = generate_password_hash(password)
    for group in groups:
        if group not in user.groups:
            user.memberships.append(Membership(group=group))
    db.session.flush()
    trail.record("user_added" if created else "user_updated", actor, user=name, groups=user.groups,
                 roles=user.roles)
    return user


def check_password(name: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.name == name, User.active.is_(True)))
    if user is None or not user.password_hash or not check_password_hash(user.password_hash, password):
        return None
    return user


def issue_token(name: str, topics: Sequence[str] = ()) -> str:
    """A new API token for ``name``; only its hash is stored. ``topics`` grants an
    ``integration`` account those external-task topics.

    :raises BadRequest: for topics on an account without the integration role.
    """
    user = get_user(name)
    if topics:
        if INTEGRATION not in user.roles:
            raise BadRequest(f"{name} is not an integration account: only those work on topics")
        for topic in sorted(set(topics) - set(db.session.scalars(
                select(IntegrationTopic.topic).where(IntegrationTopic.user_id == user.id)))):
            db.session.add(IntegrationTopic(user_id=user.id, topic=topic))
        trail.record("topics_granted", "admin", user=name, topics=sorted(topics))
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=utcnow()))
    trail.record("token_issued", "admin", user=name)
    return token


def user_for_token(token: str) -> User:
    """:raises Unauthorized: for an unknown token or an inactive user."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not row.user.active:
        raise Unauthorized("the API token is not valid")
    return row.user


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
