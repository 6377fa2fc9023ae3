"""Run a change as one transaction, retrying it when it loses an optimistic race."""

import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import current_app, has_request_context
from sqlalchemy import Executable, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..exceptions import Conflict
from ..extensions import db
from ..read_only import WRITE_OPTION

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)

# The unique keys two writers can both claim at the same moment, where running the change
# again is the right answer: the next audit position of a stream, a new complaint's
# reference, the next version of a definition, one draft per task and person, one copy of
# a file per complaint. Any other integrity error is a bug or bad data: retrying would
# only repeat it, so it is logged and raised.
RACE_KEYS: frozenset[tuple[str, tuple[str, ...]]] = frozenset({
    ("audit_events", ("stream", "seq")),
    ("complaints", ("reference",)),
    ("definitions", ("key", "version")),
    ("task_drafts", ("task_id", "user_name")),
    ("attachments", ("complaint_id", "sha256")),
})

_PG_DETAIL = re.compile(r"Key \(([^)]*)\)=")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


def violated_unique_key(error: IntegrityError) -> tuple[str, tuple[str, ...]] | None:
    """The (table, columns) of the unique key ``error`` violated, or None when it is
    another kind of integrity error (a missing value, a foreign key, a check)."""
    orig = error.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg: SQLSTATE 23505 is unique_violation
        if getattr(orig, "sqlstate", None) != "23505":
            return None
        found = _PG_DETAIL.match(diag.message_detail or "")
        if diag.table_name is None or found is None:
            return None
        return diag.table_name, tuple(col.strip().strip('"') for col in found.group(1).split(","))
    found = _SQLITE_UNIQUE.match(str(orig))
    if found is None:
        return None
    parts = [part.strip().split(".", 1) for part in found.group(1).split(",")]
    if any(len(part) != 2 for part in parts) or len({table for table, _ in parts}) != 1:
        return None
    return parts[0][0], tuple(col for _, col in parts)


def lost_race(error: Exception) -> bool:
    """True when ``error`` means another writer got there first: a stale instance
    version, or one of the unique keys in ``RACE_KEYS``."""
    if isinstance(error, StaleDataError):
        return True
    return isinstance(error, IntegrityError) and violated_unique_key(error) in RACE_KEYS


def _after_rollback(error: BaseException, name: str) -> None:
    """Keep what a failed change must leave behind anyway (see ``ProcessFailed``), in a
    transaction of its own. If that fails too, it is logged: the change's own error is the
    answer."""
    keep = getattr(error, "after_rollback", None)
    if keep is None:
        return
    try:
        keep()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("change %s failed, and so did recording why", name)


# Set on a session whose last commit kept its objects loaded (see ``_commit``).
_KEPT = "complaints_commit_kept_objects"


def _commit(session: Session) -> None:
    """Commit. In a request the objects the change wrote stay loaded: the response is
    made from them, and expiring them would cost a second transaction that reads back what
    was just written (on SQLite a second write lock for a POST). The next ``run_change`` in
    the request expires them first; the request's session ends with the request. Outside a
    request (the worker, the CLI) a session lives on, so the commit expires as usual."""
    if not has_request_context():
        session.commit()
        return
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    session.info[_KEPT] = True


def run_change(change: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call ``change`` and commit. If the commit loses a race (another writer changed the
    same instance version, or took the same unique key, see ``RACE_KEYS``), roll back and
    run the whole change again, up to ``CONFLICT_RETRIES`` times. Any other error rolls
    back and is raised at once, an integrity error logged first; an error with an
    ``after_rollback`` (``ProcessFailed``) has it run and committed after the rollback.

    ``change`` must load what it needs by id inside itself, so a retry sees fresh rows.

    :raises Conflict: when every attempt lost its race.
    """
    attempts: int = current_app.config["CONFLICT_RETRIES"]
    name = getattr(change, "__qualname__", repr(change))
    session = db.session()
    if session.info.pop(_KEPT, False):
        session.expire_all()  # a change reads its rows afresh, never as an earlier change left them
    for attempt in range(1, attempts + 1):
        try:
            result = change(*args, **kwargs)
            _commit(session)
            return result
        except (StaleDataError, IntegrityError) as error:
            db.session.rollback()
            if not lost_race(error):
                log.error("change %s failed on an integrity error that is not a race: %s",
                          name, str(getattr(error, "orig", error)).splitlines()[0])
                raise
            log.info("change %s lost a race (attempt %d of %d); running it again", name, attempt, attempts)
            if attempt == attempts:
                break
            time.sleep(random.uniform(0, 0.01 * attempt))
        except BaseException as error:
            db.session.rollback()
            _after_rollback(error, name)
            raise
    raise Conflict("someone else changed this at the same moment; please try again")


def _busy(error: OperationalError) -> bool:
    """SQLite's write lock held by another connection, or PostgreSQL's lock_timeout."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) == "55P03":  # lock_not_available
        return True
    return "database is locked" in str(orig)


def write_apart(statement: Executable, wait_ms: int) -> bool:
    """Run one best-effort statement in a short transaction of its own, on a connection of
    its own (not the session's), waiting at most ``wait_ms`` for a lock. False, with
    nothing written, when the database was busy for that long; any other error is raised.

    For a stamp a read makes (a token's last use): the read neither commits its own
    transaction for it nor queues behind a writer. On SQLite the transaction begins
    ``IMMEDIATE`` even inside a GET (the ``WRITE_OPTION``), with the busy timeout cut to
    ``wait_ms`` and put back after; on PostgreSQL it is ``lock_timeout`` for this transaction only."""
    engine = db.engine
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
        driver: Any = conn.connection.dbapi_connection
        if sqlite:  # before BEGIN IMMEDIATE, which is what waits; the pool's value put back after
            usual = driver.execute("PRAGMA busy_timeout").fetchone()[0]
            driver.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(text(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'"))
                conn.execute(statement)
            return True
        except OperationalError as error:
            if not _busy(error):
                raise
            log.info("skipped a best-effort write: the database was busy for %d ms", wait_ms)
            return False
        finally:
            if sqlite:
                driver.execute(f"PRAGMA busy_timeout={int(usual)}")
