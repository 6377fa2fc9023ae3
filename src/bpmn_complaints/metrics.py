"""What each process counts for Prometheus (``prometheus_client``): requests, engine
steps, jobs and emails. The queues, incidents and tasks are read from the database when
``/metrics`` is scraped (:mod:`bpmn_complaints.services.operations`), so every web process
reports the same figures for them.

The instruments belong to no registry: ``/metrics`` builds one per scrape from them (or,
under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set, from every process's files), and a
worker serves its own on ``WORKER_METRICS_PORT``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUESTS = Counter("bpmn_complaints_http_requests", "HTTP requests answered, by route pattern and status",
                   ["method", "route", "status"], registry=None)
REQUEST_SECONDS = Histogram("bpmn_complaints_http_request_duration_seconds", "Time to answer an HTTP request",
                            ["method", "route"], registry=None)
ENGINE_STEPS = Counter("bpmn_complaints_engine_steps", "Engine steps run (BPMN elements completed)", registry=None)
ENGINE_SECONDS = Histogram("bpmn_complaints_engine_run_seconds",
                           "Time the engine ran for one change, until the process waited", registry=None)
JOBS = Counter("bpmn_complaints_jobs", "Jobs started, and jobs failed, by kind and outcome (started, retry, incident)",
               ["kind", "outcome"], registry=None)
JOB_LATENESS = Histogram("bpmn_complaints_job_lateness_seconds", "How long after it was due a job started",
                         ["kind"], buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600), registry=None)
EMAILS = Counter("bpmn_complaints_emails", "Outbox deliveries, by outcome (sent, retry, failed)", ["outcome"],
                 registry=None)
TAKEOVERS = Counter("bpmn_complaints_lease_takeovers", "Rows taken over from a worker whose lease expired",
                    ["queue"], registry=None)

INSTRUMENTS: tuple[Collector, ...] = (REQUESTS, REQUEST_SECONDS, ENGINE_STEPS, ENGINE_SECONDS, JOBS, JOB_LATENESS,
                                      EMAILS, TAKEOVERS)


def multiprocess() -> bool:
    """Whether this process shares its figures through ``PROMETHEUS_MULTIPROC_DIR``."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir"))


def registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """A registry of this process's instruments (every process's, in multi-process
    mode) and ``extra``."""
    built = CollectorRegistry(auto_describe=False)  # the database figures are read once, at collection
    if multiprocess():
        MultiProcessCollector(built)
    else:
        for instrument in INSTRUMENTS:
            built.register(instrument)
    for collector in extra:
        built.register(collector)
    return built


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serve this process's figures on ``host:port`` (a worker, which has no web server)."""
    start_http_server(port, addr=host, registry=registry())
