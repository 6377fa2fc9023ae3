"""What the browser editor asks while a process owner edits: the handlers a service task
may name, whether an expression is allowed, and when a timer would fall due."""

from flask import Response, current_app, request

from ..db import run_change
from ..exceptions import BadRequest
from ..policy import DEPLOY_DEFINITIONS, READ_DEFINITIONS
from ..schemas.editor import ExpressionCheckIn, ExpressionCheckOut, TimerPreviewIn, TimerPreviewOut
from ..schemas.resources import DeployForm, DeployOut
from ..services import bundle_zip, editor_tools
from ..services import definitions as definitions_service
from .auth import current_user, require
from .blueprint import Blueprint

ZIP_FILE = {"type": "string", "format": "binary"}
bp = Blueprint("editor", __name__, url_prefix="/api", description="The process editor's helpers")


@bp.route("/editor/check-expression", methods=["POST"])
@bp.arguments(ExpressionCheckIn)
@bp.response(200, ExpressionCheckOut)
@require(DEPLOY_DEFINITIONS)
def check_expression(body):
    """Check a condition as deploy would, against the variables the process can have
    (``files``, or the latest version of ``key``)."""
    return editor_tools.check_expression(_bundle(body), body["expression"])


@bp.route("/editor/timer-preview", methods=["POST"])
@bp.arguments(TimerPreviewIn)
@bp.response(200, TimerPreviewOut)
@require(DEPLOY_DEFINITIONS)
def timer_preview(body):
    """When a timer (or due date) started now would first fall due, on the business calendar."""
    return editor_tools.timer_preview(body["expression"], body["kind"], body["variables"])


def _bundle(body) -> dict[str, str]:
    if body.get("files"):
        return body["files"]
    if body.get("key"):
        return definitions_service.get_definition(body["key"], "latest").files
    raise BadRequest("send the bundle's files, or the key of a deployed process")


@bp.route("/definitions/<key>/<version>/bundle.zip", methods=["GET"])
@bp.response(200, description="The zip: the BPMN, DMN and form files under their bundle names")
@require(READ_DEFINITIONS)
def download_bundle(key, version):
    """A version's whole bundle (BPMN, DMN, forms) as a zip."""
    data, name = bundle_zip.download(definitions_service.get_definition(key, version))
    return Response(data, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/definitions/bundle.zip", methods=["POST"])
@bp.doc(requestBody={"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": ZIP_FILE}}},
    "application/zip": {"schema": ZIP_FILE}}})
@bp.response(201, DeployOut)
@bp.alt_response(200, schema=DeployOut, description="The same content is already the latest version")
@bp.alt_response(400, description="Every problem found, each naming its file and element")
@bp.alt_response(409, description="The base version is not the latest: what the newer version changed")
@bp.alt_response(428, description="The process has versions and no base_version (nor force) was sent")
@require(DEPLOY_DEFINITIONS)
def upload_bundle():
    """Deploy a bundle uploaded as one zip (``-F file=@bundle.zip``, or the zip as the body),
    checked as ``POST /api/definitions`` is: ``base_version`` and ``force`` as form fields
    beside the file, or in the query string when the zip is the body."""
    upload = request.files.get("file")
    body = b"" if upload else request.get_data()
    files = bundle_zip.from_upload(upload, body, current_app.config["MAX_DEFINITION_BYTES"])
    given = request.form if upload else request.args
    options = DeployForm().load({k: v for k, v in given.items() if k in ("base_version", "force")})
    base = definitions_service.Base(version=options["base_version"], force=options["force"], source="api",
                                    required=True)
    definition, created = run_change(definitions_service.deploy, files, current_user().name, request.args.get("key"),
                                     base)
    out = {name: getattr(definition, name) for name in DeployOut().fields if name != "created"}
    out["created"] = created
    return out, 201 if created else 200
