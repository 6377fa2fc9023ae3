"""Which transactions only read: those a GET or HEAD request begins, unless its view is
marked :func:`writes`.

On SQLite the ``begin`` listener (:mod:`bpmn_complaints.extensions`) asks
:func:`transaction_reads_only` at every BEGIN: a reading transaction begins deferred (no
write lock, so a page view never queues behind a writer, nor a writer behind it) with
``PRAGMA query_only=ON``, so a write nobody marked fails loudly ("attempt to write a
readonly database") instead of silently taking the lock. Everything else (other methods,
the CLI, the worker, code in an app context without a request) begins ``IMMEDIATE``.

The decision is a look at the request's method and its view function: no query.
"""

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, has_request_context, request

READ_METHODS = frozenset({"GET", "HEAD"})
_MARK = "_complaints_writes"
# An execution option: a connection given it writes whatever the request (a side write
# during a GET on a connection of its own, ``db.transaction.write_apart``).
WRITE_OPTION = "complaints_writes"

F = TypeVar("F", bound=Callable)


def writes(view: F) -> F:
    """Mark a view whose GET writes (it commits, adds rows, schedules a job, catches up a
    rollup...): its transactions begin ``IMMEDIATE`` like a POST's. Put it anywhere in the
    view's decorators: it marks the function it gets, and ``functools.wraps`` carries the
    mark to the wrappers above it."""
    setattr(view, _MARK, True)
    return view


def marked_writes(view: Callable | None) -> bool:
    """Whether ``view`` (or a function it wraps) is marked :func:`writes`."""
    while view is not None:
        if getattr(view, _MARK, False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def transaction_reads_only() -> bool:
    """True inside a GET or HEAD request whose view is not marked :func:`writes`."""
    if not has_request_context() or request.method not in READ_METHODS:
        return False
    endpoint = request.endpoint
    if endpoint is None:  # no route matched (a 404 page reads at most)
        return True
    return not marked_writes(current_app.view_functions.get(endpoint))
