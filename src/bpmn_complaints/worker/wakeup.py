"""Waking a sleeping worker: it sleeps on its PostgreSQL ``LISTEN`` connection (writers
``NOTIFY`` through :func:`bpmn_complaints.db.notify.announce`) and on a signal pipe, so a
notification or a SIGTERM ends the sleep at once.

SQLite has no notifications, so there a worker also wakes every ``WORKER_POLL_SECONDS``
to see jobs other processes added.
"""

import os
import select
import signal
import time
from datetime import datetime

import psycopg
from flask import current_app
from psycopg.rows import TupleRow

from ..db.notify import CHANNEL
from ..extensions import db

# A PostgreSQL worker hears of new work by NOTIFY; it still looks this often, to make up
# for a notification lost while its LISTEN connection was down.
LISTEN_SAFETY_SECONDS = 60.0


class Alarm:
    """What a worker sleeps on: the signal pipe, and on PostgreSQL its LISTEN connection.

    Create it in the worker's main thread (it takes over ``signal.set_wakeup_fd``) and
    :meth:`close` it when the worker stops.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._previous_fd = signal.set_wakeup_fd(self._write)
        url = db.engine.url
        self._conninfo = (url.set(drivername="postgresql").render_as_string(hide_password=False)
                          if url.get_backend_name() == "postgresql" else None)
        self._listener: psycopg.Connection[TupleRow] | None = None

    @property
    def ceiling(self) -> float:
        """The longest one sleep may last."""
        if self._conninfo is None:
            return float(current_app.config["WORKER_POLL_SECONDS"])
        return LISTEN_SAFETY_SECONDS

    def listen(self) -> None:
        """Start listening (PostgreSQL). Call before looking for due work, so nothing
        announced between that look and the sleep is missed."""
        if self._conninfo is not None and (self._listener is None or self._listener.closed):
            self._listener = psycopg.connect(self._conninfo, autocommit=True)
            self._listener.execute(f"LISTEN {CHANNEL}")

    def sleep(self, seconds: float, wake_for: datetime) -> None:
        """Sleep up to ``seconds``; wake early for a signal, or for work announced as due
        at or before ``wake_for``."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            listener = self._listener
            sources = [self._read] + ([listener.fileno()] if listener else [])
            ready, _, _ = select.select(sources, [], [], remaining)
            if self._read in ready:
                os.read(self._read, 512)
                return
            if ready and listener is not None and self._heard(listener, wake_for):
                return

    def _heard(self, listener: psycopg.Connection[TupleRow], wake_for: datetime) -> bool:
        try:
            dues = [datetime.fromisoformat(n.payload) for n in listener.notifies(timeout=0)]
        except psycopg.OperationalError:
            # The database went away: drop the connection, and look for work (which
            # reconnects) rather than sleep on a dead socket.
            listener.close()
            self._listener = None
            return True
        return any(due <= wake_for for due in dues)

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        if self._listener is not None:
            self._listener.close()
        os.close(self._read)
        os.close(self._write)
