"""Which handlers each running web and worker process has loaded (the ``handler_processes``
table, refreshed as a heartbeat), and the check deploy makes against it: a diagram may
bind only handlers every running worker knows, so a ``pip install`` on one machine that the
workers have not picked up yet is refused rather than turned into incidents."""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..clock import utcnow
from ..engine.definitions import Parsed
from ..engine.external_tasks import EXTERNAL_DIALECTS
from ..exceptions import DeployFailed
from ..extensions import db
from ..models import HandlerProcess

_last_beat: dict[tuple[str, str], float] = {}  # (database, kind) -> monotonic time of this process's last record


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def loaded_handlers() -> dict[str, dict[str, Any]]:
    """The handlers this process loaded: name -> where it came from, and whether it runs inline."""
    registry = current_app.extensions["complaints_handlers"]
    return {name: {"origin": registry.origin(name), "inline": registry.options(name).inline}
            for name in sorted(registry.names())}


def heartbeat(kind: str, force: bool = False) -> None:
    """Record (at most every ``HANDLER_HEARTBEAT_SECONDS``) that this ``kind`` process runs
    with the handlers it loaded, and commit."""
    key = (str(db.engine.url), kind)
    now = time.monotonic()
    if not force and now - _last_beat.get(key, -1e9) < float(current_app.config["HANDLER_HEARTBEAT_SECONDS"]):
        return
    _last_beat[key] = now
    name = f"{this_process()}:{kind}"
    row = db.session.scalar(select(HandlerProcess).where(HandlerProcess.process == name))
    moment = utcnow()
    if row is None:
        db.session.add(HandlerProcess(process=name, kind=kind, handlers=loaded_handlers(), started_at=moment,
                                      seen_at=moment))
    else:
        row.handlers, row.seen_at = loaded_handlers(), moment
    db.session.commit()


def gone(kind: str) -> None:
    """Forget this process's record (it is stopping) and commit. If the database cannot be
    reached the record stays, and stops counting after ``HANDLER_PROCESS_STALE_SECONDS``."""
    try:
        row = db.session.scalar(select(HandlerProcess).where(HandlerProcess.process == f"{this_process()}:{kind}"))
        if row is not None:
            db.session.delete(row)
            db.session.commit()
    except Exception:  # noqa: BLE001 - stopping anyway; the record ages out
        db.session.rollback()


def running() -> list[HandlerProcess]:
    """The processes seen within ``HANDLER_PROCESS_STALE_SECONDS``."""
    since = utcnow() - timedelta(seconds=float(current_app.config["HANDLER_PROCESS_STALE_SECONDS"]))
    return list(db.session.scalars(select(HandlerProcess).where(HandlerProcess.seen_at >= since)
                                   .order_by(HandlerProcess.kind, HandlerProcess.process)))


def known_handlers() -> list[dict[str, Any]]:
    """Every handler a running process (or this one) has loaded, with the processes that
    have it and those that lack it: what the editor offers and ``GET /api/handlers`` lists."""
    processes = running()
    local = loaded_handlers()
    names = sorted(set(local) | {name for p in processes for name in p.handlers})
    out = []
    for name in names:
        having = [p for p in processes if name in p.handlers]
        origin = next((p.handlers[name].get("origin") for p in having), None) or (local.get(name) or {}).get("origin")
        out.append({"name": name, "origin": origin,
                    "inline": any(p.handlers[name].get("inline") for p in having) or bool(local.get(name, {})
                                                                                       .get("inline")),
                    "processes": [p.process for p in having],
                    "missing_in": [p.process for p in processes if name not in p.handlers and p.kind == "worker"]})
    return out


def _bound_handlers(parsed: Parsed) -> list[tuple[str, str, str]]:
    """(element id, handler name, dialect) of every service task in the bundle."""
    specs = [parsed.spec, *parsed.subprocess_specs.values()]
    return sorted({(spec.bpmn_id, spec.operation_name, getattr(spec, "dialect", "spiffworkflow"))
                   for process in specs for spec in process.task_specs.values()
                   if hasattr(spec, "operation_name")})


def check_bindings(parsed: Parsed) -> None:
    """Refuse a bundle binding a handler some running worker lacks (a topic no process
    serves is an external task, not a gap). Without running workers there is nothing to
    compare with, and the deploying process's own registry decided (the lint).

    :raises DeployFailed: naming each element, its handler and the processes that lack it.
    """
    workers = [p for p in running() if p.kind == "worker"]
    if not workers:
        return
    anywhere = {name for p in running() for name in p.handlers} | set(loaded_handlers())
    problems = []
    for element, name, dialect in _bound_handlers(parsed):
        if dialect in EXTERNAL_DIALECTS and name not in anywhere:
            continue  # an external task
        lacking = [p.process for p in workers if name not in p.handlers]
        if lacking:
            problems.append({"file": None, "element": element,
                             "message": f"the handler {name!r} is not loaded by the running worker(s) "
                                        f"{', '.join(lacking)}: install it there and restart them, or deploy "
                                        "with --allow-missing-handlers"})
    if problems:
        raise DeployFailed(f"{len(problems)} handler binding(s) no running worker knows; nothing was deployed",
                           {"problems": problems})


def beat_in_background(app: Any) -> None:
    """A web server process: record its handlers now and every ``HANDLER_HEARTBEAT_SECONDS``
    from a daemon thread (a web process has no loop of its own to do it in)."""
    import threading

    def beat() -> None:
        while True:
            with app.app_context():
                try:
                    heartbeat("web", force=True)
                except Exception:  # noqa: BLE001 - a missed beat only ages the record; try again next time
                    db.session.rollback()
                finally:
                    db.session.remove()
            time.sleep(float(app.config["HANDLER_HEARTBEAT_SECONDS"]))

    threading.Thread(target=beat, name="handler-heartbeat", daemon=True).start()
