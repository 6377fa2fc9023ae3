"""Fixtures: an app on SQLite (and on PostgreSQL when COMPLAINTS_TEST_DATABASE_URL is
set), a client, and helpers that act through the public API."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from bpmn_complaints import create_app
from bpmn_complaints.extensions import db

HERE = Path(__file__).parent
DIAGRAMS = HERE / "diagrams"


def _database_per_worker(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets a database of its own beside the one named
    (``test`` becomes ``test_gw0``, ``test_gw1``...), created on first use, so workers
    never drop each other's schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _database_per_worker(os.environ.get("COMPLAINTS_TEST_DATABASE_URL"))
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def app(backend, tmp_path):
    if backend == "postgresql":
        _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with with_tables(app):
        yield app


@contextmanager
def with_tables(app):
    """The app's tables made for a test, and its session and connections closed after."""
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Api:
    """Acts through the HTTP API the way a script or a person would."""

    def __init__(self, app, client, runner):
        self.app, self.client, self.runner = app, client, runner
        self.tokens: dict[str, str] = {}

    def user(self, name, groups=(), roles=("staff",), skills=(), email="example.com"):
        """Add a user through the CLI and keep their API token. ``email`` is a domain
        (name@domain), or None for a user without an email address."""
        args = ["users", "add", name] + (["--email", f"{name}@{email}"] if email else [])
        for skill in skills:
            args += ["--skill", skill]
        for g in groups:
            args += ["--group", g]
        for r in roles:
            args += ["--role", r]
        result = self.runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        result = self.runner.invoke(args=["token", name])
        assert result.exit_code == 0, result.output
        self.tokens[name] = result.output.strip().splitlines()[-1]
        return self.tokens[name]

    def headers(self, who):
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def get(self, path, who=None, **kw):
        return self.client.get(path, headers=self.headers(who), **kw)

    def post(self, path, who=None, json=None, **kw):
        return self.client.post(path, headers=self.headers(who), json=json, **kw)

    def deploy(self, path, who="owner"):
        if who not in self.tokens:
            self.user(who, roles=("process_owner",))
        result = self.runner.invoke(args=["deploy", str(path)])
        return result

    def submit(self, **overrides):
        body = {"name": "Dana Example", "email": "dana@example.com", "description": "Charged twice.",
                "category": "billing", "product": "Broadband"}
        body.update(overrides)
        response = self.post("/api/complaints", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def tasks(self, who, scope="mine", **params):
        response = self.get("/api/tasks", who, query_string={"scope": scope, **params})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def task_for(self, who, reference, scope="group"):
        items = [t for t in self.tasks(who, scope)["items"] if t["complaint_reference"] == reference]
        assert len(items) == 1, items
        return items[0]

    def claim(self, who, task_id):
        return self.post(f"/api/tasks/{task_id}/claim", who)

    def complete(self, who, task_id, data):
        return self.post(f"/api/tasks/{task_id}/complete", who, json={"data": data})

    def work(self, who, reference, data, scope="group"):
        """Claim the complaint's task in ``who``'s inbox and complete it with ``data``."""
        task = self.task_for(who, reference, scope)
        response = self.claim(who, task["id"])
        assert response.status_code == 200, response.get_json()
        response = self.complete(who, task["id"], data)
        assert response.status_code == 200, response.get_json()
        return task

    def run_worker(self):
        """Run what is due now as the worker process does (``bpmn-complaints worker --once``):
        deferred service tasks, timers, retries, then emails. Returns the jobs run."""
        from bpmn_complaints.worker import Worker

        with self.app.app_context():
            return Worker(owner="test").run_once()

    def work_fails(self, who, reference, data, scope="group"):
        """Claim and complete as :meth:`work`, where a step after the task fails: the
        completion is rolled back with 422 (the task still waits) and an incident is
        opened. Returns the error's details (``element``, ``reason``)."""
        task = self.task_for(who, reference, scope)
        assert self.claim(who, task["id"]).status_code == 200
        response = self.complete(who, task["id"], data)
        assert response.status_code == 422, response.get_json()
        assert self.task_for(who, reference, "mine")["id"] == task["id"]
        return response.get_json()["error"]["details"]

    def history(self, reference, who):
        response = self.get(f"/api/complaints/{reference}/history", who)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def api(app, client, runner):
    return Api(app, client, runner)
