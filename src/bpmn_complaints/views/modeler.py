"""The process owner's pages: the deployed versions, and a modeler (bpmn-js) that edits
the latest version's diagram, checks it and deploys it as a new version through the same
service as ``POST /api/definitions`` and ``bpmn-complaints deploy``."""

from flask import Blueprint, Response, render_template, request

from ..db import run_change
from ..exceptions import BadRequest
from ..input_limits import bounded_int
from ..policy import DEPLOY_DEFINITIONS, READ_DEFINITIONS
from ..services import definitions as service
from . import vendor
from .auth import me, staff_required

bp = Blueprint("modeler", __name__, url_prefix="/process")


@bp.route("")
@staff_required(READ_DEFINITIONS)
def versions():
    """Every deployed version, newest first per process (ISO 10002 8.5, 8.7)."""
    return render_template("process/versions.html", definitions=service.list_definitions())


@bp.route("/<key>/<version>/diagram.bpmn")
@staff_required(READ_DEFINITIONS)
def download(key, version):
    name, text = service.main_bpmn(service.get_definition(key, version))
    return Response(text, mimetype="application/xml", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<key>/compare")
@staff_required(READ_DEFINITIONS)
def compare(key):
    """What changed between two versions (ISO 10002 8.7); by default the latest against
    the one before it."""
    latest = service.get_definition(key, "latest").version
    new = bounded_int(request.args.get("to", 0, type=int) or 0, "to") or latest
    old = bounded_int(request.args.get("from", 0, type=int) or 0, "from") or max(1, new - 1)
    result = service.compare_versions(key, old, new)
    versions = list(range(latest, 0, -1))
    return render_template("process/compare.html", result=result, versions=versions, areas=AREAS)


AREAS = (("element", "Steps and events"), ("flow", "Sequence flows and conditions"), ("lane", "Lanes"),
         ("decision", "Decision-table rules"), ("form", "Form fields"), ("file", "Files"))


@bp.route("/<key>/edit")
@staff_required(DEPLOY_DEFINITIONS)
def edit(key):
    definition = service.get_definition(key, "latest")
    return render_template("process/modeler.html", definition=definition, available=vendor.available("bpmn-js"))


def _edited_files(key: str) -> dict[str, str]:
    body = request.get_json(silent=True)
    xml = body.get("xml") if isinstance(body, dict) else None
    if not isinstance(xml, str) or not xml.strip():
        raise BadRequest('send the diagram as JSON: {"xml": "<bpmn:definitions ..."}')
    return service.with_main_bpmn(service.get_definition(key, "latest"), xml)


@bp.route("/<key>/check", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def check(key):
    """Validate the edited diagram without deploying it.

    :raises DeployFailed: listing every problem (answered as JSON, with the element ids).
    """
    service.validate(_edited_files(key), key)
    return {"ok": True, "message": "No problems found. You can deploy it."}


@bp.route("/<key>/deploy", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def deploy(key):
    """Deploy the edited diagram as a new version; running complaints keep theirs."""
    definition, created = run_change(service.deploy, _edited_files(key), me().name, key)
    message = (f"Deployed as version {definition.version}. New complaints start on it; running ones keep "
               f"their version." if created else f"Nothing changed: version {definition.version} is the same.")
    return {"ok": True, "created": created, "version": definition.version, "message": message}
