"""Unbound extensions, bound to an app in :func:`bpmn_complaints.create_app`."""

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Table, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase

from .read_only import WRITE_OPTION, transaction_reads_only


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)

# The models' base class. At run time it is db.Model, which Flask-SQLAlchemy builds while the
# program runs, from Base's own bases plus its Model mixin (query, bind keys, table names);
# mypy cannot follow a base class made that way ("Name db.Model is not defined"). For the type
# checker it is the same two parents written out.
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(_FlaskModel, Base):
        pass
else:
    Model = db.Model


@compiles(Table, "sqlite")
def _table_with_hint(table, compiler, fromhints=None, **kw):
    """SQLite's compiler drops a select's table hints (``with_hint(..., dialect_name="sqlite")``);
    this renders them after the table's name, where SQLite takes ``INDEXED BY <index>``. SQLite
    keeps no statistics, so where indexes look alike its choice follows the order they were
    made in; a hint makes the plan the one we chose (services.tasks)."""
    rendered = compiler.visit_table(table, **kw)
    hint = (fromhints or {}).get(table)
    return f"{rendered} {hint}" if rendered and hint else rendered


# The web pages: staff sessions, CSRF on every form, and per-IP limits on public forms.
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
# Schema migrations (the `db` command group); its scripts live in the package's migrations/.
migrate = Migrate()


def init_db(app) -> None:
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _make_sqlite_transactional(engine, app.config["SQLITE_SYNCHRONOUS"])
        elif engine.dialect.name == "postgresql":
            _no_jit(engine)


def _no_jit(engine) -> None:
    """PostgreSQL compiles a query to machine code (JIT) when the planner's cost estimate is
    high, and it estimates a capped count high (the whole range's cost, not the bound's):
    at a million open tasks the group tab's count ran in 3 ms after 550 ms of compiling.
    Our queries are short, so JIT is off for our connections (a ``SET`` after connecting,
    which a connection pooler passes through, unlike a startup option)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.commit()


SQLITE_SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")
SQLITE_BUSY_TIMEOUT_MS = 30_000  # how long a writer queues for the write lock
QUERY_ONLY = "complaints_query_only"  # connection record info: PRAGMA query_only is ON


def _make_sqlite_transactional(engine, synchronous: str) -> None:
    """SQLite's default deferred transactions fail with "database is locked" when two
    writers upgrade read locks at once. Taking the write lock at BEGIN makes concurrent
    writers queue on the busy timeout instead, and WAL lets readers carry on.

    A read (a GET or HEAD request's transaction, :mod:`bpmn_complaints.read_only`) takes
    no write lock: it begins deferred with ``PRAGMA query_only=ON``, so it never waits for
    a writer and a write nobody marked ``writes`` fails at once instead of upgrading.

    ``synchronous`` is SQLite's durability setting (``SQLITE_SYNCHRONOUS``): FULL, the
    default, syncs the log at every commit, so a complaint answered 201 survives a power
    cut; NORMAL syncs only at checkpoints, faster but the last commits can be lost (never
    corrupted) when the machine loses power."""
    level = str(synchronous).upper()
    if level not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}, "
                         f"not {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA synchronous={level}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # The flag lives on the pooled connection's record, so it follows the connection
        # from checkout to checkout: a write never begins on a connection left query_only,
        # and reads one after another on a connection switch it on once. Every statement
        # of ours runs in a transaction this listener began (SQLAlchemy begins before the
        # first), so nothing needs it switched off on check-in.
        info = conn.connection.info
        if not conn.get_execution_options().get(WRITE_OPTION) and transaction_reads_only():
            if not info.get(QUERY_ONLY):
                conn.exec_driver_sql("PRAGMA query_only=ON")
                info[QUERY_ONLY] = True
            conn.exec_driver_sql("BEGIN")
            return
        if info.get(QUERY_ONLY):
            conn.exec_driver_sql("PRAGMA query_only=OFF")
            info[QUERY_ONLY] = False
        conn.exec_driver_sql("BEGIN IMMEDIATE")
