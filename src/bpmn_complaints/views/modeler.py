"""The process owner's pages: the deployed versions, and the editor that edits the latest
version's whole bundle (the diagram with its properties in bpmn-js, the decision tables in
dmn-js, the forms), checks it and deploys it as a new version through the same service as
``POST /api/definitions`` and ``bpmn-complaints deploy``."""

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from ..db import run_change
from ..exceptions import AppError, BadRequest
from ..input_limits import bounded_int
from ..policy import DEPLOY_DEFINITIONS, MIGRATE_INSTANCES, READ_DEFINITIONS
from ..schemas.editor import ExpressionCheckIn, TimerPreviewIn
from ..schemas.resources import DeployJson
from ..services import bundle_zip, editor_tools, migration
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


def _edited(key: str) -> tuple[dict[str, str], int | None, bool]:
    """The edited bundle, its base version and whether the person confirmed an override.

    The editor sends ``{"files": {...}, "base_version": N, "force": false}`` (every file of
    the bundle); ``{"xml": ...}`` alone is the diagram, deployed with version N's decision
    tables and forms (the version the page opened), so a newer version's files never slip
    in unseen."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    base = body.get("base_version")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int)):
        raise BadRequest("base_version is the number of the version the page opened")
    base = bounded_int(base, "base_version") if base is not None else None
    if "files" in body:
        return DeployJson().load({"files": body["files"]})["files"], base, body.get("force") is True
    xml = body.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise BadRequest('send the bundle as JSON: {"files": {"name.bpmn": "<bpmn:definitions ..."}, '
                         '"base_version": N}')
    files = service.with_main_bpmn(service.get_definition(key, base or "latest"), xml)
    return files, base, body.get("force") is True


@bp.route("/<key>/check", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def check(key):
    """Validate the edited diagram without deploying it.

    :raises DeployFailed: listing every problem (answered as JSON, with the element ids).
    """
    files, _base, _force = _edited(key)
    _parsed, warnings = service.check(files, key)
    message = (f"No errors; {len(warnings)} warning(s) to look at. You can deploy it." if warnings
               else "No problems found. You can deploy it.")
    return {"ok": True, "message": message, "warnings": warnings}


@bp.route("/<key>/deploy", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def deploy(key):
    """Deploy the edited diagram as a new version; running complaints keep theirs.

    :raises StaleBase: (409) when another version was deployed after the page opened; the
        page shows its changes and asks to confirm (``force``).
    """
    files, base, force = _edited(key)
    definition, created = run_change(service.deploy, files, me().name, key,
                                     service.Base(version=base, force=force, source="modeler"))
    message = (f"Deployed as version {definition.version}. New complaints start on it; running ones keep "
               f"their version." if created else f"Nothing changed: version {definition.version} is the same.")
    return {"ok": True, "created": created, "version": definition.version, "message": message,
            "warnings": (definition.warnings or []) if created else []}


@bp.route("/<key>/<version>/rollback", methods=["POST"])
@staff_required(DEPLOY_DEFINITIONS)
def rollback(key, version):
    """Roll back: deploy this version's files again as a new version."""
    try:
        definition, created = run_change(service.rollback, key, version, me().name)
    except AppError as err:
        flash(f"Nothing was rolled back: {err.message}", "error")
    else:
        flash(f"Version {definition.version} now has the files of version {version}." if created else
              f"Version {definition.version} already has those files.", "success")
    return redirect(url_for("modeler.versions"))


@bp.route("/<key>/migrate", methods=["GET", "POST"])
@staff_required(MIGRATE_INSTANCES)
def migrate(key):
    """Move running complaints to another version: the dry run (GET with from and to) lists
    where each waiting token lands; the form sends the chosen complaints (POST)."""
    latest = service.get_definition(key, "latest").version
    form = request.form if request.method == "POST" else request.args
    old = bounded_int(form.get("from", 0, type=int) or 0, "from")
    new = bounded_int(form.get("to", 0, type=int) or 0, "to") or latest
    pairs = form.get("map", "")
    result = None
    try:
        mapping = migration.parse_mapping([line for line in pairs.splitlines() if line.strip()])
        if old and request.method == "POST":
            chosen = form.getlist("complaint")
            if not chosen:
                raise BadRequest("choose at least one complaint to migrate")
            expected = {ref: int(form.get(f"version-{ref}", 0) or 0) or None for ref in chosen}
            result = migration.apply(key, old, new, mapping, me().name, chosen,
                                     {ref: v for ref, v in expected.items() if v is not None})
        elif old:
            result = migration.dry_run(key, old, new, mapping)
    except AppError as err:
        flash(err.message, "error")
    return render_template("process/migrate.html", key=key, versions=list(range(latest, 0, -1)), old=old,
                           new=new, pairs=pairs, result=result)
