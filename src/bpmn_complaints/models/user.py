"""Staff users, their group memberships (lanes), API tokens, signed-in sessions, and the
epoch that tells every process when any of them changed."""

from datetime import datetime

from sqlalchemy import DDL, JSON, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(400))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Which staff notifications they get, by kind (services.notifications.KINDS); all when absent.
    notification_prefs: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def groups(self) -> list[str]:
        return sorted(m.group for m in self.memberships)


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(String(80), index=True)

    user: Mapped[User] = relationship(back_populates="memberships")


class ApiToken(Model):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once. A revoked
    token keeps its row (``revoked_at``) so the list shows what was stopped and when."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written at most once per TOKEN_LAST_USED_INTERVAL_SECONDS, never on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Model):
    """A signed-in browser session. The cookie carries a random id whose SHA-256 is this
    row's key; signing out deletes the row, so a copied cookie opens nothing afterwards."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class AuthEpoch(Model):
    """One row: a random value replaced whenever a user, membership, token or session
    changes. Each process caches who a token or session is, and trusts its cache only while
    this value is the one it read (services/principals.py)."""

    __tablename__ = "auth_epoch"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(32))


# The migration inserts the row; so does create_all (the tests' databases).
event.listen(AuthEpoch.__table__, "after_create", DDL("INSERT INTO auth_epoch (id, value) VALUES (1, 'initial')"))
