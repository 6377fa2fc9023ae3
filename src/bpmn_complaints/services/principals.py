"""Who a bearer token or a browser session is, without the database work at the start of
every request: each process keeps what it loaded, and trusts it only while the auth epoch
is the value it read.

Why an epoch and not a time to live: revoking a token, closing an account or taking a
role away must work at once in every web process, and processes share nothing but the
database. Any change to a user, a membership, a token or a session replaces the one-row
epoch's value (a random one, in the same transaction as the change: see
:func:`note_changes`). A request reads that row by its primary key, one cheap query, and
uses its cached user, roles and groups when the value matches; otherwise it loads them
again. A random value rather than a counter, so that a database put back from a copy
never meets a cache entry that happens to carry the same number.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..clock import utcnow
from ..db import write_apart
from ..extensions import db
from ..models import ApiToken, AuthEpoch, Membership, User, UserSession
from ..read_only import transaction_reads_only

MAX_ENTRIES = 10_000
# How long a read waits to stamp a token's last use before it skips the stamp.
STAMP_WAIT_MS = 50
_USER_COLUMNS = [c.key for c in inspect(User).column_attrs]


@dataclass
class _Entry:
    """What one token or session resolved to, as plain values (no ORM object is shared
    between requests or threads)."""

    epoch: str
    user: dict[str, Any]
    memberships: list[tuple[int, str]]
    token_id: int | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = field(default=None)
    started_at: datetime | None = None


class PrincipalCache:
    """One app's entries, keyed by ``"t:" + token hash`` or ``"s:" + session id hash``."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> _Entry | None:
        return self._entries.get(key)

    def put(self, key: str, entry: _Entry) -> None:
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = entry

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


def init_app(app) -> None:
    app.extensions["complaints_principals"] = PrincipalCache()


def _cache() -> PrincipalCache:
    return current_app.extensions["complaints_principals"]


def current_epoch() -> str:
    return db.session.scalar(select(AuthEpoch.value).where(AuthEpoch.id == 1)) or ""


def bump_epoch(session: Session | None = None) -> None:
    """Tell every process that its cached users may be stale. For bulk statements, which
    :func:`note_changes` does not see; ORM changes bump it by themselves."""
    target = session if session is not None else db.session
    target.connection().execute(update(AuthEpoch).values(value=secrets.token_hex(16)))


# A new token, session or user cannot be in anyone's cache; every other change can be.
_WATCHED = (User, Membership, ApiToken, UserSession)
_NEW_IS_HARMLESS = (User, ApiToken, UserSession)


def note_changes(session: Session, _flush_context) -> None:
    """``after_flush``: bump the epoch in the same transaction as a change to accounts."""
    changed = any(isinstance(o, _WATCHED) and not isinstance(o, _NEW_IS_HARMLESS) for o in session.new)
    changed = changed or any(isinstance(o, _WATCHED) for o in session.deleted)
    changed = changed or any(isinstance(o, _WATCHED) and session.is_modified(o) for o in session.dirty)
    if changed:
        bump_epoch(session)


event.listen(Session, "after_flush", note_changes)


def _snapshot(user: User, epoch: str, **extra) -> _Entry:
    return _Entry(epoch=epoch, user={name: getattr(user, name) for name in _USER_COLUMNS},
                  memberships=[(m.id, m.group) for m in user.memberships], **extra)


def _attach(entry: _Entry) -> User:
    """The cached user as a persistent object of this request's session, with no query."""
    values = {name: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
              for name, v in entry.user.items()}
    user = User(**values)
    make_transient_to_detached(user)
    memberships = []
    for membership_id, group in entry.memberships:
        membership = Membership(id=membership_id, user_id=user.id, group=group)
        make_transient_to_detached(membership)
        memberships.append(membership)
    set_committed_value(user, "memberships", memberships)
    return db.session.merge(user, load=False)


def user_for_token_hash(token_hash: str) -> User | None:
    """The active user whose unrevoked, unexpired token has this hash, or ``None``.
    Records the token's last use at most once per ``TOKEN_LAST_USED_INTERVAL_SECONDS``."""
    key = "t:" + token_hash
    epoch = current_epoch()  # read before loading: a change committed in between only makes a miss
    entry = _cache().get(key)
    if entry is None or entry.epoch != epoch:
        _cache().drop(key)
        row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash,
                                                       ApiToken.revoked_at.is_(None)))
        if row is None or not row.user.active:
            return None
        entry = _snapshot(row.user, epoch, token_id=row.id, expires_at=row.expires_at,
                          last_used_at=row.last_used_at)
        _cache().put(key, entry)
    now = utcnow()
    if entry.expires_at is not None and entry.expires_at <= now:
        return None
    _record_use(entry, now)
    return _attach(entry)


def _record_use(entry: _Entry, now: datetime) -> None:
    interval = timedelta(seconds=current_app.config["TOKEN_LAST_USED_INTERVAL_SECONDS"])
    if entry.last_used_at is not None and now - entry.last_used_at < interval:
        return
    before, entry.last_used_at = entry.last_used_at, now
    # A plain statement (no flush, so no epoch bump), and only when no other process wrote
    # it lately.
    stamp = update(ApiToken).where(ApiToken.id == entry.token_id, or_(
        ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - interval)).values(last_used_at=now)
    if transaction_reads_only():
        # A read takes no write lock (read_only): the stamp goes apart, in a short
        # transaction of its own that does not queue behind a writer. When the database
        # is busy it is skipped, and the next request tries again.
        if not write_apart(stamp, STAMP_WAIT_MS):
            entry.last_used_at = before
        return
    db.session.connection().execute(stamp)
    db.session.commit()


def user_for_session_hash(sid_hash: str) -> User | None:
    """The active user of the live session with this id hash, or ``None``."""
    key = "s:" + sid_hash
    epoch = current_epoch()
    entry = _cache().get(key)
    if entry is None or entry.epoch != epoch:
        _cache().drop(key)
        row = db.session.scalar(select(UserSession).where(UserSession.sid_hash == sid_hash))
        if row is None or not row.user.active:
            return None
        entry = _snapshot(row.user, epoch, started_at=row.created_at)
        _cache().put(key, entry)
    if entry.started_at is not None and entry.started_at + current_app.permanent_session_lifetime <= utcnow():
        return None
    return _attach(entry)
