"""Process definitions: list, deploy, download."""

from flask import Response, current_app, request

from ..db import run_change
from ..exceptions import BadRequest, PayloadTooLarge
from ..policy import DEPLOY_DEFINITIONS, MIGRATE_INSTANCES, READ_BPMN, READ_DEFINITIONS
from ..schemas.resources import (
    CompareQuery,
    DefinitionComparison,
    DefinitionList,
    DeployForm,
    DeployJson,
    DeployOut,
    MigrationIn,
)
from ..services import definitions as service
from ..services import migration
from .auth import current_user, require
from .blueprint import Blueprint

bp = Blueprint("definitions", __name__, url_prefix="/api/definitions", description="Process definitions")


@bp.route("", methods=["GET"])
@bp.response(200, DefinitionList)
@require(READ_DEFINITIONS)
def list_definitions():
    """Every deployed version, newest first per key."""
    items = service.list_definitions()
    return {"items": items, "total": len(items)}


def _uploaded_files() -> tuple[dict[str, str], dict]:
    """The files to deploy and the deploy's options (``key``, ``base_version``, ``force``).

    A multipart ``.json`` file sent without a folder (what ``curl -F file=@forms/x.json``
    sends) is a form, stored as ``forms/x.json`` as ``bpmn-complaints deploy`` stores it,
    so sending the same files by either path is the same bundle."""
    limit = current_app.config["MAX_DEFINITION_BYTES"]
    files: dict[str, str] = {}
    if request.files:
        for upload in request.files.getlist("file") + request.files.getlist("files"):
            raw = upload.read(limit + 1)
            if len(raw) > limit:
                raise PayloadTooLarge(f"{upload.filename} is larger than {limit:,} bytes")
            name = (upload.filename or "").replace("\\", "/")
            if name.endswith(".json") and "/" not in name:
                name = f"forms/{name}"
            try:
                files[name] = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest(f"{upload.filename} is not UTF-8 text") from None
        options = DeployForm().load({k: v for k, v in request.form.items() if k in ("base_version", "force")})
        return files, {**options, "key": request.args.get("key")}
    body = DeployJson().load(request.get_json(silent=True) or {})
    return body.pop("files"), {**body, "key": request.args.get("key") or body.get("key")}


def _deployed(definition, created: bool) -> tuple[dict, int]:
    out = {name: getattr(definition, name) for name in DeployOut().fields if name != "created"}
    out["created"] = created
    return out, 201 if created else 200


@bp.route("", methods=["POST"])
@bp.response(201, DeployOut)
@bp.alt_response(200, schema=DeployOut, description="The same content is already the latest version")
@bp.alt_response(400, description="Every problem found, each naming its file and element")
@bp.alt_response(409, description="The base version is not the latest: what the newer version changed")
@bp.alt_response(428, description="The process has versions and no base_version (nor force) was sent: "
                                  "the latest version, to state as the base")
@require(DEPLOY_DEFINITIONS)
def deploy():
    """Deploy a bundle: multipart files (``-F file=@x.bpmn``, with optional form fields
    ``base_version`` and ``force``) or JSON ``{"files": {"name": "content"}, "base_version":
    3}``. Nothing is stored if any error is found; warnings are kept with the version. With
    a ``base_version`` that is not the latest the deploy is refused (409) with the newer
    version's changes, unless ``force`` is true. Once the process has a version, a deploy
    that changes it must send ``base_version`` (or ``force``): without one it is refused
    with 428 ``base_required``, naming the latest version. Files identical to the latest
    are a no-op (200) and need no base; files identical to an older version are a revert
    (409)."""
    files, options = _uploaded_files()
    if not files:
        raise BadRequest("send the files to deploy: multipart 'file' fields or JSON {'files': {...}}")
    base = service.Base(version=options.get("base_version"), force=bool(options.get("force")), source="api",
                        required=True)
    definition, created = run_change(service.deploy, files, current_user().name, options.get("key"), base)
    return _deployed(definition, created)


@bp.route("/<key>/<version>/rollback", methods=["POST"])
@bp.response(201, DeployOut)
@bp.alt_response(200, schema=DeployOut, description="The latest version already has those files")
@require(DEPLOY_DEFINITIONS)
def rollback(key, version):
    """Roll back: deploy version ``version``'s files again as a new version. Running
    complaints keep their version (migrate them to follow)."""
    definition, created = run_change(service.rollback, key, version, current_user().name)
    return _deployed(definition, created)


@bp.route("/<key>/migrations", methods=["POST"])
@bp.arguments(MigrationIn)
@bp.response(200)
@require(MIGRATE_INSTANCES)
def migrate(body, key):
    """Migrate running complaints from version ``from`` to version ``to``. With
    ``dry_run`` (the default) nothing changes: for each complaint, where each waiting token
    would land, and what is ambiguous or impossible. Without it, each complaint moves as
    its own audited change; one that cannot is refused and named."""
    mapping = migration.parse_mapping(body["map"])
    if body["dry_run"]:
        return migration.dry_run(key, body["from_"], body["to"], mapping, body["complaints"])
    return migration.apply(key, body["from_"], body["to"], mapping, current_user().name, body["complaints"],
                           body["expected"])


@bp.route("/<key>/<version>/bpmn", methods=["GET"])
@require(READ_BPMN)
def bpmn(key, version):
    """The BPMN XML of a version (``latest`` works as a version)."""
    name, text = service.main_bpmn(service.get_definition(key, version))
    return Response(text, mimetype="application/xml",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/<key>/compare", methods=["GET"])
@bp.arguments(CompareQuery, location="query")
@bp.response(200, DefinitionComparison)
@require(READ_DEFINITIONS)
def compare(query, key):
    """What changed between two versions (ISO 10002 8.7): BPMN elements, flows and lanes
    by id, decision-table rules and form fields; ``layout_only`` when only shapes moved."""
    result = service.compare_versions(key, query["from_"], query["to"])
    return {**result, "from_": result["from"], "changes": [c.as_dict() for c in result["changes"]]}
