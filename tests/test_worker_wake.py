"""Real `bpmn-complaints worker` processes on PostgreSQL (issue 15, Operations): a worker
beats a heartbeat and says when it will wake; it wakes when an email's lease expires and
takes the email over (logged with the complaint's reference); a batch slower than its
lease renews the lease, so no email goes out twice; and writers NOTIFY only when no
sleeping worker will wake in time anyway."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import select, text, update

from bpmn_complaints.db.notify import CHANNEL
from bpmn_complaints.extensions import db
from bpmn_complaints.models import OutboxMessage, WorkerHeartbeat
from conftest import HERE, PG_URL
from test_outbox import smtp  # noqa: F401  (the real SMTP server fixture)
from test_worker_processes import WAIT, Workers, wait_for

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set COMPLAINTS_TEST_DATABASE_URL")
PROCESSES = HERE.parent / "processes"


@pytest.fixture
def backend():
    return "postgresql"


@pytest.fixture
def workers():
    started = Workers()
    yield started
    started.close()


def smtp_config(server) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "LOG_FORMAT": "json"}


def heartbeats(app) -> list[WorkerHeartbeat]:
    with app.app_context():
        rows = list(db.session.scalars(select(WorkerHeartbeat)))
        db.session.expunge_all()
        db.session.commit()
        return rows


def test_a_worker_beats_and_is_gone_when_it_stops(app, workers, client):
    proc = workers.start()
    wait_for(lambda: any(h.next_wake_at for h in heartbeats(app)), "the worker's heartbeat")
    (beat,) = heartbeats(app)
    assert beat.owner.endswith(f":{proc.pid}") and beat.next_wake_at > beat.seen_at
    assert client.get("/readyz").get_json()["checks"]["worker"]["ok"] is True
    code, output = workers.stop(proc)
    assert code == 0, output
    assert heartbeats(app) == []


def test_a_worker_wakes_when_an_email_lease_expires_and_takes_it_over(api, workers, smtp):  # noqa: F811
    assert api.deploy(PROCESSES).exit_code == 0
    reference = api.submit()["reference"]
    smtp.start()
    with api.app.app_context():  # a worker that died while it held the acknowledgement
        db.session.execute(update(OutboxMessage).values(
            lock_owner="gone:1", lock_expires_at=datetime.now(UTC) + timedelta(seconds=12)))
        db.session.commit()
    leased = time.monotonic()
    proc = workers.start(**smtp_config(smtp))
    assert not smtp.sink.received.is_set()
    # A sleeping worker looks at least once a minute; it must come for the email sooner.
    assert smtp.sink.received.wait(timeout=40), "the email was not taken over"
    assert 11 < time.monotonic() - leased < 40
    code, output = workers.stop(proc)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    (takeover,) = [line for line in lines if line.get("event") == "takeover"]
    assert takeover["complaint"] == reference and takeover["previous_owner"] == "gone:1"
    assert "dana" not in output.lower()


class SlowSink:
    """Wraps the test SMTP server's handler: every message takes ``delay`` seconds."""

    def __init__(self, sink, delay: float):
        self.sink, self.delay = sink, delay

    def __getattr__(self, name):
        return getattr(self.sink, name)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await self.sink.handle_DATA(server, session, envelope)


def test_a_batch_slower_than_its_lease_renews_it_and_sends_each_email_once(api, workers, smtp):  # noqa: F811
    assert api.deploy(PROCESSES).exit_code == 0
    api.app.config["SUBMIT_RATE_LIMIT"] = "1000 per minute"
    for _ in range(12):
        api.submit()
    smtp.sink = SlowSink(smtp.sink, 1.0)  # twelve emails in one batch: 12 s, against a 3 s lease
    smtp.start()
    config = {**smtp_config(smtp), "JOB_LOCK_SECONDS": 3}
    procs = [workers.start(**config), workers.start(**config)]
    wait_for(lambda: len(smtp.sink.messages) >= 12, "the twelve acknowledgements")
    time.sleep(4)  # time for a doubled delivery to arrive, if there were one
    ids = [message["Message-ID"] for message in smtp.sink.messages]
    assert len(ids) == 12 and len(set(ids)) == 12, ids
    for proc in procs:
        assert workers.stop(proc)[0] == 0


def notifications(conn) -> list[datetime]:
    return [datetime.fromisoformat(n.payload) for n in conn.notifies(timeout=1)]


def test_writers_notify_only_for_work_due_before_the_next_wake(api, workers):
    assert api.deploy(PROCESSES).exit_code == 0
    listener = psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True)
    try:
        listener.execute(f"LISTEN {CHANNEL}")
        # No worker is counted on: the acknowledgement (due now) and the complaint's first
        # timer (days ahead) are both announced.
        api.submit()
        heard = notifications(listener)
        assert any(due > datetime.now(UTC) + timedelta(hours=1) for due in heard), heard

        proc = workers.start()
        wait_for(lambda: any(h.next_wake_at for h in heartbeats(api.app)), "the worker to sleep")
        notifications(listener)  # what the worker's own first round announced
        api.submit()
        heard = notifications(listener)
        (wake,) = [h.next_wake_at for h in heartbeats(api.app)]
        assert heard and all(due <= wake for due in heard), (heard, wake)  # the timer was not announced
        assert workers.stop(proc)[0] == 0
    finally:
        listener.close()
    with api.app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM jobs WHERE kind = 'timer'")).scalar() == 2
    assert WAIT > 0
