"""The PostgreSQL database the benchmarks may wipe: created when missing, never 'test'."""

import sys

from sqlalchemy import create_engine, make_url, text

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/complaints_bench"


def prepare(url: str) -> str:
    """Make sure ``url``'s database exists and is not the shared 'test' one, so a fresh
    machine runs ``make bench`` without setting anything up. Returns ``url``."""
    parsed = make_url(url)
    if parsed.database == "test":
        sys.exit("refusing to use the database 'test': the benchmarks drop its public schema")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
                print(f"created the scratch database {parsed.database}")
    except Exception as err:  # noqa: BLE001 - say why and stop, this is a command-line tool
        sys.exit(f"PostgreSQL at {parsed.render_as_string(hide_password=True)} is not usable: {err}")
    finally:
        admin.dispose()
    return url


def fresh_schema(db) -> None:
    """In an app context: an empty schema with the models' tables (on PostgreSQL the public
    schema is dropped first, so a bench starts from nothing)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    db.create_all()
