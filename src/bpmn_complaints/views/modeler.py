"""The process owner's pages: the deployed versions, and the editor that edits the latest
version's whole bundle (the diagram with its properties in bpmn-js, the decision tables in
dmn-js, the forms), checks it and deploys it as a new version through the same service as
``POST /api/definitions`` and ``bpmn-complaints deploy``."""

import json

from flask import Blueprint, Response, current_app, render_template, request

from ..db import run_change
from ..exceptions import BadRequest
from ..input_limits import bounded_int
from ..policy import DEPLOY_DEFINITIONS, READ_DEFINITIONS
from ..schemas.editor import ExpressionCheckIn, TimerPreviewIn
from ..schemas.resources import DeployJson
from ..services import bundle_zip, editor_tools
from ..services import definitions as service
from . import vendor
from .auth import me, staff_required
from .schema_form import build_fields

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
    return render_template("process/compare.html", result=result, versions=versions, areas=AREAS,
                           available=vendor.available("editor"))


AREAS = (("element", "Steps and events"), ("flow", "Sequence flows and conditions"), ("lane", "Lanes"),
         ("decision", "Decision-table rules"), ("form", "Form fields"), ("file", "Files"))


@bp.route("/<key>/edit")
@staff_required(DEPLOY_DEFINITIONS)
def edit(key):
    definition = service.get_definition(key, "latest")
    main, _text = service.main_bpmn(definition)
    return render_template("process/modeler.html", definition=definition, main_file=main,
                           available=vendor.available("editor"))


@bp.route("/<key>/<version>/files.json")
@staff_required(DEPLOY_DEFINITIONS)
def bundle_files(key, version):
    """Every file of a version, for the editor to open: ``{"version", "files": {name: text}}``."""
    definition = service.get_definition(key, version)
    return {"version": definition.version, "files": definition.files}


@bp.route("/<key>/<version>/bundle.zip")
@staff_required(READ_DEFINITIONS)
def download_bundle(key, version):
    """A version's whole bundle (BPMN, DMN, forms) as a zip."""
    data, name = bundle_zip.download(service.get_definition(key, version))
    return Response(data, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<key>/open-bundle", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def open_bundle(key):
    """Unpack an uploaded zip for the editor (nothing is deployed): ``{"files": {...}}``."""
    upload = request.files.get("file")
    return {"files": bundle_zip.from_upload(upload, b"", current_app.config["MAX_DEFINITION_BYTES"])}


@bp.route("/form-preview", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def form_preview():
    """A JSON Schema form as the task page draws it, for the form editor's live preview."""
    body = request.get_json(silent=True)
    schema = body.get("schema") if isinstance(body, dict) else None
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as err:
            raise BadRequest(f"the form is not valid JSON: {err}") from None
    properties = schema.get("properties", {}) if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not all(isinstance(p, dict) for p in properties.values()):
        raise BadRequest('send the form as JSON: {"schema": {"type": "object", "properties": {...}}}')
    return render_template("process/_form_preview.html", schema=schema, fields=build_fields(schema))


@bp.route("/handlers.json")
@staff_required(DEPLOY_DEFINITIONS)
def handlers():
    """The editor's handler list (``GET /api/handlers`` for a browser session)."""
    items = editor_tools.handler_catalogue()
    return {"items": items, "total": len(items)}


@bp.route("/check-expression", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def check_expression():
    """A condition checked as the process owner types (``POST /api/editor/check-expression``)."""
    body = ExpressionCheckIn().load(request.get_json(silent=True) or {})
    files = body["files"] or (service.get_definition(body["key"], "latest").files if body["key"] else {})
    return editor_tools.check_expression(files, body["expression"])


@bp.route("/timer-preview", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def timer_preview():
    """When a timer would fall due (``POST /api/editor/timer-preview``)."""
    body = TimerPreviewIn().load(request.get_json(silent=True) or {})
    return editor_tools.timer_preview(body["expression"], body["kind"], body["variables"])


def _edited_files(key: str) -> dict[str, str]:
    """The edited bundle: ``{"files": {...}}`` (the editor sends every file), or the diagram
    alone as ``{"xml": ...}`` with the latest version's other files. A ``base_version``
    field names the version the page was opened on; the deploy service's base check reads it."""
    body = request.get_json(silent=True)
    if isinstance(body, dict) and "files" in body:
        return DeployJson().load({"files": body["files"]})["files"]
    xml = body.get("xml") if isinstance(body, dict) else None
    if not isinstance(xml, str) or not xml.strip():
        raise BadRequest('send the bundle as JSON: {"files": {"name.bpmn": "<bpmn:definitions ..."}}')
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
