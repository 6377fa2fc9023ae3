"""A time budget for one job: past it, the job stops with :class:`JobTimeout`, becomes an
incident, and the worker goes on with the next.

The budget is a ``SIGALRM`` timer, so it works in the worker's main thread (where
``bpmn-complaints worker`` runs jobs) and interrupts Python code, including sleeps and
socket waits; elsewhere (a worker run in another thread) jobs run without one. A long
call inside a C extension is interrupted only when it returns to Python.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class JobTimeout(BaseException):
    """A job ran past its budget. A ``BaseException``, so that the engine's own failure
    handling (which records any ``Exception`` on the instance) does not swallow it."""


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Run the block with at most ``seconds`` of wall time (none when ``None`` or 0)."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise JobTimeout(f"the job ran longer than its time budget of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
