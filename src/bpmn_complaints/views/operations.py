"""What an operator's tools read: ``/healthz`` (the process is up), ``/readyz`` (it can
serve: the database answers at the newest migration; and when a worker was last seen),
and ``/metrics`` for Prometheus, open only to the addresses in ``METRICS_ALLOW`` or to
a bearer of ``METRICS_TOKEN``. Each request is counted and timed by route pattern."""

from __future__ import annotations

import hmac
import ipaddress
import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .. import metrics
from ..exceptions import Forbidden
from ..logs import route_of_request
from ..services.operations import DatabaseFigures, readiness

bp = Blueprint("operations", __name__)


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    ready, checks = readiness()
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _may_scrape() -> bool:
    cfg = current_app.config
    token = cfg.get("METRICS_TOKEN")
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in cfg.get("METRICS_ALLOW") or [])


@bp.route("/metrics")
def scrape():
    if not _may_scrape():
        raise Forbidden("metrics are open only to the addresses in METRICS_ALLOW or with METRICS_TOKEN")
    body = generate_latest(metrics.registry([DatabaseFigures()]))
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Count and time every request of ``app``, and register the blueprint."""

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        if "metrics_started" in g:
            route = route_of_request()
            metrics.REQUESTS.labels(request.method, route, str(response.status_code)).inc()
            metrics.REQUEST_SECONDS.labels(request.method, route).observe(time.perf_counter() - g.metrics_started)
        return response

    app.register_blueprint(bp)
